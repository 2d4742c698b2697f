"""Tetrahedral volume meshes with labelled inlet and outlets.

The capped vessel surface (:mod:`twindesk.geometry.caps`) is filled with linear tetrahedra
by fTetWild (Hu et al., "Fast Tetrahedral Meshing in the Wild", ACM Trans Graph 2020; through
pytetwild, MPL-2.0); a background sizing field makes the edges finer near the inlet. The boundary
triangles of the result are labelled by the cap they lie on (0 wall, 1 inlet, 2... outlets).

Licence note: TetGen (AGPL-3.0) and gmsh (GPL-2.0+) are not used, because twindesk ships
under Apache-2.0 without copyleft components; fTetWild is MPL-2.0 (file-level copyleft that
allows use from an Apache-2.0 application) and robust to imperfect input surfaces.
"""

from __future__ import annotations

import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from twindesk.errors import SolverError
from twindesk.geometry.caps import Cap, cell_array, polydata, triangles, vtk_points
from twindesk.jobs import CancelToken, ProgressReporter


@dataclass(frozen=True)
class MeshParams:
    """Target tetrahedron edge (mm), refined by ``inlet_refinement`` within
    ``inlet_refine_mm`` of the inlet (blending back over as far again)."""

    edge_mm: float = 3.0
    inlet_refinement: float = 0.7
    inlet_refine_mm: float = 25.0
    epsilon_rel: float = 2e-3  # allowed surface deviation, relative to the bounding box
    optimize_iterations: int = 30
    stop_energy: float = 10.0  # fTetWild stops improving elements at this AMIPS energy


PRESETS = {
    "view": MeshParams(edge_mm=5.0, inlet_refinement=1.0, epsilon_rel=3e-3),
    "flow": MeshParams(edge_mm=3.0, inlet_refinement=0.7),
}


def sizing_field(lo: np.ndarray, hi: np.ndarray, params: MeshParams, inlet: np.ndarray,
                 spacing_mm: float = 8.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A background tetrahedral grid over the box with the target edge length at each point:
    ``edge_mm`` far away, ``inlet_refinement * edge_mm`` near the inlet, linear in between."""
    n = np.maximum(np.ceil((hi - lo) / spacing_mm).astype(int), 1) + 1
    axes = [np.linspace(a, b, k) for a, b, k in zip(lo, hi, n)]
    gx, gy, gz = np.meshgrid(*axes, indexing="ij")
    pts = np.stack([gx.ravel(), gy.ravel(), gz.ravel()], axis=1)
    idx = np.arange(len(pts)).reshape(n)
    c = [idx[:-1, :-1, :-1], idx[1:, :-1, :-1], idx[1:, 1:, :-1], idx[:-1, 1:, :-1],
         idx[:-1, :-1, 1:], idx[1:, :-1, 1:], idx[1:, 1:, 1:], idx[:-1, 1:, 1:]]
    c = [v.ravel() for v in c]
    # Six tetrahedra per cube around the main diagonal 0-6 (a conforming split).
    tets = np.concatenate([np.stack(t, 1) for t in (
        (c[0], c[1], c[2], c[6]), (c[0], c[2], c[3], c[6]), (c[0], c[3], c[7], c[6]),
        (c[0], c[7], c[4], c[6]), (c[0], c[4], c[5], c[6]), (c[0], c[5], c[1], c[6]))])
    d = np.linalg.norm(pts - inlet, axis=1)
    w = np.clip((d - params.inlet_refine_mm) / params.inlet_refine_mm, 0.0, 1.0)
    values = params.edge_mm * (params.inlet_refinement + (1.0 - params.inlet_refinement) * w)
    return pts, tets.astype(np.int32), values


_CWD_LOCK = threading.Lock()


@contextmanager
def _scratch_cwd():
    """fTetWild writes ``__tracked_surface.stl`` into the working directory, which may be
    the install folder or the user's case folder: let it write into a private temporary
    directory instead (process-wide, so one mesher at a time)."""
    with _CWD_LOCK, tempfile.TemporaryDirectory(prefix="twindesk-tetwild-") as tmp:
        old = os.getcwd()
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(old)


def tetrahedralize(capped, params: MeshParams, inlet_lps_mm=None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fill a closed surface with tetrahedra (fTetWild). Returns points and ``(M, 4)`` tets
    with positive volume in VTK's convention."""
    import pytetwild
    from vtkmodules.util import numpy_support as ns

    pts = ns.vtk_to_numpy(capped.GetPoints().GetData()).astype(np.float64)
    faces = triangles(capped).astype(np.int32)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    kwargs = {}
    if inlet_lps_mm is not None and params.inlet_refinement != 1.0:
        bg_v, bg_t, bg_val = sizing_field(lo - 5.0, hi + 5.0, params, np.asarray(inlet_lps_mm))
        kwargs = {"bg_vertices": bg_v, "bg_tets": bg_t, "bg_values": bg_val}
    with _scratch_cwd():
        v, t = pytetwild.tetrahedralize(pts, faces, edge_length_abs=params.edge_mm,
                                        epsilon=params.epsilon_rel, optimize=True, quiet=True,
                                        vtk_ordering=True,
                                        num_opt_iter=params.optimize_iterations,
                                        stop_energy=params.stop_energy, **kwargs)
    if len(t) == 0:
        raise SolverError("the tetrahedral mesher produced no elements",
                          "check the surface (twindesk mesh --preset view) and retry")
    vol = signed_volumes(v, t)
    if np.median(vol) < 0:  # flip to VTK's positive orientation
        t = t[:, [0, 2, 1, 3]]
    return v, t.astype(np.int64)


def signed_volumes(points: np.ndarray, tets: np.ndarray) -> np.ndarray:
    p = points[tets]
    return np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]),
                     p[:, 3] - p[:, 0]) / 6.0


