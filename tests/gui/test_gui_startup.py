"""``twindesk selftest --startup-only``: the start-up phases it reports are process ages in
order, and a process's age agrees with the wall clock seen from outside."""

from __future__ import annotations

import time


def test_process_age_matches_the_wall_clock():
    # a child prints its own age and exits: the age cannot exceed the wall time seen from
    # here, start to exit (the old btime-based age overstated it by up to 1 s)
    import subprocess
    import sys

    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", "from twindesk.ui.selftest import "
                          "process_age_s; print(process_age_s())"], capture_output=True,
                         text=True, check=True).stdout
    wall = time.monotonic() - t0
    age = float(out)
    assert 0.0 < age <= wall + 0.02, (age, wall)


def test_startup_only_reports_ordered_phases(run_cli, qapp):
    r = run_cli("selftest", "--startup-only", "--json")
    assert r.code == 0, r.err
    phases = r.json["phases_s"]
    order = ["command_started", "modules_imported", "application_created", "window_built",
             "window_shown"]
    assert list(phases) == order
    ages = [phases[k] for k in order]
    assert ages == sorted(ages) and ages[0] > 0
    assert phases["window_shown"] == r.json["window_shown_s"]
