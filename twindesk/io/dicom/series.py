"""Series of a scanned folder: plan them, describe them (``twindesk scan``), choose one
(``twindesk import``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from twindesk.errors import DicomError
from twindesk.io.dicom.assemble import SeriesPlan, plan_series
from twindesk.io.dicom.frames import median_thickness
from twindesk.io.dicom.geometry import orientation_label
from twindesk.io.dicom.scan import ScanResult, transfer_syntax_names
from twindesk.io.dicom.text import clean_text


def plan_all(result: ScanResult) -> list[SeriesPlan]:
    """A plan for every series found, in scan order."""
    return [plan_series(key, records) for key, records in result.series().items()]


def describe(plan: SeriesPlan) -> dict[str, Any]:
    """One entry of ``twindesk scan``'s ``series`` list."""
    data = plan.representative.header.data
    frames = plan.geometry_frames
    entry: dict[str, Any] = {
        "series_uid": plan.key,
        "description": clean_text(data.text("SeriesDescription")),
        "modality": clean_text(data.string("Modality")) or None,
        "n_files": len(plan.records),
        "size": None, "spacing_mm": None,
        "series_number": data.integer_or_none("SeriesNumber"),
        "study_uid": clean_text(data.string("StudyInstanceUID")) or None,
        "study_date": clean_text(data.string("StudyDate")) or None,
        "study_description": clean_text(data.text("StudyDescription")),
        "patient": {"name": clean_text(data.text("PatientName")),
                    "id": clean_text(data.text("PatientID"))},
        "phases": [p.as_dict() for p in plan.phases],
        "gated": plan.gated,
        "slice_thickness_mm": median_thickness(frames),
        "orientation": orientation_label(frames[0].orientation) if frames else None,
        "multiframe": any(len(r.frames) > 1 for r in plan.records),
        "transfer_syntaxes": transfer_syntax_names(plan.records),
        "importable": plan.is_volume,
        "reason": plan.reason,
        "warnings": list(plan.warnings),
    }
    if plan.is_volume:
        try:
            volume, _ = plan.volume()
        except DicomError as exc:
            entry["importable"], entry["reason"] = False, exc.message
        else:
            entry["size"] = list(volume.size)
            entry["spacing_mm"] = [round(v, 6) for v in volume.spacing_mm]
            entry["warnings"] = volume.warnings
    return entry


def choose_series(plans: list[SeriesPlan], series_uid: str | None, phase_percent: float | None,
                  src: str) -> tuple[SeriesPlan, list[str]]:
    """The series to import and the warnings the choice carries.

    With ``series_uid`` (an exact UID or a unique prefix) that series; else the only volume
    series; else, when every volume series is one phase of the same gated acquisition
    (same FrameOfReferenceUID, distinct cardiac percentages), the phase nearest
    ``phase_percent`` (default 35 %). Anything else is a :class:`DicomError` listing them.
    """
    if series_uid is not None:
        return _by_uid(plans, series_uid, src), []
    volumes = [p for p in plans if p.is_volume]
    if not volumes:
        raise DicomError(f"{src}: no importable image series"
                         + (f" (found: {_listing(plans)})" if plans else ""),
                         "check the folder holds a CT or MR series (run 'twindesk scan' to see "
                         "what was found and why files were skipped)")
    if len(volumes) == 1:
        return volumes[0], []
    chosen = _phase_series(volumes, phase_percent)
    if chosen is not None:
        return chosen
    raise DicomError(f"{src} holds {len(volumes)} volume series; choose one with --series:\n"
                     + "\n".join("  " + _line(p) for p in volumes),
                     "rerun with --series UID (see 'twindesk scan')")


# ------------------------------------------------------------------------- internals
def _by_uid(plans: list[SeriesPlan], uid: str, src: str) -> SeriesPlan:
    exact = [p for p in plans if p.key == uid]
    matches = exact or [p for p in plans if p.key.startswith(uid)]
    if len(matches) != 1:
        what = "matches several series" if matches else "is not in"
        raise DicomError(f"--series {clean_text(uid)} {what} {src}; series found:\n"
                         + "\n".join("  " + _line(p) for p in (matches or plans)),
                         "copy a full SeriesInstanceUID from 'twindesk scan'")
    plan = matches[0]
    if not plan.is_volume:
        raise DicomError(f"series {clean_text(plan.key)} in {src} cannot be imported as a "
                         f"volume: {plan.reason}", "choose a CT or MR volume series")
    return plan


def _phase_series(volumes: list[SeriesPlan], percent: float | None):
    """Separate series that are the phases of one gated scan → choose by phase."""
    from twindesk.io.dicom.phases import choose_phase

    frames_of_ref = {p.representative.header.data.string("FrameOfReferenceUID") for p in volumes}
    single = [p.phases[0] for p in volumes if len(p.phases) == 1]
    if (len(frames_of_ref) != 1 or "" in frames_of_ref or len(single) != len(volumes)
            or any(ph.percent is None for ph in single)
            or len({ph.percent for ph in single}) != len(single)):
        return None
    by_phase = {id(ph): p for ph, p in zip(single, volumes, strict=True)}
    ordered = sorted(single, key=lambda ph: ph.percent)
    chosen, warnings = choose_phase(ordered, percent, "(one series per phase)")
    plan = by_phase[id(chosen)]
    warnings = [w.replace("multiphase series", "one series per cardiac phase") for w in warnings]
    return plan, [f"{w}; series {clean_text(plan.key)}" for w in warnings]


def _line(plan: SeriesPlan) -> str:
    data = plan.representative.header.data
    desc = clean_text(data.text("SeriesDescription")) or "(no description)"
    why = f"  [{plan.reason}]" if plan.reason else ""
    return f"{clean_text(plan.key)}  {len(plan.records)} files  {desc}{why}"


def _listing(plans: list[SeriesPlan]) -> str:
    reasons = Counter(p.reason or "importable" for p in plans)
    return "; ".join(f"{n} x {reason}" for reason, n in reasons.items())
