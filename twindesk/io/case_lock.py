"""One writer per case: an advisory ``flock`` on ``CASE/.lock``.

The lock dies with its process, so a crash never leaves a stale lock. The lock file records
who holds it so a second opener can be told why it got read-only access.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - getuser raises several types when no name is known
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


class CaseLock:
    """Holds the write lock of one case folder while alive."""

    def __init__(self, case_dir: Path):
        self.path = Path(case_dir) / ".lock"
        self._fd: int | None = None

    def try_acquire(self) -> str | None:
        """Take the lock. Returns ``None`` on success, else a sentence naming the holder."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            return f"its folder is not writable ({exc.strerror})"
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = self._read_holder(fd)
                os.close(fd)
                return holder
        info = {"user": current_user(), "host": socket.gethostname(), "pid": os.getpid(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return None

    @staticmethod
    def _read_holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        except (OSError, ValueError):
            info = {}
        who = info.get("user", "another user")
        where = info.get("host", "this computer")
        pid = info.get("pid", "?")
        since = info.get("since", "?")
        return f"it is open for writing by {who} on {where} (process {pid}, since {since})"

    def release(self) -> None:
        if self._fd is not None:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
