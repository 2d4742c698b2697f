"""Anatomy commands: ``segment``, ``edit``, ``undo``, ``redo``, ``mesh``, ``centerline``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.args import parse_point, parse_points
from twindesk.cli.output import CommandResult, ProgressBar
from twindesk.errors import InputError

STRUCTURES = ("aorta", "lv", "la", "bloodpool")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("segment", parents=[common],
                       help="segment a structure (aorta, lv, la, bloodpool) and store it")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--structure", required=True, choices=STRUCTURES)
    p.add_argument("--seed-lps", metavar="X,Y,Z",
                   help="a point inside the structure (LPS mm); default: found automatically")
    p.set_defaults(handler=cmd_segment)

    p = sub.add_parser("edit", parents=[common],
                       help="edit a stored mask (undoable): brush, threshold, fill, clean")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--structure", required=True, choices=STRUCTURES)
    op = p.add_mutually_exclusive_group(required=True)
    op.add_argument("--paint", metavar="X,Y,Z", help="add a ball at this LPS point")
    op.add_argument("--erase", metavar="X,Y,Z", help="remove a ball at this LPS point")
    op.add_argument("--threshold", metavar="LOW,HIGH",
                    help="inside the region (--center/--radius-mm or --box) keep LOW..HIGH HU")
    op.add_argument("--fill-holes", action="store_true", help="fill enclosed cavities")
    op.add_argument("--keep-largest", action="store_true", help="keep the largest island")
    op.add_argument("--smooth", type=float, metavar="SIGMA_MM", help="smooth the surface")
    p.add_argument("--radius-mm", type=float, help="brush / region radius (mm)")
    p.add_argument("--center", metavar="X,Y,Z", help="region centre for --threshold (LPS mm)")
    p.add_argument("--box", metavar="X,Y,Z;X,Y,Z", help="region box corners for --threshold")
    p.set_defaults(handler=cmd_edit)

    for name, helptext in (("undo", "undo the last edit of a case"),
                           ("redo", "redo the last undone edit of a case")):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("case", type=Path, metavar="CASE")
        p.set_defaults(handler=cmd_undo if name == "undo" else cmd_redo)


def cmd_segment(args: argparse.Namespace) -> CommandResult:
    from twindesk.imaging.segment import SegmentParams, run

    seed = parse_point(args.seed_lps, "--seed-lps") if args.seed_lps else None
    bar = ProgressBar(args, f"segment {args.structure}")
    try:
        result = run(SegmentParams(args.case, args.structure, seed), bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, _human_segment)


def _human_segment(d: dict[str, Any]) -> str:
    lo, hi = d["bbox_lps_mm"] or ([0, 0, 0], [0, 0, 0])
    ext = " x ".join(f"{b - a:.0f}" for a, b in zip(lo, hi))
    return (f"Segmented {d['structure']}: {d['volume_ml']:.1f} ml ({d['voxels']} voxels), "
            f"extent {ext} mm, in {d['seconds']:.1f} s\n"
            f"Seed {', '.join(f'{v:.1f}' for v in d['seed_lps_mm'])} (LPS mm): {d['seed_source']}")


def _edit_from_args(args: argparse.Namespace):
    from twindesk.imaging.edit import Edit

    if args.paint or args.erase:
        point = parse_point(args.paint or args.erase, "--paint" if args.paint else "--erase")
        if args.radius_mm is None:
            raise InputError("--radius-mm is required with --paint / --erase",
                             "e.g. --radius-mm 5")
        return Edit("paint" if args.paint else "erase", point, args.radius_mm)
    if args.threshold:
        parts = args.threshold.split(",")
        try:
            low, high = (float(v) for v in parts)
        except ValueError:
            raise InputError(f"--threshold: '{args.threshold}' is not LOW,HIGH",
                             "give two HU values, e.g. --threshold 200,900") from None
        box = tuple(parse_points(args.box, "--box", count=2)) if args.box else None
        center = parse_point(args.center, "--center") if args.center else None
        if box is None and (center is None or args.radius_mm is None):
            raise InputError("--threshold needs a region",
                             "add --center X,Y,Z --radius-mm R, or --box \"X,Y,Z;X,Y,Z\"")
        return Edit("threshold", center, args.radius_mm, box, low, high)
    if args.fill_holes:
        return Edit("fill_holes")
    if args.keep_largest:
        return Edit("keep_largest")
    return Edit("smooth", sigma_mm=args.smooth)


def cmd_edit(args: argparse.Namespace) -> CommandResult:
    from twindesk.imaging.edit import edit_case

    result = edit_case(args.case, args.structure, _edit_from_args(args))
    return CommandResult(result, lambda d: (
        f"{d['label']}: {d['changed_voxels']} voxels changed, {d['structure']} now "
        f"{d['volume_ml']:.1f} ml (undo with 'twindesk undo')"))


def _history_command(case_path: Path, verb: str) -> CommandResult:
    from twindesk.model import commands
    from twindesk.model.case import Case

    with Case.open(case_path, require_write=True) as case:
        cmd = (commands.undo if verb == "undo" else commands.redo)(case)
        if cmd is not None:
            case.save(verb, {"label": cmd["label"]})
        result = {"action": verb, "label": cmd["label"] if cmd else None,
                  "changed": [c[0] for c in cmd["changes"]] if cmd else [],
                  **commands.summary(case.doc)}
    return CommandResult(result, lambda d: (
        f"{d['action'].capitalize()}: {d['label']}" if d["label"]
        else f"Nothing to {d['action']}") + f" ({d['undo_count']} undo, {d['redo_count']} redo left)")


def cmd_undo(args: argparse.Namespace) -> CommandResult:
    return _history_command(args.case, "undo")


def cmd_redo(args: argparse.Namespace) -> CommandResult:
    return _history_command(args.case, "redo")
