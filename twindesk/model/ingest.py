"""Create a case from a DICOM folder or a research volume file (``twindesk import``).

The case is created first (so a bad target fails before any reading) and removed again if
anything goes wrong or the user cancels: an import either completes or leaves no case behind.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from twindesk import __version__
from twindesk.errors import InputError
from twindesk.jobs import ProgressReporter
from twindesk.model.case import AUDIT_LOG, CASE_JSON, Case

WITHHELD = "(withheld: de-identified import)"
_UID_TOKEN = re.compile(r"(?<![\w.])\d+(?:\.\d+){3,}(?![\w.])")


def import_source(src: Path, case_path: Path, *, series_uid: str | None = None,
                  phase_percent: float | None = None, deidentify: bool = False,
                  progress=None, cancel=None) -> Case:
    """Import ``src`` into a new case at ``case_path`` and return it open and writable.

    Parameters
    ----------
    src
        A DICOM folder (searched recursively), one DICOM file, or a NIfTI / NRRD / MHA / MHD
        volume.
    series_uid
        The SeriesInstanceUID (or a unique prefix) when ``src`` holds several volume series.
    phase_percent
        Cardiac phase to import from a multiphase series, % of R-R (default: nearest 35 %).
    deidentify
        Apply the PS3.15 basic profile to everything the case stores; the per-case key is
        kept in ``case.doc["deid"]``.
    progress, cancel
        Job progress callback and :class:`~twindesk.jobs.CancelToken`.

    Returns
    -------
    Case
        The new case, saved (revision 1, audit action ``import``); the caller closes it.
    """
    from twindesk.io.volume import has_volume_suffix

    src, case_path = Path(src), Path(case_path)
    if phase_percent is not None and not 0 <= phase_percent < 100:
        raise InputError(f"--phase {phase_percent:g}: a cardiac phase is a percentage of the "
                         "R-R interval", "give a value from 0 to 99 (e.g. 35 or 75)")
    if not src.exists():
        raise InputError(f"{src}: no such file or folder", "check the path of the DICOM folder")
    existed = case_path.exists()
    case = Case.create(case_path)
    try:
        report = ProgressReporter(progress, cancel=cancel)
        if src.is_file() and has_volume_suffix(src):
            if series_uid is not None or phase_percent is not None:
                raise InputError(f"{src}: --series and --phase apply to DICOM sources only",
                                 "leave them out for a volume file")
            loaded = _load_volume(src)
        else:
            from twindesk.io.dicom.load import load_dicom

            loaded = load_dicom(src, series_uid=series_uid, phase_percent=phase_percent,
                                anonymous_names=deidentify, progress=report.sub(0.0, 0.85),
                                cancel=cancel)
        report(0.86, "writing the case")
        _fill_case(case, loaded, deidentify)
        report(0.99, "saving")
        from twindesk.model.versions import record_version

        record_version(case, "import", f"baseline imaging imported "
                       f"({case.doc['image'].get('modality') or 'volume'}, "
                       f"{'x'.join(str(n) for n in case.doc['image']['size'])} voxels)",
                       {"deidentify": deidentify, "phase_percent": phase_percent})
        case.save("import", _audit_params(src, case, phase_percent, deidentify, series_uid))
        report(1.0, "imported")
        return case
    except BaseException:
        case.close()
        _remove_case(case_path, existed)
        raise


# ------------------------------------------------------------------------- internals
def _fill_case(case: Case, loaded, deidentify: bool) -> None:
    from twindesk.io.dicom.metadata import doc_blocks
    from twindesk.io.volume import geometry_of, write_case_volume

    meta, warnings, source = dict(loaded.meta), list(loaded.warnings), dict(loaded.source)
    series_uid = loaded.series_uid
    deid = None
    if deidentify:
        from twindesk.io.dicom.deid import Deidentifier

        deid = Deidentifier.new()
        meta = deid.apply_to_meta(meta)
        warnings = [_UID_TOKEN.sub(lambda m: deid.uid(m.group(0)), w) for w in warnings]
        series_uid = deid.uid(series_uid) if series_uid else series_uid
        source["path"] = WITHHELD
        case.doc["deid"] = deid.to_doc()
        case.doc["deidentified"] = True
    blocks = doc_blocks(meta)
    image = loaded.image
    image_block = {**geometry_of(image), "modality": blocks["image"].pop("modality", None),
                   **blocks["image"], **loaded.image_info}
    if series_uid:
        image_block["series_uid"] = series_uid
    image_block.setdefault("series_description", "")
    source.update({"imported_by": f"twindesk {__version__}"})
    case.put_artifact("volume", lambda path: write_case_volume(image, path), ".mha", "volume",
                      {"series_uid": image_block.get("series_uid"),
                       "phase_percent": image_block.get("phase_percent"),
                       "resampled": image_block.get("resampled", False)})
    if loaded.plan is not None:  # a DICOM source: keep its headers so exports can refer to it
        from twindesk.io.dicom.header_store import store_headers

        store_headers(case, loaded.plan, deid)
    case.doc.update(patient=blocks["patient"], study=blocks["study"], image=image_block,
                    source=source, warnings=warnings)


def _load_volume(src: Path):
    """A research volume file: geometry as stored (LPS), no patient or study metadata."""
    from twindesk.io.dicom.load import LoadedSeries
    from twindesk.io.dicom.pixels import narrow_to_int16
    from twindesk.io.volume import read_volume

    image = read_volume(src)
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(f"{src}: a {image.GetDimension()}D image with "
                         f"{image.GetNumberOfComponentsPerPixel()} component(s) per voxel; "
                         "a 3D scalar volume is needed",
                         "extract one 3D scalar volume (one phase) and import that")
    for key in image.GetMetaDataKeys():  # header text fields are not carried into the case
        image.EraseMetaData(key)
    image = narrow_to_int16(image)
    # the file name is left out: it often carries the patient's name (de-identified imports)
    warnings = ["imported from a research volume file, which carries no patient, study or "
                "acquisition information (not checked for ECG gating or slice thickness); "
                "check that its orientation is right before measuring"]
    return LoadedSeries(image, {}, warnings, "", None, None,
                        {"pixel_type": image.GetPixelIDTypeAsString(), "resampled": False},
                        {"kind": "volume", "path": str(src.resolve()), "n_files": 1})


def _audit_params(src: Path, case: Case, phase_percent, deidentify: bool,
                  series_uid: str | None) -> dict[str, Any]:
    image = case.doc.get("image") or {}
    return {"src": WITHHELD if deidentify else str(src.resolve()),
            "series_uid": image.get("series_uid"),
            "series_requested": (WITHHELD if deidentify and series_uid else series_uid),
            "phase_percent_requested": phase_percent,
            "phase_percent": image.get("phase_percent"),
            "deidentify": deidentify, "n_warnings": len(case.doc.get("warnings", []))}


def _remove_case(case_path: Path, existed: bool) -> None:
    """Undo :meth:`Case.create` and whatever the failed import wrote."""
    import shutil  # here, not at the top: shutil pulls in lzma/bz2 (start-up time)

    if not existed:
        shutil.rmtree(case_path, ignore_errors=True)
        return
    for name in (CASE_JSON, AUDIT_LOG, ".lock"):
        (case_path / name).unlink(missing_ok=True)
    shutil.rmtree(case_path / "artifacts", ignore_errors=True)
