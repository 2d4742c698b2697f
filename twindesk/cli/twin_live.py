"""Twin commands that drive other rooms' engines (registered under ``twindesk twin``):
``recalibrate`` (0D model), ``watch`` (near-real-time trajectory) and ``follow-up``
(import, segmentation, registration, growth)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(tsub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = tsub.add_parser("recalibrate", parents=[common],
                        help="refit the 0D model to the latest attached vitals (new version)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--samples", type=int, default=300, metavar="N",
                   help="uncertainty samples (default 300)")
    p.add_argument("--seed", type=int, default=12345)
    p.set_defaults(handler=cmd_recalibrate)

    p = tsub.add_parser("watch", parents=[common],
                        help="follow new vitals against the twin's predicted band (planning "
                             "support, not patient monitoring; no alarms)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--vitals", type=Path, required=True, metavar="FILE",
                   help="a growing CSV file, or a folder receiving FHIR/CSV files")
    p.add_argument("--poll-s", type=float, default=1.0, metavar="S",
                   help="seconds between looks at the file (default 1)")
    p.add_argument("--max-seconds", type=float, metavar="S",
                   help="stop by itself after this long (default: until Ctrl+C)")
    p.set_defaults(handler=cmd_watch)

    p = tsub.add_parser("follow-up", parents=[common],
                        help="import a follow-up CT into the twin, segment and measure it on "
                             "its own grid, align it to the baseline, report growth")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("src", type=Path, metavar="SRC", help="DICOM folder or volume file")
    p.add_argument("--study-date", metavar="YYYY-MM-DD",
                   help="date of the follow-up (needed for volume files, which carry none)")
    p.add_argument("--baseline-date", metavar="YYYY-MM-DD",
                   help="date of the baseline when the case has none")
    p.add_argument("--segmenter", choices=("anatomy", "threshold"), default="anatomy",
                   help="aorta segmentation: anatomy (default) or a contrast-band threshold "
                        "for research volumes")
    p.add_argument("--lumen-min-hu", type=float, default=200.0,
                   help="threshold segmenter: lowest lumen HU (default 200)")
    p.add_argument("--lumen-max-hu", type=float, default=700.0,
                   help="threshold segmenter: highest lumen HU (default 700)")
    p.add_argument("--seed-lps", metavar="X,Y,Z", help="a point in the aortic lumen, LPS mm")
    p.add_argument("--series", metavar="UID", help="SeriesInstanceUID (or unique prefix)")
    p.add_argument("--phase", type=float, metavar="PCT", help="cardiac phase, %% of R-R")
    p.set_defaults(handler=cmd_follow_up)


# ------------------------------------------------------------------------- recalibrate
def human_recalibrate(d: dict[str, Any]) -> str:
    lines = [f"Recalibrated: {d['calibration_id']} (previous {d['previous_calibration_id'] or '-'})"
             f" to {d['targets']['source']}; version {d['version']['id']}",
             f"{'parameter':<34}{'old':>10}{'new':>10}{'change':>9}"]
    for p in d["parameters"]:
        old = "-" if p["old"] is None else f"{p['old']:.4g}"
        new = "-" if p["new"] is None else f"{p['new']:.4g}"
        ch = "" if p["change_pct"] is None else f"{p['change_pct']:+.1f}%"
        lines.append(f"{p['parameter']:<34}{old:>10}{new:>10}{ch:>9}  {p['unit']}")
    return "\n".join(lines)


def cmd_recalibrate(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.twin.recalibration import recalibrate

    if not 10 <= args.samples <= 20000:
        raise InputError(f"--samples {args.samples} is outside 10–20000",
                         "a few hundred samples are enough for 95 % intervals")
    bar = ProgressBar(args, "recalibrate")
    with Case.open(args.case, require_write=True) as case:
        result = recalibrate(case, args.samples, args.seed, bar, bar.cancel)
    bar.done()
    return CommandResult(result, human_recalibrate)


# ------------------------------------------------------------------------------- watch
def _fmt_point(p: dict[str, Any]) -> str:
    parts = [f"{p['time_utc']}  HR {p['hr_bpm']:.0f}/min"]
    for key, c in p["compared"].items():
        if c["observed"] is None:
            continue
        mark = "inside" if c["inside"] else "OUTSIDE band (information)"
        parts.append(f"{key} {c['observed']:.3g} [{c['low']:.3g}–{c['high']:.3g}] {mark}")
    return "; ".join(parts)


def human_watch(d: dict[str, Any]) -> str:
    return (f"Stopped ({d['stopped_by']}). {d['n_points']} time points, "
            f"{d['n_points_outside_band']} with a value outside the twin's band "
            f"(calibration {d['calibration_id']}). {d['label']}.")


def cmd_watch(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.twin.watch import LABEL, Watcher

    if args.poll_s <= 0:
        raise InputError("--poll-s must be positive", "e.g. --poll-s 1")
    with Case.open(args.case, write=False) as case:
        watcher = Watcher(case.doc, args.vitals)
    out = sys.stderr if args.json else sys.stdout
    out.write(f"twindesk twin watch: {LABEL}. Following {args.vitals}; Ctrl+C stops.\n")
    out.flush()
    t0 = time.monotonic()
    stopped_by = "Ctrl+C"
    try:
        while True:
            for point in watcher.poll():
                out.write(_fmt_point(point) + "\n")
                out.flush()
            if args.max_seconds is not None and time.monotonic() - t0 >= args.max_seconds:
                stopped_by = f"--max-seconds {args.max_seconds:g}"
                break
            time.sleep(args.poll_s)
    except KeyboardInterrupt:
        stopped_by = "Ctrl+C"
    return CommandResult({"case": str(args.case), **watcher.summary(), "stopped_by": stopped_by,
                          "seconds": time.monotonic() - t0}, human_watch)


# --------------------------------------------------------------------------- follow-up
def human_follow_up(d: dict[str, Any]) -> str:
    f = d["followup"]
    g, r = f["growth"], f["registration"]
    msd = r["mean_surface_distance_mm"]
    lines = [f"Follow-up {f['id']} of {f['study_time_utc'][:10]} (baseline "
             f"{f['baseline_time_utc'][:10]}, {g['interval_years']:.2f} years); version "
             f"{d['version']['id']}",
             f"  max aortic diameter  {g['baseline_diameter_mm']:.1f} mm → "
             f"{g['followup_diameter_mm']:.1f} mm  ({g['change_mm']:+.1f} mm, "
             f"{g['rate_mm_per_year']:+.1f} mm/year), each on its own grid",
             f"  registration (views and landmarks only): rotation "
             f"{', '.join(f'{a:.1f}' for a in r['rotation_deg'])} deg, translation "
             f"{', '.join(f'{t:.1f}' for t in r['translation_mm'])} mm; metric "
             f"{r['final_metric_value']:.3f}, landmark residual "
             f"{r['landmark_offaxis_mm']:.1f} mm across the vessel"
             + (f", mean surface distance {msd:.1f} mm (includes growth)" if msd is not None
                else "")]
    if g["followup_diameter_at_baseline_level_mm"] is not None:
        lines.append(f"  at the baseline's widest level the follow-up measures "
                     f"{g['followup_diameter_at_baseline_level_mm']:.1f} mm")
    for flag in g["flags"]:
        lines.append(f"  note: {flag}")
    for w in f["warnings"]:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def cmd_follow_up(args: argparse.Namespace) -> CommandResult:
    from twindesk.cli.args import parse_point
    from twindesk.twin.followup import FollowUpParams, run

    seed = tuple(parse_point(args.seed_lps, "--seed-lps")) if args.seed_lps else None
    params = FollowUpParams(args.case, args.src, args.study_date, args.baseline_date,
                            args.segmenter, args.lumen_min_hu, args.lumen_max_hu, seed,
                            args.series, args.phase)
    bar = ProgressBar(args, "follow-up")
    result = run(params, bar, bar.cancel)
    bar.done()
    return CommandResult(result, human_follow_up)
