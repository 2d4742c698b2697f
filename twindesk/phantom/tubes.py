"""Canal surfaces: centrelines (KD-tree foot points, rotation-minimising frames) and tubes
whose cross-section ``R(s, theta)`` is swept along them (LPS mm).

The foot point of a query point is found with a KD-tree on the densely sampled centreline
vertices and refined on the two adjacent segments, so straight pieces are analytic.
``theta`` is measured in the plane perpendicular to the tangent from the rotation-minimising
frame vector ``N`` toward ``B = T x N``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twindesk.phantom.shapes import INF, Array, Shape, unit


def resample_polyline(points: Array, step_mm: float) -> Array:
    """Resample a dense polyline at (nearly) uniform arc-length steps, keeping both ends."""
    points = np.asarray(points, float)
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(int(np.ceil(s[-1] / step_mm)), 1)
    t = np.linspace(0.0, s[-1], n + 1)
    return np.stack([np.interp(t, s, points[:, i]) for i in range(3)], axis=1)


def spline_path(waypoints, start_tangent=None, end_tangent=None, step_mm: float = 0.4) -> Array:
    """A C2 cubic spline through ``waypoints`` (LPS mm), sampled every ``step_mm``.

    Chord-length parameterised; optional unit end tangents clamp the direction at either end
    (so a path can continue a straight piece without a kink).
    """
    from scipy.interpolate import CubicSpline

    w = np.asarray(waypoints, float)
    t = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(w, axis=0), axis=1))])
    bc0 = (1, unit(start_tangent)) if start_tangent is not None else "not-a-knot"
    bc1 = (1, unit(end_tangent)) if end_tangent is not None else "not-a-knot"
    if len(w) == 2 and (start_tangent is None or end_tangent is None):
        bc0 = bc0 if start_tangent is not None else (2, np.zeros(3))
        bc1 = bc1 if end_tangent is not None else (2, np.zeros(3))
    cs = CubicSpline(t, w, axis=0, bc_type=(bc0, bc1))
    dense = cs(np.linspace(0.0, t[-1], max(int(t[-1] / (step_mm / 8)), 16)))
    return resample_polyline(dense, step_mm)


def straight_path(start, end, step_mm: float = 0.4) -> Array:
    """Points from ``start`` to ``end`` (inclusive) on a straight line."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    n = max(int(np.ceil(np.linalg.norm(end - start) / step_mm)), 1)
    return start + np.linspace(0.0, 1.0, n + 1)[:, None] * (end - start)


def join_paths(*paths: Array) -> Array:
    """Concatenate paths whose ends coincide (duplicate junction points are dropped)."""
    out = [np.asarray(paths[0], float)]
    for p in paths[1:]:
        p = np.asarray(p, float)
        if np.linalg.norm(p[0] - out[-1][-1]) < 1e-9:
            p = p[1:]
        out.append(p)
    return np.concatenate(out)


