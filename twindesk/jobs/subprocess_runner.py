"""Run a job function in a child process so it can be cancelled at once.

A library call deep inside a sparse solver cannot poll a cancel flag, so long numerical jobs
run in a ``multiprocessing`` *spawn* child: cancel terminates the child immediately, progress
messages come back over a pipe, and exceptions come back as messages (a
:class:`~twindesk.errors.TwindeskError` is re-raised in the parent with its class, message and
hint; anything else becomes a :class:`JobError` carrying the child's traceback).

The job is named ``"package.module:function"`` (or given as a module-level function) and
follows the job protocol ``fn(params, progress, cancel) -> result``; ``params`` and the result
must be picklable.

Examples
--------
Blocking, as the CLI does::

    result = run_in_subprocess("twindesk.sim.flow.job:run", params, progress=bar)

Non-blocking, as the GUI does (poll from a timer)::

    handle = SubprocessJob("twindesk.sim.flow.job:run", params).start()
    ...
    for fraction, message in handle.poll(): update_bar(fraction, message)
    if handle.done: result = handle.result()
    handle.cancel()  # returns at once; the child is terminated
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import time
import traceback
from collections.abc import Callable
from typing import Any

from twindesk import errors
from twindesk.errors import Cancelled, TwindeskError
from twindesk.jobs.core import CancelToken, Progress, null_progress

#: Minimum seconds between progress messages the child sends (the final one always goes).
PROGRESS_INTERVAL_S = 0.05


class JobError(TwindeskError):
    """A job failed inside its worker process with an internal error.

    ``details`` holds the child's traceback text.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, details: str = ""):
        super().__init__(message, hint)
        self.details = details


def _resolve(target: str | Callable) -> Callable:
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _exit_with_parent(parent_pid: int) -> None:
    """Daemon thread: end this child when its parent is gone (killed without cancelling),
    so no orphaned solver keeps a core busy."""
    import os
    import threading

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _child_main(target, params, conn, parent_pid: int | None = None) -> None:  # in the child
    if parent_pid is not None:
        _exit_with_parent(parent_pid)

    last = [float("-inf")]

    def progress(fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            last[0] = now
            conn.send(("progress", float(fraction), str(message)))

    try:
        result = _resolve(target)(params, progress, CancelToken())
        conn.send(("ok", result))
    except TwindeskError as exc:
        conn.send(("twindesk_error", type(exc).__name__, exc.message, exc.hint))
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent as a message
        conn.send(("crash", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        conn.close()


def _rebuild_error(name: str, message: str, hint: str | None) -> TwindeskError:
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, TwindeskError):
        return cls(message, hint)
    return TwindeskError(message, hint)


class SubprocessJob:
    """One job in a spawn child: :meth:`start`, :meth:`poll`, :meth:`cancel`, :meth:`result`."""

    def __init__(self, target: str | Callable, params: Any):
        self.target, self.params = target, params
        self._proc: mp.process.BaseProcess | None = None
        self._conn = None
        self._outcome: tuple | None = None
        self._cancelled = False

    def start(self) -> SubprocessJob:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        import os

        self._proc = ctx.Process(target=_child_main,
                                 args=(self.target, self.params, child, os.getpid()), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent
        return self

    @property
    def done(self) -> bool:
        return self._outcome is not None

    def poll(self, timeout_s: float = 0.0) -> list[tuple[float, str]]:
        """Progress messages received since the last call; sets :attr:`done` when the child
        has finished (or died)."""
        events: list[tuple[float, str]] = []
        if self._outcome is not None or self._conn is None:
            return events
        wait = timeout_s
        alive = True
        while True:
            if not self._conn.poll(wait):
                if alive and self._proc is not None and not self._proc.is_alive():
                    alive = False  # drain what was sent just before exit, then stop
                    wait = 0.0
                    continue
                break
            wait = 0.0
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "progress":
                events.append((msg[1], msg[2]))
            else:
                self._outcome = msg
                self._finish()
                return events
        if self._proc is not None and not self._proc.is_alive() and self._outcome is None:
            code = self._proc.exitcode
            self._outcome = ("crash", f"worker process exited with code {code} and no result",
                             "")
            self._finish()
        return events

    def _finish(self) -> None:
        if self._proc is not None:
            self._proc.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def cancel(self) -> None:
        """Terminate the child now; :meth:`result` then raises :class:`Cancelled`."""
        self._cancelled = True
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
        self._outcome = ("cancelled",)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def result(self) -> Any:
        if self._outcome is None:
            raise RuntimeError("SubprocessJob.result() called before the job finished")
        kind = self._outcome[0]
        if kind == "ok":
            return self._outcome[1]
        if kind == "cancelled":
            raise Cancelled("The job was cancelled; nothing was saved.")
        if kind == "twindesk_error":
            raise _rebuild_error(*self._outcome[1:])
        raise JobError(f"the job failed in its worker process: {self._outcome[1]}",
                       "rerun with --debug and report it to the developers",
                       details=self._outcome[2])


def run_in_subprocess(target: str | Callable, params: Any, progress: Progress | None = None,
                      cancel: CancelToken | None = None, poll_s: float = 0.1) -> Any:
    """Run ``target(params, progress, cancel)`` in a spawn child and return its result.

    ``cancel`` is watched every ``poll_s`` seconds; when set, the child is terminated and
    :class:`~twindesk.errors.Cancelled` raised. A ``KeyboardInterrupt`` also terminates it.
    """
    progress = progress or null_progress
    job = SubprocessJob(target, params).start()
    try:
        while not job.done:
            for fraction, message in job.poll(poll_s):
                progress(fraction, message)
            if cancel is not None and cancel.cancelled:
                job.cancel()
                break
    except BaseException:
        job.cancel()
        raise
    return job.result()


def wait_for(job: SubprocessJob, timeout_s: float) -> bool:
    """Poll ``job`` until done or ``timeout_s`` elapsed; True when done (tests, scripts)."""
    end = time.monotonic() + timeout_s
    while not job.done and time.monotonic() < end:
        job.poll(0.05)
    return job.done
