"""Jobs off the UI thread: a worker thread per job, or a child process for work that cannot
stop inside a library call; progress bar and Cancel in the status bar.

A job is ``fn(params, progress, cancel) -> result`` (``twindesk.jobs``). Results and errors
come back to the UI thread through queued signals; the caller's ``on_result`` runs there, so
only the UI thread ever touches the open case.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from twindesk.errors import Cancelled
from twindesk.jobs import CancelToken

PROGRESS_INTERVAL_S = 0.2  # at most 5 progress repaints a second: each one recomposites the window


class JobSignals(QObject):
    progress = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object, str)   # exception, traceback text
    cancelled = Signal()
    ended = Signal()


class _Runnable(QRunnable):
    def __init__(self, fn, params, signals: JobSignals, cancel: CancelToken, child: bool):
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.params, self.signals, self.cancel, self.child = fn, params, signals, \
            cancel, child
        self._last = 0.0

    def _progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            self._last = now
            self.signals.progress.emit(float(fraction), str(message))
        if not self.child:
            self.cancel.check()

    def run(self) -> None:
        try:
            if self.child:
                from twindesk.jobs.subprocess_runner import run_in_subprocess

                result = run_in_subprocess(self.fn, self.params, self._progress, self.cancel,
                                           poll_s=0.02)
            else:
                result = self.fn(self.params, self._progress, self.cancel)
            if self.cancel.cancelled:
                raise Cancelled("The job was cancelled; nothing was saved.")
            self.signals.succeeded.emit(result)
        except Cancelled:
            self.signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - reported once, in the UI thread
            self.signals.failed.emit(exc, traceback.format_exc())
        finally:
            self.signals.ended.emit()


class Job:
    """A running job: its title, cancel token and signals."""

    def __init__(self, title: str, cancel: CancelToken, signals: JobSignals):
        self.title, self.cancel_token, self.signals = title, cancel, signals
        self.done = False
        self.outcome = ""  # "ok" | "failed" | "cancelled"

    def cancel(self) -> None:
        self.cancel_token.cancel()


class JobManager(QObject):
    """Starts jobs and tracks the one the status bar shows (one user job at a time)."""

    job_started = Signal(object)
    job_progress = Signal(float, str)
    job_ended = Signal(object)

    def __init__(self, report_error: Callable[[BaseException, str], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.report_error = report_error
        self.current: Job | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None and not self.current.done

    def start(self, title: str, fn: Callable[..., Any], params: Any,
              on_result: Callable[[Any], None] | None = None, *, child: bool = False,
              on_cancelled: Callable[[], None] | None = None,
              on_ended: Callable[[], None] | None = None) -> Job | None:
        """Run ``fn(params, progress, cancel)`` off the UI thread.

        ``child=True`` runs it in a spawned process (``fn`` must be picklable), so Cancel
        terminates it even inside a long library call. ``on_ended`` runs last, whatever the
        outcome (success, failure or cancel). While another job runs, the user is told so
        and None is returned.
        """
        if self.busy:  # told to the user once, like any other error
            from twindesk.errors import InputError

            self.report_error(InputError(f"'{self.current.title}' is still running",
                                         "wait for it to finish or press Cancel first"), "")
            return None
        # Parented to the manager (UI thread): the worker thread drops its Python reference
        # when the runnable ends, and an unparented QObject would then be destroyed in that
        # thread while its queued signals are still on their way (a sporadic crash in the
        # slots). Owned by Qt, it is deleted in the UI thread after its last signal.
        signals = JobSignals(self)
        job = Job(title, CancelToken(), signals)

        def succeeded(result):
            job.outcome, job.done = "ok", True  # callbacks may start the next job
            if on_result is not None:
                try:
                    on_result(result)
                except BaseException as exc:  # noqa: BLE001 - one error path
                    self.report_error(exc, traceback.format_exc())

        def failed(exc, tb):
            job.outcome, job.done = "failed", True
            self.report_error(exc, tb)

        def cancelled():
            job.outcome, job.done = "cancelled", True
            if on_cancelled is not None:
                on_cancelled()

        def ended():
            job.done = True
            if on_ended is not None:
                try:
                    on_ended()
                except BaseException as exc:  # noqa: BLE001 - one error path
                    self.report_error(exc, traceback.format_exc())
            self.job_ended.emit(job)
            signals.deleteLater()

        signals.succeeded.connect(succeeded)
        signals.failed.connect(failed)
        signals.cancelled.connect(cancelled)
        signals.progress.connect(self.job_progress)
        signals.ended.connect(ended)
        self.current = job
        self.job_started.emit(job)
        self.pool.start(_Runnable(fn, params, signals, job.cancel_token, child))
        return job

    def cancel(self) -> None:
        if self.busy:
            self.current.cancel()

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Cancel and wait for running jobs (closing the window)."""
        self.cancel()
        self.pool.waitForDone(timeout_ms)


class JobBar(QWidget):
    """Status-bar widget: job title, progress bar, Cancel button (hidden when idle)."""

    def __init__(self, manager: JobManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("job_bar")
        self.manager = manager
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(180)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("job_cancel")
        self.cancel_button.clicked.connect(manager.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            layout.addWidget(w)
        manager.job_started.connect(self._started)
        manager.job_progress.connect(self._progress)
        manager.job_ended.connect(lambda _job: self.hide())
        self.hide()

    def _started(self, job: Job) -> None:
        self.label.setText(job.title)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        self.show()

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))
        self.bar.setFormat(f"%p%  {message[:28]}" if message else "%p%")
