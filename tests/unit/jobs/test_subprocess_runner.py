"""Jobs in a child process: results, progress, errors, and a prompt cancel of a call that
never checks its cancel token."""

import threading
import time

import pytest

from twindesk.errors import Cancelled, InputError
from twindesk.jobs import CancelToken
from twindesk.jobs.subprocess_runner import ChildJobError, run_in_child


def squares_job(n, progress, cancel):
    for i in range(n):
        progress((i + 1) / n, f"step {i + 1}")
        time.sleep(0.06)
    return [i * i for i in range(n)]


def failing_job(params, progress, cancel):
    raise InputError("bad.dcm: not DICOM", "choose a DICOM folder")


def crashing_job(params, progress, cancel):
    return 1 / 0


def test_result_and_progress():
    seen = []
    assert run_in_child(squares_job, 4, lambda f, m="": seen.append((f, m))) == [0, 1, 4, 9]
    assert seen and seen[-1] == (1.0, "step 4")


def test_errors_cross_the_process_boundary():
    with pytest.raises(InputError) as info:
        run_in_child(failing_job, None)
    assert info.value.hint == "choose a DICOM folder"
    with pytest.raises(ChildJobError, match="ZeroDivisionError") as info:
        run_in_child(crashing_job, None)
    assert "1 / 0" in info.value.details


def test_cancel_stops_an_uninterruptible_call_promptly():
    cancel = CancelToken()
    threading.Timer(1.5, cancel.cancel).start()  # the child is importing/sleeping by then
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        run_in_child("time:sleep", 60.0, cancel=cancel, call="plain")
    assert time.monotonic() - t0 < 1.5 + 3.0
