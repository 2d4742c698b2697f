"""Cutting a closed vessel surface at its inlet and outlets and closing each cut flat.

The surface is cut perpendicular to the vessel a little inside each end: the inlet at the
root (parallel to the segmentation's root cut), an outlet at the descending end and at every
branch stub (parallel to the stub's own end face). Each cut is closed by a fan of triangles
and labelled with its region id (0 wall, 1 inlet, 2... outlets), the contract of
``mesh_boundary:<structure>``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from twindesk.errors import SolverError


#: A cut removes the vessel's end beyond its plane only within this many cap radii.
CLIP_REACH = 2.5


@dataclass(frozen=True)
class Cap:
    """A flat cut closing the vessel: ``normal_lps`` points out of the domain."""

    region_id: int
    name: str
    kind: str  # "inlet" | "outlet"
    center_lps_mm: np.ndarray
    normal_lps: np.ndarray
    radius_mm: float  # reach of the cut around the centre (a little more than the lumen)


def plan_caps(centerline, inlet_name: str = "aortic root", outlet_names=None,
              stubs: list[dict] | None = None, inlet_cut: dict | None = None) -> list[Cap]:
    """Caps at both ends of the main path and at every branch tip, each a bit inside the
    end (half a radius, at least 1.5 mm) so the cut is a clean perpendicular section.

    ``stubs`` (the segmentation's branch stubs: ``tip_lps_mm``, ``axis_lps``,
    ``neck_radius_mm``) give the branch cuts directly: the stubs were cut perpendicular to
    those axes, so the cap is parallel to the stub's own end face; likewise ``inlet_cut``
    (``center_lps_mm``, ``normal_lps`` into the vessel: the aortic root cut)."""
    caps: list[Cap] = []
    main = centerline.main

    def at(path, from_end: bool) -> tuple[np.ndarray, np.ndarray, float]:
        s = path.arc_length_mm
        ends = path.radius_mm[-5:] if from_end else path.radius_mm[:5]
        r = float(max(np.median(ends), 0.5 * np.median(path.diameter_area_mm)))
        inset = max(1.5, 0.5 * r)
        target = s[-1] - inset if from_end else s[0] + inset
        k = int(np.argmin(np.abs(s - target)))
        t = path.tangent_lps[k] / np.linalg.norm(path.tangent_lps[k])
        d = max(path.diameter_max_mm[k], 2 * r)
        return path.points_lps_mm[k], (t if from_end else -t), 0.5 * d + 3.0

    c, n, r = at(main, False)
    if inlet_cut is not None:  # the mask ends flat on this plane: cut parallel to it
        n_in = np.asarray(inlet_cut["normal_lps"], float)
        n_in = n_in / np.linalg.norm(n_in)
        c = np.asarray(inlet_cut["center_lps_mm"], float) + 2.0 * n_in
        n = -n_in
    caps.append(Cap(1, inlet_name, "inlet", c, n, r))
    names = list(outlet_names or [])
    c, n, r = at(main, True)
    caps.append(Cap(2, names[0] if names else "main outlet", "outlet", c, n, r))
    if stubs is not None:
        for k, st in enumerate(stubs):
            axis = np.asarray(st["axis_lps"], float)
            r = float(st["neck_radius_mm"])
            centre = np.asarray(st["tip_lps_mm"], float) - max(1.5, 0.5 * r) * axis
            name = names[k + 1] if len(names) > k + 1 else f"branch {k + 1}"
            caps.append(Cap(len(caps) + 1, name, "outlet", centre, axis, r + 3.0))
        return caps
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

    A cap whose cut would not leave exactly one flat opening (its plane also slices a
    neighbouring wall, or the end is too short) is skipped: that end stays closed as wall.
    Returns ``(closed vtkPolyData with the cell array region_id, the caps used)``.
    """
    from vtkmodules.util import numpy_support as ns

    poly = _clean_triangles(surface)
    used: list[Cap] = []
    loops_before = len(boundary_loops(poly))
    for cap in caps:
        cut = _clean_triangles(_clip_end(poly, cap))
        pts = ns.vtk_to_numpy(cut.GetPoints().GetData()).astype(float)
        loops = boundary_loops(cut)
        new = [lp for lp in loops if _cap_of(pts[lp].mean(axis=0), [cap]) is cap]
        if len(loops) == loops_before + 1 and len(new) == 1:
            poly, loops_before = cut, len(loops)
            used.append(cap)
    # region ids stay consecutive (1 inlet, 2... outlets) when an end was left closed
    used = [replace(c, region_id=k + 1) for k, c in enumerate(used)]
    wall = poly
    pts = ns.vtk_to_numpy(wall.GetPoints().GetData()).astype(float)
    faces = triangles(wall)
    regions = [np.zeros(len(faces), np.int32)]
    all_faces = [faces]
    all_pts = [pts]
    offset = len(pts)
    for loop in boundary_loops(wall):
        lp = pts[loop]
        cap = _cap_of(lp.mean(axis=0), used)
        if cap is None:
            raise SolverError("the vessel's surface has an opening that is not at an inlet "
                              "or outlet", "smooth or repair the segmentation and retry")
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
    out = polydata(np.concatenate(all_pts), np.concatenate(all_faces),
                    np.concatenate(regions))
    return out, used


