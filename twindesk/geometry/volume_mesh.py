"""Tetrahedral volume meshes with labelled inlet and outlets.

The closed vessel surface is cut perpendicular to its centerline a little inside each end
(the inlet at the root, an outlet at the descending end and at every branch stub) and each
cut is closed by a flat cap. fTetWild (Hu et al., "Fast Tetrahedral Meshing in the Wild",
ACM Trans Graph 2020; through pytetwild, MPL-2.0) fills the capped surface with linear
tetrahedra; a background sizing field makes the edges finer near the inlet. The boundary
triangles of the result are labelled by the cap they lie on (0 wall, 1 inlet, 2... outlets).

Licence note: TetGen (AGPL-3.0) and gmsh (GPL-2.0+) are not used, because twindesk ships
under Apache-2.0 without copyleft components; fTetWild is MPL-2.0 (file-level copyleft that
allows use from an Apache-2.0 application) and robust to imperfect input surfaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError, SolverError
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


@dataclass(frozen=True)
class Cap:
    """A flat cut closing the vessel: ``normal_lps`` points out of the domain."""

    region_id: int
    name: str
    kind: str  # "inlet" | "outlet"
    center_lps_mm: np.ndarray
    normal_lps: np.ndarray
    radius_mm: float  # reach of the cut around the centre (a little more than the lumen)


def plan_caps(centerline, inlet_name: str = "aortic root", outlet_names=None) -> list[Cap]:
    """Caps at both ends of the main path and at every branch tip, each a bit inside the
    end (half a radius, at least 1.5 mm) so the cut is a clean perpendicular section."""
    caps: list[Cap] = []
    main = centerline.main

    def at(path, from_end: bool) -> tuple[np.ndarray, np.ndarray, float]:
        s = path.arc_length_mm
        r = float(np.median(path.radius_mm[-5:] if from_end else path.radius_mm[:5]))
        inset = max(1.5, 0.5 * r)
        target = s[-1] - inset if from_end else s[0] + inset
        k = int(np.argmin(np.abs(s - target)))
        t = path.tangent_lps[k] / np.linalg.norm(path.tangent_lps[k])
        d = max(path.diameter_max_mm[k], 2 * r)
        return path.points_lps_mm[k], (t if from_end else -t), 0.5 * d + 3.0

    c, n, r = at(main, False)
    caps.append(Cap(1, inlet_name, "inlet", c, n, r))
    names = list(outlet_names or [])
    c, n, r = at(main, True)
    caps.append(Cap(2, names[0] if names else "main outlet", "outlet", c, n, r))
    for k, b in enumerate(centerline.branches):
        if len(b.points_lps_mm) < 3:
            continue
        c, n, r = at(b, True)
        near = int(np.argmin(np.linalg.norm(main.points_lps_mm - c, axis=1)))
        gap = np.linalg.norm(main.points_lps_mm[near] - c) - main.radius_mm[near]
        if gap < 2.0 or r - 3.0 > 0.8 * main.radius_mm[near] + 1.0:
            continue  # the cut would reach into the parent: a bulge, not a branch to open
        name = names[k + 1] if len(names) > k + 1 else f"branch {k + 1}"
        caps.append(Cap(len(caps) + 1, name, "outlet", c, n, r))
    return caps


def cut_and_cap(surface, caps: list[Cap]):
    """Cut the closed surface at every cap and close each cut with a flat fan of triangles.

    Returns a closed vtkPolyData with the cell array ``region_id``.
    """
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    poly = surface
    for cap in caps:
        poly = _clip_end(poly, cap)
    tri = vtk.vtkTriangleFilter()
    tri.SetInputData(poly)
    clean = vtk.vtkCleanPolyData()
    clean.SetInputConnection(tri.GetOutputPort())
    clean.Update()
    wall = clean.GetOutput()
    pts = ns.vtk_to_numpy(wall.GetPoints().GetData()).astype(float)
    faces = _triangles(wall)
    regions = [np.zeros(len(faces), np.int32)]
    all_faces = [faces]
    all_pts = [pts]
    offset = len(pts)
    for loop in _boundary_loops(wall):
        lp = pts[loop]
        cap = _cap_of(lp.mean(axis=0), caps)
        if cap is None:
            raise SolverError("cutting the vessel's ends left an opening that is not at an "
                              "inlet or outlet", "smooth or repair the segmentation and retry")
        centre = lp.mean(axis=0)
        centre = centre - np.dot(centre - cap.center_lps_mm, cap.normal_lps) * cap.normal_lps
        n = len(loop)
        fan = np.stack([np.full(n, offset), loop, np.roll(loop, -1)], axis=1)
        a, b = pts[fan[:, 1]] - centre, pts[fan[:, 2]] - centre
        if np.mean(np.cross(a, b) @ cap.normal_lps) < 0:
            fan = fan[:, [0, 2, 1]]
        all_pts.append(centre[None, :])
        all_faces.append(fan)
        regions.append(np.full(n, cap.region_id, np.int32))
        offset += 1
    out = _polydata(np.concatenate(all_pts), np.concatenate(all_faces),
                    np.concatenate(regions))
    return out


def _clip_end(poly, cap: Cap):
    """Remove the part of the surface beyond the cap's plane that is connected to the end
    at the cap (other parts of the vessel beyond the infinite plane are left alone)."""
    from twindesk.geometry import vtk_classes as vtk
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from vtkmodules.util import numpy_support as ns

    tri = vtk.vtkTriangleFilter()
    tri.SetInputData(poly)
    tri.Update()
    poly = tri.GetOutput()
    pts = ns.vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
    faces = _triangles(poly)
    d = (pts - cap.center_lps_mm) @ cap.normal_lps
    beyond = d > 0
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = edges[beyond[edges[:, 0]] & beyond[edges[:, 1]]]
    n = len(pts)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    cand = np.flatnonzero(beyond)
    if cand.size == 0:
        return poly
    radial = np.linalg.norm((pts[cand] - cap.center_lps_mm)
                            - d[cand, None] * cap.normal_lps, axis=1)
    near = cand[(radial <= cap.radius_mm) & (d[cand] <= cap.radius_mm)]
    if near.size == 0:
        return poly
    end_comps = np.unique(comp[near])
    scalars = np.where(beyond & ~np.isin(comp, end_comps), -1.0, d)
    arr = ns.numpy_to_vtk(scalars, deep=True)
    arr.SetName("cut")
    poly.GetPointData().SetScalars(arr)
    clip = vtk.vtkClipPolyData()
    clip.SetInputData(poly)
    clip.SetValue(0.0)
    clip.InsideOutOn()  # keep scalar <= 0
    clip.Update()
    out = vtk.vtkPolyData()
    out.DeepCopy(clip.GetOutput())
    out.GetPointData().RemoveArray("cut")
    return out


def _cap_of(point: np.ndarray, caps: list[Cap]) -> Cap | None:
    best, best_d = None, np.inf
    for cap in caps:
        d = np.linalg.norm(point - cap.center_lps_mm)
        if d < cap.radius_mm and abs(np.dot(point - cap.center_lps_mm, cap.normal_lps)) < 1.0 \
                and d < best_d:
            best, best_d = cap, d
    return best


def _triangles(poly) -> np.ndarray:
    from vtkmodules.util import numpy_support as ns

    cells = ns.vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(np.int64)
    return cells.reshape(-1, 3)


def _boundary_loops(poly) -> list[np.ndarray]:
    """Ordered point-index loops of the surface's boundary edges."""
    faces = _triangles(poly)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(edges, axis=1)
    uniq, count = np.unique(key, axis=0, return_counts=True)
    boundary = {tuple(e) for e in uniq[count == 1]}
    # directed boundary edges as they appear in the faces
    nxt = {}
    for a, b in edges:
        if (min(a, b), max(a, b)) in boundary:
            nxt[int(a)] = int(b)
    loops, seen = [], set()
    for start in list(nxt):
        if start in seen:
            continue
        loop = [start]
        seen.add(start)
        cur = nxt[start]
        while cur != start and cur not in seen and cur in nxt:
            loop.append(cur)
            seen.add(cur)
            cur = nxt[cur]
        if len(loop) >= 3:
            loops.append(np.asarray(loop))
    return loops


