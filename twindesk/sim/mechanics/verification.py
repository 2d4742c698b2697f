"""Verification cases of the frame mechanics, returning the measured errors.

The tests (``tests/validation/test_mechanics_*.py``) assert tolerances on these numbers;
``benchmarks/verify_mechanics.py`` (and later ``twindesk verify``) prints them.
Axisymmetric cases run the full model on one cyclic sector (exact); the anatomy cases
use the synthetic surfaces of :mod:`twindesk.sim.mechanics.synthetic`.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.api import place, report
from twindesk.sim.mechanics.calibration import calibrate_to_cof
from twindesk.sim.mechanics.contact import CylinderWall
from twindesk.sim.mechanics.deploy import RIGID_N_PER_MM3, crimp, deploy_full
from twindesk.sim.mechanics.fast import FastModel
from twindesk.sim.mechanics.frame import nominal_profile
from twindesk.sim.mechanics.metrics import (LEVELS, compression_pct, level_report,
                                            ring_section, section_at)
from twindesk.sim.mechanics.params import Placement, SolverOptions, TissueModel
from twindesk.sim.mechanics.results import FrameTransform, from_result
from twindesk.sim.mechanics.solver import CyclicProblem
from twindesk.sim.mechanics.synthetic import (RootGeometry, aortic_root_surface,
                                              cylinder_surface, elliptic_tube_surface)

OPTS = SolverOptions(contact_smoothing_mm=0.005)
REFERENCE_DIAMETERS_MM = (20.0, 21.0, 22.0, 23.0, 24.0, 25.0)


def _deployed(device, res, annulus_z=5.0):
    return from_result("full", device, None, FrameTransform.identity(), res, annulus_z, 0,
                       None, 0.0)


def ring_diameters(df) -> np.ndarray:
    """Mean outer diameter of every lattice ring (mm)."""
    return np.array([ring_section(df, k).d_mean_mm for k in range(df.levels)])


def free_release(device=None) -> dict:
    """Crimp to the capsule, release without walls: distance back to the heat-set shape."""
    device = device or generic.se_flared()
    crimped = crimp(device, OPTS)
    full = CyclicProblem(crimped.mesh, device.material, OPTS).expand(crimped.state)
    outer = np.hypot(full.x[:, 0], full.x[:, 1]) + 0.5 * crimped.mesh.thickness_mm
    res = deploy_full(crimped, [])
    prof = nominal_profile(device)
    nominal = 2 * prof.radius(crimped.mesh.level_z_nominal_mm) + crimped.mesh.thickness_mm
    return {"crimped_outer_diameter_mm": float(2 * outer.max()),
            "max_martensite_fraction": float(np.abs(crimped.state.fibre[..., 0]).max()),
            "max_level_error_mm": float(np.abs(ring_diameters(_deployed(device, res))
                                               - nominal).max()),
            "max_node_error_mm": float(np.abs(res.state.x - crimped.mesh.nodes_mm).max())}


def balloon_recoil(device=None) -> dict:
    """Balloon to nominal, deflate without walls: recoil of the mean ring diameter."""
    device = device or generic.be_frame()
    res = deploy_full(crimp(device, OPTS), [])
    df = _deployed(device, res)
    d = ring_diameters(df)
    z = df.nodes_frame_mm[:, 2]
    return {"balloon_diameter_mm": res.balloon_diameter_mm,
            "recoil_pct": float(100 * (res.balloon_diameter_mm - d.mean())
                                / res.balloon_diameter_mm),
            "height_mm": float(z.max() - z.min()), "max_fibre_strain": res.max_strain}


def rigid_cylinder(d_cyl_mm: float = 22.0, device=None) -> dict:
    """Calibrate to the reference COF curve, release in a rigid cylinder: diameters and
    radial force against the reference; the fast model fitted to the same curve."""
    device = device or generic.se_cylinder()
    curve = generic.reference_cof(REFERENCE_DIAMETERS_MM)
    calibrated, fit = calibrate_to_cof(device, curve, OPTS)
    res = deploy_full(crimp(calibrated, OPTS), [CylinderWall(0.5 * d_cyl_mm, True,
                                                             RIGID_N_PER_MM3, "tube")])
    df = _deployed(calibrated, res, annulus_z=10.0)
    mid = section_at(df, 0.5 * df.nodes_frame_mm[:, 2].max())
    force = float(np.linalg.norm(res.contacts["tube"].force, axis=1).sum())
    reference = float(generic.reference_cof([d_cyl_mm])[0, 1])
    fast = FastModel.calibrate(device, curve)
    fast_force = float(fast.radial_force(np.array([d_cyl_mm]))[0])
    return {"scale": fit.scale, "fit_max_relative_error": fit.max_relative_error,
            "max_ring_diameter_error_mm": float(np.abs(ring_diameters(df) - d_cyl_mm).max()),
            "mid_section_error_mm": float(abs(mid.d_mean_mm - d_cyl_mm)),
            "radial_force_n": force, "reference_n": reference,
            "force_relative_error": abs(force - reference) / reference,
            "fast_force_relative_error": abs(fast_force - reference) / reference,
            "force_balance": res.force_balance}


def occluder_cylinder(d_cyl_mm: float = 22.0, device=None) -> dict:
    device = device or generic.occluder()
    res = deploy_full(crimp(device, OPTS), [CylinderWall(0.5 * d_cyl_mm, True,
                                                         RIGID_N_PER_MM3, "tissue")])
    df = _deployed(device, res, annulus_z=6.0)
    nominal = device.size.diameter_mm
    return {"landing_diameter_error_mm": float(abs(section_at(df, 6.0).d_mean_mm - d_cyl_mm)),
            "compression_pct": compression_pct(df, 6.0),
            "expected_compression_pct": 100 * (nominal - d_cyl_mm) / nominal}


def refinement(device=None) -> dict:
    """4 → 8 elements per strut, 6×2 → 8×3 fibres, in a compliant 23 mm tube."""
    device = device or generic.se_flared()
    rows = []
    for ne, fw, ft in ((4, 6, 2), (8, 8, 3)):
        opts = SolverOptions(elements_per_strut=ne, fibres_width=fw, fibres_thickness=ft,
                             contact_smoothing_mm=0.005)
        res = deploy_full(crimp(device, opts), [CylinderWall(11.5, True, 0.03, "tissue")])
        df = _deployed(device, res)
        rep = level_report(df)
        rows.append(np.concatenate([ring_diameters(df), [rep["annulus"]["mean_mm"],
                                                         rep["waist"]["mean_mm"]]]))
    return {"max_diameter_change_mm": float(np.abs(rows[0] - rows[1]).max())}


# ---------------------------------------------------------------------- anatomies
ROTATION = Rotation.from_euler("xyz", [25.0, -15.0, 40.0], degrees=True).as_matrix()
OFFSET = np.array([12.0, -35.0, 140.0])

ANATOMIES = {
    "phantom-like root": lambda: aortic_root_surface(RootGeometry()),
    "circular tube": lambda: cylinder_surface(23.0, -20.0, 60.0, 128, 81),
    "elliptical asymmetric root": lambda: aortic_root_surface(RootGeometry(
        annulus_max_mm=25.5, annulus_min_mm=21.0, annulus_major_angle_deg=30.0,
        sinus_diameter_mm=32.0, stj_diameter_mm=26.0)),
}


def in_lps(surface):
    """A local-frame surface placed in LPS by the fixed rotation and offset."""
    return surface.transformed(ROTATION, OFFSET)


def placement(depth_mm: float = 4.0, rotation_deg: float = 0.0) -> Placement:
    return Placement(tuple(OFFSET), tuple(ROTATION[:, 2]), depth_mm=depth_mm,
                     rotation_deg=rotation_deg, commissure_direction_lps=tuple(ROTATION[:, 0]))


def fast_vs_full(anatomy: str, device=None) -> dict:
    """Largest per-level (min, max, mean) diameter difference between the models."""
    device = device or generic.se_flared()
    tissue = in_lps(ANATOMIES[anatomy]())
    full = report(place(device, tissue, placement(), model="full"))
    fast = report(place(device, tissue, placement(), model="fast"))
    worst = 0.0
    for level in LEVELS:
        a, b = full["levels"][level], fast["levels"][level]
        if (a is None) != (b is None):
            return {"max_diameter_difference_mm": float("inf")}
        if a is not None:
            worst = max(worst, *(abs(a[k] - b[k]) for k in ("min_mm", "max_mm", "mean_mm")))
    return {"max_diameter_difference_mm": worst,
            "full_seconds": full["convergence"]["seconds"],
            "fast_seconds": fast["convergence"]["seconds"]}


def elliptical_tube(d_max_mm: float = 25.0, d_min_mm: float = 21.0, device=None) -> dict:
    """Release (full model) in a rigid elliptical tube: eccentricity errors per level."""
    device = device or generic.se_cylinder()
    tube = in_lps(elliptic_tube_surface(d_max_mm, d_min_mm, -20.0, 60.0, 256, 81))
    df = place(device, tube, placement(depth_mm=5.0),
               tissue_model=TissueModel(foundation_stiffness_n_per_mm3=RIGID_N_PER_MM3),
               model="full")
    ecc = 1 - d_min_mm / d_max_mm
    levels = level_report(df)
    x = df.nodes_frame_mm
    z_mid = 0.5 * (x[df.ring(1), 2].mean() + x[df.ring(2), 2].mean())
    errors = {name: abs(levels[name]["eccentricity"] - ecc)
              for name in ("inflow", "annulus", "outflow")}
    errors["mid-cell"] = abs(section_at(df, z_mid).eccentricity - ecc)
    return {"tube_eccentricity": ecc, "eccentricity_errors": errors,
            "max_diameter_error_mm": max(abs(levels[n]["max_mm"] - d_max_mm)
                                         for n in ("inflow", "annulus", "outflow"))}
