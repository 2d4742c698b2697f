"""Run a job function in a spawned child process so Cancel works even inside long library
calls (a sparse direct solve, a mesher) that never reach a ``cancel.check()``.

The child runs ``fn(params, progress, cancel)`` and sends progress messages, then the result
or the error, through a pipe. Cancelling terminates the child (SIGTERM, then SIGKILL after a
grace period) and raises :class:`~twindesk.errors.Cancelled` in the parent. ``fn`` and
``params`` must be picklable (a module-level function; frozen dataclass parameters).

Examples
--------
>>> from twindesk.jobs.subprocess_runner import run_in_child
>>> run_in_child("math:sqrt", 4.0, call="plain")  # doctest: +SKIP
2.0
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import time
import traceback
from collections.abc import Callable
from typing import Any

from twindesk import errors
from twindesk.jobs.core import CancelToken, Progress, null_progress

#: Minimum seconds between progress messages sent by the child (the pipe stays quiet).
PROGRESS_INTERVAL_S = 0.05
TERMINATE_GRACE_S = 2.0


class ChildJobError(RuntimeError):
    """An unexpected error inside the child process; ``details`` holds its traceback."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def _resolve(target: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(target):
        return target
    module, _, name = str(target).partition(":")
    return getattr(importlib.import_module(module), name)


class _PipeProgress:
    def __init__(self, conn):
        self.conn = conn
        self.last = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            self.last = now
            self.conn.send(("progress", float(fraction), str(message)))


def _child_main(conn, target, params, call: str) -> None:
    """Entry point of the child process."""
    try:
        fn = _resolve(target)
        if call == "plain":
            result = fn(params)
        else:
            result = fn(params, _PipeProgress(conn), CancelToken())
        conn.send(("result", result))
    except errors.TwindeskError as exc:
        conn.send(("error", type(exc).__name__, exc.message, exc.hint, traceback.format_exc()))
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent
        conn.send(("error", None, f"{type(exc).__name__}: {exc}", None, traceback.format_exc()))
    finally:
        conn.close()


def _rebuild_error(name: str | None, message: str, hint: str | None, tb: str) -> Exception:
    cls = getattr(errors, name, None) if name else None
    if isinstance(cls, type) and issubclass(cls, errors.TwindeskError):
        return cls(message, hint)
    return ChildJobError(f"internal error in the job process: {message}", tb)


def run_in_child(target: str | Callable[..., Any], params: Any,
                 progress: Progress | None = None, cancel: CancelToken | None = None, *,
                 call: str = "job", poll_s: float = 0.02) -> Any:
    """Run ``target(params, progress, cancel)`` in a spawned child process and return its result.

    Parameters
    ----------
    target
        A module-level job function or its ``"module:function"`` path.
    call
        ``"job"`` (the job protocol) or ``"plain"`` (``target(params)``).
    poll_s
        How often the parent checks for cancel and messages, seconds.

    Raises
    ------
    Cancelled
        When ``cancel`` was set; the child has been terminated.
    TwindeskError
        The child's own user-facing error, re-raised with its message and hint.
    ChildJobError
        Any other failure, including the child dying without an answer.
    """
    progress = progress or null_progress
    cancel = cancel or CancelToken()
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child_conn, target, params, call),
                       name="twindesk-job", daemon=True)
    proc.start()
    child_conn.close()
    try:
        while True:
            if cancel.cancelled:
                raise errors.Cancelled("The job was cancelled; nothing was saved.")
            if parent_conn.poll(poll_s):
                try:
                    msg = parent_conn.recv()
                except EOFError:
                    msg = None
                if msg is None:
                    proc.join(1.0)
                    raise ChildJobError(f"the job process ended without an answer "
                                        f"(exit code {proc.exitcode})")
                if msg[0] == "progress":
                    progress(msg[1], msg[2])
                elif msg[0] == "result":
                    return msg[1]
                else:
                    raise _rebuild_error(*msg[1:])
            elif not proc.is_alive() and not parent_conn.poll(0):
                raise ChildJobError(f"the job process ended without an answer "
                                    f"(exit code {proc.exitcode})")
    finally:
        _stop(proc)
        parent_conn.close()


def _stop(proc) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(TERMINATE_GRACE_S)
        if proc.is_alive():
            proc.kill()
            proc.join(TERMINATE_GRACE_S)
    else:
        proc.join(0.1)
    proc.close()
