"""Entry points of the frame mechanics for the CLI (``twindesk place``) and the GUI.

:func:`place` deploys one device size in a tissue surface at a placement with either
fidelity and returns a :class:`~twindesk.sim.mechanics.results.DeployedFrame`;
:func:`report` turns it into the numbers the CLI prints; :func:`uncertainty` reruns the
fast model with perturbed tissue stiffness and depth and returns intervals; :func:`run`
is the job form (``run(params, progress, cancel)``).

Crimped frames and calibrated fast models depend only on the device and the solver
options, so they are cached in memory (the GUI drags the fast model repeatedly).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from twindesk.errors import InputError
from twindesk.io.atomic import atomic_write_bytes
from twindesk.paths import user_cache_dir
from twindesk.jobs.core import CancelToken, ProgressReporter
from twindesk.sim.mechanics import metrics
from twindesk.sim.mechanics.contact import SurfaceWall
from twindesk.sim.mechanics.deploy import CrimpedFrame, _nc_crown, crimp, deploy_full
from twindesk.sim.mechanics.fast import FAST_OPTIONS, FastCalibration, FastModel
from twindesk.sim.mechanics.params import (Device, Placement, SolverOptions, TissueModel)
from twindesk.sim.mechanics.results import DeployedFrame, FrameTransform, from_result
from twindesk.sim.mechanics.surface import TriangleSurface

FULL_OPTIONS = SolverOptions(contact_smoothing_mm=0.005)


@lru_cache(maxsize=16)
def crimped_frame(device: Device, options: SolverOptions = FULL_OPTIONS) -> CrimpedFrame:
    """The device crimped into its delivery system (cached)."""
    return crimp(device, options)


CALIBRATION_VERSION = 1      # bump when the mechanics change what a calibration means


@lru_cache(maxsize=32)
def fast_model(device: Device, options: SolverOptions = FULL_OPTIONS) -> FastModel:
    """The reduced model of a device, fitted to the library's bench radial-force curve
    when the size has one, otherwise to the full model's. Calibrations are cached in
    memory and in the user cache folder (``mechanics/<hash>.json``), so a size sweep
    pays them once per device size and machine."""
    key = hashlib.sha256(repr((CALIBRATION_VERSION, device, options,
                               FAST_OPTIONS)).encode()).hexdigest()[:24]
    path = user_cache_dir() / "mechanics" / f"{key}.json"
    try:
        cal = FastCalibration.from_json(json.loads(path.read_text()))
        return FastModel(device, cal, FAST_OPTIONS)
    except (OSError, ValueError, KeyError, TypeError):
        pass                                  # absent or unreadable: calibrate again
    bench = getattr(device.size, "radial_force", ())
    curve = np.array([[d, cof] for d, cof, _ in bench]) if bench else None
    crimped = None if curve is not None else crimped_frame(device, options)
    model = FastModel.calibrate(device, curve, full_options=options, crimped=crimped,
                                options=FAST_OPTIONS)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(model.calibration.to_json()).encode())
    except OSError:
        pass                                  # a read-only cache only costs time
    return model


def as_surface(tissue) -> TriangleSurface:
    """A :class:`TriangleSurface` from a TriangleSurface, a VTK/pyvista PolyData or a
    ``(points, faces)`` pair (LPS mm)."""
    if isinstance(tissue, TriangleSurface):
        return tissue
    if isinstance(tissue, tuple) and len(tissue) == 2:
        return TriangleSurface(np.asarray(tissue[0]), np.asarray(tissue[1]))
    if hasattr(tissue, "GetNumberOfPoints"):
        return TriangleSurface.from_polydata(tissue)
    raise InputError("tissue surface: expected a triangle mesh (PolyData or points+faces)",
                     hint="pass the lumen surface artefact (surface:aorta) as loaded")


def place(device: Device, tissue, placement: Placement, *,
          tissue_model: TissueModel = TissueModel(), model: str = "full",
          options: SolverOptions = FULL_OPTIONS,
          vertex_stiffness_scale: np.ndarray | None = None, progress=None,
          cancel: CancelToken | None = None) -> DeployedFrame:
    """Deploy ``device`` in the lumen surface ``tissue`` (LPS) at ``placement``.

    Parameters
    ----------
    device
        Frame pattern, size and material.
    tissue
        Lumen surface (LPS mm), normals toward the wall or not (they are oriented from the
        placement's axis point, which must lie inside the lumen).
    placement
        Axis, annulus (landing) point, depth and rotation — see :class:`Placement`.
    tissue_model
        Foundation stiffness of the wall.
    model
        ``"full"`` (crimp + release, fibre plasticity/superelasticity, ~10–60 s) or
        ``"fast"`` (reduced model, ~1 s).
    vertex_stiffness_scale
        Optional per-vertex multiplier of the foundation stiffness (e.g. calcium).
    """
    if model not in ("full", "fast"):
        raise InputError(f"model must be 'full' or 'fast', got {model!r}")
    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    surf = as_surface(tissue).oriented_outward(placement.axis_point_lps_mm)
    transform = FrameTransform.from_placement(placement)
    surf_frame = _around_device(TriangleSurface(transform.to_frame(surf.points), surf.faces),
                                device)
    wall = SurfaceWall(surf_frame, tissue_model.foundation_stiffness_n_per_mm3,
                       vertex_stiffness_scale, "tissue")
    nc_az = placement.noncoronary_azimuth_rad() - np.radians(placement.rotation_deg)
    if model == "full":
        rep(0.0, "crimping")
        crimped = crimped_frame(device, options)
        res = deploy_full(crimped, [wall], nc_azimuth_rad=nc_az, progress=rep.sub(0.1, 1.0),
                          cancel=cancel)
    else:
        fm = fast_model(device, options)
        res = fm.deploy([wall], nc_azimuth_rad=nc_az, progress=rep.sub(0.0, 1.0),
                        cancel=cancel)
    nc_node = _nc_crown(res.mesh, nc_az)
    out = from_result(model, device, placement, transform, res, placement.depth_mm, nc_node,
                      surf_frame, time.perf_counter() - t0)
    rep(1.0, "deployed")
    return out


def _around_device(surf: TriangleSurface, device: Device, margin_mm: float = 15.0):
    """Only the wall within reach of the frame: a cylinder of twice the nominal radius
    (+ margin) around the axis, from below the inflow to above the crimped frame's
    height (large segmentation surfaces — whole blood pools — stay cheap)."""
    from twindesk.sim.mechanics.frame import nominal_profile

    prof = nominal_profile(device)
    z = np.linspace(0.0, prof.height_mm, 50)
    r_max = 2.0 * float(prof.radius(z).max()) + margin_mm
    tri = surf.points[surf.faces]
    r = np.hypot(tri[..., 0], tri[..., 1]).min(axis=1)
    zt = tri[..., 2]
    keep = (r < r_max) & (zt.max(axis=1) > -margin_mm) & (
        zt.min(axis=1) < 1.6 * prof.height_mm + margin_mm)
    return surf.cropped(keep) if not np.all(keep) else surf


def report(df: DeployedFrame, points_lps_mm: dict[str, np.ndarray] | None = None) -> dict:
    """The numbers of a deployment: levels, pressure, gap, point distances, depth."""
    pressure = metrics.tissue_pressure(df)
    out = {"model": df.model,
           "levels": metrics.level_report(df),
           "implant_depth_mm": df.implant_depth_mm,
           "axial_hold_force_n": df.axial_hold_force_n,
           "contact_pressure": metrics.pressure_stats(df, pressure),
           "paravalvular_gap": metrics.paravalvular_gap(df),
           "convergence": df.convergence}
    if points_lps_mm:
        names = list(points_lps_mm)
        dist = metrics.point_distances(df, np.array([points_lps_mm[k] for k in names]))
        out["points"] = dict(zip(names, dist))
    return out


def pressure_map_polydata(df: DeployedFrame, pressure_mpa: np.ndarray | None = None):
    """The tissue surface in LPS with point data ``contact_pressure_kpa`` (for the VTP
    artefact and the 3D view)."""
    if df.tissue_frame is None:
        raise InputError("this deployment has no tissue surface")
    p = metrics.tissue_pressure(df) if pressure_mpa is None else pressure_mpa
    surf = TriangleSurface(df.transform.to_lps(df.tissue_frame.points), df.tissue_frame.faces)
    poly = surf.to_polydata()
    poly.point_data["contact_pressure_kpa"] = 1e3 * np.asarray(p, float)
    return poly


def scalar_metrics(rep: dict) -> dict[str, float]:
    """Flatten the numeric leaves of a :func:`report` (for intervals)."""
    flat = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k != "convergence":
                    walk(f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[prefix] = float(value)

    walk("", {k: v for k, v in rep.items() if k not in ("model", "convergence")})
    return flat


def uncertainty(device: Device, tissue, placement: Placement, *,
                tissue_model: TissueModel = TissueModel(),
                stiffness_factors: tuple[float, ...] = (0.5, 2.0),
                depth_offsets_mm: tuple[float, ...] = (-2.0, 2.0),
                points_lps_mm: dict[str, np.ndarray] | None = None,
                progress=None, cancel: CancelToken | None = None) -> dict:
    """Intervals of every scalar of :func:`report` from fast-model reruns with the wall
    stiffness times each factor and the depth shifted by each offset (one at a time).

    Returns ``{"nominal": {...}, "low": {...}, "high": {...}, "runs": n}``.
    """
    rep = ProgressReporter(progress, cancel=cancel)
    cases = [(1.0, 0.0)] + [(f, 0.0) for f in stiffness_factors] + \
            [(1.0, d) for d in depth_offsets_mm]
    values = []
    for i, (factor, dz) in enumerate(cases):
        rep(i / len(cases), f"uncertainty run {i + 1}/{len(cases)}")
        tm = replace(tissue_model, foundation_stiffness_n_per_mm3=factor
                     * tissue_model.foundation_stiffness_n_per_mm3)
        pl = replace(placement, depth_mm=placement.depth_mm + dz)
        df = place(device, tissue, pl, tissue_model=tm, model="fast", cancel=cancel)
        values.append(scalar_metrics(report(df, points_lps_mm)))
    keys = set(values[0]).intersection(*values[1:])
    low = {k: min(v[k] for v in values) for k in keys}
    high = {k: max(v[k] for v in values) for k in keys}
    rep(1.0, "uncertainty done")
    return {"nominal": values[0], "low": low, "high": high, "runs": len(cases)}


@dataclass(frozen=True)
class PlaceParams:
    """Parameters of the placement job."""

    device: Device
    tissue: object                      # TriangleSurface / PolyData / (points, faces)
    placement: Placement
    tissue_model: TissueModel = TissueModel()
    model: str = "full"
    with_uncertainty: bool = True


def run(params: PlaceParams, progress, cancel: CancelToken) -> dict:
    """Job: deploy, report, and (optionally) the uncertainty intervals."""
    rep = ProgressReporter(progress, cancel=cancel)
    df = place(params.device, params.tissue, params.placement,
               tissue_model=params.tissue_model, model=params.model,
               progress=rep.sub(0.0, 0.7), cancel=cancel)
    out = {"deployed": df, "report": report(df)}
    if params.with_uncertainty:
        out["uncertainty"] = uncertainty(params.device, params.tissue, params.placement,
                                         tissue_model=params.tissue_model,
                                         progress=rep.sub(0.7, 1.0), cancel=cancel)
    return out