class Centerline:
    """A polyline with arc length and a rotation-minimising frame.

    Parameters
    ----------
    points_lps_mm
        ``(M, 3)`` vertices, densely sampled (spacing well below the radius of curvature).
    normal0
        Initial frame vector ``N`` (projected perpendicular to the first tangent).
    """

    def __init__(self, points_lps_mm: Array, normal0):
        from scipy.spatial import cKDTree

        v = np.asarray(points_lps_mm, float)
        self.v = v
        d = np.diff(v, axis=0)
        self.seg_len = np.linalg.norm(d, axis=1)
        if np.any(self.seg_len <= 0):
            raise ValueError("centreline has repeated points")
        self.seg_dir = d / self.seg_len[:, None]
        self.s = np.concatenate([[0.0], np.cumsum(self.seg_len)])
        self.length_mm = float(self.s[-1])
        tv = np.vstack([self.seg_dir[:1], self.seg_dir[:-1] + self.seg_dir[1:], self.seg_dir[-1:]])
        self.tangent = tv / np.linalg.norm(tv, axis=1)[:, None]
        self.normal = self._rmf(np.asarray(normal0, float))
        self.tree = cKDTree(v)

    def _rmf(self, n0: Array) -> Array:
        """Double-reflection rotation-minimising frame (Wang et al., ACM TOG 27(1), 2008)."""
        t, v = self.tangent, self.v
        out = np.empty_like(v)
        r = n0 - (n0 @ t[0]) * t[0]
        out[0] = r / np.linalg.norm(r)
        for i in range(len(v) - 1):
            v1 = v[i + 1] - v[i]
            c1 = v1 @ v1
            rl = out[i] - (2.0 / c1) * (v1 @ out[i]) * v1
            tl = t[i] - (2.0 / c1) * (v1 @ t[i]) * v1
            v2 = t[i + 1] - tl
            c2 = v2 @ v2
            r = rl - (2.0 / c2) * (v2 @ rl) * v2 if c2 > 1e-20 else rl
            out[i + 1] = r / np.linalg.norm(r)
        return out

    def at(self, s_mm) -> tuple[Array, Array, Array]:
        """Point, unit tangent and unit normal ``N`` at arc length ``s_mm`` (interpolated)."""
        s_mm = np.atleast_1d(np.asarray(s_mm, float))
        k = np.clip(np.searchsorted(self.s, s_mm, side="right") - 1, 0, len(self.v) - 2)
        t = ((s_mm - self.s[k]) / self.seg_len[k])[:, None]
        p = self.v[k] + t * (self.v[k + 1] - self.v[k])
        tan = self.seg_dir[k]
        n = (1 - t) * self.normal[k] + t * self.normal[k + 1]
        n = n - (n * tan).sum(1, keepdims=True) * tan
        return p, tan, n / np.linalg.norm(n, axis=1)[:, None]

    def project(self, p: Array, max_dist_mm: float):
        """Foot points of ``p`` on the polyline.

        Returns
        -------
        dict or None
            ``idx`` (rows of ``p`` within ``max_dist_mm`` of a vertex), ``s`` (arc length of
            the foot, extrapolated beyond the ends), ``radial`` (``p - foot``, perpendicular
            to the local tangent), ``tangent``, ``normal``, ``binormal``, ``overshoot`` (mm
            beyond the first/last vertex, else 0) and ``end`` (-1 start, +1 end, 0 inside).
        """
        dist, k = self.tree.query(p, distance_upper_bound=max_dist_mm)
        m = len(self.v)
        idx = np.nonzero(k < m)[0]
        if idx.size == 0:
            return None
        q, k = p[idx], k[idx]
        best = None
        for seg in (k - 1, k):
            ok = (seg >= 0) & (seg <= m - 2)
            sg = np.clip(seg, 0, m - 2)
            a = self.v[sg]
            dvec = self.seg_dir[sg]
            t = ((q - a) * dvec).sum(1) / self.seg_len[sg]
            lo = np.where(sg == 0, -INF, 0.0)
            hi = np.where(sg == m - 2, INF, 1.0)
            t = np.clip(t, lo, hi)
            foot = a + (t * self.seg_len[sg])[:, None] * dvec
            d2 = ((q - foot) ** 2).sum(1)
            d2 = np.where(ok, d2, INF)
            cand = (d2, sg, t, foot)
            if best is None:
                best = cand
            else:
                better = cand[0] < best[0]
                best = tuple(np.where(better[:, None] if x.ndim == 2 else better, x, y)
                             for x, y in zip(cand, best))
        _, sg, t, foot = best
        sg = sg.astype(int)
        tan = self.seg_dir[sg]
        tc = np.clip(t, 0.0, 1.0)[:, None]
        nrm = (1 - tc) * self.normal[sg] + tc * self.normal[sg + 1]
        nrm = nrm - (nrm * tan).sum(1, keepdims=True) * tan
        nrm /= np.linalg.norm(nrm, axis=1)[:, None]
        radial = q - foot
        overshoot = np.where(t < 0, -t, np.where(t > 1, t - 1, 0.0)) * self.seg_len[sg]
        end = np.where(t < 0, -1, np.where(t > 1, 1, 0))
        return {"idx": idx, "s": self.s[sg] + t * self.seg_len[sg], "radial": radial,
                "tangent": tan, "normal": nrm, "binormal": np.cross(tan, nrm),
                "overshoot": overshoot, "end": end}


Section = Callable[[Array, Array, Array], Array]  # (s_mm, cos_theta, sin_theta) -> radius_mm


