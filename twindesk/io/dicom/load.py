"""Load one series of a DICOM folder as a volume: scan, choose, plan, read, resample.

This is the job behind ``twindesk import`` for DICOM sources; the case is written by
:func:`twindesk.model.ingest.import_source`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twindesk.errors import DicomError
from twindesk.io.dicom.assemble import SeriesPlan, VolumePlan
from twindesk.io.dicom.frames import median_thickness
from twindesk.io.dicom.metadata import series_meta
from twindesk.io.dicom.phases import Phase
from twindesk.io.dicom.pixels import UndecodableFiles, read_planes
from twindesk.io.dicom.scan import ScanResult, scan, transfer_syntax_names
from twindesk.io.dicom.series import choose_series, plan_all
from twindesk.jobs import ProgressReporter


@dataclass
class LoadedSeries:
    """A volume read from DICOM, with what the case records about it.

    ``meta`` holds the original (not yet de-identified) descriptive attributes by DICOM
    keyword; ``image_info`` extra keys for the case's ``image`` block.
    """

    image: Any
    meta: dict[str, str]
    warnings: list[str]
    series_uid: str
    phase: Phase
    plan: VolumePlan
    image_info: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)


def load_dicom(src: Path, *, series_uid: str | None = None, phase_percent: float | None = None,
               anonymous_names: bool = False, progress=None, cancel=None) -> LoadedSeries:
    """Read the chosen series of ``src`` (a folder or one DICOM file).

    Parameters
    ----------
    anonymous_names
        Name files ``file 12`` instead of by their path in warnings (de-identified imports:
        folder and file names often carry the patient's name).
    """
    report = ProgressReporter(progress, cancel=cancel)
    result = scan(src, report.sub(0.0, 0.15), cancel)
    if anonymous_names:
        _anonymise_names(result)
    plans = plan_all(result)
    if not plans:
        raise DicomError(_nothing_found(src, result),
                         "point to the folder that holds the DICOM files of the series")
    chosen, choice_warnings = choose_series(plans, series_uid, phase_percent, str(src))
    plan, phase = chosen.volume(phase_percent)
    image, plan = _read(chosen, plan, phase_percent, report.sub(0.15, 0.9), cancel)
    if not plan.regular:
        from twindesk.io.dicom.resample import regularize

        report(0.9, "resampling onto a regular grid")
        image = regularize(image, plan, cancel)
    report(1.0, "volume read")
    data = chosen.representative.header.data
    info = {"series_number": data.integer_or_none("SeriesNumber"),
            "phase_percent": phase.percent, "trigger_ms": phase.trigger_ms,
            "n_phases": len(chosen.phases), "gated": chosen.gated,
            "slice_thickness_mm": median_thickness(plan.frames),
            "resampled": not plan.regular, "gantry_tilt_deg": round(plan.tilt_deg, 3),
            "n_slices_read": len(plan.frames), "pixel_type": image.GetPixelIDTypeAsString()}
    source = {"kind": "dicom", "path": str(Path(src).resolve()),
              "n_files": len({f.path for f in plan.frames}),
              "transfer_syntaxes": transfer_syntax_names(chosen.records),
              "n_skipped": len(result.skipped)}
    return LoadedSeries(image, series_meta(data), choice_warnings + plan.warnings, chosen.key,
                        phase, plan, info, source)


def _read(series: SeriesPlan, plan: VolumePlan, phase_percent, report, cancel):
    """Read the planes; files GDCM cannot decode are named, left out, and the plan redone."""
    try:
        return read_planes(plan, report, cancel), plan
    except UndecodableFiles as bad:
        notes = [f"{bad.names.get(k, '?')}: cannot be decoded ({why}); left out of the volume"
                 for k, why in bad.failed.items()]
        plan, _ = series.volume(phase_percent, exclude=frozenset(bad.failed))
        plan.warnings[:0] = notes
    try:
        return read_planes(plan, report, cancel), plan
    except UndecodableFiles as bad:
        names = ", ".join(sorted(set(bad.names.get(k, "?") for k in bad.failed))[:5])
        raise DicomError(f"{names}: cannot be decoded", "re-export the series from the scanner"
                         ) from None


def _anonymise_names(result: ScanResult) -> None:
    for i, rec in enumerate(result.files):
        rec.name = f"file {i + 1}"
    for i, item in enumerate(result.skipped):
        item["file"] = f"skipped file {i + 1}"


def _nothing_found(src: Path, result: ScanResult) -> str:
    if not result.skipped:
        return f"{src}: no files found"
    shown = "; ".join(f"{s['file']}: {s['reason']}" for s in result.skipped[:5])
    more = f"; and {len(result.skipped) - 5} more" if len(result.skipped) > 5 else ""
    return (f"{src}: no DICOM image series found ({len(result.skipped)} file(s) skipped: "
            f"{shown}{more})")