def _polydata(points: np.ndarray, faces: np.ndarray, region: np.ndarray | None = None):
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    poly = vtk.vtkPolyData()
    vp = vtk.vtkPoints()
    vp.SetData(ns.numpy_to_vtk(np.ascontiguousarray(points, dtype=float), deep=True))
    poly.SetPoints(vp)
    cells = vtk.vtkCellArray()
    offsets = np.arange(0, 3 * len(faces) + 1, 3, dtype=np.int64)
    cells.SetData(ns.numpy_to_vtkIdTypeArray(offsets, deep=True),
                  ns.numpy_to_vtkIdTypeArray(np.ascontiguousarray(faces, dtype=np.int64).ravel(),
                                             deep=True))
    poly.SetPolys(cells)
    if region is not None:
        arr = ns.numpy_to_vtk(np.ascontiguousarray(region, dtype=np.int32), deep=True)
        arr.SetName("region_id")
        poly.GetCellData().AddArray(arr)
    return poly


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


def tetrahedralize(capped, params: MeshParams, inlet_lps_mm=None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fill a closed surface with tetrahedra (fTetWild). Returns points and ``(M, 4)`` tets
    with positive volume in VTK's convention."""
    import pytetwild
    from vtkmodules.util import numpy_support as ns

    pts = ns.vtk_to_numpy(capped.GetPoints().GetData()).astype(np.float64)
    faces = _triangles(capped).astype(np.int32)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    kwargs = {}
    if inlet_lps_mm is not None and params.inlet_refinement != 1.0:
        bg_v, bg_t, bg_val = sizing_field(lo - 5.0, hi + 5.0, params, np.asarray(inlet_lps_mm))
        kwargs = {"bg_vertices": bg_v, "bg_tets": bg_t, "bg_values": bg_val}
    v, t = pytetwild.tetrahedralize(pts, faces, edge_length_abs=params.edge_mm,
                                    epsilon=params.epsilon_rel, optimize=True, quiet=True,
                                    vtk_ordering=True, num_opt_iter=params.optimize_iterations,
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
    from vtkmodules.util import numpy_support as ns

    ug = vtk.vtkUnstructuredGrid()
    vp = vtk.vtkPoints()
    vp.SetData(ns.numpy_to_vtk(np.ascontiguousarray(points, dtype=float), deep=True))
    ug.SetPoints(vp)
    cells = vtk.vtkCellArray()
    offsets = np.arange(0, 4 * len(tets) + 1, 4, dtype=np.int64)
    cells.SetData(ns.numpy_to_vtkIdTypeArray(offsets, deep=True),
                  ns.numpy_to_vtkIdTypeArray(np.ascontiguousarray(tets, dtype=np.int64).ravel(),
                                             deep=True))
    ug.SetCells(vtk.VTK_TETRA, cells)
    return ug


def boundary_polydata(points: np.ndarray, faces: np.ndarray, region: np.ndarray):
    """The ``mesh_boundary`` surface: the used mesh points (exact coordinates), triangles,
    cell array ``region_id`` and point array ``mesh_point_id`` (index into the VTU)."""
    from vtkmodules.util import numpy_support as ns

    used, inv = np.unique(faces, return_inverse=True)
    poly = _polydata(points[used], inv.reshape(-1, 3), region)
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


def check_caps(caps: list[Cap]) -> None:
    if not any(c.kind == "inlet" for c in caps):
        raise InputError("no inlet found", "the centerline must start at the vessel's inlet")