def quality(points: np.ndarray, tets: np.ndarray) -> dict:
    """Element quality: dihedral angles (deg), radius ratio ``R / (3 r)`` (1 for a regular
    tetrahedron), inverted (non-positive volume) count, edge lengths."""
    p = points[tets]
    vol = signed_volumes(points, tets)
    faces = [(1, 2, 3), (0, 3, 2), (0, 1, 3), (0, 2, 1)]  # opposite vertex 0, 1, 2, 3
    normals, areas = [], []
    for a, b, c in faces:
        n = np.cross(p[:, b] - p[:, a], p[:, c] - p[:, a])
        areas.append(0.5 * np.linalg.norm(n, axis=1))
        normals.append(n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-30))
    dihedral = []
    for i in range(4):
        for j in range(i + 1, 4):
            cosang = -np.einsum("ij,ij->i", normals[i], normals[j])
            dihedral.append(np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0))))
    dihedral = np.stack(dihedral, axis=1)
    total_area = np.sum(areas, axis=0)
    inradius = 3.0 * np.abs(vol) / np.maximum(total_area, 1e-30)
    circum = _circumradius(p)
    ratio = circum / np.maximum(3.0 * inradius, 1e-30)
    edges = np.concatenate([np.linalg.norm(p[:, i] - p[:, j], axis=1)
                            for i in range(4) for j in range(i + 1, 4)])
    return {"tetrahedra": int(len(tets)), "points": int(len(points)),
            "volume_mm3": float(np.abs(vol).sum()),
            "min_dihedral_deg": float(dihedral.min()),
            "max_dihedral_deg": float(dihedral.max()),
            "max_radius_ratio": float(ratio.max()),
            "mean_radius_ratio": float(ratio.mean()),
            "inverted_elements": int(np.count_nonzero(vol <= 0.0)),
            "edge_mm": {"min": float(edges.min()), "median": float(np.median(edges)),
                        "max": float(edges.max())}}


def _circumradius(p: np.ndarray) -> np.ndarray:
    a, b, c = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
    num = (np.einsum("ij,ij->i", a, a)[:, None] * np.cross(b, c)
           + np.einsum("ij,ij->i", b, b)[:, None] * np.cross(c, a)
           + np.einsum("ij,ij->i", c, c)[:, None] * np.cross(a, b))
    den = 2.0 * np.einsum("ij,ij->i", a, np.cross(b, c))
    return np.linalg.norm(num, axis=1) / np.maximum(np.abs(den), 1e-30)


def boundary_faces(tets: np.ndarray) -> np.ndarray:
    """Triangles on the mesh boundary (faces of exactly one tet), oriented outwards."""
    local = np.array([(1, 2, 3), (0, 3, 2), (0, 1, 3), (0, 2, 1)])  # outward for vol > 0
    faces = tets[:, local].reshape(-1, 3)
    key = np.sort(faces, axis=1)
    _, inv, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    return faces[count[inv.ravel()] == 1]


