"""Immutable, content-addressed artefact files inside a case folder.

An artefact is written to ``CASE/artifacts/<sha256>.<ext>`` (temp + fsync + rename) before
``case.json`` names it, so a crash can leave an unreferenced file but never a referenced
file that is incomplete.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twindesk.io.atomic import atomic_move_into

ARTIFACTS = "artifacts"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _record(case_dir: Path, final: Path, digest: str, kind: str,
            meta: dict[str, Any] | None) -> dict[str, Any]:
    return {"path": final.relative_to(case_dir).as_posix(), "sha256": digest, "kind": kind,
            "bytes": final.stat().st_size, "created_utc": now_utc(), "meta": dict(meta or {})}


def store_with_writer(case_dir: Path, ext: str, writer: Callable[[Path], None], kind: str,
                      meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Let ``writer(tmp_path)`` produce a file, then store it under its content hash.

    ``ext`` includes the dot (``".mha"``, ``".vtp"``); the writer must produce that format.
    """
    folder = Path(case_dir) / ARTIFACTS
    folder.mkdir(exist_ok=True)
    tmp = folder / f".incoming-{secrets.token_hex(6)}{ext}"
    try:
        writer(tmp)
        digest = sha256_file(tmp)
        final = folder / f"{digest}{ext}"
        if final.exists():
            tmp.unlink()
        else:
            atomic_move_into(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return _record(Path(case_dir), final, digest, kind, meta)


def store_bytes(case_dir: Path, data: bytes, ext: str, kind: str,
                meta: dict[str, Any] | None = None) -> dict[str, Any]:
    def write(tmp: Path) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    return store_with_writer(case_dir, ext, write, kind, meta)


def adopt_in_place(case_dir: Path, src: Path, kind: str,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Index an existing file inside the case where it lies (migrations of old layouts).

    Nothing on disk changes, so a read-only open can migrate in memory.
    """
    return _record(Path(case_dir), Path(src), sha256_file(src), kind, meta)


def verify(case_dir: Path, record: dict[str, Any]) -> bool:
    """True when the artefact file exists and matches its recorded hash."""
    path = Path(case_dir) / record["path"]
    return path.is_file() and sha256_file(path) == record["sha256"]
