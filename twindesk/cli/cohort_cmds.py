"""``twindesk cohort make`` / ``twindesk cohort run``: virtual cohorts and in-silico trials."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("cohort", help="virtual cohorts of twins and in-silico trials")
    csub = p.add_subparsers(dest="cohort_command", metavar="ACTION", required=True)
    m = csub.add_parser(
        "make", parents=[common], help="build a reproducible virtual cohort from a case",
        description="Latin-hypercube sample of the varied quantities; one twin case folder "
                    "each (anatomy scaled by annulus_scale about the annulus centre, 0D "
                    "parameters and targets set), plus OUT/cohort.json.")
    m.add_argument("--from", dest="source", type=Path, required=True, metavar="CASE")
    m.add_argument("--n", type=int, required=True, help="number of twins")
    m.add_argument("--vary", action="append", default=[], metavar="NAME=LOW..HIGH",
                   help="e.g. annulus_scale=0.9..1.1, co_l_min=4..6, c_ml_per_mmhg=0.8..1.6")
    m.add_argument("--seed", type=int, default=0, help="random seed (same seed, same cohort)")
    m.add_argument("--with-images", action="store_true",
                   help="also copy the CT volume and label masks (scaled grids) into each twin")
    m.add_argument("out", type=Path, metavar="OUT", help="new cohort folder")
    m.set_defaults(handler=cmd_make)
    r = csub.add_parser(
        "run", parents=[common], help="run a plan over every twin (Dask)",
        description="Runs PLAN.toml on every twin on a local Dask cluster (127.0.0.1, one "
                    "BLAS thread per worker) or an existing scheduler. Finished twins are "
                    "skipped; failures are recorded per twin.")
    r.add_argument("cohort", type=Path, metavar="COHORT")
    r.add_argument("--plan", type=Path, required=True, metavar="PLAN.toml",
                   help="[[steps]] run in order per twin: calibrate, size, place (size and "
                        "deploy a TAVR device, fast model), simulate0d")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="existing Dask scheduler (tcp://127.0.0.1:8786; another machine only "
                        "with tls:// and a de-identified cohort)")
    r.add_argument("--workers", type=int, default=2,
                   help="local worker processes (0: serial in this process; default 2)")
    r.set_defaults(handler=cmd_run)


def cmd_make(args: argparse.Namespace) -> CommandResult:
    from twindesk.twin.cohort.make import CohortMakeParams, run
    from twindesk.twin.cohort.variables import parse_vary

    params = CohortMakeParams(args.source, args.out, args.n,
                              tuple(parse_vary(v) for v in args.vary), args.seed,
                              args.with_images)
    bar = ProgressBar(args, "cohort make")
    try:
        result = run(params, bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult({"action": "make", **result}, _human_make)


def _human_make(d: dict[str, Any]) -> str:
    varied = ", ".join(f"{v['name']} {v['low']:g}..{v['high']:g}" for v in d["variables"])
    return (f"Made {d['n']} twins ({d['cohort_id']}, seed {d['seed']}, {d['sampling']}"
            f"{': ' + varied if varied else ''}) in {d['dir']}")


def cmd_run(args: argparse.Namespace) -> CommandResult:
    from twindesk.twin.cohort.plan import read_plan
    from twindesk.twin.cohort.runner import CohortRunParams, run

    params = CohortRunParams(args.cohort, read_plan(args.plan), args.scheduler, args.workers)
    bar = ProgressBar(args, "cohort run")
    try:
        result = run(params, bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult({"action": "run", **result}, _human_run)


def _human_run(d: dict[str, Any]) -> str:
    lines = [f"{d['finished']} of {d['n']} twins finished ({d['ran']} run, {d['skipped']} "
             f"already done, {d['failed']} failed) in {d['seconds']:.1f} s on "
             f"{d['cluster']['kind']} ({d['cluster']['workers']} workers)",
             f"Table: {d['files']['table_csv']}"]
    lines += [f"  {f['twin']}: {f['step']}: {f['error']}" for f in d["failures"]]
    return "\n".join(lines)
