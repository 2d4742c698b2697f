"""The child-process job runner: results, progress, errors, immediate cancel."""

import threading
import time

import pytest

import jobs_for_tests as jobs
from twindesk.errors import Cancelled, InputError
from twindesk.jobs import CancelToken
from twindesk.jobs.subprocess_runner import JobError, SubprocessJob, run_in_subprocess, wait_for


def test_result_and_progress_come_back():
    seen = []
    assert run_in_subprocess(jobs.square, 7, progress=lambda f, m="": seen.append((f, m))) == 49
    assert seen == [(0.5, "halfway")]


def test_twindesk_error_keeps_class_message_and_hint():
    with pytest.raises(InputError) as err:
        run_in_subprocess(jobs.bad_input, None)
    assert err.value.message == "field 'x' is wrong" and err.value.hint == "fix x"


def test_internal_error_becomes_job_error_with_traceback():
    with pytest.raises(JobError) as err:
        run_in_subprocess(jobs.crash, None)
    assert "ZeroDivisionError" in err.value.message
    assert "1 / 0" in err.value.details


def test_cancel_terminates_the_child_at_once():
    cancel = CancelToken()
    started = threading.Event()

    def progress(f, m=""):
        started.set()
        cancel.cancel()

    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        run_in_subprocess(jobs.sleepy, 60, progress=progress, cancel=cancel)
    assert started.is_set()
    assert time.monotonic() - t0 < 30  # the 60 s sleep was cut short


def test_non_blocking_handle():
    job = SubprocessJob(jobs.sleepy, 0.1).start()
    assert wait_for(job, 60)
    assert job.result() == "finished"
    job2 = SubprocessJob(jobs.sleepy, 60).start()
    job2.poll(0.2)
    job2.cancel()
    with pytest.raises(Cancelled):
        job2.result()


def test_child_ends_when_its_parent_is_killed(tmp_path):
    """A parent killed without cancelling leaves no orphaned worker behind."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    pidfile = tmp_path / "child.pid"
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        sys.path[:0] = {[p for p in sys.path]!r}
        from twindesk.jobs.subprocess_runner import SubprocessJob
        import jobs_for_tests as jobs
        if __name__ == "__main__":
            job = SubprocessJob(jobs.sleepy, 120).start()
            open({str(pidfile)!r}, "w").write(str(job._proc.pid))
            job.poll(120)
    """))
    parent = subprocess.Popen([sys.executable, str(script)],
                              env={**os.environ, "PYTHONPATH": os.path.dirname(jobs.__file__)})
    for _ in range(600):
        if pidfile.exists() and pidfile.read_text():
            break
        time.sleep(0.1)
    child = int(pidfile.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the worker outlived its parent")
