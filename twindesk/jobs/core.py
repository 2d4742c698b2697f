"""The job protocol shared by the CLI, the GUI and tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from twindesk.errors import Cancelled

R = TypeVar("R")


class Progress(Protocol):
    """Progress callback: ``progress(fraction, message)`` with fraction in [0, 1]."""

    def __call__(self, fraction: float, message: str = "") -> None: ...


def null_progress(fraction: float, message: str = "") -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """Thread-safe cancel flag. Jobs call :meth:`check` between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`~twindesk.errors.Cancelled` if cancel was requested."""
        if self._event.is_set():
            raise Cancelled("The job was cancelled; nothing was saved.")


class ProgressReporter:
    """Maps a sub-step's [0, 1] progress into a slice of the parent's range.

    Examples
    --------
    >>> seen = []
    >>> rep = ProgressReporter(lambda f, m="": seen.append(round(f, 2)))
    >>> sub = rep.sub(0.5, 1.0)
    >>> sub(0.5, "half of second half")
    >>> seen
    [0.75]
    """

    def __init__(self, progress: Progress | None, start: float = 0.0, stop: float = 1.0,
                 cancel: CancelToken | None = None):
        self._progress = progress or null_progress
        self.start, self.stop = start, stop
        self.cancel = cancel

    def __call__(self, fraction: float, message: str = "") -> None:
        if self.cancel is not None:
            self.cancel.check()
        fraction = min(max(float(fraction), 0.0), 1.0)
        self._progress(self.start + (self.stop - self.start) * fraction, message)

    def sub(self, start: float, stop: float) -> ProgressReporter:
        span = self.stop - self.start
        return ProgressReporter(self._progress, self.start + span * start,
                                self.start + span * stop, self.cancel)


def run_job(fn: Callable[..., R], params: Any, progress: Progress | None = None,
            cancel: CancelToken | None = None) -> R:
    """Run a job function synchronously with default progress/cancel objects."""
    return fn(params, progress or null_progress, cancel or CancelToken())
