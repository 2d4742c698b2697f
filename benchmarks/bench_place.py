"""Benchmark: ``twindesk place`` on the demo phantom (goals: full ≤ 60 s, fast ≤ 2 s per size).

Builds the demo phantom in a temporary folder and prepares it as a user would: ``twindesk
segment`` (aorta, LV) and ``twindesk measure`` (automatic hinges). Then, for each device
size, times

* ``command``: ``twindesk place CASE --device ID --size MM --model M --json`` in-process
  (``twindesk.cli.main``), which deploys once and reruns the fast model four times for the
  intervals, and stores the results;
* ``deploy``: the deployment inside that command (``deploy_seconds`` of its output);
* ``process``: the same command as a whole process (``python -m twindesk place``);
* ``raw``: the bare mechanics call ``twindesk.sim.mechanics.api.place`` on the same
  surface and placement (no measures, intervals or storing).

Full-model runs clear the in-memory crimp cache first (every process pays crimping), fast
runs keep the calibration cache on disk (as after the first use on a machine). Ratios are
``deploy / raw`` (overhead of the integration around one deployment) and ``command / raw``.

    python benchmarks/bench_place.py [--repeat 5] [--sizes se-valve-evolutlike:29,be-valve-s3like:23]
        [--models fast,full] [--workdir DIR]

Prints one JSON line with medians (seconds), ratios and whether the goals are met.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

GOALS_S = {"full": 60.0, "fast": 2.0}


def cli(*argv) -> dict:
    from twindesk.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    if code != 0:
        raise RuntimeError(f"twindesk {' '.join(map(str, argv))}: {err.getvalue()}")
    return json.loads(out.getvalue())


def prepare(workdir: Path) -> Path:
    """Demo phantom, segmented and measured (reused when already there)."""
    from twindesk.phantom.demo import DemoParams, run

    case = run(DemoParams(workdir)).case_path
    from twindesk.model.case import Case

    with Case.open(case, write=False) as c:
        have = set(c.doc["artifacts"])
    for structure in ("aorta", "lv"):
        if f"labels:{structure}" not in have:
            cli("segment", case, "--structure", structure, "--json")
    if "result:measure:root" not in have:
        cli("measure", case, "--json")
    return case


def raw_inputs(case: Path, device_id: str, size: float):
    from twindesk.model.case import Case
    from twindesk.model.devices import load_library
    from twindesk.sim.tavr.place_job import deploy_params, prepare as prep_case

    lib = load_library()
    with Case.open(case, write=False) as c:
        prep = prep_case(c, lib, lib.family(device_id), store_surface=False)
    dp = deploy_params(prep, size, None, 0.0, "fast")
    return dp.device, dp.tissue(), dp.placement()


def median_time(fn, repeat: int) -> tuple[float, list]:
    times, outs = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        outs.append(fn())
        times.append(time.perf_counter() - t)
    return statistics.median(times), outs


def bench_size(case: Path, device_id: str, size: float, model: str, repeat: int) -> dict:
    from twindesk.sim.mechanics import api

    device, tissue, placement = raw_inputs(case, device_id, size)
    args = ("place", case, "--device", device_id, "--size", f"{size:g}", "--model", model,
            "--json")

    def clear():
        if model == "full":
            api.crimped_frame.cache_clear()

    api.place(device, tissue, placement, model="fast")      # calibrate once (disk cache)

    def raw():
        clear()
        return api.place(device, tissue, placement, model=model)

    def command():
        clear()
        return cli(*args)

    t_raw, _ = median_time(raw, repeat)
    t_cmd, outs = median_time(command, repeat)
    t_deploy = statistics.median(o["deploy_seconds"] for o in outs)
    t_proc, _ = median_time(lambda: subprocess.run(
        [sys.executable, "-m", "twindesk", *map(str, args)], check=True,
        capture_output=True), repeat)
    return {"device": device_id, "size_mm": size, "model": model, "repeat": repeat,
            "raw_s": round(t_raw, 3), "deploy_s": round(t_deploy, 3),
            "command_s": round(t_cmd, 3), "process_s": round(t_proc, 3),
            "deploy_over_raw": round(t_deploy / t_raw, 3),
            "command_over_raw": round(t_cmd / t_raw, 3),
            "goal_s": GOALS_S[model], "meets_goal": bool(t_deploy <= GOALS_S[model])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="se-valve-evolutlike:29,be-valve-s3like:23")
    ap.add_argument("--models", default="fast,full")
    ap.add_argument("--workdir", type=Path, help="reuse a prepared demo folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        case = prepare(args.workdir or Path(tmp) / "demo")
        setup = time.perf_counter() - t0
        rows = []
        for model in args.models.split(","):
            for item in args.sizes.split(","):
                device_id, size = item.split(":")
                rows.append(bench_size(case, device_id, float(size), model, args.repeat))
    print(json.dumps({"benchmark": "place", "setup_s": round(setup, 1), "results": rows}))


if __name__ == "__main__":
    main()
