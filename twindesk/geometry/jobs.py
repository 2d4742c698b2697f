"""Case-level geometry jobs: ``centerline:<s>`` and ``surface:<s>`` / ``mesh:<s>`` /
``mesh_boundary:<s>`` from the stored ``labels:<s>``.

Every derived artefact records the SHA-256 of the labels it came from
(``source_labels_sha256``), so a stale centerline or mesh (the mask was edited since) is
recomputed instead of reused.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry import centerline as cl_mod
from twindesk.geometry import surface as surf
from twindesk.geometry import caps as cp
from twindesk.geometry import volume_mesh as vm
from twindesk.imaging import labels
from twindesk.imaging.grid import Grid, mask_stats
from twindesk.jobs import CancelToken, ProgressReporter

#: Names of the aorta's outlets in the order the centerline lists them.
AORTA_OUTLETS = ("descending aorta",)


@dataclass(frozen=True)
class CenterlineJob:
    case_path: Path
    structure: str = "aorta"
    csv_path: Path | None = None
    step_mm: float = 1.0


@dataclass(frozen=True)
class MeshJob:
    case_path: Path
    structure: str = "aorta"
    preset: str = "flow"
    edge_mm: float | None = None


def _labels_record(case, structure: str) -> dict:
    rec = case.artifact(labels.key(structure))
    if rec is None:
        raise InputError(f"case {case.path} has no {structure} segmentation",
                         f"run 'twindesk segment {case.path} --structure {structure}' first")
    return rec


def centerline_data(case, structure: str, step_mm: float = 1.0, progress=None,
                    cancel: CancelToken | None = None) -> dict[str, Any]:
    """The ``centerline:<s>`` JSON for the case's current mask (computed, not stored)."""
    rec = _labels_record(case, structure)
    mask = labels.load(case, structure)
    grid = Grid.of(case.image())
    meta = rec.get("meta", {})
    cut = meta.get("root_cut") if structure == "aorta" else None
    stubs = meta.get("branch_stubs") if structure == "aorta" else None
    tips = [s["tip_lps_mm"] for s in stubs] if stubs else None
    line = cl_mod.compute(mask, grid, cut["center_lps_mm"] if cut else None,
                          cut["normal_lps"] if cut else None,
                          cl_mod.CenterlineParams(step_mm=step_mm), progress, cancel, tips)
    data = line.main.as_json()
    data["branches"] = [b.as_json() for b in line.branches]
    data["inlet"] = "root cut (LVOT-root junction)" if cut else "most cranial end"
    data["source_labels_sha256"] = rec["sha256"]
    if structure == "aorta" and cut:
        data["ascending_max"] = cl_mod.ascending_summary(line.main, line.branches)
    return data


def centerline_from_data(data: dict[str, Any]) -> cl_mod.Centerline:
    def path(d: dict) -> cl_mod.VesselPath:
        return cl_mod.VesselPath(*(np.asarray(d[k], float) for k in (
            "points_lps_mm", "tangent_lps", "arc_length_mm", "radius_mm", "diameter_area_mm",
            "diameter_min_mm", "diameter_max_mm")), d.get("junction_arc_length_mm"))

    return cl_mod.Centerline(path(data), [path(b) for b in data.get("branches", [])])


def current_centerline(case, structure: str, progress=None, cancel=None) -> dict[str, Any]:
    """The stored centerline if it belongs to the current mask, else a fresh one (stored)."""
    rec = _labels_record(case, structure)
    key = f"centerline:{structure}"
    stored = case.artifact(key)
    if stored and stored.get("meta", {}).get("source_labels_sha256") == rec["sha256"]:
        return case.read_json(key)
    data = centerline_data(case, structure, progress=progress, cancel=cancel)
    case.put_json(key, data, "centerline", {"structure": structure,
                                            "source_labels_sha256": rec["sha256"]})
    return data


CSV_COLUMNS = ("path", "index", "x_lps_mm", "y_lps_mm", "z_lps_mm", "arc_length_mm",
               "radius_mm", "diameter_area_mm", "diameter_min_mm", "diameter_max_mm",
               "tangent_x", "tangent_y", "tangent_z")


def write_csv(data: dict[str, Any], path: Path) -> None:
    """One row per centerline point: path ``main`` or ``branch N``, LPS mm, diameters."""
    from twindesk.io.atomic import atomic_write_bytes
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for name, d in [("main", data)] + [(f"branch {k + 1}", b)
                                        for k, b in enumerate(data.get("branches", []))]:
        for i, p in enumerate(d["points_lps_mm"]):
            w.writerow([name, i, *p, d["arc_length_mm"][i], d["radius_mm"][i],
                        d["diameter_area_mm"][i], d["diameter_min_mm"][i],
                        d["diameter_max_mm"][i], *d["tangent_lps"][i]])
    atomic_write_bytes(Path(path), buf.getvalue().encode("utf-8"))


