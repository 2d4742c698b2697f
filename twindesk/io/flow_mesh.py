"""Flow-mesh artefacts (contract shared with the anatomy room).

``mesh:<structure>``
    VTU of linear tetrahedra, points in LPS mm.
``mesh_boundary:<structure>``
    VTP triangles whose vertices coincide with mesh points, cell array ``region_id``
    (0 wall, 1 inlet, 2.. outlets); the artefact's ``meta`` holds ``{"regions": [{"id",
    "name", "kind", "center_lps_mm", "normal_lps", "area_mm2"}]}``.

The boundary's points are matched to the volume points by coordinates (the contract says
they coincide; their order may differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twindesk.errors import CaseError, InputError


@dataclass(frozen=True)
class FlowMeshData:
    points_lps_mm: np.ndarray
    tets: np.ndarray
    boundary_tris: np.ndarray  # indices into points_lps_mm
    region_id: np.ndarray
    regions: list[dict]


def write_tet_vtu(path: Path, points_mm: np.ndarray, tets: np.ndarray,
                  point_data: dict[str, np.ndarray] | None = None) -> None:
    import pyvista as pv
    from vtkmodules.vtkCommonDataModel import VTK_TETRA

    cells = np.c_[np.full(len(tets), 4), tets].ravel()
    grid = pv.UnstructuredGrid(cells, np.full(len(tets), VTK_TETRA, dtype=np.uint8),
                               np.asarray(points_mm, dtype=float))
    for name, arr in (point_data or {}).items():
        arr = np.asarray(arr)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"point data '{name}' holds non-finite values")  # never stored
        grid.point_data[name] = arr
    grid.save(str(path), binary=True)


def write_boundary_vtp(path: Path, points_mm: np.ndarray, tris: np.ndarray,
                       region_id: np.ndarray, cell_data: dict[str, np.ndarray] | None = None,
                       point_data: dict[str, np.ndarray] | None = None) -> None:
    """Write labelled boundary triangles, keeping only the points they use."""
    import pyvista as pv

    used, local = np.unique(tris, return_inverse=True)
    faces = np.c_[np.full(len(tris), 3), local.reshape(-1, 3)].ravel()
    surf = pv.PolyData(np.asarray(points_mm, dtype=float)[used], faces)
    surf.cell_data["region_id"] = np.asarray(region_id, dtype=np.int32)
    for name, arr in (cell_data or {}).items():
        surf.cell_data[name] = arr
    for name, arr in (point_data or {}).items():
        surf.point_data[name] = np.asarray(arr)[used]
    surf.save(str(path), binary=True)


def read_flow_mesh(case, structure: str = "aorta") -> FlowMeshData:
    """Read ``mesh:<structure>`` and ``mesh_boundary:<structure>`` from an open case."""
    import pyvista as pv
    from scipy.spatial import cKDTree

    mesh_key, bnd_key = f"mesh:{structure}", f"mesh_boundary:{structure}"
    for key in (mesh_key, bnd_key):
        if case.artifact(key) is None:
            raise CaseError(f"case {case.path} has no '{key}'",
                            "build the flow mesh first (anatomy step 'mesh')")
    grid = pv.read(str(case.artifact_path(mesh_key)))
    from vtkmodules.vtkCommonDataModel import VTK_TETRA

    if grid.n_cells == 0 or not np.all(grid.celltypes == VTK_TETRA):
        raise InputError(f"{mesh_key}: expected only linear tetrahedra",
                         "regenerate the flow mesh")
    tets = grid.cells.reshape(-1, 5)[:, 1:].astype(np.int64)
    pts = np.asarray(grid.points, dtype=float)
    surf = pv.read(str(case.artifact_path(bnd_key)))
    if "region_id" not in surf.cell_data:
        raise InputError(f"{bnd_key}: no cell array 'region_id'", "regenerate the flow mesh")
    if not surf.is_all_triangles:
        raise InputError(f"{bnd_key}: expected triangles only", "regenerate the flow mesh")
    faces = surf.faces.reshape(-1, 4)[:, 1:]
    size = float(np.ptp(pts, axis=0).max())
    dist, idx = cKDTree(pts).query(np.asarray(surf.points, dtype=float))
    if dist.size and dist.max() > 1e-6 * max(size, 1.0):
        raise InputError(f"{bnd_key}: boundary points do not coincide with mesh points "
                         f"(off by up to {dist.max():.3g} mm)",
                         "regenerate the boundary from the same volume mesh")
    meta = (case.artifact(bnd_key).get("meta") or {})
    regions = meta.get("regions")
    if not regions:
        raise InputError(f"{bnd_key}: meta has no 'regions' list",
                         "regenerate the flow mesh with labelled regions")
    return FlowMeshData(pts, tets, idx[faces], np.asarray(surf.cell_data["region_id"]),
                        regions)


def put_flow_mesh(case, structure: str, points_mm, tets, tris, region_id,
                  regions: list[dict]) -> None:
    """Store a flow mesh following the contract (used by synthetic cases and tests)."""
    case.put_artifact(f"mesh:{structure}", lambda p: write_tet_vtu(p, points_mm, tets), ".vtu",
                      "mesh", {"tetrahedra": int(len(tets))})
    case.put_artifact(f"mesh_boundary:{structure}",
                      lambda p: write_boundary_vtp(p, points_mm, tris, region_id), ".vtp",
                      "mesh_boundary", {"regions": regions})
