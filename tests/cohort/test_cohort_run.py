"""``cohort run``: results per twin, resumable, failures recorded, local cluster and an
existing scheduler through the same code path, and the scheduler policy."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cohort.cohort_factory import make_source_case, root_result
from twindesk.errors import InputError
from twindesk.twin.cohort.runner import check_scheduler

PLAN = '[[steps]]\nrun = "size"\n\n[[steps]]\nrun = "simulate0d"\nsamples_per_cycle = 400\n'


@pytest.fixture
def cohort(run_cli, tmp_path):
    src = make_source_case(tmp_path / "src.twin")
    out = tmp_path / "cohort"
    r = run_cli("cohort", "make", "--from", src, "--n", "3", "--vary", "annulus_scale=0.9..1.1",
                "--vary", "co_l_min=4..6", "--seed", "2", out, "--json")
    assert r.code == 0, r.err
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    return out, plan, r.json


def table(cohort_dir: Path) -> list[dict]:
    with open(cohort_dir / "results" / "table.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_serial_run_results_resume_and_failure(run_cli, cohort):
    out, plan, made = cohort
    r = run_cli("cohort", "run", out, "--plan", plan, "--workers", "0", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert (d["n"], d["ran"], d["finished"], d["failed"]) == (3, 3, 3, 0)
    rows = table(out)
    assert [row["twin"] for row in rows] == [t["twin"] for t in made["twins"]]
    per0 = root_result()["annulus"]["perimeter_mm"]["value"]
    for row, t in zip(rows, made["twins"]):
        s, co = t["values"]["annulus_scale"], t["values"]["co_l_min"]
        assert float(row["size.annulus_perimeter_mm"]) == pytest.approx(s * per0, rel=1e-9)
        # the 0D model was refitted to the twin's cardiac-output target (0.1 % acceptance)
        assert float(row["simulate0d.cardiac_output_l_min"]) == pytest.approx(co, rel=2e-3)
        assert float(row["value.co_l_min"]) == pytest.approx(co)
    co_stats = d["summary"]["simulate0d.cardiac_output_l_min"]
    assert co_stats["n"] == 3 and co_stats["min"] <= co_stats["median"] <= co_stats["max"]
    assert all((out / p).is_file() for p in d["plots"]) and d["plots"]
    # resumable: nothing to do the second time
    again = run_cli("cohort", "run", out, "--plan", plan, "--workers", "0", "--json").json
    assert (again["ran"], again["skipped"], again["finished"]) == (0, 3, 3)
    # a broken twin fails alone, with its error; the rest stay finished
    broken = out / made["twins"][1]["path"] / "case.json"
    doc = json.loads(broken.read_text())
    doc["physiology"]["scenarios"]["baseline"]["parameters"]["c_ml_per_mmhg"] = -1.0
    broken.write_text(json.dumps(doc))
    (out / "results" / f"{made['twins'][1]['twin']}.json").unlink()
    third = run_cli("cohort", "run", out, "--plan", plan, "--workers", "0", "--json").json
    assert (third["ran"], third["finished"], third["failed"]) == (1, 2, 1)
    (fail,) = third["failures"]
    assert fail["twin"] == made["twins"][1]["twin"] and fail["step"] == "simulate0d"
    assert "c_ml_per_mmhg" in fail["error"]
    status = {row["twin"]: row["status"] for row in table(out)}
    assert list(status.values()) == ["ok", "failed", "ok"]


def test_bad_plan_is_refused(run_cli, cohort, tmp_path):
    out, _plan, _ = cohort
    bad = tmp_path / "bad.toml"
    bad.write_text('[[steps]]\nrun = "teleport"\n')
    r = run_cli("cohort", "run", out, "--plan", bad)
    assert r.code == 2 and "teleport" in r.err and "simulate0d" in r.err


def test_local_cluster_runs_with_one_blas_thread_per_worker(run_cli, cohort):
    out, plan, _ = cohort
    r = run_cli("cohort", "run", out, "--plan", plan, "--workers", "2", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["cluster"]["kind"] == "local" and d["cluster"]["workers"] == 2
    assert d["cluster"]["address"].startswith("tcp://127.0.0.1:")
    assert d["finished"] == 3
    pids = set()
    for t in json.loads((out / "cohort.json").read_text())["twins"]:
        rec = json.loads((out / "results" / f"{t['twin']}.json").read_text())
        assert rec["blas_threads"] == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                       "MKL_NUM_THREADS": "1"}
        pids.add(rec["worker_pid"])
    assert os.getpid() not in pids  # ran in worker processes
    # the plots were drawn on the workers: the same PNGs as drawn here, one per varying output
    from twindesk.twin.cohort import table as cohort_table

    manifest = json.loads((out / "cohort.json").read_text())
    results = [json.loads((out / "results" / f"{t['twin']}.json").read_text())
               for t in manifest["twins"]]
    specs = cohort_table.plot_specs(*cohort_table.rows(manifest, results))
    assert specs and sorted(d["plots"]) == sorted(f"results/plots/{s['name']}" for s in specs)
    for spec in specs:
        png = (out / "results" / "plots" / spec["name"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == cohort_table.render_plot(spec)


@pytest.mark.parametrize("address, deid, ok", [
    ("tcp://127.0.0.1:8786", False, True), ("localhost:8786", False, True),
    ("tcp://[::1]:8786", False, True), ("tcp://10.1.2.3:8786", True, False),
    ("tls://10.1.2.3:8786", False, False), ("tls://10.1.2.3:8786", True, True),
    ("tls://dask.hospital.example:8786", True, True), ("http://127.0.0.1:8786", True, False)])
def test_scheduler_policy(address, deid, ok):
    if ok:
        assert check_scheduler(address, deid) == address
    else:
        with pytest.raises(InputError) as err:
            check_scheduler(address, deid)
        assert err.value.hint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_existing_scheduler_and_workers_on_localhost(run_cli, cohort, tmp_path):
    out, plan, _ = cohort
    dask = shutil.which("dask", path=os.path.dirname(sys.executable))
    assert dask, "the dask command comes with the dask package"
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(tmp_path)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
        r = run_cli("cohort", "run", out, "--plan", plan, "--scheduler", address, "--json")
        assert r.code == 0, r.err
        d = r.json
        assert d["cluster"] == {"kind": "scheduler", "address": address, "workers": 2}
        assert d["finished"] == 3 and d["failed"] == 0
        pids = {json.loads(p.read_text())["worker_pid"]
                for p in (out / "results").glob("twin-*.json")}
        assert pids and os.getpid() not in pids
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
