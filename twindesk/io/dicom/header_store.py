"""The source series' DICOM headers, kept in the case so exports can reference the series.

A DICOM Segmentation (:mod:`twindesk.io.dicom.seg`) must name the images it was derived
from (PS3.3 C.8.20, Referenced Series Sequence and per-frame Source Image Sequence) and carry
their patient, study and frame-of-reference attributes. The volume alone does not keep
them, so ``twindesk import`` stores the headers of every source file read into the volume as
the artefact ``dicom_headers`` (JSON)::

    {"format": "twindesk-dicom-headers/1",
     "series_uid": "...",            # as in case.doc["image"]["series_uid"]
     "regular": true,                # false when the planes were resampled (tilt, gaps)
     "frames": [[file, frame], ...], # the source plane of each volume slice (regular only),
                                     # file = index into "headers", frame = 0-based frame
     "headers": [{...}, ...]}        # DICOM JSON model (PS3.18 F.2) of each source file

Pixel data and any other bulk value longer than :data:`BULK_BYTES` are left out. For a
de-identified case the headers pass through the case's
:class:`~twindesk.io.dicom.deid.Deidentifier` first, so they hold exactly the replacement
UIDs and shifted dates the rest of the case holds.
"""

from __future__ import annotations

import json
from typing import Any

from twindesk.errors import CaseError, DicomError

ARTIFACT = "dicom_headers"
FORMAT = "twindesk-dicom-headers/1"
#: Binary values above this size (bytes) are not stored: they are pixels, overlays, icons.
BULK_BYTES = 1024
_BULK_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}


def _strip_bulk(ds) -> None:
    for elem in list(ds):
        if elem.VR == "SQ":
            for item in elem.value:
                _strip_bulk(item)
        elif elem.VR in _BULK_VRS and elem.value is not None and len(elem.value) > BULK_BYTES:
            del ds[elem.tag]


def _read_header(path, number: int, deid):
    """One source file's header, bulk data stripped, de-identified when ``deid`` is given.

    pydicom's text-decoding warnings are silenced here: the import's own reader has already
    read this file's text (and warned about what matters); the headers are kept as data.
    """
    import warnings

    import pydicom
    from pydicom.errors import InvalidDicomError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (OSError, InvalidDicomError) as exc:
            raise DicomError(f"file {number} of the series can no longer be read "
                             f"({type(exc).__name__})",
                             "keep the DICOM folder in place until the import finishes"
                             ) from None
        _strip_bulk(ds)
        if deid is not None:
            deid.apply_to_dataset(ds)
        for elem in ds.iterall():  # decode every value now, under the silenced warnings
            _ = elem.value
    return ds


def collect_headers(plan, deid=None) -> dict[str, Any]:
    """The ``dicom_headers`` document for a volume plan (reads each source file's header).

    Parameters
    ----------
    plan
        The :class:`~twindesk.io.dicom.assemble.VolumePlan` the volume was read from; its
        ``frames`` are in volume slice order.
    deid
        The case's :class:`~twindesk.io.dicom.deid.Deidentifier` for de-identified imports.
    """
    files: dict[str, int] = {}
    headers: list[dict[str, Any]] = []
    frames: list[list[int]] = []
    series_uid = None
    for frame in plan.frames:
        key = str(frame.path)
        if key not in files:
            ds = _read_header(frame.path, len(files) + 1, deid)
            series_uid = series_uid or str(ds.get("SeriesInstanceUID", ""))
            files[key] = len(headers)
            headers.append(ds.to_json_dict(suppress_invalid_tags=True))
        frames.append([files[key], int(frame.index)])
    return {"format": FORMAT, "series_uid": series_uid, "regular": bool(plan.regular),
            "frames": frames if plan.regular else [], "headers": headers}


def store_headers(case, plan, deid=None) -> dict[str, Any]:
    """Write the ``dicom_headers`` artefact of ``case`` (takes effect at the next save)."""
    doc = collect_headers(plan, deid)
    data = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return case.put_bytes(ARTIFACT, data, ".json", "dicom-headers",
                          {"n_files": len(doc["headers"]), "regular": doc["regular"]})


def source_datasets(case) -> tuple[list, dict[str, Any]]:
    """The stored source headers as pydicom datasets (file order) and the document.

    Raises
    ------
    CaseError
        When the case was imported from a volume file, or before headers were kept.
    """
    from pydicom.dataset import Dataset

    if case.artifact(ARTIFACT) is None:
        source = (case.doc.get("source") or {}).get("kind")
        why = ("it was imported from a volume file, which has no DICOM series"
               if source == "volume" else "it holds no copy of its DICOM source headers")
        raise CaseError(f"case {case.path}: cannot reference the source series: {why}",
                        "import the case from its DICOM series (twindesk import DICOM_DIR "
                        "CASE) to export DICOM objects that refer to it")
    doc = case.read_json(ARTIFACT)
    if doc.get("format") != FORMAT:
        raise CaseError(f"case {case.path}: artefact '{ARTIFACT}' has format "
                        f"'{doc.get('format')}', not {FORMAT}", "re-import the case")
    return [Dataset.from_json(h) for h in doc["headers"]], doc
