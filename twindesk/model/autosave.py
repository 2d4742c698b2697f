"""Autosave and crash recovery for open cases.

An interactive session changes :attr:`Case.doc` in memory; only :meth:`Case.save` commits.
To survive a killed process, the GUI periodically writes a *recovery snapshot* of the
in-memory document next to the case::

    NAME.twin/.autosave/snapshot.json   {"format", "base_revision", "saved_utc", "pid", "doc"}

The snapshot never replaces ``case.json``: artefacts it names are already in the immutable
store (they are written before the document names them), so restoring it is just adopting the
document. On open, :func:`find_snapshot` reports a snapshot that is newer than the committed
revision and differs from it; the user chooses to restore (then save) or discard it.
A commit or a clean close discards the snapshot.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twindesk.errors import CaseError
from twindesk.io.artifacts import now_utc
from twindesk.io.atomic import atomic_write_bytes

AUTOSAVE_DIR = ".autosave"
SNAPSHOT = "snapshot.json"
FORMAT = 1
#: Keys that change on every commit and so never count as unsaved work.
_VOLATILE = ("revision", "modified_utc")


@dataclass(frozen=True)
class Snapshot:
    """A recovery snapshot found next to a case."""

    path: Path
    base_revision: int
    saved_utc: str
    doc: dict[str, Any]


def snapshot_path(case_dir: Path) -> Path:
    return Path(case_dir) / AUTOSAVE_DIR / SNAPSHOT


def doc_fingerprint(doc: dict[str, Any]) -> str:
    """Canonical text of a case document without the per-commit counters."""
    return json.dumps({k: v for k, v in doc.items() if k not in _VOLATILE}, sort_keys=True,
                      ensure_ascii=False, default=str)


def write_snapshot(case) -> Path:
    """Write the open case's in-memory document as the recovery snapshot (atomic)."""
    path = snapshot_path(case.path)
    path.parent.mkdir(exist_ok=True)
    record = {"format": FORMAT, "base_revision": int(case.doc.get("revision", 0)),
              "saved_utc": now_utc(), "pid": os.getpid(), "doc": case.doc}
    atomic_write_bytes(path, json.dumps(record, ensure_ascii=False, allow_nan=False)
                       .encode("utf-8"))
    return path


def find_snapshot(case_dir: Path, committed_doc: dict[str, Any]) -> Snapshot | None:
    """The recovery snapshot worth offering for a case, or ``None``.

    A snapshot is offered when it was taken on top of the committed revision (not an older
    one) and holds changes. An unreadable or stale snapshot is ignored (and left in place for
    inspection when unreadable).
    """
    path = snapshot_path(case_dir)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        base = int(record["base_revision"])
        doc = record["doc"]
        saved = str(record.get("saved_utc", "?"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(doc, dict) or base != int(committed_doc.get("revision", 0)):
        return None
    if doc_fingerprint(doc) == doc_fingerprint(committed_doc):
        return None
    return Snapshot(path, base, saved, doc)


def restore_snapshot(case, snapshot: Snapshot) -> None:
    """Adopt the snapshot's document into the open case (in memory; the caller saves).

    Raises :class:`CaseError` and changes nothing when an artefact it names is missing.
    """
    missing = [name for name, rec in snapshot.doc.get("artifacts", {}).items()
               if not (Path(case.path) / rec.get("path", "")).is_file()]
    if missing:
        raise CaseError(f"{snapshot.path}: the autosaved state names missing artefacts "
                        f"({', '.join(sorted(missing)[:3])})",
                        "discard the autosaved state; the committed case is intact")
    doc = dict(snapshot.doc)
    for key in _VOLATILE:
        doc[key] = case.doc.get(key, doc.get(key))
    case.doc = doc


def discard_snapshot(case_dir: Path) -> None:
    """Remove the recovery snapshot folder of a case, if any."""
    folder = Path(case_dir) / AUTOSAVE_DIR
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