def run_centerline(params: CenterlineJob, progress=None, cancel: CancelToken | None = None
                   ) -> dict[str, Any]:
    """Compute, store ``centerline:<s>``, optionally write the CSV; returns the CLI object."""
    from twindesk.model.case import Case

    labels.check_structure(params.structure)
    t0 = time.perf_counter()
    with Case.open(params.case_path, require_write=True) as case:
        data = centerline_data(case, params.structure, params.step_mm, progress, cancel)
        if cancel is not None:
            cancel.check()
        case.put_json(f"centerline:{params.structure}", data, "centerline",
                      {"structure": params.structure,
                       "source_labels_sha256": data["source_labels_sha256"]})
        case.save("centerline", {"structure": params.structure})
    if params.csv_path is not None:
        write_csv(data, params.csv_path)
    out = {"structure": params.structure, **data,
           "length_mm": data["arc_length_mm"][-1] if data["arc_length_mm"] else 0.0,
           "csv": str(params.csv_path) if params.csv_path else None,
           "seconds": round(time.perf_counter() - t0, 2)}
    return out


def capped_surface(mask: np.ndarray, grid: Grid, preset: str, caps: list[cp.Cap],
                   edge_mm: float | None = None):
    """The closed surface, decimated as far as the mesh needs (surface edges about half the
    tetrahedron edge ``edge_mm``; at least the preset's reduction) and eased until it stays
    watertight and within the volume tolerance, then cut and capped. Returns (surface,
    check, mask volume, check before the cuts, the caps actually cut)."""
    vol_mask = mask_stats(mask, grid)["volume_ml"] * 1000.0
    params = surf.PRESETS[preset]
    raw = surf.mask_surface(mask, grid, params)
    reduction = params.target_reduction
    if edge_mm:
        area = surf.check(raw).area_mm2
        wanted = area / (0.433 * (0.5 * edge_mm) ** 2)  # equilateral triangles of that edge
        reduction = float(np.clip(1.0 - wanted / raw.GetNumberOfCells(), reduction, 0.9))
    while True:
        poly = surf.keep_largest_piece(surf.decimate(raw, reduction))
        chk = surf.check(poly)
        change = abs(chk.volume_mm3 / vol_mask - 1.0)
        if (chk.watertight and change <= 0.75 * surf.MAX_VOLUME_CHANGE) or reduction <= 0:
            break
        reduction = max(0.0, reduction - 0.15)
    if caps:
        poly, caps = cp.cut_and_cap(poly, caps)
    else:
        _add_region(poly)
    return poly, surf.check(poly), vol_mask, chk, caps


def _add_region(poly) -> None:
    from vtkmodules.util import numpy_support as ns

    arr = ns.numpy_to_vtk(np.zeros(poly.GetNumberOfCells(), np.int32), deep=True)
    arr.SetName("region_id")
    poly.GetCellData().AddArray(arr)


