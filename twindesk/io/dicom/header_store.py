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
     or "raw_headers": ["base64", ...] # each file's bytes up to its Pixel Data element

A plain import keeps ``raw_headers``: the bytes of each file before its Pixel Data element,
located by the import's own header reader, so the import needs no second parse (and no
pydicom: it would cost more than the whole bare SimpleITK read). They are parsed only when a
DICOM object is exported. A de-identified import parses each header with pydicom, passes it
through the case's :class:`~twindesk.io.dicom.deid.Deidentifier` and keeps the DICOM JSON
model, so it holds exactly the replacement UIDs and shifted dates the rest of the case holds.
Pixel data and any other bulk value longer than :data:`BULK_BYTES` are left out.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
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


#: Bytes of the Pixel Data element header before its value: explicit VR OB/OW (tag, VR,
#: reserved, 4-byte length) and implicit VR (tag, 4-byte length).
_PIXEL_TAG_LE = b"\xe0\x7f\x10\x00"


def _raw_prefix(path: Path) -> tuple[bytes, str] | None:
    """The file's bytes before its Pixel Data element and its series UID, or None when the
    bytes cannot be cut cleanly (deflated transfer syntax, no pixel data): the caller then
    parses with pydicom."""
    from twindesk.io.dicom.header import FileProblem, read_header

    try:
        header = read_header(path)
    except FileProblem:
        return None
    if header.pixel is None or header.transfer_syntax == "1.2.840.10008.1.2.1.99":
        return None
    with open(path, "rb") as f:
        prefix = f.read(header.pixel.offset)
    for head in (12, 8):  # explicit VR, implicit VR
        if prefix[-head:-head + 4] == _PIXEL_TAG_LE:
            return prefix[:-head], header.data.string("SeriesInstanceUID")
    return None


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
    paths: list[Path] = []
    frames: list[list[int]] = []
    for frame in plan.frames:
        key = str(frame.path)
        if key not in files:
            files[key] = len(paths)
            paths.append(Path(frame.path))
        frames.append([files[key], int(frame.index)])
    doc: dict[str, Any] = {"format": FORMAT, "regular": bool(plan.regular),
                           "frames": frames if plan.regular else []}
    raw = None if deid is not None else [_raw_prefix(p) for p in paths]
    if raw is not None and all(r is not None for r in raw):
        doc["series_uid"] = raw[0][1] if raw else None
        doc["raw_headers"] = [base64.b64encode(r[0]).decode("ascii") for r in raw]
        return doc
    datasets = [_read_header(p, n + 1, deid) for n, p in enumerate(paths)]
    doc["series_uid"] = str(datasets[0].get("SeriesInstanceUID", "")) if datasets else None
    doc["headers"] = [ds.to_json_dict(suppress_invalid_tags=True) for ds in datasets]
    return doc


def store_headers(case, plan, deid=None) -> dict[str, Any]:
    """Write the ``dicom_headers`` artefact of ``case`` (takes effect at the next save)."""
    doc = collect_headers(plan, deid)
    data = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
    n_files = len(doc.get("headers") or doc.get("raw_headers") or [])
    return case.put_bytes(ARTIFACT, data, ".json", "dicom-headers",
                          {"n_files": n_files, "regular": doc["regular"]})


def source_datasets(case) -> tuple[list, dict[str, Any]]:
    """The stored source headers as pydicom datasets (file order) and the document.

    Raises
    ------
    CaseError
        When the case was imported from a volume file, or before headers were kept.
    """
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
    return header_datasets(doc), doc


def header_datasets(doc: dict[str, Any]) -> list:
    """The pydicom datasets of a ``dicom_headers`` document, whichever form it holds."""
    from pydicom.dataset import Dataset

    if "raw_headers" in doc:
        return [_parse_raw(base64.b64decode(h)) for h in doc["raw_headers"]]
    return [Dataset.from_json(h) for h in doc["headers"]]


def _parse_raw(data: bytes):
    """A stored header prefix as a pydicom dataset, bulk values stripped."""
    import io
    import warnings

    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        _strip_bulk(ds)
        for elem in ds.iterall():
            _ = elem.value
    return ds
