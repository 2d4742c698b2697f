"""Clinical data attached to the twin: ``case.doc["clinical"]``.

Layout (documented for other rooms; the 0D calibration reads ``vitals``)::

    clinical = {
      "sources": [{"id": "src-1", "artifact": "clinical:src-1", "kind": "csv|fhir|vcf",
                   "file_name", "sha256", "attached_utc", "n_observations",
                   "n_genomic_flags", "unknown": [...], "ignored": [...], "warnings": [...],
                   "meta": {...}}],
      "observations": [{"time_utc", "quantity", "value", "unit", "code", "display",
                        "origin", "value_as_sent", "unit_as_sent", "matched_by",
                        "source"}],                      # canonical units, see io.clinical
      "genomic_flags": [{"gene", "significance", "variant", "condition", "build",
                         "origin", "time_utc", "source"}],
      "vitals": [{"time_utc", "source", "sbp_mmhg", "dbp_mmhg", "hr_bpm", "co_l_min",
                  "mean_gradient_mmhg", "height_cm", "weight_kg"}],   # derived
    }

The raw file is stored as the artefact ``clinical:<source id>`` (it may hold identifying
data; it stays inside the case folder). ``vitals`` is rebuilt from ``observations``: one
record per (time, source) holding the quantities the 0D calibration uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twindesk.errors import InputError
from twindesk.io.clinical import ClinicalBatch

#: Quantities the 0D model's calibration reads from ``clinical["vitals"]``.
VITAL_KEYS = ("sbp_mmhg", "dbp_mmhg", "hr_bpm", "co_l_min", "mean_gradient_mmhg",
              "height_cm", "weight_kg")
_EXT = {"csv": ".csv", "fhir": ".json", "vcf": ".vcf"}
WITHHELD = "(withheld: de-identified case)"


def clinical_block(doc: dict[str, Any]) -> dict[str, Any]:
    block = doc.setdefault("clinical", {})
    for key in ("sources", "observations", "genomic_flags", "vitals"):
        block.setdefault(key, [])
    return block


def rebuild_vitals(block: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per (time, source) with the vital quantities, sorted by time."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for o in block.get("observations", []):
        if o["quantity"] in VITAL_KEYS:
            rec = records.setdefault((o["time_utc"], o.get("source", "")),
                                     {"time_utc": o["time_utc"], "source": o.get("source")})
            rec[o["quantity"]] = o["value"]
    block["vitals"] = [records[k] for k in sorted(records)]
    return block["vitals"]


def attach_batch(case, batch: ClinicalBatch, raw: bytes, file_name: str) -> dict[str, Any]:
    """Store ``raw`` as a case artefact and add the parsed ``batch`` to the twin.

    Refuses a file already attached (same content) so values are never counted twice.
    Changes ``case.doc`` only; the caller records a version and saves.
    """
    import hashlib

    from twindesk.io.artifacts import now_utc

    block = clinical_block(case.doc)
    digest = hashlib.sha256(raw).hexdigest()
    for src in block["sources"]:
        if src.get("sha256") == digest:
            raise InputError(f"{file_name}: this file is already attached to the twin "
                             f"({src['id']}, {src['attached_utc']})",
                             "attach only new measurements (a new export or the new rows)")
    sid = f"src-{len(block['sources']) + 1}"
    key = f"clinical:{sid}"
    case.put_bytes(key, raw, _EXT[batch.kind], "clinical-source",
                   {"source_id": sid, "format": batch.kind})
    name = WITHHELD if case.doc.get("deidentified") else Path(file_name).name
    source = {"id": sid, "artifact": key, "kind": batch.kind, "file_name": name,
              "sha256": digest, "attached_utc": now_utc(),
              "n_observations": len(batch.observations),
              "n_genomic_flags": len(batch.genomic_flags), **{
                  k: getattr(batch, k) for k in ("unknown", "ignored", "warnings", "meta")}}
    block["sources"].append(source)
    add_observations(block, [o.to_doc() for o in batch.observations], sid)
    for f in batch.genomic_flags:
        flag = {**f.to_doc(), "source": sid}
        flag["time_utc"] = flag["time_utc"] or source["attached_utc"]
        block["genomic_flags"].append(flag)
    return source


def add_observations(block: dict[str, Any], observations: list[dict[str, Any]],
                     source: str) -> None:
    """Append observation records (tagged with ``source``), keep them in time order and
    rebuild ``vitals``."""
    block["observations"].extend({**o, "source": source} for o in observations)
    block["observations"].sort(key=lambda o: (o["time_utc"], o["quantity"]))
    rebuild_vitals(block)


def latest_vitals(case_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The latest attached value of every quantity:
    ``{quantity: {"value", "unit", "time_utc", "source"}}`` (empty when nothing is attached).

    Same rule as the 0D calibration's reader: for each quantity the observation with the
    latest time wins (ties: the one attached last).
    """
    latest: dict[str, dict[str, Any]] = {}
    for o in (case_doc.get("clinical") or {}).get("observations", []):
        cur = latest.get(o["quantity"])
        if cur is None or o["time_utc"] >= cur["time_utc"]:
            latest[o["quantity"]] = {"value": o["value"], "unit": o["unit"],
                                     "time_utc": o["time_utc"], "source": o.get("source")}
    return latest


def genomic_flags(case_doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list((case_doc.get("clinical") or {}).get("genomic_flags", []))
