"""Triangle surfaces with exact signed-distance queries (vectorised).

The lumen surface of the tissue is a triangle mesh whose normals point out of the lumen
(into the wall). The signed distance of a point is positive outside the lumen. Closest
points are found exactly among the triangles whose centroids are nearest (k-d tree), with a
ball-query fallback when the candidate set cannot be proven to contain the closest one;
the sign comes from the normal interpolated at the closest point (vertex normals, which is
robust on smooth segmentation surfaces).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from twindesk.errors import InputError


def closest_points_on_triangles(p, a, b, c):
    """Closest points of points ``p`` on triangles (a, b, c), all (..., 3) arrays.

    Returns the points and barycentric weights (..., 3) (region tests of Ericson,
    *Real-Time Collision Detection*, 2005, §5.1.5).
    """
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = np.sum(ab * ap, -1), np.sum(ac * ap, -1)
    bp = p - b
    d3, d4 = np.sum(ab * bp, -1), np.sum(ac * bp, -1)
    cp = p - c
    d5, d6 = np.sum(ab * cp, -1), np.sum(ac * cp, -1)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        v_in, w_in = vb / denom, vc / denom
        v_ab = d1 / (d1 - d3)
        w_ac = d2 / (d2 - d6)
        w_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
    one, zero = np.ones_like(d1), np.zeros_like(d1)
    # default: interior
    bary = np.stack([1 - v_in - w_in, v_in, w_in], -1)
    cases = [
        ((va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0), (zero, 1 - w_bc, w_bc)),
        ((vb <= 0) & (d2 >= 0) & (d6 <= 0), (1 - w_ac, zero, w_ac)),
        ((d6 >= 0) & (d5 <= d6), (zero, zero, one)),
        ((vc <= 0) & (d1 >= 0) & (d3 <= 0), (1 - v_ab, v_ab, zero)),
        ((d3 >= 0) & (d4 <= d3), (zero, one, zero)),
        ((d1 <= 0) & (d2 <= 0), (one, zero, zero)),
    ]
    for mask, weights in cases:   # later entries take priority, as in the sequential test
        bary = np.where(mask[..., None], np.stack(weights, -1), bary)
    bary = np.nan_to_num(bary)
    q = bary[..., 0:1] * a + bary[..., 1:2] * b + bary[..., 2:3] * c
    return q, bary


class TriangleSurface:
    """A triangle mesh (LPS or frame millimetres) with signed-distance queries.

    Parameters
    ----------
    points_mm
        (n, 3) vertex coordinates.
    faces
        (m, 3) vertex indices of triangles; normals (right-hand rule) should point out of
        the lumen. Use :meth:`oriented_outward` when unsure.
    """

    def __init__(self, points_mm: np.ndarray, faces: np.ndarray, k_candidates: int = 12):
        self.points = np.ascontiguousarray(points_mm, float)
        self.faces = np.ascontiguousarray(faces, np.int64)
        if self.points.ndim != 2 or self.points.shape[1] != 3 or len(self.points) < 3:
            raise InputError("tissue surface: points must be an (n, 3) array")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3 or len(self.faces) == 0:
            raise InputError("tissue surface: needs triangle faces (m, 3)",
                             hint="triangulate the surface first")
        if self.faces.min() < 0 or self.faces.max() >= len(self.points):
            raise InputError("tissue surface: face indices out of range")
        tri = self.points[self.faces]
        self._a, self._b, self._c = tri[:, 0], tri[:, 1], tri[:, 2]
        cross = np.cross(self._b - self._a, self._c - self._a)
        self.face_area = 0.5 * np.linalg.norm(cross, axis=1)
        self.face_normal = cross / np.maximum(2 * self.face_area, 1e-300)[:, None]
        nv = len(self.points)
        flat = self.faces.ravel()
        vn = np.column_stack([np.bincount(flat, np.repeat(cross[:, c], 3), minlength=nv)
                              for c in range(3)])          # area-weighted
        self.vertex_normal = vn / np.maximum(np.linalg.norm(vn, axis=1), 1e-300)[:, None]
        self.vertex_area = np.bincount(flat, np.repeat(self.face_area / 3, 3), minlength=nv)
        centroid = tri.mean(axis=1)
        self._radius = np.linalg.norm(tri - centroid[:, None], axis=2).max()
        self._tree = cKDTree(centroid)
        self._k = min(k_candidates, len(self.faces))

    @classmethod
    def from_polydata(cls, poly) -> TriangleSurface:
        """From a pyvista/VTK PolyData (triangulated on the fly)."""
        import pyvista as pv

        mesh = pv.wrap(poly)
        if not mesh.is_all_triangles:
            mesh = mesh.triangulate()
        faces = np.asarray(mesh.faces).reshape(-1, 4)[:, 1:]
        return cls(np.asarray(mesh.points, float), faces)

    def to_polydata(self):
        import pyvista as pv

        return pv.PolyData(self.points, np.column_stack(
            [np.full(len(self.faces), 3), self.faces]).ravel())

    def transformed(self, rotation: np.ndarray, translation: np.ndarray) -> TriangleSurface:
        """The surface with points mapped by ``rotation @ p + translation``."""
        return TriangleSurface(self.points @ np.asarray(rotation).T + translation, self.faces,
                               self._k)

    def cropped(self, keep_faces: np.ndarray) -> TriangleSurface:
        """The sub-surface of the faces selected by a boolean mask (vertices renumbered)."""
        faces = self.faces[np.asarray(keep_faces, bool)]
        used, inverse = np.unique(faces, return_inverse=True)
        if len(faces) == 0:
            raise InputError("tissue surface: nothing of the surface lies around the device",
                             hint="check the placement axis point and direction")
        return TriangleSurface(self.points[used], inverse.reshape(-1, 3), self._k)

    def oriented_outward(self, inside_point_mm) -> TriangleSurface:
        """Flip all faces if most normals point toward ``inside_point_mm`` (a lumen point)."""
        to_in = np.asarray(inside_point_mm, float) - self.points[self.faces].mean(axis=1)
        if np.sum(np.sum(to_in * self.face_normal, 1) * self.face_area) > 0:
            return TriangleSurface(self.points, self.faces[:, ::-1], self._k)
        return self

    def _nearest(self, p, k):
        _, cand = self._tree.query(p, k=k)
        cand = cand.reshape(len(p), -1)
        q, bary = closest_points_on_triangles(p[:, None], self._a[cand], self._b[cand],
                                              self._c[cand])
        d2 = np.sum((p[:, None] - q) ** 2, -1)
        best = np.argmin(d2, axis=1)
        rows = np.arange(len(p))
        far = np.linalg.norm(p - self._tree.data[cand[:, -1]], axis=1)
        return (q[rows, best], cand[rows, best], bary[rows, best], np.sqrt(d2[rows, best]),
                far)

    def closest(self, p: np.ndarray, exact_within_mm: float = 3.0):
        """Closest surface points, face ids, barycentric weights and distances.

        Exact for points closer than ``exact_within_mm`` to the surface (the closest
        triangle's centroid lies within distance + triangle radius, so candidate sets that
        cannot be proven complete are enlarged); farther points may get a slightly larger
        distance, which never matters for contact.
        """
        p = np.asarray(p, float)
        q, face, bary, dist, far = self._nearest(p, self._k)
        k = self._k
        while k < len(self.faces):
            doubt = np.flatnonzero((far < dist + self._radius) & (dist < exact_within_mm))
            if len(doubt) == 0:
                break
            k = min(4 * k, len(self.faces))
            res = self._nearest(p[doubt], k)
            q[doubt], face[doubt], bary[doubt], dist[doubt] = res[:4]
            far_new = far.copy()
            far_new[doubt] = res[4] if k < len(self.faces) else np.inf
            far = far_new
        return q, face, bary, dist

    def signed_distance(self, p: np.ndarray):
        """Signed distance (positive outside the lumen), unit gradient, face ids, bary."""
        q, face, bary, dist = self.closest(p)
        n = np.einsum("ij,ijk->ik", bary, self.vertex_normal[self.faces[face]])
        n /= np.maximum(np.linalg.norm(n, axis=1), 1e-300)[:, None]
        diff = np.asarray(p, float) - q
        sign = np.where(np.sum(diff * n, 1) >= 0, 1.0, -1.0)
        grad = np.where((dist > 1e-7)[:, None],
                        sign[:, None] * diff / np.maximum(dist, 1e-300)[:, None], n)
        return sign * dist, grad, face, bary

    def vertex_values(self, face: np.ndarray, bary: np.ndarray, values: np.ndarray):
        """Scatter per-point ``values`` (n,) or (n, c) onto vertices with barycentric
        weights."""
        values = np.asarray(values, float)
        idx = self.faces[face].ravel()
        cols = values.reshape(len(values), -1)
        out = np.column_stack([np.bincount(idx, (bary * cols[:, c:c + 1]).ravel(),
                                           minlength=len(self.points))
                               for c in range(cols.shape[1])])
        return out.reshape((len(self.points),) + values.shape[1:])


class SmoothWallField:
    """Smooth implicit version of a triangle surface for contact (C², with Hessian).

    Implicit moving-least-squares distance (Kolluri, ACM Trans Algorithms 2008;4:18):
    ``φ(x) = Σ w_i n_iᵀ(x − p_i) / Σ w_i`` over the surface vertices p_i with unit normals
    n_i, here with compactly supported Wendland C² weights ``w = (1 − r/R)⁴ (4r/R + 1)``
    (Wendland, Adv Comput Math 1995;4:389) so the neighbour set can be truncated exactly.
    Near the surface φ is the signed distance to the surface smoothed over the support
    radius R; unlike the exact distance to a faceted mesh its gradient does not jump at
    triangle edges, so penalty contact converges quadratically under Newton. ``R`` defaults
    to 3 × the median edge length. Beyond R from every vertex the plane of the nearest
    vertex is used (no contact happens that far inside the lumen).
    """

    def __init__(self, surface: TriangleSurface, support_mm: float | None = None):
        self.surface = surface
        self.p = surface.points
        self.n = surface.vertex_normal
        if support_mm is None:
            spacing = float(np.sqrt(np.mean(surface.vertex_area)))
            support_mm = max(2.0, 3.5 * spacing)
        self.radius = float(support_mm)
        self._tree = cKDTree(self.p)
        sample = self.p[:: max(1, len(self.p) // 500)]
        counts = self._tree.query_ball_point(sample, self.radius, return_length=True)
        self.k = int(min(len(self.p), 1.5 * np.max(counts) + 8))

    def radially_scaled(self, scale: float) -> SmoothWallField:
        """The field of the surface scaled by ``scale`` about the z axis (normals follow
        the inverse-transpose map); same support and neighbour count."""
        out = object.__new__(SmoothWallField)
        out.surface, out.radius, out.k = self.surface, self.radius, self.k
        out.p = self.p * np.array([scale, scale, 1.0])
        n = self.n * np.array([1.0 / scale, 1.0 / scale, 1.0])
        out.n = n / np.linalg.norm(n, axis=1, keepdims=True)
        out._tree = cKDTree(out.p)
        return out

    def evaluate(self, x: np.ndarray, active_within_mm: float = 1.0):
        """φ (m,), gradient (m, 3), Hessian (m, 3, 3) at points x (m, 3).

        Points farther than ``active_within_mm`` inside the lumen (judged by the nearest
        vertex's tangent plane) get that plane: they cannot be in contact, and skipping
        the weighted sums keeps the cost proportional to the frame nodes near the wall.
        """
        x = np.asarray(x, float)
        d0, i0 = self._tree.query(x)
        phi = np.sum(self.n[i0] * (x - self.p[i0]), 1)
        g = self.n[i0].copy()
        hess = np.zeros((len(x), 3, 3))
        act = np.flatnonzero((d0 < self.radius) & (phi > -active_within_mm))
        if len(act):
            pa, ga, ha = self._mls(x[act])
            phi[act], g[act], hess[act] = pa, ga, ha
        return phi, g, hess

    def _mls(self, x):
        big_r = self.radius
        dist, idx = self._tree.query(x, k=self.k)
        d = x[:, None, :] - self.p[idx]                       # (m, k, 3)
        nrm = self.n[idx]
        q = np.minimum(dist / big_r, 1.0)
        one_q = 1.0 - q
        w = one_q ** 4 * (4 * q + 1)
        a = (-20.0 / big_r ** 2) * one_q ** 3                # ∇w = a d
        b = (60.0 / big_r ** 3) * one_q ** 2 / np.maximum(dist, 1e-12)  # ∇²w = a I + b d dᵀ
        gw = a[..., None] * d
        c = np.sum(nrm * d, -1)
        s = w.sum(1)
        phi = np.sum(w * c, 1) / s
        gs = gw.sum(1)
        cm = c - phi[:, None]
        g = ((w[:, None, :] @ nrm)[:, 0] + (cm[:, None, :] @ gw)[:, 0]) / s[:, None]
        nt = np.swapaxes(nrm, 1, 2)
        t1 = nt @ gw
        hess = (t1 + np.swapaxes(t1, 1, 2)
                + np.sum(a * cm, 1)[:, None, None] * np.eye(3)
                + np.swapaxes(d, 1, 2) @ ((b * cm)[..., None] * d)
                - gs[:, :, None] * g[:, None, :] - g[:, :, None] * gs[:, None, :])
        hess /= s[:, None, None]
        return phi, g, hess
