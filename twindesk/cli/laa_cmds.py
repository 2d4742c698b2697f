"""Left atrial appendage occlusion commands: ``laa``, ``import-surface``, and the ``--laa``
modes of ``size`` and ``place`` (those commands dispatch here when ``--laa`` is given)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "laa", parents=[common], help="left atrial appendage analysis for occlusion planning",
        description="Separates the appendage from the left atrium (labels:la, or the "
                    "surface of a case made by import-surface), finds its ostium (plane, "
                    "contour, min/max/mean diameter, perimeter, area), the landing zone of "
                    "each occluder family, depth, bend, lobes and morphology, each with an "
                    "interval. Stores the ostium plane (undoable) and result:laa:analysis.")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--ostium-lps", metavar="X,Y,Z",
                   help="ostium plane centre, set by hand (with --ostium-normal-lps)")
    p.add_argument("--ostium-normal-lps", metavar="X,Y,Z",
                   help="ostium plane normal, pointing into the appendage")
    p.add_argument("--auto-ostium", action="store_true",
                   help="forget a hand-set ostium plane and find it automatically")
    p.add_argument("--laa-point-lps", metavar="X,Y,Z",
                   help="a point in the appendage (when the automatic choice is wrong)")
    p.add_argument("--no-store", action="store_true", help="analyse without changing the case")
    p.set_defaults(handler=cmd_laa)

    p = sub.add_parser(
        "import-surface", parents=[common], help="create a case from a surface model",
        description="Creates a case (no image) from a triangle surface (.vtp .vtk .stl .ply "
                    ".obj), e.g. a left atrium with its appendage for 'twindesk laa'. Surface "
                    "files do not record their frame: say it with --frame and --units.")
    p.add_argument("surface", type=Path, metavar="SURFACE")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--structure", default="la", choices=("la", "aorta", "lv", "bloodpool"))
    p.add_argument("--frame", default="lps", choices=("lps", "ras"),
                   help="coordinate frame of the file (default lps)")
    p.add_argument("--units", default="mm", choices=("mm", "cm", "m"),
                   help="length unit of the file (default mm)")
    p.set_defaults(handler=cmd_import_surface)


def add_size_arguments(p: argparse.ArgumentParser) -> None:
    """``size --laa``: added to the ``size`` command's parser."""
    p.add_argument("--laa", action="store_true",
                   help="LAA occluder sizes from the stored 'twindesk laa' analysis instead "
                        "of TAVR sizes")


def add_place_arguments(p: argparse.ArgumentParser) -> None:
    """``place --laa``: added to the ``place`` command's parser."""
    p.add_argument("--laa", action="store_true",
                   help="deploy an LAA occluder in the appendage (needs 'twindesk laa'); "
                        "--depth-mm is then the ostium-to-shoulder depth, positive into the "
                        "appendage")
    p.add_argument("--axis-lps", metavar="X,Y,Z",
                   help="with --laa: delivery direction into the appendage (default: the "
                        "ostium normal)")
    p.add_argument("--no-uncertainty", action="store_true",
                   help="with --laa: skip the interval reruns")


def _point(value, flag):
    from twindesk.cli.args import parse_point

    return parse_point(value, flag) if value else None


def cmd_laa(args: argparse.Namespace) -> CommandResult:
    from twindesk.geometry.laa.job import LAAJobParams, run

    params = LAAJobParams(args.case, _point(args.ostium_lps, "--ostium-lps"),
                          _point(args.ostium_normal_lps, "--ostium-normal-lps"),
                          args.auto_ostium, _point(args.laa_point_lps, "--laa-point-lps"),
                          store=not args.no_store)
    bar = ProgressBar(args, "laa")
    try:
        result = run(params, bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, human_laa)