def label_boundary(points: np.ndarray, faces: np.ndarray, caps: list[Cap],
                   tol_mm: float = 0.5) -> np.ndarray:
    """``region_id`` per boundary face: the cap whose plane the face lies in (within
    ``tol_mm``, facing the same way, inside the cap's reach), else 0 (wall)."""
    tri = points[faces]
    cen = tri.mean(axis=1)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-30)
    out = np.zeros(len(faces), np.int32)
    for cap in caps:
        d = cen - cap.center_lps_mm
        on = (np.abs(d @ cap.normal_lps) <= tol_mm) & (n @ cap.normal_lps > 0.95) & \
             (np.linalg.norm(d, axis=1) <= cap.radius_mm)
        out[on] = cap.region_id
    return out


def region_table(points: np.ndarray, faces: np.ndarray, region: np.ndarray, caps: list[Cap]
                 ) -> list[dict]:
    """The ``mesh_boundary`` regions: id, name, kind, centre, outward normal, area."""
    tri = points[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = 0.5 * np.linalg.norm(cross, axis=1)
    out = [{"id": 0, "name": "wall", "kind": "wall",
            "center_lps_mm": [float(v) for v in (tri[region == 0].mean(axis=(0, 1)))],
            "normal_lps": [0.0, 0.0, 0.0], "area_mm2": float(area[region == 0].sum())}]
    for cap in caps:
        sel = region == cap.region_id
        if not sel.any():
            raise SolverError(f"the {cap.kind} '{cap.name}' has no boundary faces after meshing",
                              "the cut may be too close to the vessel's end; re-segment or edit")
        w = area[sel]
        centre = (tri[sel].mean(axis=1) * w[:, None]).sum(axis=0) / w.sum()
        out.append({"id": cap.region_id, "name": cap.name, "kind": cap.kind,
                    "center_lps_mm": [float(v) for v in centre],
                    "normal_lps": [float(v) for v in cap.normal_lps],
                    "area_mm2": float(w.sum())})
    return out


def unstructured_grid(points: np.ndarray, tets: np.ndarray):
    """A vtkUnstructuredGrid of linear tetrahedra."""
    from twindesk.geometry import vtk_classes as vtk

    ug = vtk.vtkUnstructuredGrid()
    ug.SetPoints(vtk_points(points))
    ug.SetCells(vtk.VTK_TETRA, cell_array(tets))
    return ug


def boundary_polydata(points: np.ndarray, faces: np.ndarray, region: np.ndarray):
    """The ``mesh_boundary`` surface: the used mesh points (exact coordinates), triangles,
    cell array ``region_id`` and point array ``mesh_point_id`` (index into the VTU)."""
    from vtkmodules.util import numpy_support as ns

    used, inv = np.unique(faces, return_inverse=True)
    poly = polydata(points[used], inv.reshape(-1, 3), region)
    ids = ns.numpy_to_vtk(used.astype(np.int64), deep=True)
    ids.SetName("mesh_point_id")
    poly.GetPointData().AddArray(ids)
    return poly


def mesh_capped_surface(capped, caps: list[Cap], params: MeshParams, progress=None,
                        cancel: CancelToken | None = None) -> dict:
    """Tetrahedralize a capped surface and label its boundary. Returns a dict with
    ``points``, ``tets``, ``faces``, ``region``, ``regions`` (table) and ``quality``."""
    rep = ProgressReporter(progress, cancel=cancel)
    inlet = next((c.center_lps_mm for c in caps if c.kind == "inlet"), None)
    rep(0.0, "tetrahedra")
    points, tets = tetrahedralize(capped, params, inlet)
    rep(0.8, "boundary")
    if cancel is not None:
        cancel.check()
    faces = boundary_faces(tets)
    tol = max(0.5, 2.0 * params.epsilon_rel * float(np.linalg.norm(points.max(0) - points.min(0))))
    region = label_boundary(points, faces, caps, tol)
    q = quality(points, tets)
    if q["inverted_elements"]:
        raise SolverError(f"the mesh has {q['inverted_elements']} inverted elements",
                          "retry with a different --edge-mm")
    return {"points": points, "tets": tets, "faces": faces, "region": region,
            "regions": region_table(points, faces, region, caps), "quality": q}
