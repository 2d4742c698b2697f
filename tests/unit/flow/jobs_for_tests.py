"""Job functions run in child processes by the subprocess-runner tests."""

import time

from twindesk.errors import InputError


def square(params, progress, cancel):
    progress(0.5, "halfway")
    return params * params


def bad_input(params, progress, cancel):
    raise InputError("field 'x' is wrong", "fix x")


def crash(params, progress, cancel):
    return 1 / 0


def sleepy(params, progress, cancel):
    progress(0.1, "started")
    time.sleep(params)
    return "finished"