def run_mesh(params: MeshJob, progress=None, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Surface, tetrahedral mesh and labelled boundary of a structure; stores
    ``surface:<s>``, ``mesh:<s>``, ``mesh_boundary:<s>``; returns the CLI object."""
    from twindesk.model.case import Case

    _mesh_params(params)
    with Case.open(params.case_path, require_write=True) as case:
        return mesh_case(case, params, progress, cancel)


def _mesh_params(params: MeshJob) -> vm.MeshParams:
    """The checked meshing parameters of a request."""
    labels.check_structure(params.structure)
    if params.preset not in vm.PRESETS:
        raise InputError(f"--preset: unknown preset '{params.preset}'",
                         f"choose one of: {', '.join(vm.PRESETS)}")
    mp = vm.PRESETS[params.preset]
    if params.edge_mm is not None:
        if not np.isfinite(params.edge_mm) or not 0.3 <= params.edge_mm <= 20.0:
            raise InputError(f"--edge-mm: {params.edge_mm} is outside 0.3..20 mm",
                             "give the target tetrahedron edge in millimetres, e.g. 3")
        mp = vm.MeshParams(params.edge_mm, mp.inlet_refinement, mp.inlet_refine_mm,
                           mp.epsilon_rel, mp.optimize_iterations, mp.stop_energy)
    return mp


def mesh_case(case, params: MeshJob, progress=None, cancel: CancelToken | None = None,
              mask: np.ndarray | None = None, suffix: str = "",
              meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`run_mesh` on an open, writable case (the GUI's lent case); saves it.

    ``mask`` (bool ``[z, y, x]`` on the case grid) meshes a modified copy of the stored
    mask (a scenario's lumen) with the same caps and region labels; the artefacts are then
    stored as ``surface:<s><suffix>``, ``mesh:<s><suffix>``, ``mesh_boundary:<s><suffix>``
    (e.g. suffix ``@post``) with ``meta`` added to each record.
    """
    mp = _mesh_params(params)
    rep = ProgressReporter(progress, cancel=cancel)
    t0 = time.perf_counter()
    rec = _labels_record(case, params.structure)
    if mask is None:
        mask = labels.load(case, params.structure)
    grid = Grid.of(case.image())
    caps: list[cp.Cap] = []
    if params.structure == "aorta":
        rep(0.0, "centerline")
        data = current_centerline(case, "aorta", rep.sub(0.0, 0.25), cancel)
        stubs = rec.get("meta", {}).get("branch_stubs")
        if stubs is not None:  # only the stubs whose end is still in the (edited) mask
            stubs = [st for st in stubs if _inside(mask, grid, st["tip_lps_mm"], 3.0)]
        caps = cp.plan_caps(centerline_from_data(data), "aortic root", AORTA_OUTLETS,
                            stubs, rec.get("meta", {}).get("root_cut"))
    rep(0.25, "surface")
    poly, chk, vol_mask, raw, caps = capped_surface(mask, grid, params.preset, caps,
                                                    mp.edge_mm)
    if not chk.watertight:
        raise InputError(f"the {params.structure} surface is not closed "
                         f"({chk.boundary_edges} open edges, {chk.pieces} pieces)",
                         "clean the mask (twindesk edit --keep-largest / --fill-holes) and retry")
    res = vm.mesh_capped_surface(poly, caps, mp, rep.sub(0.3, 0.95), cancel)
    if cancel is not None:
        cancel.check()
    rep(0.95, "storing")
    src = {"structure": params.structure, "preset": params.preset,
           "source_labels_sha256": rec["sha256"], **(meta or {})}
    name = f"{params.structure}{suffix}"
    case.put_artifact(f"surface:{name}",
                      lambda p: surf.write_polydata(poly, p), ".vtp", "surface",
                      {**src, "volume_mm3": chk.volume_mm3, "area_mm2": chk.area_mm2})
    ug = vm.unstructured_grid(res["points"], res["tets"])
    mrec = case.put_artifact(f"mesh:{name}",
                             lambda p: write_unstructured(ug, p), ".vtu", "mesh",
                             {**src, "edge_mm": mp.edge_mm, "quality": res["quality"]})
    bpoly = vm.boundary_polydata(res["points"], res["faces"], res["region"])
    case.put_artifact(f"mesh_boundary:{name}",
                      lambda p: surf.write_polydata(bpoly, p), ".vtp", "mesh_boundary",
                      {**src, "regions": res["regions"], "source_mesh_sha256": mrec["sha256"]})
    case.save("mesh", {"structure": name, "preset": params.preset,
                       "edge_mm": mp.edge_mm, "tetrahedra": res["quality"]["tetrahedra"]})
    change = 100.0 * (raw.volume_mm3 / vol_mask - 1.0)
    return {"structure": params.structure, "preset": params.preset, "edge_mm": mp.edge_mm,
            "surface": {"points": chk.points, "triangles": chk.triangles,
                        "watertight": chk.watertight, "volume_mm3": round(raw.volume_mm3, 1),
                        "mask_volume_mm3": round(vol_mask, 1),
                        "volume_change_percent": round(change, 3),
                        "capped_volume_mm3": round(chk.volume_mm3, 1),
                        "area_mm2": round(chk.area_mm2, 1)},
            "mesh": {k: (round(v, 4) if isinstance(v, float) else v)
                     for k, v in res["quality"].items()},
            "regions": res["regions"], "seconds": round(time.perf_counter() - t0, 2)}


def _inside(mask: np.ndarray, grid: Grid, point, reach_mm: float) -> bool:
    """Whether the mask has a voxel within ``reach_mm`` of ``point``."""
    idx = grid.lps_to_zyx(point)[0]
    r = np.ceil(reach_mm / grid.spacing_zyx).astype(int)
    lo = np.maximum(np.floor(idx).astype(int) - r, 0)
    hi = np.minimum(np.ceil(idx).astype(int) + r + 1, mask.shape)
    return bool(np.any(hi > lo) and mask[tuple(slice(a, b) for a, b in zip(lo, hi))].any())


def write_unstructured(ug, path) -> None:
    from twindesk.geometry import vtk_classes as vtk

    w = vtk.vtkXMLUnstructuredGridWriter()
    w.SetFileName(str(path))
    w.SetInputData(ug)
    w.SetDataModeToBinary()
    w.SetCompressorTypeToZLib()
    if not w.Write():
        raise InputError(f"{path}: could not write", "check the folder exists and is writable")
