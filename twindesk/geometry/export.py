"""Exporters for ``twindesk export --what mesh:<s> | surface:<s> | centerline:<s>``.

The format follows the output's extension: a mesh exports as VTU (the tetrahedra) or as its
boundary surface in STL (for 3D printing), VTP, OBJ or PLY; a surface as STL/VTP/OBJ/PLY; a
centerline as CSV or JSON. Files are written next to the target and renamed into place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from twindesk.errors import InputError

SURFACE_EXTS = (".stl", ".vtp", ".obj", ".ply")


def _structure(kind: str, arg: str | None) -> str:
    from twindesk.imaging.labels import STRUCTURES

    if not arg:
        raise InputError(f"--what {kind}: name the structure", f"e.g. --what {kind}:aorta")
    if arg not in STRUCTURES:
        raise InputError(f"--what {kind}:{arg}: unknown structure",
                         f"choose one of: {', '.join(STRUCTURES)}")
    return arg


def _suffix(out: Path, allowed: tuple[str, ...], what: str) -> str:
    ext = Path(out).suffix.lower()
    if ext not in allowed:
        raise InputError(f"{out}: cannot export {what} as '{ext or 'no extension'}'",
                         f"use one of {', '.join(allowed)}")
    return ext


def _partial(out: Path) -> Path:
    return Path(out).with_name(f".{Path(out).stem}.partial{Path(out).suffix}")


def _finish(tmp: Path, out: Path) -> None:
    from twindesk.io.atomic import atomic_move_into

    atomic_move_into(tmp, Path(out))


def export_mesh(case, out: Path, arg: str | None = None) -> dict:
    """``mesh:<s>``: .vtu = the tetrahedra; .stl/.vtp/.obj/.ply = the labelled boundary."""
    from twindesk.geometry.surface import read_polydata, write_polydata

    s = _structure("mesh", arg)
    ext = _suffix(out, (".vtu",) + SURFACE_EXTS, "a mesh")
    tmp = _partial(out)
    if ext == ".vtu":
        shutil.copyfile(case.artifact_path(f"mesh:{s}"), tmp)
        info = {"format": "vtu", "cells": "tetrahedra"}
    else:
        write_polydata(read_polydata(case.artifact_path(f"mesh_boundary:{s}")), tmp)
        info = {"format": ext[1:], "cells": "boundary triangles"}
    _finish(tmp, out)
    return info


def export_surface(case, out: Path, arg: str | None = None) -> dict:
    """``surface:<s>``: the smoothed, capped surface as STL/VTP/OBJ/PLY."""
    from twindesk.geometry.surface import read_polydata, write_polydata

    s = _structure("surface", arg)
    ext = _suffix(out, SURFACE_EXTS, "a surface")
    tmp = _partial(out)
    write_polydata(read_polydata(case.artifact_path(f"surface:{s}")), tmp)
    _finish(tmp, out)
    return {"format": ext[1:]}


def export_centerline(case, out: Path, arg: str | None = None) -> dict:
    """``centerline:<s>``: CSV (one row per point) or the stored JSON."""
    from twindesk.geometry.jobs import write_csv

    s = _structure("centerline", arg)
    ext = _suffix(out, (".csv", ".json"), "a centerline")
    tmp = _partial(out)
    if ext == ".json":
        shutil.copyfile(case.artifact_path(f"centerline:{s}"), tmp)
    else:
        write_csv(case.read_json(f"centerline:{s}"), tmp)
    _finish(tmp, out)
    return {"format": ext[1:]}
