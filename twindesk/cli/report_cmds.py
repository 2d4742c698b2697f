"""``twindesk report``: the planning report of a case as a PDF."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common],
                       help="write the planning report of a case (PDF)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--out", type=Path, required=True, metavar="PDF",
                   help="the PDF file to write (e.g. plan.pdf)")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> CommandResult:
    from twindesk.report.build import ReportParams, run

    bar = ProgressBar(args, "report")
    try:
        result = run(ReportParams(args.case, args.out.resolve()), bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, human_report)


def human_report(d: dict[str, Any]) -> str:
    lines = [f"Wrote {d['out']} ({d['pages']} pages, {d['bytes']} bytes)"]
    for s in d["sections"]:
        lines.append(f"  {s['title']:<58} {s['status']}")
    return "\n".join(lines)
