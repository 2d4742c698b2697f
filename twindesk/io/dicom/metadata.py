"""The descriptive DICOM attributes a case keeps, and the ``case.json`` blocks made of them.

Values are decoded with their character set and cleaned for display
(:func:`~twindesk.io.dicom.text.clean_text`); they are data, never paths.
"""

from __future__ import annotations

from typing import Any

from twindesk.io.dicom.header import Elements
from twindesk.io.dicom.text import clean_text

#: DICOM keyword → (case.json block, key in that block).
STORED: dict[str, tuple[str, str]] = {
    "PatientName": ("patient", "name"),
    "PatientID": ("patient", "id"),
    "PatientBirthDate": ("patient", "birth_date"),
    "PatientSex": ("patient", "sex"),
    "PatientAge": ("patient", "age"),
    "PatientIdentityRemoved": ("patient", "identity_removed"),
    "StudyInstanceUID": ("study", "study_uid"),
    "StudyDate": ("study", "date"),
    "StudyTime": ("study", "time"),
    "StudyDescription": ("study", "description"),
    "StudyID": ("study", "study_id"),
    "AccessionNumber": ("study", "accession_number"),
    "InstitutionName": ("study", "institution"),
    "ReferringPhysicianName": ("study", "referring_physician"),
    "SeriesInstanceUID": ("image", "series_uid"),
    "SeriesDescription": ("image", "series_description"),
    "SeriesNumber": ("image", "series_number"),
    "SeriesDate": ("image", "series_date"),
    "Modality": ("image", "modality"),
    "FrameOfReferenceUID": ("image", "frame_of_reference_uid"),
    "BodyPartExamined": ("image", "body_part"),
    "Manufacturer": ("image", "manufacturer"),
    "ManufacturerModelName": ("image", "model"),
    "ConvolutionKernel": ("image", "kernel"),
    "KVP": ("image", "kvp"),
    "SOPClassUID": ("image", "sop_class_uid"),
    # HFS, FFS, HFP ... (PS3.3 C.7.3.1.1.2): fluoroscopy planning states what it assumed
    "PatientPosition": ("image", "patient_position"),
}


def series_meta(data: Elements) -> dict[str, str]:
    """The stored attributes of one representative file, as keyword → display text."""
    meta = {}
    for keyword in STORED:
        if data.has(keyword):
            meta[keyword] = clean_text(data.text(keyword))
    return meta


def doc_blocks(meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"patient": {...}, "study": {...}, "image": {...}}`` from a (possibly de-identified)
    keyword mapping; empty values are left out."""
    blocks: dict[str, dict[str, Any]] = {"patient": {}, "study": {}, "image": {}}
    for keyword, value in meta.items():
        if keyword in STORED and value not in ("", None):
            block, key = STORED[keyword]
            blocks[block][key] = value
    return blocks