def circular(radius: Callable[[Array], Array] | float) -> Section:
    """A circular cross-section whose radius depends on arc length only."""
    if callable(radius):
        return lambda s, c, sn: radius(s)
    r = float(radius)
    return lambda s, c, sn: np.full(np.shape(s), r)


def elliptic(semi_n: Callable[[Array], Array], semi_b: Callable[[Array], Array]) -> Section:
    """An elliptic cross-section with semi-axes along the frame's ``N`` and ``B`` vectors."""

    def section(s, c, sn):
        a, b = semi_n(s), semi_b(s)
        return 1.0 / np.sqrt((c / a) ** 2 + (sn / b) ** 2)

    return section


class Tube(Shape):
    """A canal surface: ``section(s, cos theta, sin theta)`` swept along a centreline.

    ``caps`` = (start, end), each ``"flat"`` (a plane perpendicular to the end tangent) or
    ``"round"`` (a sphere of the end radius, for tapering tips).
    """

    def __init__(self, centerline: Centerline, section: Section, max_radius_mm: float,
                 caps: tuple[str, str] = ("flat", "flat"), normalize: bool | float = False):
        self.cl, self.section, self.max_radius_mm = centerline, section, float(max_radius_mm)
        self.caps = caps
        self.normalize = normalize

    def _radial_distance(self, s, rho, c, sn):
        """``rho - R``, divided by the first-order gradient norm when ``normalize`` is set
        (cross-sections that vary quickly with s or theta); the zero set is unchanged."""
        r = self.section(s, c, sn)
        d = rho - r
        if not self.normalize:
            return d
        if self.normalize is not True:       # normalise only up to this arc length
            m = s <= float(self.normalize)
            if not m.all():
                d = d.copy()
                d[m] = self._radial_distance_normalized(s[m], rho[m], c[m], sn[m], d[m])
                return d
        return self._radial_distance_normalized(s, rho, c, sn, d)

    def _radial_distance_normalized(self, s, rho, c, sn, d):
        eps_s, eps_t = 0.05, 1e-3
        dr_ds = (self.section(s + eps_s, c, sn) - self.section(s - eps_s, c, sn)) / (2 * eps_s)
        ce, se = np.cos(eps_t), np.sin(eps_t)
        r_p = self.section(s, c * ce - sn * se, sn * ce + c * se)
        r_m = self.section(s, c * ce + sn * se, sn * ce - c * se)
        r = rho - d                                   # the section radius in this direction
        dr_dt = (r_p - r_m) / (2 * eps_t) / np.maximum(r, 1.0)   # slope along the surface
        return d / np.sqrt(1.0 + dr_ds**2 + dr_dt**2)

    #: Points farther than this from the surface get this value (a lower bound of their
    #: distance; cheap KD-tree misses). Any value above half a voxel is correct, larger
    #: ones save refinement.
    BAND_MM = 8.0

    def sdf(self, p):
        out = np.full(len(p), self.BAND_MM)
        r = self.cl.project(p, self.max_radius_mm + self.BAND_MM)
        if r is None:
            return out
        rad = r["radial"]
        rho = np.linalg.norm(rad, axis=1)
        safe = np.where(rho > 1e-12, rho, 1.0)
        c = np.where(rho > 1e-12, (rad * r["normal"]).sum(1) / safe, 1.0)
        sn = np.where(rho > 1e-12, (rad * r["binormal"]).sum(1) / safe, 0.0)
        s = np.clip(r["s"], 0.0, self.cl.length_mm)
        d = self._radial_distance(s, rho, c, sn)
        # flat ends: the tube is cut by the end planes (inside points near an end are that
        # close to the surface too, not only those beyond it)
        if self.caps[0] == "flat":
            d = np.maximum(d, -r["s"])
        if self.caps[1] == "flat":
            d = np.maximum(d, r["s"] - self.cl.length_mm)
        for end, kind in ((-1, self.caps[0]), (1, self.caps[1])):
            m = r["end"] == end
            if kind == "round" and m.any():
                tip = self.cl.v[0] if end < 0 else self.cl.v[-1]
                rr = self.section(s[m], c[m], sn[m])
                d[m] = np.linalg.norm(p[r["idx"][m]] - tip, axis=1) - rr
        out[r["idx"]] = d
        return out

    def bbox(self):
        return (self.cl.v.min(0) - self.max_radius_mm, self.cl.v.max(0) + self.max_radius_mm)
