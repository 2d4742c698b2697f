"""Device library commands: ``devices`` (list, or ``--show ID`` one whole definition)."""

from __future__ import annotations

import argparse
from typing import Any

from twindesk.cli.output import CommandResult


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "devices", parents=[common], help="list the device library (TAVR valves, LAA occluders)",
        description="List the validated device families (shipped and from your site's device "
                    "folder) and any problem found in the device files.")
    p.add_argument("--show", metavar="ID",
                   help="print the whole validated definition of one device family")
    p.add_argument("--shipped-only", action="store_true",
                   help="ignore the site's device folder (user_devices_dir)")
    p.set_defaults(handler=cmd_devices)


def _problems(lib) -> list[dict[str, str]]:
    return [p.to_json() for p in lib.problems]


def human_list(d: dict[str, Any]) -> str:
    lines = [f"{'ID':<22} {'KIND':<19} {'SIZES (mm)':<20} NAME"]
    for dev in d["devices"]:
        sizes = "/".join(f"{s:g}" for s in dev["sizes_mm"])
        origin = "  [site]" if dev["origin"] == "user" else ""
        lines.append(f"{dev['id']:<22} {dev['kind']:<19} {sizes:<20} {dev['name']}{origin}")
    lines.append(f"Site device folder: {d['user_devices_dir']}")
    for p in d["problems"]:
        where = f"{p['file']}: {p['key']}" if p["key"] else p["file"]
        lines.append(f"{p['severity'].capitalize():<8} {where}: {p['message']}")
    return "\n".join(lines)


def human_show(d: dict[str, Any]) -> str:
    fr = d["frame"]
    lines = [f"{d['name']}  ({d['id']}, {d['kind']}, {d['origin']} file {d['file']})",
             f"  sized by {d['sizing_basis']}; material {d['material'].get('name', '?')}",
             f"  rotation 0: {d['orientation']['rotation_zero_definition']}",
             f"  depth: {d['orientation']['implant_depth_definition']}",
             f"  frame ({fr['frame_geometry']}): {fr['rows_of_cells']} rows x "
             f"{fr['cells_per_row']} cells, struts {fr['strut_width_mm']} x "
             f"{fr['strut_thickness_mm']} mm, crimped {fr['crimped_diameter_mm']} mm"]
    for s in d["sizes"]:
        skip = {"source", "source_by_key", "radial_force"}
        vals = ", ".join(f"{k} {v:g}" for k, v in s.items()
                         if k not in skip and isinstance(v, (int, float)))
        lines.append(f"  size {s['size_mm']:g} mm: {vals}")
    lines.append("  sources:")
    for src in d["sources"]:
        lines.append(f"    [{src['id']}] ({src['kind']}, {src['verification']}) {src['citation']}")
    return "\n".join(lines)


def cmd_devices(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.devices.library import family_to_dict, load_library
    from twindesk.paths import user_devices_dir

    lib = load_library(include_user=not args.shipped_only)
    if args.show:
        family = lib.family(args.show, option="--show")
        material = lib.materials.get(family.material)
        data = family_to_dict(family, material)
        data["problems"] = [p for p in _problems(lib) if p["file"] == family.file]
        return CommandResult(data, human_show)
    devices = [{
        "id": f.id, "name": f.name, "kind": f.kind, "sizes_mm": list(f.sizes_mm),
        "source": f.primary_source().citation, "source_id": f.primary_source().id,
        "origin": f.origin, "file": f.file, "material": f.material,
        "sizing_basis": f.sizing_basis,
    } for f in lib.families]
    return CommandResult({"devices": devices, "problems": _problems(lib),
                          "user_devices_dir": str(user_devices_dir())}, human_list)
