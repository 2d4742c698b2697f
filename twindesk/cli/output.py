"""Printing results: one JSON object, or human text; errors on stderr; progress bars."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from twindesk.jobs import CancelToken


class CommandResult(dict):
    """A command's result: the JSON object, plus an optional human formatter."""

    def __init__(self, data: dict[str, Any], human: Callable[[dict[str, Any]], str] | None = None):
        super().__init__(data)
        self.human = human


def to_json(obj: Any) -> str:
    """Serialise strictly: NaN or infinity anywhere is an internal error, never printed."""
    return json.dumps(obj, allow_nan=False, ensure_ascii=False, indent=1)


def default_human(data: dict[str, Any], indent: int = 0) -> str:
    lines = []
    pad = "  " * indent
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.append(default_human(value, indent + 1))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{key}: ({len(value)})")
            for item in value:
                lines.append(default_human(item, indent + 1))
                lines.append("")
        else:
            lines.append(f"{pad}{key}: {value}")
    return "\n".join(line for line in lines if line is not None)


def emit(args: Any, result: Any) -> None:
    if result is None:
        return
    if getattr(args, "json", False):
        sys.stdout.write(to_json(dict(result)) + "\n")
    else:
        human = getattr(result, "human", None) or default_human
        text = human(dict(result))
        if text:
            sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()


def report_error(args: Any, message: str) -> None:
    command = getattr(args, "command", None)
    prefix = f"twindesk {command}" if command else "twindesk"
    sys.stderr.write(f"{prefix}: error: {message}\n")
    sys.stderr.flush()


class ProgressBar:
    """A stderr progress bar, shown once work has lasted a second (quiet in ``--json`` mode
    unless stderr is a terminal)."""

    def __init__(self, args: Any = None, label: str = "", stream=None, delay_s: float = 1.0):
        self.stream = stream or sys.stderr
        self.label = label
        self.quiet = bool(getattr(args, "json", False)) and not self.stream.isatty()
        self.tty = self.stream.isatty()
        self.t0 = time.monotonic()
        self.delay_s = delay_s
        self._last_pct = -1
        self._shown = False
        self.cancel = CancelToken()

    def __call__(self, fraction: float, message: str = "") -> None:
        if self.quiet or time.monotonic() - self.t0 < self.delay_s:
            return
        pct = int(round(100 * min(max(fraction, 0.0), 1.0)))
        if self.tty:
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            self.stream.write(f"\r{self.label} [{bar}] {pct:3d}% {message[:40]:<40}")
        elif pct // 10 != self._last_pct // 10:
            self.stream.write(f"{self.label} {pct:3d}% {message}\n")
        self._last_pct = pct
        self._shown = True
        self.stream.flush()

    def done(self) -> None:
        if self._shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
