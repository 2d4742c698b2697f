"""A case: one patient's twin in a folder ``NAME.twin/``.

Layout::

    NAME.twin/
      case.json          the only commit point (schema_version, revision, artefact index)
      audit.jsonl        append-only: who, when, what, parameters
      artifacts/         immutable content-addressed files (<sha256>.<ext>)
      .lock              advisory write lock (flock)

Edits change :attr:`Case.doc` in memory and write new artefacts; :meth:`Case.save` commits
them by atomically replacing ``case.json`` and appends to the audit log. A crash at any step
leaves the previous revision readable.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twindesk.errors import CaseError, CaseLockedError, ReadOnlyCaseError
from twindesk.io import artifacts as art
from twindesk.io.atomic import append_line, atomic_write_bytes
from twindesk.io.case_lock import CaseLock, current_user
from twindesk.model.schema import CURRENT_SCHEMA_VERSION, check_doc, empty_doc, migrate

CASE_JSON = "case.json"
AUDIT_LOG = "audit.jsonl"
_LEFTOVERS = {"artifacts", ".lock"}


def is_case_dir(path: Path) -> bool:
    return (Path(path) / CASE_JSON).is_file()


class Case:
    """An open case. Use :meth:`create` or :meth:`open`; close it (or use ``with``)."""

    def __init__(self, path: Path, doc: dict[str, Any], lock: CaseLock | None,
                 readonly_reason: str | None):
        self.path = Path(path)
        self.doc = doc
        self._lock = lock
        self.readonly_reason = readonly_reason
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(cls, path: Path) -> Case:
        """Create a new empty case folder and hold its write lock.

        Refuses a folder that already holds a case or any file of the user's.
        """
        path = Path(path)
        if is_case_dir(path):
            raise CaseError(f"{path} already holds a case",
                            "choose another case name, or delete the old case first")
        if path.exists():
            if not path.is_dir():
                raise CaseError(f"{path} exists and is not a folder", "choose another case name")
            foreign = [p.name for p in path.iterdir() if p.name not in _LEFTOVERS]
            if foreign:
                raise CaseError(f"{path} is not empty (it holds {', '.join(sorted(foreign)[:3])})",
                                "give a new folder name for the case")
        path.mkdir(parents=True, exist_ok=True)
        lock = CaseLock(path)
        holder = lock.try_acquire()
        if holder:
            raise CaseLockedError(f"cannot create case {path}: {holder}",
                                  "wait for the other import to finish")
        doc = empty_doc(uuid.uuid4().hex, art.now_utc())
        return cls(path, doc, lock, None)

    @classmethod
    def open(cls, path: Path, write: bool = True, require_write: bool = False) -> Case:
        """Open an existing case.

        Parameters
        ----------
        write
            Try to take the write lock. If another process holds it the case opens
            read-only and :attr:`readonly_reason` says why.
        require_write
            Raise :class:`CaseLockedError` instead of falling back to read-only.
        """
        path = Path(path)
        case_json = path / CASE_JSON
        if not path.exists():
            raise CaseError(f"case folder {path} does not exist",
                            "check the path, or create it with 'twindesk import' or 'twindesk demo'")
        if not case_json.is_file():
            raise CaseError(f"{path} is not a twindesk case (no case.json)",
                            "open the .twin folder itself, or import a DICOM folder first")
        lock, reason = None, None
        if write:
            lock = CaseLock(path)
            holder = lock.try_acquire()
            if holder:
                lock = None
                reason = f"read-only because {holder}"
                if require_write:
                    raise CaseLockedError(f"cannot write case {path}: {holder}",
                                          "close the case in the other program and try again")
        else:
            reason = "opened read-only on request"
        try:
            doc = cls._read_doc(case_json)
            doc, passed = migrate(doc, path)
            check_doc(doc, case_json)
        except BaseException:
            if lock:
                lock.release()
            raise
        case = cls(path, doc, lock, reason)
        if passed and case.writable:
            case.save("migrate", {"from_schema_versions": passed,
                                  "to_schema_version": CURRENT_SCHEMA_VERSION})
        return case

    @staticmethod
    def _read_doc(case_json: Path) -> dict[str, Any]:
        try:
            return json.loads(case_json.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise CaseError(f"{case_json} is not UTF-8 text ({exc.reason})",
                            "the file is damaged; restore it from a backup") from None
        except json.JSONDecodeError as exc:
            raise CaseError(f"{case_json} is not valid JSON (line {exc.lineno}: {exc.msg})",
                            "the file is damaged; restore it from a backup") from None

    def close(self) -> None:
        if self._lock:
            self._lock.release()
            self._lock = None
            self.readonly_reason = "closed"
        self._cache.clear()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ hand-over
    def lend(self, reason: str) -> Case:
        """Hand the write lock to a worker: returns a second :class:`Case` on this folder
        holding the lock and a copy of the document; this object is read-only (``reason``
        says why) until :meth:`take_back`.

        For long work that changes the case off the thread that owns it (the window runs
        a follow-up import or a recalibration as a job): the worker commits through its own
        object, and the owner cannot edit meanwhile, so neither overwrites the other.
        """
        import copy

        self._require_writable()
        worker = Case(self.path, copy.deepcopy(self.doc), self._lock, None)
        self._lock, self.readonly_reason = None, reason
        return worker

    def take_back(self, worker: Case) -> bool:
        """Reclaim the write lock lent to ``worker`` (which must no longer be used).

        The worker's document replaces this one when the worker committed (its revision
        moved on); uncommitted changes of a worker that failed are dropped, as they never
        reached the disk. Returns True when the document was replaced.
        """
        self._lock, self.readonly_reason = worker._lock, None
        worker._lock, worker.readonly_reason = None, "handed back"
        committed = worker.doc.get("revision") != self.doc.get("revision")
        if committed:
            self.doc = worker.doc
            self._cache.clear()
        return committed

    @property
    def writable(self) -> bool:
        return self._lock is not None and self._lock.held

    def _require_writable(self) -> None:
        if not self.writable:
            raise ReadOnlyCaseError(f"case {self.path} is {self.readonly_reason}",
                                    "close it elsewhere and reopen, or work on a copy")

    # --------------------------------------------------------------- artefacts
    def artifact(self, name: str) -> dict[str, Any] | None:
        return self.doc["artifacts"].get(name)

    def artifact_path(self, name: str) -> Path:
        rec = self.artifact(name)
        if rec is None:
            raise CaseError(f"case {self.path} has no '{name}'",
                            "run the step that produces it first")
        path = self.path / rec["path"]
        if not path.is_file():
            raise CaseError(f"case {self.path}: artefact '{name}' is missing ({rec['path']})",
                            "restore the case folder from a backup or redo that step")
        return path

    def put_artifact(self, name: str, writer: Callable[[Path], None], ext: str, kind: str,
                     meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write an artefact via ``writer(tmp_path)`` and index it under ``name``.

        Takes effect on disk at the next :meth:`save`.
        """
        self._require_writable()
        rec = art.store_with_writer(self.path, ext, writer, kind, meta)
        self.doc["artifacts"][name] = rec
        self._cache.pop(name, None)
        return rec

    def put_bytes(self, name: str, data: bytes, ext: str, kind: str,
                  meta: dict[str, Any] | None = None) -> dict[str, Any]:
        self._require_writable()
        rec = art.store_bytes(self.path, data, ext, kind, meta)
        self.doc["artifacts"][name] = rec
        self._cache.pop(name, None)
        return rec

    def put_json(self, name: str, obj: Any, kind: str,
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(obj, indent=1, sort_keys=True, allow_nan=False).encode("utf-8")
        return self.put_bytes(name, data, ".json", kind, meta)

    def read_json(self, name: str) -> Any:
        return json.loads(self.artifact_path(name).read_text(encoding="utf-8"))

    def remove_artifact(self, name: str) -> None:
        """Drop ``name`` from the index (the immutable file stays until garbage collection)."""
        self._require_writable()
        self.doc["artifacts"].pop(name, None)
        self._cache.pop(name, None)

    def cached(self, name: str, load: Callable[[Path], Any]) -> Any:
        """Load an artefact once per open case."""
        if name not in self._cache:
            self._cache[name] = load(self.artifact_path(name))
        return self._cache[name]

    # ------------------------------------------------------------------- image
    def image(self):
        """The case volume as a SimpleITK image (LPS, HU), loaded once."""
        from twindesk.io.volume import read_volume

        return self.cached("volume", read_volume)

    # ------------------------------------------------------------------ commit
    def save(self, action: str, params: dict[str, Any] | None = None) -> int:
        """Commit the in-memory document atomically and log the change. Returns the revision."""
        self._require_writable()
        doc = dict(self.doc)
        doc["schema_version"] = CURRENT_SCHEMA_VERSION
        doc["revision"] = int(doc.get("revision", 0)) + 1
        doc["modified_utc"] = art.now_utc()
        data = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False).encode("utf-8")
        atomic_write_bytes(self.path / CASE_JSON, data)
        self.doc = doc
        self.log_action(action, params)
        return doc["revision"]

    def audit_entries(self) -> list[dict[str, Any]]:
        log = self.path / AUDIT_LOG
        if not log.exists():
            return []
        entries = []
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line after a crash; earlier lines stay valid
        return entries

    def log_action(self, action: str, params: dict[str, Any] | None = None) -> None:
        """Append one audit entry; :meth:`save` calls it, and so do actions that change no
        case data (exports, reports)."""
        entry = {"time_utc": art.now_utc(), "user": current_user(), "host": socket.gethostname(),
                 "action": action, "params": params or {},
                 "revision": self.doc.get("revision", 0)}
        append_line(self.path / AUDIT_LOG,
                    json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str))
