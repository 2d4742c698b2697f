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

    p = sub.add_parser("mesh", parents=[common],
                       help="surface and tetrahedral mesh of a segmented structure")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--structure", required=True, choices=STRUCTURES)
    p.add_argument("--preset", choices=("view", "flow"), default="flow",
                   help="flow: ~3 mm tetrahedra, finer at the root (default); view: coarse")
    p.add_argument("--edge-mm", type=float, help="target tetrahedron edge (mm)")
    p.set_defaults(handler=cmd_mesh)

    p = sub.add_parser("centerline", parents=[common],
                       help="centerline with lumen diameters of a segmented vessel")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--structure", required=True, choices=STRUCTURES)
    p.add_argument("--csv", type=Path, metavar="OUT", help="also write the points as CSV")
    p.set_defaults(handler=cmd_centerline)

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


def cmd_mesh(args: argparse.Namespace) -> CommandResult:
    from twindesk.geometry.jobs import MeshJob, run_mesh

    bar = ProgressBar(args, f"mesh {args.structure}")
    try:
        result = run_mesh(MeshJob(args.case, args.structure, args.preset, args.edge_mm), bar,
                          bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, _human_mesh)


def _human_mesh(d: dict[str, Any]) -> str:
    s, m = d["surface"], d["mesh"]
    lines = [f"Surface  {s['triangles']} triangles, {'closed' if s['watertight'] else 'OPEN'}, "
             f"volume {s['volume_mm3'] / 1000:.1f} ml ({s['volume_change_percent']:+.2f} % vs mask)",
             f"Mesh     {m['tetrahedra']} tetrahedra, {m['points']} points; min dihedral "
             f"{m['min_dihedral_deg']:.1f} deg, max radius ratio {m['max_radius_ratio']:.2f}, "
             f"{m['inverted_elements']} inverted"]
    for r in d["regions"]:
        lines.append(f"  region {r['id']} {r['kind']:<6} {r['name']:<18} {r['area_mm2']:8.1f} mm2")
    lines.append(f"in {d['seconds']:.1f} s")
    return "\n".join(lines)


def cmd_centerline(args: argparse.Namespace) -> CommandResult:
    from twindesk.geometry.jobs import CenterlineJob, run_centerline

    if args.csv is not None and not args.csv.resolve().parent.is_dir():
        raise InputError(f"--csv: folder {args.csv.resolve().parent} does not exist",
                         "create it or choose another path")
    bar = ProgressBar(args, f"centerline {args.structure}")
    try:
        result = run_centerline(CenterlineJob(args.case, args.structure, args.csv), bar,
                                bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, _human_centerline)


def _human_centerline(d: dict[str, Any]) -> str:
    dia = d["diameter_area_mm"]
    lines = [f"Centerline of {d['structure']}: {len(d['points_lps_mm'])} points, "
             f"{d['length_mm']:.1f} mm, {len(d['branches'])} branches; area-equivalent "
             f"diameter {min(dia):.1f}..{max(dia):.1f} mm"]
    asc = d.get("ascending_max")
    if asc:
        lines.append(f"Ascending aorta largest: {asc['diameter_area_mm']:.1f} mm (max "
                     f"{asc['diameter_max_mm']:.1f} mm) at {asc['arc_length_mm']:.0f} mm from "
                     f"the root cut, LPS {', '.join(f'{v:.1f}' for v in asc['point_lps_mm'])}")
    if d.get("csv"):
        lines.append(f"CSV written to {d['csv']}")
    return "\n".join(lines)


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
