"""De-identified case bundles (``twindesk export CASE OUT --what bundle --deidentify``).

The DICOM PS3.15 Basic Application Level Confidentiality Profile with the Retain
Longitudinal Temporal Information with Modified Dates Option
(:mod:`twindesk.io.dicom.deid`) is applied, under one key, to everything a bundle carries:

* ``case.json``: the ``patient`` / ``study`` / ``image`` attributes that came from DICOM (by
  their DICOM keyword, :data:`twindesk.io.dicom.metadata.STORED`); the ``source`` path; the
  ``deid`` block loses its secret key and date shift; every other date or time
  (``*_utc``, ``date``, ``*_date`` keys: clinical data, physiology, timeline, artefact
  records) moves by the same number of days as the DICOM dates, so intervals survive;
  UIDs anywhere else (artefact metadata, warnings) are replaced consistently; file paths
  and known identifying values in free text are withheld.
* ``audit.jsonl``: ``user`` and ``host`` become keyed pseudonyms (the same person stays the
  same pseudonym within the bundle), times shift, paths and identifying values in the
  parameters are withheld.
* the ``dicom_headers`` artefact: each stored source header passes through
  :meth:`~twindesk.io.dicom.deid.Deidentifier.apply_to_dataset` (a new artefact file).
* the twin's version snapshots (``twin:state:*``, copies of earlier case documents): each
  gets the same treatment as ``case.json`` and points at the replaced artefacts.
* raw attached clinical files (kind ``clinical-source``: CSV, FHIR, VCF as received) may
  hold anything, so they are withheld: their index entries are dropped and the parsed,
  de-identified observations in ``case.json`` carry the data.

The key is the case's own (``case.doc["deid"]``) when the case was imported de-identified,
so its UIDs, pseudonym and date shift stay the ones the case already holds (attributes it
already holds are not transformed twice); otherwise a fresh key is drawn for this export and
kept nowhere. The bundle's manifest records what was done under ``deidentification``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from twindesk.io.dicom.deid import PROFILE, Deidentifier
from twindesk.io.dicom.metadata import STORED, doc_blocks

WITHHELD = "(withheld: de-identified export)"
#: Artefact kinds never put in a de-identified bundle.
WITHHELD_KINDS = frozenset({"clinical-source"})
_UID_TOKEN = re.compile(r"(?<![\w.])\d+(?:\.\d+){3,}(?![\w.])")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$", re.S)
_DA_DATE = re.compile(r"^\d{8}")
_PATH_LIKE = re.compile(r"(^|[\s'\"(=])(/|~/|[A-Za-z]:\\|\\\\)\S*")
_DICOM_BLOCKS = ("patient", "study", "image")
#: Free-text keys whose identifying substrings are searched in the text (min length).
_MIN_SECRET_CHARS = 3


def _is_date_key(key: str) -> bool:
    return key.endswith("_utc") or key == "date" or key.endswith("_date")


class BundleDeidentifier:
    """Applies one :class:`Deidentifier` to a case document, its audit log and headers."""

    def __init__(self, doc: dict[str, Any], source_paths: list[str] | None = None):
        self.already = bool(doc.get("deidentified")) and bool(doc.get("deid"))
        self.deid = Deidentifier.from_doc(doc["deid"]) if self.already else Deidentifier.new()
        self.secrets = self._known_values(doc, source_paths or [])

    # ------------------------------------------------------------ primitives
    @staticmethod
    def _known_values(doc: dict[str, Any], source_paths: list[str]) -> list[str]:
        """Identifying strings to withhold wherever they appear in free text."""
        found: set[str] = set()
        for block, key in STORED.values():
            if block in ("patient", "study") and key not in ("study_uid", "date", "time"):
                value = str((doc.get(block) or {}).get(key) or "")
                found.add(value)
                found.update(re.split(r"[\^= ,]+", value))
        for path in source_paths:
            found.update(part for part in Path(path).parts if part not in ("/", "\\"))
        found = {s.strip() for s in found if len(s.strip()) >= _MIN_SECRET_CHARS}
        found -= {"YES", "NO", "ANONYMOUS"}
        return sorted(found, key=len, reverse=True)

    def pseudonym(self, label: str, value: str) -> str:
        digest = hashlib.sha256(self.deid.key + f"\0{label}\0{value}".encode()).hexdigest()
        return f"{label}-{digest[:8]}"

    def shift(self, value: str) -> str:
        """Shift an ISO (``YYYY-MM-DD...``) or DICOM (``YYYYMMDD...``) date by the key's days."""
        text = str(value)
        m = _ISO_DATE.match(text)
        if m:
            try:
                day = _dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return ""
            return (day + _dt.timedelta(days=self.deid.date_shift_days)).isoformat() + m[4]
        if _DA_DATE.match(text):
            return self.deid.date(text)
        return value

    def text(self, value: str) -> str:
        """Free text: UIDs replaced, paths and identifying values withheld."""
        out = _UID_TOKEN.sub(lambda m: self.deid.uid(m.group(0)), value)
        out = _PATH_LIKE.sub(lambda m: m.group(1) + WITHHELD, out)
        for secret in self.secrets:
            out = re.sub(re.escape(secret), WITHHELD, out, flags=re.I)
        return out

    def walk(self, obj: Any, key: str = "") -> Any:
        """Dates shifted, strings cleaned, recursively."""
        if isinstance(obj, dict):
            return {k: self.walk(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.walk(v, key) for v in obj]
        if isinstance(obj, str):
            return self.shift(obj) if _is_date_key(key) else self.text(obj)
        return obj

    # --------------------------------------------------------------- targets
    def dicom_blocks(self, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """``patient`` / ``study`` / ``image`` with the profile applied to their DICOM keys."""
        blocks = {b: dict(doc.get(b) or {}) for b in _DICOM_BLOCKS}
        if self.already:
            return blocks
        meta = {kw: blocks[b][k] for kw, (b, k) in STORED.items() if k in blocks[b]}
        new = doc_blocks(self.deid.apply_to_meta(meta))
        for block in _DICOM_BLOCKS:
            rest = {k: v for k, v in blocks[block].items()
                    if (block, k) not in STORED.values()}
            blocks[block] = {**self.walk(rest), **new[block]}
        return blocks

    def case_doc(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The de-identified copy of ``case.json`` (``artifacts`` paths are left to the caller)."""
        out = {k: self.walk(v, k) for k, v in doc.items()
               if k not in (*_DICOM_BLOCKS, "deid", "source")}
        out.update(self.dicom_blocks(doc))
        out["case_id"] = self.pseudonym("case", str(doc.get("case_id")))
        source = dict(doc.get("source") or {})
        if "path" in source:
            source["path"] = WITHHELD
        out["source"] = self.walk(source)
        kept = {k: v for k, v in self.deid.to_doc().items() if k not in ("key", "date_shift_days")}
        out["deid"] = kept
        out["deidentified"] = True
        return out

    def audit(self, data: bytes) -> bytes:
        """The audit log with users and hosts pseudonymised, times shifted, params cleaned."""
        lines = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after a crash carries nothing worth moving
            for field in ("user", "host"):
                if field in entry:
                    entry[field] = self.pseudonym(field, str(entry[field]))
            entry = {k: (v if k in ("user", "host") else self.walk(v, k))
                     for k, v in entry.items()}
            lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def dicom_headers(self, data: bytes) -> bytes:
        """The ``dicom_headers`` artefact with every header de-identified."""
        from twindesk.io.dicom.header_store import header_datasets

        doc = json.loads(data.decode("utf-8"))
        if self.already:
            return data
        doc["headers"] = [self.deid.apply_to_dataset(ds).to_json_dict(suppress_invalid_tags=True)
                          for ds in header_datasets(doc)]
        doc.pop("raw_headers", None)
        doc["series_uid"] = self.deid.uid(doc["series_uid"]) if doc.get("series_uid") else None
        return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")

    def manifest(self) -> dict[str, Any]:
        codes = self.deid.to_doc()["codes"]
        return {"deidentified": True,
                "deidentification": {
                    "profile": PROFILE, "codes": codes,
                    "key": "case" if self.already else "new (not kept)",
                    "applied_to": ["case.json", "audit.jsonl", "dicom_headers",
                                   "twin:state snapshots"],
                    "withheld": sorted(WITHHELD_KINDS)}}


def _replace(contents: dict[str, bytes], rec: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Stage ``data`` as the new content of artefact ``rec``; returns the new record."""
    from twindesk.io.artifacts import ARTIFACTS

    digest = hashlib.sha256(data).hexdigest()
    path = f"{ARTIFACTS}/{digest}{''.join(Path(rec['path']).suffixes)}"
    contents[path] = data
    return {**rec, "path": path, "sha256": digest, "bytes": len(data)}


def _remap(artifacts: dict[str, Any], moved: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Artefact index with withheld kinds dropped and replaced files re-pointed."""
    return {name: {**rec, **{k: moved[rec["path"]][k] for k in ("path", "sha256", "bytes")}}
            if rec["path"] in moved else rec
            for name, rec in artifacts.items() if rec.get("kind") not in WITHHELD_KINDS}


def deidentified_parts(case) -> tuple[dict[str, Any], bytes, dict[str, bytes], dict[str, Any]]:
    """(case.json doc, audit bytes, replaced artefact contents by path, manifest extras)."""
    audit_path = case.path / "audit.jsonl"
    audit = audit_path.read_bytes() if audit_path.exists() else b""
    source_path = (case.doc.get("source") or {}).get("path")
    bd = BundleDeidentifier(case.doc, [source_path] if source_path else [])
    contents: dict[str, bytes] = {}
    moved: dict[str, dict[str, Any]] = {}  # original path -> replaced record
    from twindesk.io.bundle import bundled_records

    everything = bundled_records(case.path, case.doc)
    for rec in everything:
        if rec.get("kind") == "dicom-headers":
            moved[rec["path"]] = _replace(
                contents, rec, bd.dicom_headers((case.path / rec["path"]).read_bytes()))
    for rec in everything:
        if rec.get("kind") == "twin-state":
            state = json.loads((case.path / rec["path"]).read_text(encoding="utf-8"))
            clean = bd.case_doc(state)
            clean["artifacts"] = _remap(clean.get("artifacts", {}), moved)
            data = json.dumps(clean, indent=1, sort_keys=True, allow_nan=False).encode()
            moved[rec["path"]] = _replace(contents, rec, data)
    doc = bd.case_doc(case.doc)
    doc["artifacts"] = _remap(doc["artifacts"], moved)
    return doc, bd.audit(audit), contents, bd.manifest()
