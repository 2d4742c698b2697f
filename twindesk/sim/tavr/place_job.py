"""``twindesk place``: deploy a TAVR device size in a case and store the result.

``run(PlaceCaseParams, progress, cancel)`` opens the case, reads the root measurement
(:mod:`twindesk.sim.tavr.anatomy`), builds or reuses the open root lumen surface
(:mod:`twindesk.sim.tavr.tissue`), deploys each requested size with
:func:`twindesk.sim.tavr.deploy_job.run` (the full model optionally in a child process, so
Cancel stops it at once), and stores per size:

* ``result:place:<device>:<size>`` — the deployed frame (VTP lines, LPS mm, point data
  ``lattice_level``);
* ``result:place:<device>:<size>:metrics`` — the JSON result (what the command prints);
* ``result:place:<device>:<size>:pressure`` — the tissue surface with point data
  ``contact_pressure_kpa`` (VTP);
* ``case.doc["placements"]["<device>:<size>"]`` — an index record (pose, model, artefact
  keys, time, twin version) read by the report and the desktop window;
* a twin version of kind ``simulation`` per placement.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import InputError
from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.sim.tavr import deploy_job
from twindesk.sim.tavr.anatomy import RootAnatomy
from twindesk.sim.tavr.deploy_job import BodySize, DeployParams, DeviceInfo

DOC_KEY = "placements"


@dataclass(frozen=True)
class PlaceCaseParams:
    """What to place: device id, size (None with ``all_sizes``), pose, fidelity.

    ``depth_mm`` None takes the family's default depth; ``model`` None means ``full`` for
    one size and ``fast`` for ``all_sizes``; ``child`` runs each deployment in a child
    process; ``commissure_height_mm`` overrides the leaflet free-edge height.
    """

    case_path: Path
    device_id: str
    size_mm: float | None = None
    depth_mm: float | None = None
    rotation_deg: float = 0.0
    model: str | None = None
    all_sizes: bool = False
    commissure_height_mm: float | None = None
    child: bool = False
    store: bool = True
    with_uncertainty: bool = True


def key_of(device_id: str, size_mm: float) -> str:
    """``<device>:<size>`` as in artefact keys (``be-valve-s3like:26``)."""
    return f"{device_id}:{size_mm:g}"


def artifact_keys(device_id: str, size_mm: float) -> dict[str, str]:
    base = f"result:place:{key_of(device_id, size_mm)}"
    return {"frame": base, "metrics": f"{base}:metrics", "pressure_map": f"{base}:pressure"}


def body_size(doc: dict[str, Any]) -> BodySize:
    """BSA (Mosteller) and BMI from the twin's latest height and weight (the latest value
    of each, as the 0D calibration reads the vitals), else the physiology block's
    ``bsa_m2``."""
    from twindesk.sim.tavr.risks import bsa_mosteller_m2

    records = ((doc.get("clinical") or {}).get("vitals")) or []
    latest: dict[str, tuple[str, float]] = {}
    for rec in records if isinstance(records, list) else []:
        for k in ("height_cm", "weight_kg"):
            v = rec.get(k) if isinstance(rec, dict) else None
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
                when = str(rec.get("time_utc", ""))
                if k not in latest or when >= latest[k][0]:
                    latest[k] = (when, float(v))
    if "height_cm" in latest and "weight_kg" in latest:
        h, w = latest["height_cm"][1], latest["weight_kg"][1]
        return BodySize(bsa_mosteller_m2(h, w), w / (h / 100.0) ** 2, h, w,
                        "height and weight attached to the twin (Mosteller)")
    bsa = (doc.get("physiology") or {}).get("bsa_m2")
    if isinstance(bsa, (int, float)) and bsa > 0:
        return BodySize(float(bsa), None, None, None,
                        "physiology.bsa_m2 (no height/weight for the BMI)")
    return BodySize()


def device_info(library, family, size_mm: float) -> DeviceInfo:
    s = family.size(size_mm)
    pl = family.placement
    eoa_src = ", ".join(src.citation for src in family.source_of(s, "eoa_cm2"))
    return DeviceInfo(family.id, family.name, family.kind, float(s.size_mm),
                      float(s.nominal_diameter_mm), float(s.frame_height_mm),
                      getattr(s, "eoa_cm2", None), getattr(s, "eoa_sd_cm2", None),
                      float(pl.default_depth_mm),
                      (float(pl.recommended_depth_min_mm), float(pl.recommended_depth_max_mm)),
                      family.orientation.rotation_zero_definition, eoa_src)


def sizes_to_place(family, result: dict[str, Any]) -> tuple[list[float], dict[float, dict]]:
    """Fitting sizes of the family for the measured annulus (the nearest size on each side
    of the measurement when none fits), and the sizing record per size."""
    from twindesk.geometry.tavr_sizing import annulus_measurements
    from twindesk.model.devices import fit_family

    fit = fit_family(family, annulus_measurements(result))
    by_size = {s.size_mm: s.__dict__ for s in fit.sizes}
    sizes = list(fit.fitting_sizes_mm)
    if not sizes:
        below = [s for s in family.sizes if getattr(s, f"annulus_{_basis(family)}_max") <=
                 fit.measured_value]
        above = [s for s in family.sizes if getattr(s, f"annulus_{_basis(family)}_min") >=
                 fit.measured_value]
        sizes = ([below[-1].size_mm] if below else []) + ([above[0].size_mm] if above else [])
    return sizes, by_size


def _basis(family) -> str:
    return "area_mm2" if family.sizing_basis == "area" else "perimeter_mm"


def _check(params: PlaceCaseParams, family) -> str:
    if not family.is_tavr:
        raise InputError(f"--device {family.id} is a {family.kind} device",
                         "twindesk place deploys transcatheter aortic valves; choose a "
                         "balloon-expandable or self-expanding family")
    if not params.all_sizes and params.size_mm is None:
        raise InputError("--size is required (or --all-sizes)",
                         f"sizes of {family.id}: "
                         f"{', '.join(f'{s:g}' for s in family.sizes_mm)} mm")
    model = params.model or ("fast" if params.all_sizes else "full")
    if model not in ("full", "fast"):
        raise InputError(f"--model must be full or fast, got {model!r}")
    for name, v, lo, hi in (("--depth-mm", params.depth_mm, -10.0, 20.0),
                            ("--rotation-deg", params.rotation_deg, -360.0, 360.0)):
        if v is not None and not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(f"{name} {v:g} is outside {lo:g} to {hi:g}",
                             "implant depth is in mm below the annulus (positive into the "
                             "LVOT); rotation in degrees")
    return model


@dataclass
class Prepared:
    """Inputs shared by every size of one command."""

    library: Any
    family: Any
    anatomy: RootAnatomy
    tissue_points: np.ndarray
    tissue_faces: np.ndarray
    tissue_record: dict[str, Any]
    body: BodySize
    measurement: dict[str, Any]


def prepare(case, library, family, commissure_height_mm: float | None = None,
            store_surface: bool = True) -> Prepared:
    """Root anatomy, tissue surface and body size of an open case for ``family``."""
    from twindesk.sim.tavr import anatomy, tissue

    a = anatomy.from_case(case, commissure_height_mm)
    poly, rec = tissue.root_surface(case, a.annulus_center_lps_mm, a.annulus_normal_lps,
                                    store=store_surface)
    return prepared(case, library, family, a, poly, rec)


def prepared(case, library, family, a: RootAnatomy, poly, surface_record) -> Prepared:
    """A :class:`Prepared` from its parts (the desktop window builds the surface off the UI
    thread and then calls this)."""
    from twindesk.sim.mechanics.surface import TriangleSurface
    from twindesk.sim.tavr import anatomy

    surf = TriangleSurface.from_polydata(poly)
    return Prepared(library, family, a, surf.points, surf.faces, surface_record,
                    body_size(case.doc), case.read_json(anatomy.MEASURE_KEY))


def deploy_params(prep: Prepared, size_mm: float, depth_mm: float | None,
                  rotation_deg: float, model: str, with_uncertainty: bool = True
                  ) -> DeployParams:
    from twindesk.sim.mechanics.library import device_from_library

    info = device_info(prep.library, prep.family, size_mm)
    return DeployParams(
        device=device_from_library(prep.library, prep.family, size_mm), info=info,
        tissue_points_lps_mm=prep.tissue_points, tissue_faces=prep.tissue_faces,
        anatomy=prep.anatomy, depth_mm=info.default_depth_mm if depth_mm is None
        else float(depth_mm), rotation_deg=float(rotation_deg), model=model,
        body=prep.body, with_uncertainty=with_uncertainty)


def compute(params: DeployParams, child: bool, progress, cancel):
    """Run one deployment here or in a child process."""
    if child:
        from twindesk.jobs.subprocess_runner import run_in_subprocess

        return run_in_subprocess("twindesk.sim.tavr.deploy_job:run", params, progress, cancel)
    return deploy_job.run(params, progress, cancel)


def describe(params: DeployParams, prep: Prepared, depth_source: str) -> dict[str, Any]:
    """Device, placement and anatomy blocks of the result."""
    info, a = params.info, prep.anatomy
    return {
        "device": {"id": info.family_id, "name": info.name, "kind": info.kind,
                   "size_mm": info.size_mm, "nominal_diameter_mm": info.nominal_diameter_mm,
                   "frame_height_mm": info.frame_height_mm, "frame_geometry": "generic"},
        "placement": {"depth_mm": params.depth_mm, "depth_source": depth_source,
                      "recommended_depth_mm": list(info.recommended_depth_mm),
                      "rotation_deg": params.rotation_deg,
                      "rotation_zero": info.rotation_zero,
                      "axis_point_lps_mm": list(a.annulus_center_lps_mm),
                      "axis_direction_lps": list(a.annulus_normal_lps),
                      "commissure_direction_lps": list(a.commissure_direction_lps),
                      "noncoronary_direction_lps": list(a.noncoronary_direction_lps)},
        "anatomy": {"source": "result:measure:root", "hinges_source": a.hinges_source,
                    "annulus_perimeter_mm": a.annulus_perimeter_mm,
                    "annulus_area_mm2": a.annulus_area_mm2,
                    "commissure_height_mm": a.commissure_height_mm,
                    "commissure_height_source": a.commissure_height_source,
                    "notes": list(a.notes),
                    "tissue_surface": {"artifact": "surface:aortic_root",
                                       "source": prep.tissue_record["meta"]["source"],
                                       "triangles": int(len(prep.tissue_faces))}},
    }


def _frame_writer(out):
    def write(path):
        import pyvista as pv

        lines = np.column_stack([np.full(len(out.frame_lines), 2), out.frame_lines]).ravel()
        poly = pv.PolyData(out.frame_points_lps_mm, lines=lines)
        poly.point_data["lattice_level"] = out.frame_level
        poly.save(str(path), binary=True)
    return write


def _pressure_writer(out):
    def write(path):
        import pyvista as pv

        faces = np.column_stack([np.full(len(out.tissue_faces), 3), out.tissue_faces]).ravel()
        poly = pv.PolyData(out.tissue_points_lps_mm, faces=faces)
        poly.point_data["contact_pressure_kpa"] = out.contact_pressure_kpa
        poly.save(str(path), binary=True)
    return write


def store(case, record: dict[str, Any], out) -> dict[str, Any]:
    """Write the three artefacts and the index record of one placement (caller saves)."""
    from twindesk.io.artifacts import now_utc

    dev = record["device"]
    keys = artifact_keys(dev["id"], dev["size_mm"])
    case.put_artifact(keys["frame"], _frame_writer(out), ".vtp", "result",
                      {"what": "deployed frame (beam network, LPS mm)", "model": record["model"]})
    case.put_artifact(keys["pressure_map"], _pressure_writer(out), ".vtp", "result",
                      {"what": "contact pressure on the root lumen (kPa)"})
    record["artifacts"] = keys
    case.put_json(keys["metrics"], record, "result", {"device": dev["id"],
                                                      "size_mm": dev["size_mm"]})
    index = {"device": dev["id"], "size_mm": dev["size_mm"], "model": record["model"],
             "depth_mm": record["placement"]["depth_mm"],
             "rotation_deg": record["placement"]["rotation_deg"], "time_utc": now_utc(),
             "artifacts": keys}
    case.doc.setdefault(DOC_KEY, {})[key_of(dev["id"], dev["size_mm"])] = index
    return index


def _summary(record: dict[str, Any]) -> str:
    d, lv = record["device"], record["levels"].get("annulus") or record["levels"]["inflow"]
    return (f"placed {d['id']} {d['size_mm']:g} mm ({record['model']} model) at "
            f"{record['placement']['depth_mm']:g} mm depth: mean diameter "
            f"{lv['mean_diameter_mm']['value']:.1f} mm")


def record_of(params: DeployParams, prep: Prepared, out, depth_source: str) -> dict[str, Any]:
    """The full result record of one deployment (what ``twindesk place`` prints)."""
    return {**describe(params, prep, depth_source), **out.result}


def commit(case, record: dict[str, Any], out) -> dict[str, Any]:
    """Store one placement (artefacts, index record) and record a twin version; the caller
    saves the case. Returns the index record."""
    from twindesk.model.versions import record_version

    index = store(case, record, out)
    d, pl = record["device"], record["placement"]
    version = record_version(case, "simulation", _summary(record), {
        "command": "place", "device": d["id"], "size_mm": d["size_mm"],
        "model": record["model"], "depth_mm": pl["depth_mm"],
        "rotation_deg": pl["rotation_deg"]})
    index["version"] = version["id"]
    record["version"] = version["id"]
    return index


def place_one(case, prep: Prepared, size_mm: float, params: PlaceCaseParams, model: str,
              progress, cancel) -> dict[str, Any]:
    """Deploy one size; store it when ``params.store``."""
    dp = deploy_params(prep, size_mm, params.depth_mm, params.rotation_deg, model,
                       params.with_uncertainty)
    out = compute(dp, params.child, progress, cancel)
    record = record_of(dp, prep, out, "family default" if params.depth_mm is None else "user")
    if params.store:
        commit(case, record, out)
        case.save("place", {"device": dp.info.family_id, "size_mm": size_mm, "model": model,
                            "depth_mm": dp.depth_mm, "rotation_deg": dp.rotation_deg,
                            "version": record["version"]})
    return record


def run(params: PlaceCaseParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """The ``twindesk place`` result (one size, or the size table with ``all_sizes``)."""
    from twindesk.errors import SolverError
    from twindesk.model.case import Case
    from twindesk.model.devices import load_library

    t0 = time.perf_counter()
    cancel = cancel or CancelToken()
    rep = ProgressReporter(progress, cancel=cancel)
    library = load_library()
    family = library.family(params.device_id)
    model = _check(params, family)
    if not params.all_sizes:
        family.size(params.size_mm)                       # names the valid sizes
    with Case.open(params.case_path, write=params.store, require_write=params.store) as case:
        rep(0.0, "reading the root and the lumen surface")
        prep = prepare(case, library, family, params.commissure_height_mm, params.store)
        if not params.all_sizes:
            record = place_one(case, prep, params.size_mm, params, model,
                               rep.sub(0.05, 1.0), cancel)
            record["seconds"] = round(time.perf_counter() - t0, 2)
            return record
        sizes, sizing = sizes_to_place(prep.family, prep.measurement)
        rows = []
        for i, size in enumerate(sizes):
            sub = rep.sub(0.05 + 0.95 * i / len(sizes), 0.05 + 0.95 * (i + 1) / len(sizes))
            try:
                rec = place_one(case, prep, size, params, model, sub, cancel)
                rows.append({"size_mm": size, "status": "ok", "sizing": _sizing(sizing, size),
                             **{k: rec[k] for k in ROW_KEYS}})
            except SolverError as exc:
                rows.append({"size_mm": size, "status": "failed", "error": exc.message,
                             "hint": exc.hint, "sizing": _sizing(sizing, size)})
        rep(1.0, "done")
        first = prep.family
        return {"device": {"id": first.id, "name": first.name, "kind": first.kind},
                "model": model, "fitting_sizes_mm": sizes,
                "sizing_basis": first.sizing_basis,
                "depth_mm": params.depth_mm if params.depth_mm is not None
                else first.placement.default_depth_mm,
                "rotation_deg": params.rotation_deg, "sizes": rows,
                "seconds": round(time.perf_counter() - t0, 2)}


#: The per-size fields of the ``--all-sizes`` table (each as in the single-size result).
ROW_KEYS = ("levels", "implant_depth_mm", "contact_pressure", "paravalvular_gap", "coronary",
            "conduction", "eoa", "artifacts", "version", "uncertainty", "level_names")


def _sizing(sizing: dict[float, dict], size: float) -> dict[str, Any]:
    s = sizing.get(size) or {}
    return {"fits": bool(s.get("fits")),
            "oversizing_perimeter_pct": s.get("oversizing_perimeter_pct"),
            "oversizing_area_pct": s.get("oversizing_area_pct"),
            "warnings": list(s.get("warnings") or ())}
