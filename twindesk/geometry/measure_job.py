"""The aortic-root measurement job: landmarks -> measurements with intervals -> case.

``run(MeasureParams, progress, cancel)`` opens the case, proposes hinge points when none are
given (``hinges_source: "auto"``), measures (:mod:`twindesk.geometry.aortic_root`), adds
uncertainty intervals, calcium, fluoroscopy planning and guideline flags, and stores:

* ``case.doc["landmarks"]["aortic_root"]``: hinges, ostia, septum point (LPS mm) and the
  hinge source, written as one undoable command (:mod:`twindesk.model.commands`) so the GUI
  can drag them and undo;
* the artefact ``result:measure:root`` (the JSON printed by ``twindesk measure``),
  ``result:measure:carm`` (PNG of the C-arm curve) and the measurement-table rows
  ``result:measurements:aortic-root`` / ``result:measurements:c-arm``
  (:mod:`twindesk.geometry.root_table`, read by the report);
* a twin version of kind ``measurement`` (:func:`twindesk.model.versions.record_version`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.geometry import fluoro, uncertainty as uq
from twindesk.geometry.annulus import CUSPS
from twindesk.jobs import CancelToken, ProgressReporter

RESULT_KEY = "result:measure:root"
CARM_KEY = "result:measure:carm"
LANDMARK_PATH = "/landmarks/aortic_root"
CONTOUR_KEYS = ("perimeter_mm", "area_mm2", "perimeter_derived_diameter_mm",
                "area_derived_diameter_mm", "min_diameter_mm", "max_diameter_mm")


@dataclass(frozen=True)
class MeasureParams:
    """Landmarks (LPS mm); ``None`` means: propose automatically (hinges) or leave out."""

    case_path: Path
    hinges_lps_mm: tuple[tuple[float, float, float], ...] | None = None  # right, left, non
    ostia_lps_mm: tuple[tuple[float, float, float], ...] | None = None   # left, right
    septum_lps_mm: tuple[float, float, float] | None = None
    calcium_rule: str = "lumen+100"
    store: bool = True


def measure_image(image, params: MeasureParams, progress=None, cancel=None,
                  stored: dict | None = None) -> dict[str, Any]:
    """Measure a SimpleITK CT; ``stored`` = landmarks already in the case."""
    from twindesk.geometry import root_locate as rl
    from twindesk.geometry.aortic_root import measure_root
    from twindesk.geometry.calcium import calcium
    from twindesk.geometry.lumen import LumenVolume

    rep = ProgressReporter(progress, cancel=cancel)
    stored = stored or {}
    info: dict[str, Any] = {}
    if params.hinges_lps_mm is not None:
        hinges = {k: np.asarray(p, float) for k, p in zip(CUSPS, params.hinges_lps_mm)}
        source = "user"
    elif stored.get("hinges_lps_mm"):
        hinges = {k: np.asarray(stored["hinges_lps_mm"][k], float) for k in CUSPS}
        source = stored.get("hinges_source", "user")
    else:
        rep(0.02, "finding the ascending aorta")
        seed = rl.ascending_seed(image)
        lv0 = LumenVolume(image, seed + np.array([0.0, 0.0, -35.0]), 75.0, smooth_mm=0.0)
        rep(0.2, "following the aorta to the valve")
        guess = rl.guess_root(rl.track_down(lv0, seed, cancel))
        rep(0.35, "finding the hinge points")
        hinges, info = rl.find_hinges(lv0, guess, cancel)
        hinges = {k: np.asarray(v, float) for k, v in hinges.items()}
        source = "auto"
    ostia = user_ostia(params, stored)
    septum = params.septum_lps_mm if params.septum_lps_mm is not None else \
        stored.get("septum_lps_mm")
    centre = np.mean(list(hinges.values()), axis=0)
    lv = LumenVolume(image, centre, 70.0, smooth_mm=0.0)
    rep(0.5, "measuring the root")
    res = measure_root(lv, hinges, ostia, septum)
    frame = res.pop("_frame")
    sections = res.pop("_sections")
    rep(0.7, "uncertainty (hinges +- one voxel)")
    half_voxel = 0.5 * lv.voxel_mm
    perturbed = []
    found_ostia = {k: v for k, v in res["coronary_heights"].items() if v}
    for h in uq.perturbed_hinges(hinges, frame.normal_lps, lv.voxel_mm):
        if cancel is not None:
            cancel.check()
        try:
            perturbed.append(measure_root(lv, h, found_ostia, septum, frame.normal_lps,
                                          full=False))
        except Exception as exc:  # noqa: BLE001 - a perturbed plane may miss the lumen
            info.setdefault("perturbation_failures", []).append(str(exc))
    out = _with_intervals(res, perturbed, half_voxel)
    rep(0.85, "calcium and fluoroscopy")
    r_ann = 0.5 * res["annulus"]["max_diameter_mm"]
    stj_h = res["stj"]["height_mm"] if res.get("stj") else None
    out["calcium"] = calcium(lv, frame, hinges, r_ann, stj_h, params.calcium_rule)
    out["hinges_source"] = source
    out["hinges_lps_mm"] = {k: [float(x) for x in v] for k, v in hinges.items()}
    out["levels"] = lv.levels.as_dict()
    out["voxel_mm"] = lv.voxel_mm
    out["auto"] = info
    out["_sections"] = sections
    out["_frame"] = frame
    return out


def user_ostia(params: MeasureParams, stored: dict) -> dict:
    """Ostia placed by the user: given now (``left``, ``right``; a NaN point or none leaves
    that side to detection), else stored with source "user"."""
    if params.ostia_lps_mm is not None:
        pts = dict(zip(("left", "right"), params.ostia_lps_mm))
        return {k: np.asarray(v, float) for k, v in pts.items()
                if v is not None and np.all(np.isfinite(v))}
    src = stored.get("ostia_source") or {}
    return {k: np.asarray(v, float) for k, v in (stored.get("ostia_lps_mm") or {}).items()
            if v is not None and src.get(k, "user") == "user"}


def _with_intervals(res: dict, perturbed: list[dict], half_voxel: float) -> dict:
    out = dict(res)
    for key in ("annulus", "lvot"):
        rec = res.get(key)
        if rec is None:
            continue
        rec = dict(rec)
        perim = float(rec["perimeter_mm"])
        for q in CONTOUR_KEYS:
            unit = "mm²" if q == "area_mm2" else "mm"
            e = uq.edge_deviation(q, perim, half_voxel)
            dev = uq.spread(rec[q], [p[key][q] if p.get(key) else None for p in perturbed])
            lo, hi = uq.combine(dev, (e, e))
            rec[q] = uq.interval(rec[q], lo, hi, unit)
        dev = uq.spread(rec["eccentricity"], [p[key]["eccentricity"] if p.get(key) else None
                                              for p in perturbed])
        rec["eccentricity"] = uq.interval(rec["eccentricity"], *dev, unit="1")
        out[key] = rec
    for side, rec in (res.get("coronary_heights") or {}).items():
        if rec is None:
            continue
        dev = uq.spread(rec["height_mm"], [p["coronary_heights"][side]["height_mm"]
                                           for p in perturbed])
        out["coronary_heights"][side] = {**rec, "height_mm": uq.interval(
            rec["height_mm"], *uq.combine(dev, (half_voxel, half_voxel)))}
    if res.get("membranous_septum"):
        ms = res["membranous_septum"]
        dev = uq.spread(ms["length_mm"], [p["membranous_septum"]["length_mm"]
                                          for p in perturbed])
        out["membranous_septum"] = {**ms, "length_mm": uq.interval(
            ms["length_mm"], *uq.combine(dev, (half_voxel, half_voxel)))}
    plane_dev = [float(np.degrees(np.arccos(np.clip(
        np.dot(p["plane"]["normal_lps"], res["plane"]["normal_lps"]), -1, 1))))
        for p in perturbed]
    out["plane"] = {**res["plane"], "normal_uncertainty_deg": max(plane_dev, default=0.0)}
    e = 2 * half_voxel
    for key in ("stj", "ascending_aorta"):
        rec = res.get(key)
        if rec:
            out[key] = {**rec, "diameter_mm": uq.interval(rec["diameter_mm"], e, e),
                        "height_mm": uq.interval(rec["height_mm"], half_voxel, half_voxel)}
    if res.get("sinus"):
        by = {}
        for k, v in res["sinus"]["by_cusp"].items():
            by[k] = {**v, "diameter_mm": uq.interval(v["diameter_mm"], e, e),
                     "height_mm": uq.interval(v["height_mm"], half_voxel, half_voxel)}
        out["sinus"] = {**res["sinus"], "by_cusp": by}
    return out


def _summary(res: dict) -> str:
    """One line for the version list."""
    ann = res["annulus"]["perimeter_derived_diameter_mm"]["value"]
    return (f"aortic root measured (hinges {res['hinges_source']}): annulus perimeter-derived "
            f"diameter {ann:.1f} mm")


def guideline_flags(result: dict, genomic_flags: list | None) -> dict[str, Any]:
    """Root / ascending diameters against the surgical thresholds (as data)."""
    from twindesk.model.guidelines import aortic_thresholds

    th = aortic_thresholds(genomic_flags or [])
    items = []
    sinus = result.get("sinus") or {}
    sin_max = max((v["diameter_mm"]["value"] for v in sinus.get("by_cusp", {}).values()),
                  default=None)
    asc = (result.get("ascending_aorta") or {}).get("diameter_mm")
    for name, value in (("aortic_root_sinus_max", sin_max),
                        ("ascending_aorta_40mm", asc["value"] if asc else None)):
        if value is None:
            continue
        items.append({"measurement": name, "diameter_mm": float(value),
                      "threshold_mm": th["threshold_mm"],
                      "exceeds": bool(value >= th["threshold_mm"]),
                      "margin_mm": float(th["threshold_mm"] - value)})
    return {"items": items, "threshold_mm": th["threshold_mm"], "basis": th["basis"],
            "reasons": th["reasons"], "citation": th["citation"],
            "verified": th["verified"], "genomic_flags_used": len(genomic_flags or [])}


def run(params: MeasureParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """Measure the case's aortic root; store landmarks and the result (when ``store``)."""
    import tempfile

    from twindesk.geometry.root_table import (CARM_TABLE_KEY, ROOT_TABLE_KEY, carm_rows,
                                              root_rows)
    from twindesk.model import commands
    from twindesk.model.case import Case
    from twindesk.model.versions import record_version

    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    with Case.open(params.case_path, write=params.store, require_write=params.store) as case:
        stored = dict((case.doc.get("landmarks") or {}).get("aortic_root") or {})
        res = measure_image(case.image(), params, rep.sub(0.0, 0.9), cancel, stored)
        frame = res.pop("_frame")
        res.pop("_sections")
        position = (case.doc.get("image") or {}).get("patient_position")
        res["fluoroscopy"] = fluoro.plan(frame.normal_lps, res["hinges_lps_mm"], position)
        flags = ((case.doc.get("clinical") or {}).get("genomic_flags")) or []
        res["guideline_flags"] = guideline_flags(res, flags)
        res["seconds"] = round(time.perf_counter() - t0, 2)
        landmarks = {"hinges_lps_mm": res["hinges_lps_mm"], "hinges_source":
                     res["hinges_source"],
                     "ostia_lps_mm": {k: v["lower_edge_lps_mm"] for k, v in
                                      res["coronary_heights"].items() if v},
                     "ostia_source": {k: v["source"] for k, v in
                                      res["coronary_heights"].items() if v},
                     "septum_lps_mm": (res["membranous_septum"] or {}).get("point_lps_mm")}
        if params.store:
            commands.apply(case, "aortic root landmarks", {LANDMARK_PATH: landmarks})
            case.put_json(RESULT_KEY, res, "result", {"hinges_source": res["hinges_source"]})
            case.put_json(ROOT_TABLE_KEY, root_rows(res), "result", {"from": RESULT_KEY})
            case.put_json(CARM_TABLE_KEY, carm_rows(res), "result", {"from": RESULT_KEY})
            with tempfile.TemporaryDirectory() as tmp:
                png = Path(tmp) / "carm.png"
                fluoro.plot_curve(res["fluoroscopy"], png)
                case.put_bytes(CARM_KEY, png.read_bytes(), ".png", "result",
                               {"what": "C-arm projection curve"})
            summary = _summary(res)
            version = record_version(case, "measurement", summary, {
                "hinges_source": res["hinges_source"], "ostia_source": res["ostia_source"],
                "calcium_rule": params.calcium_rule})
            case.save("measure", {"hinges_source": res["hinges_source"],
                                  "version": version["id"]})
            res["artifacts"] = [RESULT_KEY, CARM_KEY, ROOT_TABLE_KEY, CARM_TABLE_KEY]
            res["version"] = version["id"]
    rep(1.0, "done")
    return res
