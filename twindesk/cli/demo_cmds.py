"""``twindesk demo [DIR]``: write (or reuse) the synthetic demo case."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar
from twindesk.errors import InputError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo", parents=[common],
        help="write the synthetic cardiac CT demo (DICOM series, ground truth, case)",
        description="Generate the twindesk phantom: an ECG-gated contrast cardiac CT written as "
                    "a DICOM series into DIR/dicom, its ground truth (DIR/truth.json, LPS mm) "
                    "and label map (DIR/labels.mha), imported into DIR/demo.twin. An existing "
                    "demo of the same generator version and parameters is reused.")
    p.add_argument("dir", type=Path, nargs="?", metavar="DIR",
                   help="demo folder (default: the per-user demo folder)")
    p.add_argument("--print-path", action="store_true",
                   help="print only the case path (making the demo first if needed)")
    p.add_argument("--force", action="store_true", help="rebuild even if a current demo exists")
    p.add_argument("--voxel-mm", type=float, default=None, metavar="MM",
                   help="isotropic voxel size, 0.5 to 2.0 mm (default 0.7; the anatomy and "
                        "ground truth do not change)")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> CommandResult | None:
    from twindesk.phantom.demo import DemoParams, default_dir, run
    from twindesk.phantom.params import PhantomParams

    if args.print_path and args.json:
        raise InputError("--print-path and --json: choose one",
                         "use --print-path for the bare case path, --json for everything")
    params = PhantomParams()
    if args.voxel_mm is not None:
        if not 0.5 <= args.voxel_mm <= 2.0:
            raise InputError(f"--voxel-mm {args.voxel_mm:g}: outside 0.5 to 2.0 mm",
                             "give an isotropic voxel size between 0.5 and 2.0 mm (e.g. 0.7)")
        params = params.with_voxel(args.voxel_mm)
    folder = args.dir if args.dir is not None else default_dir()
    bar = ProgressBar(args, "demo")
    try:
        result = run(DemoParams(folder, params, force=args.force), bar, bar.cancel)
    finally:
        bar.done()
    if args.print_path:
        print(result.case_path)
        return None
    data = result.as_dict()
    data["summary"] = summary(result.truth)
    return CommandResult(data, human_demo)


def summary(truth: dict[str, Any]) -> dict[str, Any]:
    """The headline ground-truth numbers (full set in truth.json)."""
    ann, laa = truth["annulus"], truth["laa"]["ostium"]
    return {
        "annulus_max_diameter_mm": ann["max_diameter_mm"],
        "annulus_min_diameter_mm": ann["min_diameter_mm"],
        "annulus_perimeter_mm": ann["perimeter_mm"],
        "annulus_area_mm2": ann["area_mm2"],
        "annulus_normal_lps": ann["normal_lps"],
        "left_coronary_height_mm": truth["coronary_ostia"]["left"]["lower_edge_height_mm"],
        "right_coronary_height_mm": truth["coronary_ostia"]["right"]["lower_edge_height_mm"],
        "stj_diameter_mm": truth["stj"]["diameter_mm"],
        "ascending_diameter_40mm_mm": truth["ascending_aorta"]["diameter_at_level_mm"],
        "calcium_volume_mm3": truth["calcium"]["total_volume_mm3"],
        "laa_ostium_max_diameter_mm": laa["max_diameter_mm"],
        "laa_ostium_min_diameter_mm": laa["min_diameter_mm"],
        "laa_depth_mm": truth["laa"]["depth_mm"],
        "laa_morphology": truth["laa"]["morphology"],
    }


def human_demo(d: dict[str, Any]) -> str:
    s = d["summary"]
    size = "x".join(str(v) for v in d["size"])
    state = "reused" if d["reused"] else f"written in {d['seconds']:.1f} s"
    return "\n".join([
        f"Demo case {d['case']} ({state})",
        f"  DICOM    {d['dicom_dir']}  {d['n_files']} slices, {size} voxels of "
        f"{d['spacing_mm'][0]:g} mm, {d['dicom_bytes'] / 1e6:.0f} MB",
        f"  Truth    {d['truth']}",
        f"  Labels   {d['labels']}",
        f"  Annulus  {s['annulus_max_diameter_mm']:.1f} x {s['annulus_min_diameter_mm']:.1f} mm, "
        f"perimeter {s['annulus_perimeter_mm']:.1f} mm, area {s['annulus_area_mm2']:.0f} mm²",
        f"  Coronary ostia (lower edge above the annulus): left "
        f"{s['left_coronary_height_mm']:.1f} mm, right {s['right_coronary_height_mm']:.1f} mm",
        f"  LAA      {s['laa_morphology']}, ostium {s['laa_ostium_max_diameter_mm']:.1f} x "
        f"{s['laa_ostium_min_diameter_mm']:.1f} mm, depth {s['laa_depth_mm']:.1f} mm",
    ])
