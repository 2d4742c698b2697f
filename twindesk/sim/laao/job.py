"""Occluder deployment on a case: ``twindesk place --laa`` and the LAAO panel.

``run(PlaceLAAParams, progress, cancel)`` reads the stored LAA analysis
(``result:laa:analysis``, :mod:`twindesk.geometry.laa.job`), the left-atrium wall (of
``labels:la`` smoothed, :func:`wall_from_mask`, or the imported ``surface:la``) and the
device size from the library; deploys the occluder with the frame mechanics
(:func:`twindesk.sim.mechanics.api.place`, ``full`` or ``fast``); measures it
(:mod:`twindesk.sim.laao.metrics`); and adds intervals from fast-model reruns with the wall
stiffness halved and doubled, the implant depth ±1 mm and the device axis tilted ±5° toward
and away from the appendage's bend (each rerun's change from the fast model's nominal run
is applied to the reported value; reruns that do not converge are listed). It stores, like
the TAVR placements (:mod:`twindesk.sim.tavr.place_job`), ``result:place:<device>:<size>``
(the deployed frame, VTP lines with point data ``compression_pct``), ``...:metrics`` (the
printed JSON) and ``...:pressure`` (the atrial wall with point data
``contact_pressure_kpa``), the index record ``case.doc["placements"]["<device>:<size>"]``
(``"kind": "laao"``) and a twin version of kind ``simulation``.

The wall is an elastic foundation of 0.03 N/mm³: the thin-walled (Laplace) estimate
k = E·h/R² with E ≈ 2 MPa, a wall of h ≈ 1.5 mm and R ≈ 10 mm
(:func:`twindesk.sim.mechanics.params.foundation_stiffness_from_wall`); the appendage wall
is thin (about 1 mm between the pectinate muscles, Ho SY et al., Circ Arrhythm
Electrophysiol 2012;5:220-228) and its stiffness uncertain by a factor of about two,
which is what the stiffness reruns cover.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import InputError, SolverError
from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.sim.laao import metrics as lm
from twindesk.sim.laao.placement import OccluderPlan, plan_from_analysis
from twindesk.sim.mechanics.params import TissueModel, foundation_stiffness_from_wall

LAA_TISSUE = TissueModel(foundation_stiffness_n_per_mm3=foundation_stiffness_from_wall(
    2.0, 1.5, 10.0))
STIFFNESS_FACTORS = (0.5, 2.0)
DEPTH_OFFSETS_MM = (-1.0, 1.0)
TILT_DEG = 5.0


@dataclass(frozen=True)
class PlaceLAAParams:
    """One occluder size to deploy; ``depth_mm`` None = the family's default implant
    depth; ``axis_lps`` None = along the ostium normal (into the appendage)."""

    case_path: Path
    device_id: str
    size_mm: float
    depth_mm: float | None = None
    model: str = "full"
    axis_lps: tuple[float, float, float] | None = None
    with_uncertainty: bool = True
    store: bool = True


def wall_from_mask(mask: np.ndarray, grid, sigma_mm: float = 1.0):
    """The atrial wall of a mask for contact: the 0.5 iso-surface of the mask smoothed with
    a Gaussian of ``sigma_mm`` (LPS mm). Penalty contact needs a wall without the voxel
    staircase (the display surface's windowed-sinc smoothing leaves ripples the occluder's
    struts catch on); the smoothing moves a wall of radius R by about sigma²/(2R), under
    0.1 mm here."""
    from scipy import ndimage as ndi

    from twindesk.geometry.surface import iso_surface, padded_crop
    from twindesk.sim.mechanics.surface import TriangleSurface

    sub, g = padded_crop(mask, grid, int(np.ceil(3 * sigma_mm / min(grid.spacing_mm))) + 2)
    field = ndi.gaussian_filter(sub.astype(np.float32),
                                sigma_mm / np.asarray(g.spacing_zyx, float))
    return TriangleSurface.from_polydata(iso_surface(field, g, 0.5))


def tissue_surface(case):
    """The left-atrium wall as a :class:`~twindesk.sim.mechanics.surface.TriangleSurface`:
    from ``labels:la`` (:func:`wall_from_mask`) or the imported ``surface:la`` as it is."""
    from twindesk.errors import CaseError
    from twindesk.imaging import labels
    from twindesk.sim.mechanics.surface import TriangleSurface

    if labels.has(case, "la"):
        from twindesk.imaging.grid import Grid

        return wall_from_mask(labels.load(case, "la"), Grid.of(case.image()))
    if case.artifact("surface:la") is not None:
        from twindesk.geometry.surface import read_polydata

        return TriangleSurface.from_polydata(read_polydata(case.artifact_path("surface:la")))
    raise CaseError(f"case {case.path} has no left atrium",
                    "segment it or import a surface model first")


def deploy(device, tissue, plan: OccluderPlan, model: str, tissue_model=LAA_TISSUE,
           progress=None, cancel=None):
    from twindesk.sim.mechanics.api import place

    return place(device, tissue, plan.placement, tissue_model=tissue_model, model=model,
                 progress=progress, cancel=cancel)


def perturbations(plan: OccluderPlan) -> list[tuple[float, float, np.ndarray | None, float]]:
    """``(stiffness factor, depth offset mm, tilt axis, tilt deg)`` of the interval reruns:
    the device axis is tilted either way about the axis perpendicular to it and to the
    appendage axis (toward and away from the appendage's bend)."""
    a = np.asarray(plan.device_axis_lps)
    k = np.cross(a, plan.appendage_axis_lps)
    if np.linalg.norm(k) < 1e-3:
        from twindesk.imaging.reslice import plane_frame

        k = plane_frame(a)[0]
    out = [(f, 0.0, None, 0.0) for f in STIFFNESS_FACTORS]
    out += [(1.0, d, None, 0.0) for d in DEPTH_OFFSETS_MM]
    out += [(1.0, 0.0, k, s * TILT_DEG) for s in (-1.0, 1.0)]
    return out


def intervals(device, tissue, plan: OccluderPlan, nominal: dict[str, float],
              fast_nominal=None, progress=None, cancel=None) -> tuple[dict, dict]:
    """``{key: (low, high)}`` for every scalar in ``nominal`` (see the module docstring)
    and ``{"runs", "failed_runs"}``; ``fast_nominal`` is the nominal deployment when it
    was made with the fast model (reused)."""
    rep = ProgressReporter(progress, cancel=cancel)
    runs = perturbations(plan)
    rep(0.0, "uncertainty: fast nominal")
    base = (lm.scalars(lm.occluder_report(fast_nominal, plan)) if fast_nominal is not None
            else lm.scalars(lm.occluder_report(deploy(device, tissue, plan, "fast"), plan)))
    deltas: dict[str, list[float]] = {k: [] for k in nominal}
    failed = []
    for i, (factor, dz, axis, tilt) in enumerate(runs):
        rep((i + 1) / (len(runs) + 1), f"uncertainty run {i + 1}/{len(runs)}")
        tm = replace(LAA_TISSUE, foundation_stiffness_n_per_mm3=factor
                     * LAA_TISSUE.foundation_stiffness_n_per_mm3)
        try:
            p = plan.moved(device, dz, axis, tilt)
            vals = lm.scalars(lm.occluder_report(deploy(device, tissue, p, "fast", tm,
                                                        cancel=cancel), plan))
        except SolverError as exc:
            # a perturbed run that does not converge narrows the interval; say so
            failed.append({"stiffness_factor": factor, "depth_offset_mm": dz,
                           "tilt_deg": tilt, "error": exc.message})
            continue
        for k in nominal:
            if k in vals and k in base:
                deltas[k].append(vals[k] - base[k])
    out = {}
    for k, v in nominal.items():
        d = deltas.get(k) or [0.0]
        out[k] = (v + min(0.0, min(d)), v + max(0.0, max(d)))
    rep(1.0, "uncertainty done")
    return out, {"runs": len(runs) - len(failed) + 1, "failed_runs": failed}


UNITS = {"pct": "%", "deg": "deg", "mm2": "mm2", "_n": "N", "kpa": "kPa", "_mm": "mm"}


def _unit(key: str) -> str:
    for suffix, unit in UNITS.items():
        if key.endswith(suffix):
            return unit
    return "1"


def with_intervals(report: dict, bounds: dict | None) -> dict:
    """The report with every scalar replaced by ``{"value", "low", "high", "unit"}``."""
    out = dict(report)

    def iv(key, value):
        lo, hi = (bounds or {}).get(key, (value, value))
        return {"value": float(value), "low": float(min(lo, value)),
                "high": float(max(hi, value)), "unit": _unit(key.split(".")[-1])}

    for key, value in lm.scalars(report).items():
        if "." in key:
            head, tail = key.split(".", 1)
            out[head] = dict(out[head])
            out[head][tail] = iv(key, value)
        else:
            out[key] = iv(key, value)
    return out


def flags(rep: dict, family_size) -> list[str]:
    out = []
    c = rep.get("compression_pct")
    if c is not None:
        lo, hi = family_size.compression_min_pct, family_size.compression_max_pct
        if c["value"] < lo:
            out.append(f"compression {c['value']:.0f} % at the landing zone is below the "
                       f"{lo:g} % minimum: risk of embolisation / incomplete seal")
        elif c["value"] > hi:
            out.append(f"compression {c['value']:.0f} % at the landing zone exceeds the "
                       f"{hi:g} % maximum: the device may not open fully")
    gap = rep.get("sealing_gap_mm")
    if gap is not None and gap["value"] > lm.INADEQUATE_SEAL_MM:
        out.append(f"residual peri-device gap {gap['value']:.1f} mm > "
                   f"{lm.INADEQUATE_SEAL_MM:g} mm: inadequate seal")
    sh = rep.get("shoulder_protrusion_mm")
    if sh is not None and sh["value"] > 0.0:
        out.append(f"the shoulder protrudes {sh['value']:.1f} mm into the atrium (release "
                   "criterion: plane of maximum diameter at or just distal to the ostium)")
    return out


def store(case, out: dict, df) -> dict:
    """Artefacts, index record and twin version of one placement; the caller saves.
    Returns the version record."""
    from twindesk.io.artifacts import now_utc
    from twindesk.io.surface_file import write_vtp
    from twindesk.model.versions import record_version
    from twindesk.sim.mechanics.api import pressure_map_polydata
    from twindesk.sim.tavr.place_job import DOC_KEY, artifact_keys, key_of

    dev_id, size_mm, model = out["device_id"], out["size_mm"], out["model"]
    depth_mm = out["placement"]["implant_depth_mm"]
    keys = artifact_keys(dev_id, size_mm)
    frame_poly, press_poly = df.to_polydata(), pressure_map_polydata(df)
    frame_poly.point_data["compression_pct"] = lm.node_compression_pct(df)
    case.put_artifact(keys["frame"], lambda p: write_vtp(frame_poly, p), ".vtp", "result",
                      {"what": "deployed occluder (beam network, LPS mm; point data "
                               "compression_pct)", "model": model})
    case.put_artifact(keys["pressure_map"], lambda p: write_vtp(press_poly, p), ".vtp",
                      "result", {"what": "contact pressure on the atrial wall (kPa)"})
    out["artifacts"] = keys
    case.put_json(keys["metrics"], out, "result", {"device": dev_id, "size_mm": size_mm})
    c = out["compression_pct"]
    version = record_version(
        case, "simulation", f"placed LAA occluder {dev_id} {size_mm:g} mm ({model} model) "
        f"at {depth_mm:g} mm: compression {c['value']:.0f} %", {
            "command": "place --laa", "device": dev_id, "size_mm": size_mm,
            "depth_mm": depth_mm, "model": model})
    case.doc.setdefault(DOC_KEY, {})[key_of(dev_id, size_mm)] = {
        "device": dev_id, "size_mm": size_mm, "model": model, "kind": "laao",
        "depth_mm": depth_mm, "time_utc": now_utc(), "artifacts": keys,
        "version": version["id"]}
    out["version"] = version["id"]
    return version


@dataclass(frozen=True)
class DeployInput:
    """A picklable deployment (no case I/O): the request, the stored analysis and the
    atrial wall (LPS mm). The desktop window runs :func:`deploy_job` in a child process."""

    request: PlaceLAAParams
    analysis: dict = field(compare=False)
    wall_points_lps_mm: np.ndarray = field(compare=False)
    wall_faces: np.ndarray = field(compare=False)


def deploy_job(params: DeployInput, progress=None, cancel: CancelToken | None = None):
    """Deploy and measure one occluder size; returns ``(result dict, DeployedFrame)``."""
    from twindesk.model.devices import load_library
    from twindesk.sim.mechanics.library import device_from_library
    from twindesk.sim.mechanics.surface import TriangleSurface

    req = params.request
    if req.model not in ("full", "fast"):
        raise InputError(f"--model: unknown model '{req.model}'", "use full or fast")
    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    lib = load_library()
    family = lib.family(req.device_id)
    if family.kind != "laao":
        raise InputError(f"--device: '{family.id}' is a {family.kind} device, not an LAA "
                         "occluder", "choose an occluder family (twindesk devices)")
    device = device_from_library(lib, family, req.size_mm)
    size = family.size(req.size_mm)
    depth = family.placement.default_depth_mm if req.depth_mm is None else req.depth_mm
    plan = plan_from_analysis(params.analysis, device, family.id, depth, req.axis_lps)
    tissue = TriangleSurface(params.wall_points_lps_mm, params.wall_faces)
    share = 0.55 if req.with_uncertainty else 0.95
    df = deploy(device, tissue, plan, req.model, progress=rep.sub(0.02, share), cancel=cancel)
    report = lm.occluder_report(df, plan)
    bounds, runs = (intervals(device, tissue, plan, lm.scalars(report),
                              df if req.model == "fast" else None, rep.sub(share, 0.98),
                              cancel)
                    if req.with_uncertainty else (None, {"runs": 0, "failed_runs": []}))
    out = with_intervals(report, bounds)
    out.update({
        "mode": "laa", "device_id": family.id, "size_mm": float(req.size_mm),
        "device": {"id": family.id, "name": family.name, "size_mm": float(req.size_mm),
                   "diameter_mm": size.diameter_mm, "depth_mm": size.depth_mm,
                   "compression_min_pct": size.compression_min_pct,
                   "compression_max_pct": size.compression_max_pct},
        "placement": {"implant_depth_mm": plan.implant_depth_mm,
                      "depth_mm": plan.implant_depth_mm, "axis_source": plan.axis_source,
                      "device_axis_lps": list(plan.device_axis_lps),
                      "ostium_center_lps_mm": list(plan.ostium_center_lps_mm),
                      "landing_zone_depth_mm": plan.landing_depth_mm,
                      "landing_center_lps_mm": list(plan.landing_center_lps_mm),
                      "ostium_source": params.analysis["ostium"]["source"]},
        "uncertainty": {**runs, "method": (
            "fast-model reruns: wall stiffness x0.5 and x2, implant depth -1/+1 mm, device "
            "axis tilted -5/+5 deg toward the appendage's bend; each rerun's change from "
            "the fast nominal run is applied to the value") if runs["runs"] else "none"}})
    out["flags"] = flags(out, size)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    rep(1.0, "deployed")
    return out, df


def deploy_input(case, request: PlaceLAAParams) -> DeployInput:
    """The deployment input of an open case (its stored analysis and atrial wall)."""
    from twindesk.geometry.laa.job import stored_analysis

    wall = tissue_surface(case)
    return DeployInput(request, stored_analysis(case), wall.points, wall.faces)


def run(params: PlaceLAAParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """Deploy one occluder size in the case's appendage (see the module docstring)."""
    from twindesk.model.case import Case

    rep = ProgressReporter(progress, cancel=cancel)
    with Case.open(params.case_path, write=params.store, require_write=params.store) as case:
        rep(0.0, "atrial wall")
        out, df = deploy_job(deploy_input(case, params), rep.sub(0.03, 0.97), cancel)
        if params.store:
            version = store(case, out, df)
            case.save("place", {"device": out["device_id"], "size_mm": out["size_mm"],
                                "model": out["model"], "laa": True,
                                "depth_mm": out["placement"]["implant_depth_mm"],
                                "version": version["id"]})
    rep(1.0, "done")
    return out
