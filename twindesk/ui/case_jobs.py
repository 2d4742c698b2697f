"""Running core functions that commit the open case from the window.

The window holds the case's write lock. A core function that changes the case and calls
``case.save`` itself (attach data, revert, follow-up import, recalibration) runs either

* on the UI thread when it is quick (:func:`commit_now`), or
* as a job on a *lent* copy of the case (:func:`start_case_job`): the job's own
  :class:`~twindesk.model.case.Case` holds the lock, the window's case is read-only
  meanwhile (brush strokes, measurements and undo are refused with the reason), and the
  lock and the committed document come back when the job ends, whatever the outcome.

Both first make sure there is no unsaved work, since the core function commits the whole
document under its own audit action (:func:`require_saved`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twindesk.errors import CaseError, ReadOnlyCaseError


def require_saved(window, purpose: str, *, write: bool = True) -> bool:
    """True when a case is open (writable if ``write``) with nothing unsaved; otherwise
    asks to save first (or reports why not) and returns False when that did not happen."""
    session = window.session
    if session is None or not window.state.has_volume:
        window.errors.report(CaseError("no case is open", "open or import a case first"))
        return False
    if write and not session.writable:
        window.errors.report(ReadOnlyCaseError(
            f"{session.path.name} is {session.case.readonly_reason}",
            "close it elsewhere (or wait for the running job) and try again"))
        return False
    if session.dirty and session.writable:
        answer = window.ask("Save changes first?",
                            f"{purpose} works on the saved case.\n\nSave your changes to "
                            f"{session.path.name} first?", ("Save", "Cancel"), "Save")
        if answer != "Save" or not window.save_case():
            return False
    return True


def commit_now(window, fn: Callable[..., Any], *args, **kwargs) -> Any:
    """Call ``fn(case, *args, **kwargs)`` on the window's case (quick work that saves);
    errors go to the error dialog and return None."""
    from twindesk.errors import TwindeskError

    session = window.session
    try:
        result = fn(session.case, *args, **kwargs)
    except TwindeskError as exc:
        window.errors.report(exc)
        return None
    session.mark_committed()
    window.case_committed()
    return result


def _lent_job(params, progress, cancel):
    fn, case, inner = params
    return fn(case, inner, progress, cancel)


def start_case_job(window, title: str, fn: Callable[..., Any], params: Any,
                   on_result: Callable[[Any], None] | None = None):
    """Run ``fn(case, params, progress, cancel)`` as a job on a lent copy of the open case.

    Returns the :class:`~twindesk.ui.jobs.Job`, or None when it did not start.
    """
    session = window.session
    worker = session.lend(f"busy: {title[0].lower()}{title[1:]} is running")
    done = {"back": False}

    def back() -> None:
        if not done["back"]:
            done["back"] = True
            session.take_back(worker)   # no-op when the case was closed meanwhile
            if window.session is session:
                window.case_committed()

    def succeeded(result) -> None:
        back()
        if on_result is not None:
            on_result(result)

    job = window.jobs.start(title, _lent_job, (fn, worker, params), succeeded,
                            on_cancelled=back, on_ended=back)
    if job is None:
        back()
    return job
