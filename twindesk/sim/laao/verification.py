"""Verification cases of the occluder deployment, returning the measured numbers.

The tests (``tests/validation/test_laao_mechanics.py``) assert tolerances on them;
``benchmarks/verify_laao.py`` prints them. The "appendage" is an open tube along -z from the
ostium plane z = 0 (landing zone 2 mm in), with rigid walls (the tools' 5 N/mm³ penalty);
the device is the library's WATCHMAN FLX-like 27 mm occluder unless given.
"""

from __future__ import annotations

from twindesk.sim.laao import metrics as lm
from twindesk.sim.laao.placement import make_plan
from twindesk.sim.mechanics import api
from twindesk.sim.mechanics.deploy import RIGID_N_PER_MM3
from twindesk.sim.mechanics.params import SolverOptions, TissueModel
from twindesk.sim.mechanics.synthetic import cylinder_surface, elliptic_tube_surface

RIGID = TissueModel(foundation_stiffness_n_per_mm3=RIGID_N_PER_MM3)


def library_occluder(size_mm: float = 27.0, family: str = "laao-flxlike"):
    from twindesk.model.devices import load_library
    from twindesk.sim.mechanics.library import device_from_library

    return device_from_library(load_library(include_user=False), family, size_mm)


def plan_in_tube(device, depth_mm: float = 2.0):
    """Ostium plane z = 0, appendage toward -z, landing zone 2 mm in, axis along -z."""
    down = (0.0, 0.0, -1.0)
    return make_plan(device, depth_mm, (0.0, 0.0, 0.0), down, (0.0, 0.0, -2.0), down, 2.0,
                     down, down, "verification")


def deploy_in(device, tube, model: str, depth_mm: float = 2.0, options=None) -> dict:
    plan = plan_in_tube(device, depth_mm)
    kw = {} if options is None else {"options": options}
    df = api.place(device, tube, plan.placement, tissue_model=RIGID, model=model, **kw)
    return lm.occluder_report(df, plan)


def cylinder(d_cyl_mm: float = 22.0, model: str = "full", device=None) -> dict:
    device = device or library_occluder()
    rep = deploy_in(device, cylinder_surface(d_cyl_mm, -40.0, 30.0, 128, 71), model)
    nominal = device.size.diameter_mm
    return {"model": model, "landing_diameter_mm": rep["landing_zone_device"]["mean_mm"],
            "landing_diameter_error_mm": abs(rep["landing_zone_device"]["mean_mm"] - d_cyl_mm),
            "compression_pct": rep["compression_pct"],
            "expected_compression_pct": 100.0 * (nominal - d_cyl_mm) / nominal,
            "sealing_gap_mm": rep["sealing_gap_mm"], "axis_angle_deg": rep["axis_angle_deg"],
            "total_force_n": rep["contact_pressure"]["total_force_n"],
            "seconds": rep["convergence"]["seconds"]}


def elliptical(d_max_mm: float = 25.0, d_min_mm: float = 19.0, model: str = "fast",
               device=None) -> dict:
    device = device or library_occluder()
    tube = elliptic_tube_surface(d_max_mm, d_min_mm, -40.0, 30.0, 256, 71)
    sec = deploy_in(device, tube, model)["landing_zone_device"]
    ecc = 1.0 - d_min_mm / d_max_mm
    return {"model": model, "tube_eccentricity": ecc, "device_eccentricity": sec["eccentricity"],
            "eccentricity_error": abs(sec["eccentricity"] - ecc),
            "max_diameter_error_mm": abs(sec["max_mm"] - d_max_mm)}


def refinement(device=None, d_cyl_mm: float = 22.0) -> dict:
    """Full model with 4 and 8 beam elements per strut in the rigid cylinder."""
    device = device or library_occluder()
    tube = cylinder_surface(d_cyl_mm, -40.0, 30.0, 128, 71)
    rows = []
    for ne in (4, 8):
        opts = SolverOptions(elements_per_strut=ne, contact_smoothing_mm=0.005)
        rep = deploy_in(device, tube, "full", options=opts)
        rows.append((rep["landing_zone_device"]["mean_mm"], rep["compression_pct"]))
    return {"diameter_change_mm": abs(rows[0][0] - rows[1][0]),
            "compression_change_pct": abs(rows[0][1] - rows[1][1])}


def shoulder_vs_depth(device=None, depths_mm=(0.0, 4.0)) -> dict:
    """Shoulder protrusion at two implant depths in the rigid cylinder (fast model)."""
    device = device or library_occluder()
    tube = cylinder_surface(22.0, -40.0, 30.0, 128, 71)
    prot = [deploy_in(device, tube, "fast", d)["shoulder_protrusion_mm"] for d in depths_mm]
    return {"depths_mm": list(depths_mm), "shoulder_protrusion_mm": prot,
            "protrusion_drop_mm": prot[0] - prot[-1]}
