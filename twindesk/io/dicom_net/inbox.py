"""The DICOM inbox: received files laid out as ``INBOX/<study>/<series>/<sop>.dcm``.

Every path component comes from a UID that arrived over the network, so it is used only if
it is a syntactically valid UID; anything else is replaced by a hash. Files are written
atomically, so a half-received file never appears.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from twindesk import paths
from twindesk.io.atomic import append_line, atomic_write_bytes

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def default_inbox() -> Path:
    return paths.user_data_dir() / "inbox"


def safe_uid_component(uid: object) -> str:
    """A path component for a UID: the UID itself when valid, else ``x`` + a hash."""
    text = str(uid or "").strip().rstrip("\0")
    if 0 < len(text) <= 64 and _UID.match(text):
        return text
    return "x" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:24]


def store_file(inbox: Path, study_uid: object, series_uid: object, sop_uid: object,
               data: bytes) -> Path:
    """Write one received instance atomically; returns its path."""
    folder = Path(inbox) / safe_uid_component(study_uid) / safe_uid_component(series_uid)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_uid_component(sop_uid)}.dcm"
    atomic_write_bytes(path, data)
    return path


def log_event(inbox: Path, event: dict[str, Any]) -> None:
    """Append to the inbox's own log (who sent what, when)."""
    entry = {"time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **event}
    append_line(Path(inbox) / "inbox-log.jsonl", json.dumps(entry, sort_keys=True, default=str))


def list_inbox(inbox: Path) -> list[dict[str, Any]]:
    """Series in the inbox with file counts and the describing tags of one file each."""
    series = []
    inbox = Path(inbox)
    if not inbox.is_dir():
        return series
    for folder in sorted(p for p in inbox.glob("*/*") if p.is_dir()):
        files = sorted(folder.glob("*.dcm"))
        if not files:
            continue
        # pydicom only when there is a file to read: the main window lists the (usually
        # empty) inbox while it opens, and pydicom costs ~0.4 s of start-up
        import pydicom

        entry: dict[str, Any] = {"folder": str(folder), "n_files": len(files)}
        try:
            ds = pydicom.dcmread(files[0], stop_before_pixels=True,
                                 specific_tags=["StudyInstanceUID", "SeriesInstanceUID",
                                                "Modality", "SeriesDescription", "PatientID",
                                                "StudyDate", "SpecificCharacterSet"])
            entry.update({"study_uid": str(ds.get("StudyInstanceUID", "")),
                          "series_uid": str(ds.get("SeriesInstanceUID", "")),
                          "modality": str(ds.get("Modality", "")),
                          "description": str(ds.get("SeriesDescription", "")),
                          "study_date": str(ds.get("StudyDate", ""))})
        except (OSError, ValueError, AttributeError) as exc:
            entry["problem"] = f"{files[0].name}: unreadable ({exc})"
        series.append(entry)
    return series