def _clean_triangles(poly):
    from twindesk.geometry import vtk_classes as vtk

    tri = vtk.vtkTriangleFilter()
    tri.SetInputData(poly)
    clean = vtk.vtkCleanPolyData()
    clean.SetInputConnection(tri.GetOutputPort())
    clean.Update()
    out = vtk.vtkPolyData()
    out.ShallowCopy(clean.GetOutput())
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
    faces = triangles(poly)
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
    # never further than a few radii: a plane can also pass behind a neighbouring wall
    reach = np.linalg.norm(pts - cap.center_lps_mm, axis=1) <= CLIP_REACH * cap.radius_mm
    scalars = np.where(beyond & ~(np.isin(comp, end_comps) & reach), -1.0, d)
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
        if d < CLIP_REACH * cap.radius_mm and d < best_d \
                and abs(np.dot(point - cap.center_lps_mm, cap.normal_lps)) < 1.0:
            best, best_d = cap, d
    return best


def triangles(poly) -> np.ndarray:
    from vtkmodules.util import numpy_support as ns

    cells = ns.vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(np.int64)
    return cells.reshape(-1, 3)


def boundary_loops(poly) -> list[np.ndarray]:
    """Ordered point-index loops of the surface's boundary edges."""
    faces = triangles(poly)
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


def vtk_points(points: np.ndarray):
    """A deep-copied vtkPoints of an ``(N, 3)`` array."""
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    vp = vtk.vtkPoints()
    vp.SetData(ns.numpy_to_vtk(np.ascontiguousarray(points, dtype=float), deep=True))
    return vp


def cell_array(cells: np.ndarray):
    """A vtkCellArray of same-size cells from an ``(M, k)`` index array (deep copy)."""
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    cells = np.ascontiguousarray(cells, dtype=np.int64)
    k = cells.shape[1] if cells.ndim == 2 else 3
    out = vtk.vtkCellArray()
    offsets = np.arange(0, k * len(cells) + 1, k, dtype=np.int64)
    out.SetData(ns.numpy_to_vtkIdTypeArray(offsets, deep=True),
                ns.numpy_to_vtkIdTypeArray(cells.ravel(), deep=True))
    return out


def polydata(points: np.ndarray, faces: np.ndarray, region: np.ndarray | None = None):
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    poly = vtk.vtkPolyData()
    poly.SetPoints(vtk_points(points))
    poly.SetPolys(cell_array(faces))
    if region is not None:
        arr = ns.numpy_to_vtk(np.ascontiguousarray(region, dtype=np.int32), deep=True)
        arr.SetName("region_id")
        poly.GetCellData().AddArray(arr)
    return poly
