"""Follow-up CT: import into the same twin, segment and measure on its own grid, align to
the baseline, report growth.

Steps of :func:`run` (a job: ``run(params, progress, cancel)``):

1. Read the follow-up study (DICOM folder or volume file). A de-identified twin applies its
   own key (``case.doc["deid"]``) to the follow-up, so the pseudonym matches and both
   studies' dates are shifted by the same number of days (intervals stay exact).
2. Segment the aorta on the follow-up's native grid (the anatomy room's segmentation, or a
   contrast-band threshold for research volumes); the baseline mask is ``labels:aorta``
   when present, otherwise the baseline is segmented the same way and stored as it.
3. Measure both studies' maximum aortic diameter on their own grids
   (:mod:`twindesk.twin.diameter`).
4. Register the follow-up rigidly to the baseline (:mod:`twindesk.twin.registration`) only
   to align views and landmarks; the transform is stored, growth does not use it.
5. Growth = follow-up diameter − baseline diameter (mm) and per year over the studies'
   interval, compared with the guideline thresholds of the twin's genomic flags.

Artefacts: ``volume@<id>``, ``labels:aorta@<id>``, ``transform@<id>`` (ITK ``.tfm``, baseline
physical points → follow-up points). The record goes to ``case.doc["twin"]["followups"]``,
both diameters to the clinical observations (``aorta_max_diameter_mm``) and the new state
is a ``follow-up`` version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import InputError
from twindesk.jobs import CancelToken, ProgressReporter

SEGMENTERS = ("anatomy", "threshold")


@dataclass(frozen=True)
class FollowUpParams:
    """Parameters of :func:`run`. Dates are ISO 8601 (``2025-03-01``)."""

    case_path: Path
    src: Path
    study_date: str | None = None
    baseline_date: str | None = None
    segmenter: str = "anatomy"
    lumen_min_hu: float = 200.0
    lumen_max_hu: float = 700.0
    seed_lps_mm: tuple[float, float, float] | None = None
    series_uid: str | None = None
    phase_percent: float | None = None


# ------------------------------------------------------------------------------ dates
def _parse_date(text: str | None, where: str) -> datetime | None:
    """A DICOM date (``YYYYMMDD``) or ISO 8601 date / date-time → aware UTC datetime."""
    if not text:
        return None
    s = str(text).strip()
    try:
        if len(s) == 8 and s.isdigit():
            return datetime.strptime(s, "%Y%m%d").replace(tzinfo=timezone.utc)
        when = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: '{s}' is not a date", "give it as YYYY-MM-DD") from None
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _study_date(study: dict[str, Any], override: str | None, what: str, flag: str) -> datetime:
    when = _parse_date(override, flag) or _parse_date(study.get("date"), f"{what} study date")
    if when is None:
        raise InputError(f"the {what} study has no date (a research volume file carries none)",
                         f"give it with {flag} YYYY-MM-DD")
    return when


# ---------------------------------------------------------------------------- loading
def _load(params: FollowUpParams, case, report) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """(image, study block, source block) of the follow-up, de-identified like the case."""
    from twindesk.io.volume import has_volume_suffix, read_volume

    src = Path(params.src)
    if not src.exists():
        raise InputError(f"{src}: no such file or folder", "check the follow-up study's path")
    deid_doc = case.doc.get("deid") if case.doc.get("deidentified") else None
    if src.is_file() and has_volume_suffix(src):
        from twindesk.io.dicom.pixels import narrow_to_int16

        image = narrow_to_int16(read_volume(src))
        return image, {}, {"kind": "volume", "path": "(withheld: de-identified case)"
                           if deid_doc else str(src.resolve())}
    from twindesk.io.dicom.load import load_dicom
    from twindesk.io.dicom.metadata import doc_blocks

    loaded = load_dicom(src, series_uid=params.series_uid, phase_percent=params.phase_percent,
                        anonymous_names=bool(deid_doc), progress=report, cancel=report.cancel)
    meta = dict(loaded.meta)
    if deid_doc:
        from twindesk.io.dicom.deid import Deidentifier

        meta = Deidentifier.from_doc(deid_doc).apply_to_meta(meta)
    blocks = doc_blocks(meta)
    source = {"kind": "dicom", "n_files": loaded.source.get("n_files"),
              "path": "(withheld: de-identified case)" if deid_doc else str(src.resolve())}
    return loaded.image, {"study": blocks["study"], "patient": blocks["patient"]}, source


# ------------------------------------------------------------------------ segmentation
def segment(image, params: FollowUpParams, cancel=None) -> tuple[np.ndarray, Any, str]:
    """(aorta mask ``[z, y, x]`` on the image grid, centerline LPS or ``None``, method)."""
    if params.segmenter == "anatomy":
        try:
            from twindesk.imaging.aorta import AortaParams, native_mask, segment_aorta
        except ImportError:
            raise InputError("the aorta segmentation (anatomy room) is not part of this "
                             "installation", "use --segmenter threshold for a research "
                             "volume, or update twindesk") from None
        model = segment_aorta(image, AortaParams(seed_lps_mm=params.seed_lps_mm), cancel=cancel)
        return native_mask(model, image), model.centerline_lps_mm, "anatomy: aorta segmentation"
    if params.segmenter == "threshold":
        return (_threshold_mask(image, params), None,
                f"threshold: contrast lumen {params.lumen_min_hu:g}–{params.lumen_max_hu:g} HU, "
                "component at the seed (default: largest)")
    raise InputError(f"--segmenter: unknown '{params.segmenter}'",
                     f"choose one of: {', '.join(SEGMENTERS)}")


def _threshold_mask(image, params: FollowUpParams) -> np.ndarray:
    import SimpleITK as sitk
    from scipy import ndimage as ndi

    hu = sitk.GetArrayViewFromImage(image)
    band = (hu >= params.lumen_min_hu) & (hu <= params.lumen_max_hu)
    lab, n = ndi.label(band)
    if n == 0:
        raise InputError(f"no voxel between {params.lumen_min_hu:g} and {params.lumen_max_hu:g} HU",
                         "check --lumen-min-hu/--lumen-max-hu against the contrast level")
    if params.seed_lps_mm is not None:
        idx = image.TransformPhysicalPointToIndex(tuple(params.seed_lps_mm))
        keep = lab[idx[::-1]] if all(0 <= i < s for i, s in zip(idx, image.GetSize())) else 0
        if keep == 0:
            raise InputError(f"--seed-lps {list(params.seed_lps_mm)} is not in the contrast lumen",
                             "put the seed in the middle of the aorta")
    else:
        keep = int(np.argmax(np.bincount(lab.ravel())[1:]) + 1)
    return lab == keep


# ------------------------------------------------------------------------------ run
def run(params: FollowUpParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """Import, segment, measure and register a follow-up CT (see the module doc)."""
    from twindesk.model.case import Case

    with Case.open(params.case_path, write=True, require_write=True) as case:
        return follow_up(case, params, progress, cancel)


def follow_up(case, params: FollowUpParams, progress=None, cancel=None) -> dict[str, Any]:
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume
    from twindesk.model.guidelines import aortic_thresholds
    from twindesk.model import versions
    from twindesk.twin import clinical
    from twindesk.twin.diameter import diameter_at, max_diameter
    from twindesk.twin.registration import mean_surface_distance_mm, register_rigid

    rep = ProgressReporter(progress, cancel=cancel or CancelToken())
    if params.segmenter not in SEGMENTERS:
        raise InputError(f"--segmenter: unknown '{params.segmenter}'",
                         f"choose one of: {', '.join(SEGMENTERS)}")
    if case.artifact("volume") is None:
        raise InputError(f"{case.path}: the twin has no baseline volume",
                         "import the baseline CT first (twindesk import)")
    base_when = _study_date(case.doc.get("study") or {}, params.baseline_date, "baseline",
                            "--baseline-date")
    rep(0.0, "reading the follow-up study")
    image, blocks, source = _load(params, case, rep.sub(0.0, 0.2))
    fu_when = _study_date(blocks.get("study") or {}, params.study_date, "follow-up",
                          "--study-date")
    years = (fu_when - base_when).days / 365.25
    if years <= 0:
        raise InputError(f"the follow-up ({fu_when.date()}) is not after the baseline "
                         f"({base_when.date()})", "check the study dates")
    versions.ensure_baseline(case)
    block = versions.twin_block(case.doc)
    fid = f"fu-{len(block.setdefault('followups', [])) + 1}"
    baseline = case.image()
    rep(0.2, "segmenting the follow-up")
    fu_mask, fu_line, method = segment(image, params, rep.cancel)
    rep(0.45, "baseline aorta")
    if case.artifact("labels:aorta") is not None:
        base_mask = sitk.GetArrayFromImage(sitk.ReadImage(str(case.artifact_path("labels:aorta")))) > 0
        base_line = _centerline(case)
        base_method = "existing labels:aorta"
    else:
        base_mask, base_line, base_method = segment(baseline, params, rep.cancel)
        mask_img = sitk.GetImageFromArray(base_mask.astype(np.uint8))
        mask_img.CopyInformation(baseline)
        case.put_artifact("labels:aorta", lambda p: sitk.WriteImage(mask_img, str(p), True),
                          ".mha", "labels", {"structure": "aorta", "method": base_method})
    rep(0.55, "measuring")
    d_base = max_diameter(base_mask, baseline, base_line)
    d_fu = max_diameter(fu_mask, image, fu_line)
    rep(0.6, "registering to the baseline")
    transform, reg = register_rigid(baseline, image, base_mask, fu_mask, cancel=rep.cancel)
    msd = mean_surface_distance_mm(base_mask, baseline, fu_mask, image, transform)
    fu_center_in_base = np.array(transform.GetInverse().TransformPoint(tuple(d_fu["center_lps_mm"])))
    offset = fu_center_in_base - np.array(d_base["center_lps_mm"])
    axis = np.array(d_base["axis_lps"])
    reg["landmark_distance_mm"] = float(np.linalg.norm(offset))
    # Along the vessel the widest section of a nearly uniform segment can sit anywhere;
    # across it, the two widest points must coincide when the studies are aligned.
    reg["landmark_offaxis_mm"] = float(np.linalg.norm(offset - (offset @ axis) * axis))
    reg["mean_surface_distance_mm"] = msd if np.isfinite(msd) else None
    # The follow-up measured natively at the level of the baseline's widest section (the
    # registration only finds the corresponding point).
    at_level = diameter_at(fu_mask, image, transform.TransformPoint(tuple(d_base["center_lps_mm"])))
    warnings = _consistency_warnings(base_mask, baseline, fu_mask, image, reg)
    reg["note"] = ("aligns views and landmarks only; growth is measured on each study's own "
                   "grid. The mean surface distance includes real growth.")
    rep(0.9, "storing")
    keys = {"volume": f"volume@{fid}", "labels": f"labels:aorta@{fid}",
            "transform": f"transform@{fid}"}
    case.put_artifact(keys["volume"], lambda p: write_case_volume(image, p), ".mha", "volume",
                      {"followup": fid})
    fu_img = sitk.GetImageFromArray(fu_mask.astype(np.uint8))
    fu_img.CopyInformation(image)
    case.put_artifact(keys["labels"], lambda p: sitk.WriteImage(fu_img, str(p), True), ".mha",
                      "labels", {"structure": "aorta", "followup": fid, "method": method})
    case.put_artifact(keys["transform"], lambda p: sitk.WriteTransform(transform, str(p)),
                      ".tfm", "transform", {"followup": fid, "maps": "baseline LPS → follow-up LPS"})
    growth_mm = d_fu["diameter_mm"] - d_base["diameter_mm"]
    rate = growth_mm / years
    limits = aortic_thresholds(clinical.genomic_flags(case.doc))
    growth = {"baseline_diameter_mm": d_base["diameter_mm"], "followup_diameter_mm": d_fu["diameter_mm"],
              "change_mm": growth_mm, "interval_years": years, "rate_mm_per_year": rate,
              "followup_diameter_at_baseline_level_mm": at_level["diameter_mm"] if at_level
              else None,
              "growth_threshold_mm_per_year": limits["growth_threshold_mm_per_year"],
              "diameter_threshold_mm": limits["threshold_mm"],
              "flags": _growth_flags(d_fu["diameter_mm"], rate, limits)}
    base_time = base_when.strftime("%Y-%m-%dT%H:%M:%SZ")
    fu_time = fu_when.strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {"id": fid, "study_time_utc": fu_time, "baseline_time_utc": base_time,
              "study": blocks.get("study", {}), "source": source, "artifacts": keys,
              "image": geometry_of(image), "segmentation": {"followup": method,
                                                            "baseline": base_method},
              "measurement": d_fu, "baseline_measurement": d_base, "registration": reg,
              "growth": growth, "warnings": warnings,
              "summary": f"max aortic diameter {d_base['diameter_mm']:.1f} → "
                         f"{d_fu['diameter_mm']:.1f} mm ({growth_mm:+.1f} mm, "
                         f"{rate:+.1f} mm/year over {years:.2f} years)"}
    block["followups"].append(record)
    cblock = clinical.clinical_block(case.doc)
    obs = [_diameter_obs(base_time, d_base, "baseline CT"), _diameter_obs(fu_time, d_fu, fid)]
    have = {(o["time_utc"], o["quantity"]) for o in cblock["observations"]}
    clinical.add_observations(cblock, [o for o in obs
                                       if (o["time_utc"], o["quantity"]) not in have], f"ct:{fid}")
    from twindesk.twin.accuracy import match_predictions

    match_predictions(case.doc)
    version = versions.record_version(case, "follow-up", record["summary"], {"followup": fid})
    case.save("twin-follow-up", {"followup": fid, "source_kind": source["kind"],
                                 "segmenter": params.segmenter})
    rep(1.0, "done")
    return {"case": str(case.path), "followup": record, "version": version,
            "thresholds": {k: limits[k] for k in ("threshold_mm", "basis", "reasons",
                                                  "growth_threshold_mm_per_year", "citation")}}


def _consistency_warnings(base_mask, baseline, fu_mask, image, reg) -> list[str]:
    """Say when the two segmentations or the alignment look inconsistent (check them)."""
    out = []
    vols = [float(m.sum()) * float(np.prod(img.GetSpacing())) / 1000.0
            for m, img in ((base_mask, baseline), (fu_mask, image))]
    if min(vols) < 0.6 * max(vols):
        out.append(f"the aorta masks differ much in volume (baseline {vols[0]:.0f} ml, "
                   f"follow-up {vols[1]:.0f} ml): check both segmentations before trusting "
                   "the growth")
    if reg["landmark_offaxis_mm"] > 5.0:
        out.append(f"the widest sections do not correspond across the vessel "
                   f"({reg['landmark_offaxis_mm']:.1f} mm apart after alignment): they may be "
                   "at different levels; compare 'followup_diameter_at_baseline_level_mm'")
    return out


def _growth_flags(diameter_mm: float, rate: float, limits: dict[str, Any]) -> list[str]:
    flags = []
    if diameter_mm >= limits["threshold_mm"]:
        flags.append(f"diameter {diameter_mm:.1f} mm reaches the {limits['threshold_mm']:g} mm "
                     f"threshold ({limits['basis']})")
    if rate >= limits["growth_threshold_mm_per_year"]:
        flags.append(f"growth {rate:.1f} mm/year reaches the "
                     f"{limits['growth_threshold_mm_per_year']:g} mm/year threshold "
                     f"({limits['growth_basis']})")
    return flags


def _diameter_obs(when: str, d: dict[str, Any], origin: str) -> dict[str, Any]:
    return {"time_utc": when, "quantity": "aorta_max_diameter_mm", "value": d["diameter_mm"],
            "unit": "mm", "code": None, "display": "Maximum aortic diameter (CT, area-derived)",
            "origin": origin, "value_as_sent": d["diameter_mm"], "unit_as_sent": "mm",
            "matched_by": "column"}


def _centerline(case) -> np.ndarray | None:
    if case.artifact("centerline:aorta") is None:
        return None
    pts = case.read_json("centerline:aorta").get("points_lps_mm")
    return np.asarray(pts, float) if pts else None
