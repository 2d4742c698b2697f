"""Aortic root commands: ``measure`` (TAVR planning measurements) and ``size``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "measure", parents=[common], help="aortic root / TAVR planning measurements",
        description="Annulus from the three hinge points (proposed automatically when not "
                    "given), LVOT, sinuses, STJ, ascending aorta, coronary heights, "
                    "membranous septum, calcium, C-arm angles, each with an interval. "
                    "Stores the landmarks (undoable) and result:measure:root.")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--hinges-lps", metavar="X,Y,Z;X,Y,Z;X,Y,Z",
                   help="hinge points (cusp nadirs) of the right, left and non-coronary cusps")
    p.add_argument("--ostia-lps", metavar="X,Y,Z;X,Y,Z",
                   help="lower edges of the left and right coronary ostia (override the "
                        "automatic detection)")
    p.add_argument("--septum-lps", metavar="X,Y,Z",
                   help="inferior border of the membranous septum")
    p.add_argument("--calcium-rule", choices=("lumen+100", "850"), default="lumen+100")
    p.add_argument("--no-store", action="store_true", help="measure without changing the case")
    p.set_defaults(handler=cmd_measure)

    p = sub.add_parser("size", parents=[common], help="TAVR sizes that fit the measured annulus",
                       description="Per device family: fitting sizes with oversizing by "
                                   "perimeter and area, and warnings. Needs 'twindesk measure'.")
    p.add_argument("case", type=Path, metavar="CASE")
    p.set_defaults(handler=cmd_size)


def cmd_measure(args: argparse.Namespace) -> CommandResult:
    from twindesk.cli.args import parse_point, parse_points
    from twindesk.geometry.measure_job import MeasureParams, run

    params = MeasureParams(
        args.case,
        hinges_lps_mm=tuple(parse_points(args.hinges_lps, "--hinges-lps", 3))
        if args.hinges_lps else None,
        ostia_lps_mm=tuple(parse_points(args.ostia_lps, "--ostia-lps", 2))
        if args.ostia_lps else None,
        septum_lps_mm=parse_point(args.septum_lps, "--septum-lps") if args.septum_lps else None,
        calcium_rule=args.calcium_rule, store=not args.no_store)
    bar = ProgressBar(args, "measure")
    result = run(params, bar, bar.cancel)
    bar.done()
    return CommandResult(result, human_measure)


def _iv(x) -> str:
    if x is None:
        return "-"
    return f"{x['value']:.1f} [{x['low']:.1f}, {x['high']:.1f}] {x['unit']}"


def human_measure(d: dict[str, Any]) -> str:
    a = d["annulus"]
    lines = [f"Hinges: {d['hinges_source']}",
             f"Annulus  perimeter {_iv(a['perimeter_mm'])}  area {_iv(a['area_mm2'])}",
             f"         Dp {_iv(a['perimeter_derived_diameter_mm'])}  "
             f"Da {_iv(a['area_derived_diameter_mm'])}",
             f"         min {_iv(a['min_diameter_mm'])}  max {_iv(a['max_diameter_mm'])}  "
             f"eccentricity {a['eccentricity']['value']:.2f}"]
    if d.get("lvot"):
        lines.append(f"LVOT     perimeter {_iv(d['lvot']['perimeter_mm'])}  "
                     f"area {_iv(d['lvot']['area_mm2'])}")
    if d.get("stj"):
        lines.append(f"STJ      diameter {_iv(d['stj']['diameter_mm'])}  "
                     f"height {_iv(d['stj']['height_mm'])}")
    if d.get("ascending_aorta"):
        lines.append(f"Ascending (40 mm) {_iv(d['ascending_aorta']['diameter_mm'])}")
    if d.get("sinus"):
        sin = d["sinus"]
        lines.append(f"Sinus (at {sin['level_above_annulus_mm']:.1f} mm)  " + "  ".join(
            f"{k} {_iv(v['diameter_mm'])}" for k, v in sin["by_cusp"].items()))
    for side, v in d["coronary_heights"].items():
        lines.append(f"{side.capitalize()} coronary height "
                     + (f"{_iv(v['height_mm'])} ({v['source']})" if v else
                        "not found: place the ostium with --ostia-lps"))
    fl = d["fluoroscopy"]
    for name, v in fl["views"].items():
        lines.append(f"{name.replace('_', ' ')}: {v['label']}")
    lines += [f"Note: {n}" for n in fl.get("notes", [])]
    return "\n".join(lines)


def cmd_size(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import CaseError
    from twindesk.geometry.measure_job import RESULT_KEY
    from twindesk.geometry.tavr_sizing import size
    from twindesk.model.case import Case
    from twindesk.model.devices import load_library

    with Case.open(args.case, write=False) as case:
        if case.artifact(RESULT_KEY) is None:
            raise CaseError(f"case {args.case} has no root measurement",
                            f"run 'twindesk measure {args.case}' first")
        result = case.read_json(RESULT_KEY)
    return CommandResult(size(result, load_library()), human_size)


def human_size(d: dict[str, Any]) -> str:
    lines = []
    for f in d["families"]:
        fits = ", ".join(f"{s['size_mm']:g} mm (perimeter {s['oversizing_perimeter_pct']:+.0f} %, "
                         f"area {s['oversizing_area_pct']:+.0f} %)" for s in f["fitting"])
        lines.append(f"{f['name']}: {fits or 'no size fits'}")
        lines += [f"  ! {w}" for w in f["warnings"]]
    lines += [f"! {w}" for w in d["warnings"]]
    return "\n".join(lines)
