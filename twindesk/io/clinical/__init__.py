"""Clinical data in: vitals, echo and labs (CSV, FHIR R4) and genomic risk flags (VCF,
FHIR), recognised by content, not by file extension.

:func:`read_clinical` is the one entry point; the readers are
:mod:`~twindesk.io.clinical.csv_reader`, :mod:`~twindesk.io.clinical.fhir_reader` and
:mod:`~twindesk.io.clinical.vcf_reader`. Every value is converted to the canonical unit of
its quantity (:mod:`~twindesk.io.clinical.units`); LOINC codes and their sources are in
:mod:`~twindesk.io.clinical.loinc`.
"""

from __future__ import annotations

from pathlib import Path

from twindesk.errors import InputError
from twindesk.io.clinical.records import ClinicalBatch, GenomicFlag, Observation

__all__ = ["ClinicalBatch", "GenomicFlag", "Observation", "detect_kind", "parse_clinical",
           "read_clinical"]

MAX_BYTES = 50 * 1024 * 1024


def detect_kind(text: str) -> str | None:
    """``"vcf"``, ``"fhir"`` or ``"csv"`` from the content, or ``None``."""
    from twindesk.io.clinical.csv_reader import looks_like_csv
    from twindesk.io.clinical.fhir_reader import looks_like_fhir
    from twindesk.io.clinical.vcf_reader import looks_like_vcf

    if looks_like_vcf(text):
        return "vcf"
    if looks_like_fhir(text):
        return "fhir"
    if looks_like_csv(text):
        return "csv"
    return None


def parse_clinical(text: str, name: str, kind: str | None = None) -> ClinicalBatch:
    """Parse ``text`` (the content of file ``name``) as ``kind`` or by its content."""
    kind = kind or detect_kind(text)
    if kind == "vcf":
        from twindesk.io.clinical.vcf_reader import parse_vcf

        return parse_vcf(text, name)
    if kind == "fhir":
        from twindesk.io.clinical.fhir_reader import parse_fhir

        return parse_fhir(text, name)
    if kind == "csv":
        from twindesk.io.clinical.csv_reader import parse_csv

        return parse_csv(text, name)
    raise InputError(f"{name}: not recognised as clinical data (CSV with a time column, "
                     "FHIR R4 JSON, or VCF)",
                     "see the README section 'Attaching clinical data' for the formats")


def read_file_text(path: Path) -> tuple[bytes, str]:
    """The raw bytes and UTF-8 text of a clinical file (refuses folders, huge or binary files)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file", "check the path")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{path}: {size / 1e6:.0f} MB is too large for a clinical file",
                         "attach the vitals, echo or genetics report itself")
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise InputError(f"{path}: a binary file, not clinical data",
                         "attach a CSV, FHIR R4 JSON or VCF text file")
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        return data, data.decode("latin-1")  # older exports; every byte decodes


def read_clinical(path: Path) -> tuple[ClinicalBatch, bytes]:
    """Parse a clinical file; returns the batch and the raw bytes (to store as an artefact)."""
    data, text = read_file_text(path)
    return parse_clinical(text, Path(path).name), data
