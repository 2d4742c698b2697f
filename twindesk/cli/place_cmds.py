"""``twindesk place``: TAVR deployment simulation with frame mechanics."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli import laa_cmds
from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "place", parents=[common], help="simulate a TAVR valve deployment in the root",
        description="Deploys a valve frame of the device library in the case's aortic root "
                    "(mechanics: full beam model or fast reduced model) at the measured "
                    "annulus, and reports frame diameters, contact pressure, paravalvular "
                    "gap, coronary distances and VTC, membranous septum minus implant depth, "
                    "projected and indexed EOA with mismatch grade, each with an interval. "
                    "Needs the aortic root measured (twindesk measure) and the aorta and LV "
                    "segmented. Stores result:place:<device>:<size> (frame VTP, metrics JSON, "
                    "pressure map VTP) and a twin version.")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--device", required=True, metavar="ID",
                   help="device family id (twindesk devices lists them)")
    p.add_argument("--size", type=float, metavar="MM", help="labelled valve size (mm)")
    p.add_argument("--all-sizes", action="store_true",
                   help="compare every size that fits the measured annulus (fast model "
                        "unless --model full)")
    p.add_argument("--depth-mm", type=float, metavar="D",
                   help="implant depth below the annulus on the non-coronary side, positive "
                        "into the LVOT (default: the family's)")
    p.add_argument("--rotation-deg", type=float, default=0.0, metavar="R",
                   help="frame rotation; 0 puts commissure post C1 on the left-right "
                        "commissure, positive counter-clockwise seen from the aorta")
    p.add_argument("--model", choices=("full", "fast"),
                   help="full (beam model, crimp and release; default for one size) or fast "
                        "(reduced model; default with --all-sizes)")
    p.add_argument("--commissure-height-mm", type=float, metavar="H",
                   help="leaflet free-edge height above the annulus for the displaced-leaflet "
                        "model (default: the measured sinotubular-junction height)")
    laa_cmds.add_place_arguments(p)
    p.set_defaults(handler=cmd_place)


def cmd_place(args: argparse.Namespace) -> CommandResult:
    if getattr(args, "laa", False):
        return laa_cmds.cmd_place_laa(args)
    from twindesk.sim.tavr.place_job import PlaceCaseParams, run

    params = PlaceCaseParams(args.case, args.device, args.size, args.depth_mm,
                             args.rotation_deg, args.model, args.all_sizes,
                             args.commissure_height_mm)
    bar = ProgressBar(args, "place")
    try:
        result = run(params, bar, bar.cancel)
    finally:
        bar.done()
    return CommandResult(result, human_table if args.all_sizes else human_place)


def _iv(x: Any, digits: int = 1) -> str:
    if x is None:
        return "-"
    if not isinstance(x, dict):
        return f"{x:.{digits}f}"
    unit = "" if x["unit"] == "1" else f" {x['unit']}"
    return f"{x['value']:.{digits}f} [{x['low']:.{digits}f}, {x['high']:.{digits}f}]{unit}"


def _level_lines(d: dict[str, Any]) -> list[str]:
    names = {"waist": d.get("level_names", {}).get("waist", "waist")}
    lines = [f"  {'level':<8} {'min diameter':>26} {'max diameter':>26} "
             f"{'eccentricity':>22} {'expansion':>24}"]
    for name, lv in d["levels"].items():
        label = names.get(name, name)
        if lv is None:
            lines.append(f"  {label:<8} (not within the frame)")
            continue
        lines.append(f"  {label:<8} {_iv(lv['min_diameter_mm']):>26} "
                     f"{_iv(lv['max_diameter_mm']):>26} {_iv(lv['eccentricity'], 2):>22} "
                     f"{_iv(lv['expansion_pct']):>24}")
    return lines


def _risk_lines(d: dict[str, Any]) -> list[str]:
    lines = []
    for side, c in d["coronary"].items():
        flag = "HIGH RISK (VTC < 4 mm)" if c["vtc_high_risk"] else "VTC >= 4 mm"
        lines.append(f"  {side} ostium (lower edge {c['height_mm']:.1f} mm above the annulus): "
                     f"to frame {_iv(c['distance_to_frame_mm'])}, to displaced leaflet "
                     f"{_iv(c['distance_to_leaflet_mm'])}, VTC {_iv(c['vtc_mm'])}: {flag}")
    if not d["coronary"]:
        lines.append("  coronary ostia: none in the root measurement")
    con = d["conduction"]
    if con["msid_mm"] is None:
        lines.append(f"  membranous septum - implant depth: not available ({con['reason']})")
    else:
        lines.append(f"  membranous septum {_iv(con['membranous_septum_length_mm'])} - implant "
                     f"depth = {_iv(con['msid_mm'])}: conduction risk {con['risk']}")
    e = d["eoa"]
    if e.get("indexed_eoa_cm2_per_m2"):
        lines.append(f"  EOA {_iv(e['projected_eoa_cm2'], 2)}, indexed "
                     f"{_iv(e['indexed_eoa_cm2_per_m2'], 2)} (BSA {e['bsa_m2']:.2f} m²): "
                     f"prosthesis-patient mismatch {e['ppm']}")
    elif e.get("projected_eoa_cm2"):
        lines.append(f"  EOA {_iv(e['projected_eoa_cm2'], 2)}; indexed EOA not available "
                     f"({e['reason']})")
    return lines


def human_place(d: dict[str, Any]) -> str:
    dev, pl = d["device"], d["placement"]
    cp, gap = d["contact_pressure"], d["paravalvular_gap"]
    lines = [f"{dev['name']} {dev['size_mm']:g} mm, {d['model']} model, depth "
             f"{pl['depth_mm']:g} mm ({pl['depth_source']}), rotation {pl['rotation_deg']:g} deg",
             f"Implant depth (non-coronary side) {_iv(d['implant_depth_mm'])}",
             "Frame diameters [interval]:", *_level_lines(d),
             f"Contact pressure: max {_iv(cp['max_kpa'], 0)}, mean {_iv(cp['mean_kpa'], 0)}, "
             f"contact area {_iv(cp['contact_area_mm2'], 0)} (map: "
             f"{d.get('artifacts', {}).get('pressure_map', 'not stored')})",
             f"Paravalvular gap > 1 mm around the annulus: {_iv(gap['area_mm2'])}",
             "Risks:", *_risk_lines(d)]
    if d.get("version"):
        lines.append(f"Stored as {d['artifacts']['frame']} (twin version {d['version']}) in "
                     f"{d['seconds']:.0f} s")
    return "\n".join(lines)


def human_table(d: dict[str, Any]) -> str:
    lines = [f"{d['device']['name']}: {len(d['sizes'])} sizes, {d['model']} model, depth "
             f"{d['depth_mm']:g} mm",
             f"{'size':>5} {'annulus mean D':>24} {'ecc':>5} {'expansion':>10} "
             f"{'p max kPa':>10} {'PVL gap mm2':>12} {'VTC L/R mm':>12} {'MSID mm':>8} "
             f"{'iEOA':>6} {'PPM':>9}"]
    for r in d["sizes"]:
        if r["status"] != "ok":
            lines.append(f"{r['size_mm']:>5g} failed: {r['error']}")
            continue
        lv = r["levels"].get("annulus") or r["levels"]["inflow"]
        vtc = "/".join(f"{r['coronary'][s]['vtc_mm']['value']:.1f}" if s in r["coronary"]
                       else "-" for s in ("left", "right"))
        msid = r["conduction"]["msid_mm"]
        ieoa = r["eoa"].get("indexed_eoa_cm2_per_m2")
        lines.append(
            f"{r['size_mm']:>5g} {_iv(lv['mean_diameter_mm']):>24} "
            f"{lv['eccentricity']['value']:>5.2f} {lv['expansion_pct']['value']:>9.0f}% "
            f"{r['contact_pressure']['max_kpa']['value']:>10.0f} "
            f"{r['paravalvular_gap']['area_mm2']['value'] if r['paravalvular_gap']['area_mm2'] else 0:>12.1f} "
            f"{vtc:>12} {msid['value'] if msid else float('nan'):>8.1f} "
            f"{ieoa['value'] if ieoa else float('nan'):>6.2f} {r['eoa'].get('ppm') or '-':>9}")
    return "\n".join(lines)
