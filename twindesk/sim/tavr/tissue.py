"""The tissue a valve frame is deployed in: the lumen surface around the aortic root.

The surface is the wall of the blood lumen from the LVOT through the root into the ascending
aorta, open at both ends (no caps: a cap would act as a wall across the lumen). It is built
from the case's segmentation masks — ``labels:aorta`` (above the LVOT cut) united with
``labels:lv`` (which holds the LVOT), or ``labels:bloodpool`` — inside a slab along the
annulus normal: the masks are cut to a cylinder a few millimetres larger than the slab, the
closed surface of the cut mask is extracted (:func:`twindesk.geometry.surface.mask_surface`),
and the faces on or beyond the slab planes and the cylinder (the cut's artificial caps) are
dropped; of what remains, the connected piece around the annulus is kept.

The surface is stored as the artefact ``surface:aortic_root`` (VTP, LPS mm) with the masks'
digests and the slab in its ``meta``, and reused while they are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import CaseError, InputError

ARTIFACT = "surface:aortic_root"


@dataclass(frozen=True)
class TissueSlab:
    """Where the tissue surface is kept (mm): from ``below_mm`` under the annulus plane to
    ``above_mm`` over it, within ``radius_mm`` of the annulus axis. The defaults cover
    implant depths to 12 mm and 46 mm frames placed 4 mm deep with 10 mm to spare."""

    below_mm: float = 15.0
    above_mm: float = 55.0
    radius_mm: float = 30.0
    margin_mm: float = 3.0


def _mask_sources(case) -> tuple[list[str], str]:
    from twindesk.imaging import labels

    if labels.has(case, "aorta") and labels.has(case, "lv"):
        return ["aorta", "lv"], "labels:aorta + labels:lv"
    if labels.has(case, "bloodpool"):
        return ["bloodpool"], "labels:bloodpool"
    missing = [s for s in ("aorta", "lv") if not labels.has(case, s)]
    raise CaseError(f"case {case.path}: the lumen around the aortic root is not segmented "
                    f"(no {', '.join('labels:' + m for m in missing)})",
                    "segment it first: twindesk segment CASE --structure aorta, then "
                    "--structure lv (the LVOT), or --structure bloodpool")


def _slab_mask(mask: np.ndarray, grid, center, normal, slab: TissueSlab):
    """The mask inside the slab cylinder (plus the margin), cropped to its box, and the
    sub-grid."""
    from twindesk.imaging.grid import sub_grid

    m = slab.margin_mm
    reach = max(slab.below_mm, slab.above_mm) + slab.radius_mm + 2 * m
    lo = grid.lps_to_zyx(np.asarray(center) - reach)[0]
    hi = grid.lps_to_zyx(np.asarray(center) + reach)[0]
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    shape = np.asarray(mask.shape)
    a = np.clip(np.floor(lo).astype(int), 0, shape - 1)
    b = np.clip(np.ceil(hi).astype(int) + 1, 1, shape)
    sl = tuple(slice(int(i), int(j)) for i, j in zip(a, b))
    sub = mask[sl].copy()
    g = sub_grid(grid, sl)
    zz, yy, xx = np.nonzero(sub)
    if len(zz) == 0:
        return sub, g
    p = g.zyx_to_lps(np.column_stack([zz, yy, xx])) - np.asarray(center)
    h = p @ normal
    r = np.linalg.norm(p - np.outer(h, normal), axis=1)
    out = (h < -slab.below_mm - m) | (h > slab.above_mm + m) | (r > slab.radius_mm + m)
    sub[zz[out], yy[out], xx[out]] = False
    return sub, g


def _open_tube(poly, center, normal, slab: TissueSlab):
    """Drop the faces beyond the slab planes and the cylinder, keep the piece at the
    annulus (vtkPolyData in, vtkPolyData out)."""
    from twindesk.geometry import vtk_classes as vtk
    from twindesk.geometry.caps import cell_array
    from twindesk.geometry.surface import connected_piece
    from vtkmodules.util import numpy_support as ns

    pts = ns.vtk_to_numpy(poly.GetPoints().GetData()).astype(float) - np.asarray(center)
    h = pts @ normal
    r = np.linalg.norm(pts - np.outer(h, normal), axis=1)
    inside = (h >= -slab.below_mm) & (h <= slab.above_mm) & (r <= slab.radius_mm)
    faces = ns.vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).reshape(-1, 3)
    keep = faces[np.all(inside[faces], axis=1)]
    if len(keep) == 0:
        raise InputError("the segmented lumen does not reach the annulus plane",
                         "check the aortic root measurement (twindesk measure) and the "
                         "segmentation")
    cut = vtk.vtkPolyData()
    cut.SetPoints(poly.GetPoints())
    cut.SetPolys(cell_array(keep))
    return connected_piece(cut, center)


def build_root_surface(mask: np.ndarray, grid, center_lps_mm, normal_lps,
                       slab: TissueSlab = TissueSlab()):
    """Open lumen surface (vtkPolyData, LPS mm, normals out of the lumen) of ``mask``
    around the annulus at ``center_lps_mm`` with axis ``normal_lps`` (LV → aorta)."""
    from twindesk.geometry.surface import SurfaceParams, mask_surface

    center = np.asarray(center_lps_mm, float)
    normal = np.asarray(normal_lps, float) / np.linalg.norm(normal_lps)
    sub, g = _slab_mask(mask, grid, center, normal, slab)
    if not sub.any():
        raise InputError("the segmented lumen does not reach the aortic annulus",
                         "check the segmentation (aorta and LV) and the root measurement")
    closed = mask_surface(sub, g, SurfaceParams(smoothing_iterations=20, pass_band=0.05,
                                                target_reduction=0.5))
    return _open_tube(closed, center, normal, slab)


def _digests(case, structures: list[str]) -> dict[str, str]:
    return {s: case.artifact(f"labels:{s}")["sha256"] for s in structures}


def surface_request(case, center_lps_mm, normal_lps, slab: TissueSlab = TissueSlab()):
    """What building the case's root surface needs, read on the caller's thread:
    ``(stored_polydata_or_None, build_args, meta)``. ``build_args`` (mask, grid, centre,
    normal, slab) go to :func:`build_root_surface` (safe off the UI thread); the stored
    surface is returned instead when it was built from the same masks, plane and slab."""
    from twindesk.geometry.surface import read_polydata
    from twindesk.imaging import labels
    from twindesk.imaging.grid import Grid

    structures, source = _mask_sources(case)
    meta = {"masks": _digests(case, structures), "source": source,
            "center_lps_mm": [round(float(v), 4) for v in center_lps_mm],
            "normal_lps": [round(float(v), 6) for v in normal_lps],
            "slab": {"below_mm": slab.below_mm, "above_mm": slab.above_mm,
                     "radius_mm": slab.radius_mm}}
    rec = case.artifact(ARTIFACT)
    if rec is not None and all(rec.get("meta", {}).get(k) == v for k, v in meta.items()):
        return read_polydata(case.artifact_path(ARTIFACT)), None, rec
    mask = labels.load(case, structures[0])
    for s in structures[1:]:
        mask |= labels.load(case, s)
    return None, (mask, Grid.of(case.image()), center_lps_mm, normal_lps, slab), meta


def store_surface(case, poly, meta: dict) -> dict:
    """Write the built surface as ``surface:aortic_root`` (caller saves); its record."""
    from twindesk.geometry.surface import write_polydata

    meta = {**meta, "triangles": int(poly.GetNumberOfCells())}
    if not case.writable:
        return {"meta": meta}
    return case.put_artifact(ARTIFACT, lambda p: write_polydata(poly, p), ".vtp", "surface",
                             meta)


def root_surface(case, center_lps_mm, normal_lps, slab: TissueSlab = TissueSlab(), *,
                 store: bool = True):
    """The case's open root lumen surface (vtkPolyData, LPS mm) and its artefact record.

    Reuses ``surface:aortic_root`` when it was built from the same masks, plane and slab;
    otherwise builds it and (``store``) writes the artefact — the caller saves the case.
    """
    stored, args, meta = surface_request(case, center_lps_mm, normal_lps, slab)
    if stored is not None:
        return stored, meta
    poly = build_root_surface(*args)
    if store:
        return poly, store_surface(case, poly, meta)
    return poly, {"meta": {**meta, "triangles": int(poly.GetNumberOfCells())}}
