"""``twindesk verify``: verification and validation of the 3D flow solver."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar

CHECK_NAMES = ("poiseuille", "fda_nozzle", "mesh_convergence", "womersley")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("verify", parents=[common],
                       help="run the flow solver's verification and validation checks")
    p.add_argument("--check", action="append", choices=CHECK_NAMES, metavar="NAME",
                   help="run only this check (repeatable): " + ", ".join(CHECK_NAMES))
    p.add_argument("--re", type=float, default=500.0, metavar="N",
                   help="throat Reynolds number of the FDA nozzle (500, 2000, 3500, 5000, 6500)")
    p.add_argument("--size", choices=("full", "reduced"), default="full",
                   help="full (minutes) or reduced meshes (as in the tests)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder for the result JSON and plots (default: per-user data folder)")
    p.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_verify)


def _miss_reading(s: dict, admits: dict) -> str:
    """How a station outside its band could read inside it: moved along the axis, or at
    another inflow (when the check solved at two)."""
    from twindesk.sim.flow.nozzle_check import fraction_text

    shift = s.get("position_shift_mm")
    if shift is None:
        parts = ["in band nowhere within ±2 mm along the axis"]
    else:
        dist = "< 0.01" if abs(shift) < 0.005 else f"{abs(shift):.2f}"
        parts = [f"would read in band {dist} mm {'downstream' if shift > 0 else 'upstream'}"]
    if s["z_mm"] in admits:
        iv = admits[s["z_mm"]]
        parts.append("in band at no inflow" if iv is None else
                     f"would read in band at inflow {fraction_text(iv[0])}–"
                     f"{fraction_text(iv[1])} × nominal")
    return "; ".join(parts)


def _consistency_line(ic: dict) -> str:
    from twindesk.sim.flow.nozzle_check import consistency_sentence

    f1, f2 = ic["flows_fraction_of_nominal"]
    return (f"inflow consistency (solves at {f1:.3f} and {f2:.3f} × nominal; bounds outside "
            f"them are extrapolated): {consistency_sentence(ic)}")


def _human(d: dict[str, Any]) -> str:
    lines = []
    for c in d["checks"]:
        lines.append(f"{'PASS' if c['passed'] else 'FAIL'}  {c['name']:<17} error "
                     f"{c['error']:.3g} (tolerance {c['tolerance']:.3g}: {c['metric']})  "
                     f"{c['seconds']:.0f} s")
        for w in c["warnings"]:
            lines.append(f"      warning: {w}")
        ic = c["details"].get("inflow_consistency") or {}
        admits = {s["z_mm"]: s["admissible_flow_fraction_of_nominal"]
                  for s in ic.get("stations", [])}
        for s in c["details"].get("stations", []):
            if s["predicted_m_s"] is None:
                continue
            band = ("" if s["measured_min_m_s"] is None else
                    f"measured {s['measured_min_m_s']:.3f}–{s['measured_max_m_s']:.3f}")
            mark = {True: "ok", False: "OUT", None: "-"}[s["within"]]
            line = (f"      z {s['z_mm']:7.1f} mm  predicted {s['predicted_m_s']:.3f} m/s"
                    f"  {band}  {mark}")
            if s["within"] is False:
                line += f"  ({_miss_reading(s, admits)})"
            lines.append(line)
        if ic:
            lines.append("      " + _consistency_line(ic))
    lines.append(f"{'All checks passed' if d['passed'] else 'Some checks failed'}; "
                 f"results in {d['results_file']}")
    return "\n".join(lines)


def cmd_verify(args: argparse.Namespace) -> CommandResult:
    from twindesk.jobs import run_job
    from twindesk.jobs.subprocess_runner import run_in_subprocess
    from twindesk.paths import user_data_dir
    from twindesk.sim.flow.provenance import software_versions
    from twindesk.sim.flow.verify import VerifyParams, run

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out_dir = args.out or (user_data_dir() / "verification" / stamp)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = VerifyParams(tuple(args.check or CHECK_NAMES), args.size, float(args.re),
                          str(out_dir))
    bar = ProgressBar(args, "verify")
    t0 = time.perf_counter()
    try:
        if args.in_process:
            checks = run_job(run, params, bar, bar.cancel)
        else:
            checks = run_in_subprocess("twindesk.sim.flow.verify:run", params, bar, bar.cancel)
    finally:
        bar.done()
    result = {"passed": all(c["passed"] for c in checks), "checks": checks,
              "size": args.size, "software": software_versions(),
              "time_utc": stamp, "seconds": time.perf_counter() - t0,
              "results_file": str(out_dir / "verify.json")}
    (out_dir / "verify.json").write_text(json.dumps(result, indent=1, allow_nan=False),
                                         encoding="utf-8")
    return CommandResult(result, _human)