def cmd_import_surface(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.surface_ingest import import_surface

    bar = ProgressBar(args, "import-surface")
    try:
        case = import_surface(args.surface, args.case, structure=args.structure,
                              frame=args.frame, units=args.units, progress=bar,
                              cancel=bar.cancel)
    finally:
        bar.done()
    with case:
        src = dict(case.doc["source"])
        out = {"case": str(case.path), "structure": args.structure,
               "artifact": f"surface:{args.structure}", "source": src,
               "warnings": list(case.doc.get("warnings") or [])}
    return CommandResult(out, lambda d: (
        f"Created {d['case']} from {Path(d['source']['path']).name}: "
        f"{d['source']['triangles']} triangles, {d['source']['open_boundaries']} open "
        f"boundaries, read as {d['source']['frame'].upper()} {d['source']['units']}"))


def cmd_size_laa(args: argparse.Namespace) -> CommandResult:
    from twindesk.geometry.laa.job import stored_analysis
    from twindesk.geometry.laa.sizing import size_laa
    from twindesk.model.case import Case
    from twindesk.model.devices import load_library

    with Case.open(args.case, write=False) as case:
        analysis = stored_analysis(case)
    return CommandResult(size_laa(analysis, load_library()), human_size_laa)


def cmd_place_laa(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.sim.laao.job import PlaceLAAParams, run

    if args.size is None:
        raise InputError("--laa needs --size MM", "see 'twindesk size CASE --laa' for the "
                         "fitting sizes")
    if getattr(args, "all_sizes", False) or getattr(args, "rotation_deg", 0.0):
        raise InputError("--all-sizes and --rotation-deg are TAVR options",
                         "leave them out with --laa")
    params = PlaceLAAParams(args.case, args.device, args.size, args.depth_mm,
                            args.model or "full", _point(args.axis_lps, "--axis-lps"),
                            with_uncertainty=not args.no_uncertainty)
    bar = ProgressBar(args, "place --laa")
    try:
        result = run(params, bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, human_place_laa)


def _iv(x: Any, digits: int = 1) -> str:
    if x is None:
        return "-"
    unit = "" if x["unit"] == "1" else f" {x['unit']}"
    return f"{x['value']:.{digits}f} [{x['low']:.{digits}f}, {x['high']:.{digits}f}]{unit}"


def human_laa(d: dict[str, Any]) -> str:
    o = d["ostium"]
    lines = [f"Appendage: {d['appendage_found_by']}",
             f"Ostium ({o['source']} plane) max {_iv(o['max_diameter_mm'])}, "
             f"min {_iv(o['min_diameter_mm'])}, mean {_iv(o['mean_diameter_mm'])}",
             f"       perimeter {_iv(o['perimeter_mm'])}, area {_iv(o['area_mm2'], 0)}"]
    for z in d["landing_zones"]:
        lines.append(f"Landing zone {z['device_id']} ({z['depth_mm']:g} mm in): max "
                     f"{_iv(z['max_diameter_mm'])}, min {_iv(z['min_diameter_mm'])}, mean "
                     f"{_iv(z['mean_diameter_mm'])}")
    lines += [f"Depth along the axis {_iv(d['depth_mm'])}, perpendicular to the ostium "
              f"{_iv(d['depth_perpendicular_mm'])}",
              f"Bend {_iv(d['bend_deg'], 0)}; lobes {d['lobe_count']}; morphology "
              f"{d['morphology']} ({'; '.join(d['morphology_reasons'])})"]
    lines += [f"! {w}" for w in d["warnings"]]
    return "\n".join(lines)


def human_size_laa(d: dict[str, Any]) -> str:
    lines = []
    for f in d["families"]:
        fits = ", ".join(f"{s['size_mm']:g} mm (compression {_iv(s['compression_pct'], 0)})"
                         for s in f["fitting"])
        lines.append(f"{f['name']} ({f['basis']}): {fits or 'no size fits'}")
        lines += [f"  ! {w}" for w in f["warnings"]]
    lines += [f"! {w}" for w in d["warnings"]]
    return "\n".join(lines)


def human_place_laa(d: dict[str, Any]) -> str:
    dev, pl, cp = d["device"], d["placement"], d["contact_pressure"]
    lines = [f"{dev['name']} {dev['size_mm']:g} mm, {d['model']} model, shoulder "
             f"{pl['implant_depth_mm']:g} mm into the appendage, axis {pl['axis_source']}",
             f"Compression at the landing zone {_iv(d['compression_pct'])} "
             f"(recommended {dev['compression_min_pct']:g}-{dev['compression_max_pct']:g} %)",
             f"Residual peri-device gap {_iv(d['sealing_gap_mm'])}",
             f"Shoulder protrusion into the atrium {_iv(d['shoulder_protrusion_mm'])}",
             f"Device axis vs appendage axis {_iv(d['axis_angle_deg'])}",
             f"Contact pressure max {_iv(cp['max_kpa'], 0)}, mean {_iv(cp['mean_kpa'], 0)}"]
    lines += [f"! {f}" for f in d["flags"]]
    return "\n".join(lines)
