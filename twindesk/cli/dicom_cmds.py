"""DICOM commands: ``scan`` (what is in a folder) and ``import`` (make a case of a series)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("scan", parents=[common],
                       help="list the DICOM series under a folder (recursively)")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.set_defaults(handler=cmd_scan)

    p = sub.add_parser("import", parents=[common],
                       help="create a case from a DICOM series or a volume file")
    p.add_argument("src", type=Path, metavar="SRC",
                   help="DICOM folder or file, or a NIfTI / NRRD / MHA / MHD volume")
    p.add_argument("case", type=Path, metavar="CASE", help="new case folder (e.g. NAME.twin)")
    p.add_argument("--series", metavar="UID", help="SeriesInstanceUID (or a unique prefix) "
                                                   "when SRC holds several volume series")
    p.add_argument("--phase", type=float, metavar="PCT",
                   help="cardiac phase in %% of R-R for multiphase scans (default: nearest 35)")
    p.add_argument("--deidentify", action="store_true",
                   help="apply the DICOM PS3.15 basic confidentiality profile to the case")
    p.set_defaults(handler=cmd_import)


def cmd_scan(args: argparse.Namespace) -> CommandResult:
    from twindesk.io.dicom.scan import scan
    from twindesk.io.dicom.series import describe, plan_all

    bar = ProgressBar(args, "scan")
    try:
        result = scan(args.dir, bar, bar.cancel)
    finally:
        bar.done()
    series = [describe(plan) for plan in plan_all(result)]
    data = {"root": str(args.dir), "n_files": len(result.files) + len(result.skipped),
            "series": series, "skipped": result.skipped}
    return CommandResult(data, human_scan)


def cmd_import(args: argparse.Namespace) -> CommandResult:
    from twindesk.cli.case_cmds import case_summary
    from twindesk.model.ingest import import_source

    bar = ProgressBar(args, "import")
    try:
        case = import_source(args.src, args.case, series_uid=args.series,
                             phase_percent=args.phase, deidentify=args.deidentify,
                             progress=bar, cancel=bar.cancel)
    finally:
        bar.done()
    with case:
        out = case_summary(case)
        out["series_uid"] = (case.doc.get("image") or {}).get("series_uid") or None
        out["warnings"] = list(case.doc.get("warnings", []))
    return CommandResult(out, human_import)


def human_scan(d: dict[str, Any]) -> str:
    lines = [f"{d['root']}: {len(d['series'])} series, {len(d['skipped'])} file(s) skipped"]
    for s in d["series"]:
        size = "x".join(str(v) for v in s["size"]) if s["size"] else "-"
        spacing = " x ".join(f"{v:.3g}" for v in s["spacing_mm"]) if s["spacing_mm"] else "-"
        phases = f", {len(s['phases'])} phases" if len(s["phases"]) > 1 else ""
        lines.append(f"\n{s['series_uid']}\n  {s['modality'] or '?'}  {s['description'] or '-'}"
                     f"  {s['n_files']} files  {size} voxels  {spacing} mm{phases}")
        if not s["importable"]:
            lines.append(f"  not importable: {s['reason']}")
        lines.extend(f"  warning: {w}" for w in s["warnings"])
    for item in d["skipped"][:20]:
        lines.append(f"skipped {item['file']}: {item['reason']}")
    if len(d["skipped"]) > 20:
        lines.append(f"... and {len(d['skipped']) - 20} more skipped")
    return "\n".join(lines)


def human_import(d: dict[str, Any]) -> str:
    from twindesk.cli.case_cmds import human_info

    return human_info(d) + f"\nSeries    {d['series_uid'] or '-'}"
