"""Attach a clinical data file to the twin (``twindesk twin add`` and the Twin panel).

One function serves the command line and the window, so both store the same things, record
the same version and write the same audit entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def public_thresholds(t: dict[str, Any]) -> dict[str, Any]:
    """The aortic surgery threshold fields reported to users (see
    :func:`twindesk.model.guidelines.aortic_thresholds`)."""
    return {k: t[k] for k in ("threshold_mm", "basis", "cor", "citation", "verified", "reasons",
                              "growth_threshold_mm_per_year", "notes")}


def attach_file(case, path: Path, *, recalibrate: bool = False, samples: int = 300,
                progress=None, cancel=None) -> dict[str, Any]:
    """Parse ``path`` (CSV, FHIR R4 JSON or VCF, recognised by content), attach it to the
    open, writable ``case``, pair open predictions with the new observations, record a
    ``clinical-data`` version and save (audit action ``twin-add``).

    The file is parsed completely before the case is touched, so a bad file changes
    nothing. With ``recalibrate`` the 0D model is refitted to the latest vitals afterwards
    (a second version). Returns the ``twindesk twin add --json`` object.
    """
    from twindesk.errors import ReadOnlyCaseError
    from twindesk.io.clinical import read_clinical
    from twindesk.model import versions
    from twindesk.model.guidelines import aortic_thresholds
    from twindesk.twin import accuracy, clinical

    path = Path(path)
    batch, raw = read_clinical(path)
    if not case.writable:
        raise ReadOnlyCaseError(f"case {case.path} is {case.readonly_reason}",
                                "close it elsewhere and reopen it to attach data")
    versions.ensure_baseline(case)
    source = clinical.attach_batch(case, batch, raw, path.name)
    matched = accuracy.match_predictions(case.doc)
    what = (f"{len(batch.observations)} observations" if batch.kind != "vcf"
            else f"{len(batch.genomic_flags)} genomic flags")
    version = versions.record_version(
        case, "clinical-data", f"attached {batch.kind} file ({what})",
        {"source": source["id"], "kind": batch.kind})
    case.save("twin-add", {"source": source["id"], "kind": batch.kind,
                           "file": source["file_name"], "sha256": source["sha256"],
                           "n_observations": len(batch.observations),
                           "n_genomic_flags": len(batch.genomic_flags)})
    flags = clinical.genomic_flags(case.doc)
    result = {"case": str(case.path), "source": {k: source[k] for k in (
                  "id", "kind", "artifact", "file_name", "sha256", "attached_utc")},
              "observations": [o.to_doc() for o in batch.observations],
              "genomic_flags": [f.to_doc() for f in batch.genomic_flags],
              "unknown": batch.unknown, "ignored": batch.ignored,
              "warnings": batch.warnings, "meta": batch.meta, "version": version,
              "latest_vitals": clinical.latest_vitals(case.doc),
              "predictions_matched": matched,
              "thresholds": public_thresholds(aortic_thresholds(flags)) if flags else None,
              "recalibration": None}
    if recalibrate:
        from twindesk.twin.recalibration import recalibrate as refit

        result["recalibration"] = refit(case, samples, progress=progress, cancel=cancel)
    return result
