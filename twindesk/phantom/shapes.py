"""Signed-distance primitives for the phantom (LPS millimetres).

Every shape answers :meth:`Shape.sdf` for an ``(N, 3)`` array of LPS points: negative inside,
positive outside, zero on the surface. The zero level set is exact (it defines the ground
truth); away from the surface the value approximates the Euclidean distance well enough for
partial-volume sampling (it is within a factor of about 1.5 of it, which the rasteriser's
narrow-band test allows for). :meth:`Shape.bbox` bounds the inside.

The canal surfaces (:class:`Tube`) sweep a cross-section ``R(s, theta)`` along a densely
sampled centreline: the foot point of a query point is found with a KD-tree on the centreline
vertices and refined on the two adjacent segments, so for straight pieces the geometry is
analytic. ``theta`` is measured in the plane perpendicular to the tangent from the
rotation-minimising frame vector ``N`` toward ``B = T x N``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Array = np.ndarray
INF = np.inf
#: Children of composite shapes are evaluated exactly only within this distance (mm) of their
#: boxes; farther away the distance to the box (a lower bound) stands in. The rasteriser
#: needs exact values only within a few voxels of a surface, so this is safe for voxels up
#: to about 2 mm.
PAD_MM = 12.0


def unit(v) -> Array:
    """The unit vector along ``v``."""
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


class Shape:
    """A solid given by a signed distance function in LPS mm."""

    def sdf(self, p: Array) -> Array:  # pragma: no cover - interface
        raise NotImplementedError

    def bbox(self) -> tuple[Array, Array]:
        """Lower and upper LPS corners of a box holding the whole inside."""
        raise NotImplementedError

    def __or__(self, other: Shape) -> Shape:
        return Union([self, other])

    def __and__(self, other: Shape) -> Shape:
        return Intersection([self, other])

    def __sub__(self, other: Shape) -> Shape:
        return Intersection([self, Complement(other)])

    def offset(self, delta_mm: float) -> Shape:
        """The solid grown outward by ``delta_mm`` (shrunk when negative)."""
        return Offset(self, delta_mm)


def bounded_sdf(shape: Shape, p: Array, pad_mm: float = PAD_MM) -> Array:
    """``shape.sdf(p)`` where ``p`` is within ``pad_mm`` of the shape's box, else the distance
    to the box (never more than the true distance, and at least ``pad_mm``)."""
    lo, hi = shape.bbox()
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return shape.sdf(p)
    gap = np.maximum(np.maximum(lo - p, p - hi), 0.0)
    near = np.all(gap <= pad_mm, axis=1)
    if near.all():
        return shape.sdf(p)
    out = np.linalg.norm(gap, axis=1)
    if near.any():
        out[near] = shape.sdf(p[near])
    return out


def near_children(shapes: Sequence[Shape], p: Array, pad_mm: float):
    """Yield ``(child, rows)``: the rows of ``p`` within ``pad_mm`` of each child's box.

    Points are sorted along x once so each child only looks at its own x-slab; children
    with unbounded boxes get every row.
    """
    order = np.argsort(p[:, 0], kind="stable")
    xs = p[order, 0]
    for child in shapes:
        lo, hi = child.bbox()
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            yield child, np.arange(len(p))
            continue
        i0, i1 = np.searchsorted(xs, [lo[0] - pad_mm, hi[0] + pad_mm])
        if i1 <= i0:
            continue
        rows = order[i0:i1]
        q = p[rows]
        keep = ((q[:, 1] >= lo[1] - pad_mm) & (q[:, 1] <= hi[1] + pad_mm) &
                (q[:, 2] >= lo[2] - pad_mm) & (q[:, 2] <= hi[2] + pad_mm))
        rows = rows[keep]
        if rows.size:
            yield child, rows


class Union(Shape):
    """Minimum of the children. Points farther than :data:`PAD_MM` from every child's box
    get ``PAD_MM`` (a lower bound of their distance)."""

    def __init__(self, shapes: Sequence[Shape]):
        self.shapes = list(shapes)

    def sdf(self, p):
        out = np.full(len(p), PAD_MM)
        for child, rows in near_children(self.shapes, p, PAD_MM):
            rows = rows[out[rows] > -PAD_MM]  # deep inside already: the minimum can wait
            if rows.size:
                out[rows] = np.minimum(out[rows], child.sdf(p[rows]))
        return out

    def bbox(self):
        boxes = [s.bbox() for s in self.shapes]
        return (np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0))


class Intersection(Shape):
    def __init__(self, shapes: Sequence[Shape]):
        self.shapes = list(shapes)

    def sdf(self, p):
        # Put the cheapest, most selective child first: later children are evaluated only
        # where the running maximum is not already clearly outside (a lower bound suffices
        # there, see :data:`PAD_MM`).
        out = bounded_sdf(self.shapes[0], p)
        for s in self.shapes[1:]:
            rows = np.nonzero(out <= PAD_MM)[0]
            if rows.size:
                out[rows] = np.maximum(out[rows], bounded_sdf(s, p[rows]))
        return out

    def bbox(self):
        lo, hi = np.full(3, -INF), np.full(3, INF)
        for s in self.shapes:
            b = s.bbox()
            lo, hi = np.maximum(lo, b[0]), np.minimum(hi, b[1])
        return lo, hi


class Complement(Shape):
    def __init__(self, shape: Shape):
        self.shape = shape

    def sdf(self, p):
        return -bounded_sdf(self.shape, p)

    def bbox(self):
        return np.full(3, -INF), np.full(3, INF)


class Offset(Shape):
    def __init__(self, shape: Shape, delta_mm: float):
        self.shape, self.delta_mm = shape, float(delta_mm)

    def sdf(self, p):
        return self.shape.sdf(p) - self.delta_mm

    def bbox(self):
        lo, hi = self.shape.bbox()
        return lo - self.delta_mm, hi + self.delta_mm


class Custom(Shape):
    """A shape from a function and a box (for analytic solids defined elsewhere)."""

    def __init__(self, fn: Callable[[Array], Array], lo, hi):
        self.fn, self.lo, self.hi = fn, np.asarray(lo, float), np.asarray(hi, float)

    def sdf(self, p):
        return self.fn(p)

    def bbox(self):
        return self.lo, self.hi


class HalfSpace(Shape):
    """Points ``p`` with ``(p - point) . normal <= 0`` (the normal points outward)."""

    def __init__(self, point, normal):
        self.point, self.normal = np.asarray(point, float), unit(normal)

    def sdf(self, p):
        return (p - self.point) @ self.normal

    def bbox(self):
        return np.full(3, -INF), np.full(3, INF)


class Sphere(Shape):
    def __init__(self, center, radius_mm: float):
        self.center, self.radius_mm = np.asarray(center, float), float(radius_mm)

    def sdf(self, p):
        return np.linalg.norm(p - self.center, axis=1) - self.radius_mm

    def bbox(self):
        return self.center - self.radius_mm, self.center + self.radius_mm


class Ellipsoid(Shape):
    """An ellipsoid with semi-axes ``semi_axes_mm`` along the rows of ``axes`` (orthonormal).

    The distance uses the first-order bound ``k0 (k0 - 1) / k1`` with ``k0 = |q / r|``,
    ``k1 = |q / r^2|`` (``q`` in the ellipsoid's own frame): exact on the surface and on the
    axes, and within the narrow-band tolerance elsewhere for the moderate eccentricities used.
    """

    def __init__(self, center, axes, semi_axes_mm):
        self.center = np.asarray(center, float)
        self.axes = np.asarray(axes, float).reshape(3, 3)
        self.r = np.asarray(semi_axes_mm, float)

    def local(self, p: Array) -> Array:
        return (p - self.center) @ self.axes.T

    def sdf(self, p):
        q = self.local(p)
        k0 = np.linalg.norm(q / self.r, axis=1)
        k1 = np.linalg.norm(q / self.r**2, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = k0 * (k0 - 1.0) / k1
        return np.where(k1 > 0, d, -self.r.min())

    def bbox(self):
        ext = np.sqrt(((self.axes * self.r[:, None]) ** 2).sum(axis=0))
        return self.center - ext, self.center + ext

    def surface_point(self, direction) -> Array:
        """The surface point along ``direction`` (LPS) from the centre."""
        d = unit(direction)
        q = self.axes @ d
        t = 1.0 / np.linalg.norm(q / self.r)
        return self.center + t * d

    def outward_normal(self, point) -> Array:
        """Unit outward normal at a surface ``point``."""
        q = self.axes @ (np.asarray(point, float) - self.center)
        return unit(self.axes.T @ (q / self.r**2))


class EllipticCylinder(Shape):
    """An elliptic cylinder along the LPS z axis between ``z_range_mm``.

    Cross-section semi-axes ``semi_x_mm``, ``semi_y_mm`` about ``center_xy``; the in-plane
    distance uses the same first-order ellipse bound as :class:`Ellipsoid`.
    """

    def __init__(self, center_xy, semi_x_mm: float, semi_y_mm: float, z_range_mm):
        self.c = np.asarray(center_xy, float)
        self.r = np.array([semi_x_mm, semi_y_mm], float)
        self.z0, self.z1 = map(float, z_range_mm)

    def sdf(self, p):
        q = p[:, :2] - self.c
        k0 = np.linalg.norm(q / self.r, axis=1)
        k1 = np.linalg.norm(q / self.r**2, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(k1 > 0, k0 * (k0 - 1.0) / k1, -self.r.min())
        dz = np.maximum(self.z0 - p[:, 2], p[:, 2] - self.z1)
        return np.maximum(d, dz)

    def bbox(self):
        return (np.array([*(self.c - self.r), self.z0]), np.array([*(self.c + self.r), self.z1]))


class CapsuleChain(Shape):
    """Union of capsules along a polyline (exact distance; a cheap stand-in for a tube)."""

    def __init__(self, points, radius_mm: float):
        self.a = np.asarray(points, float)[:-1]
        self.b = np.asarray(points, float)[1:]
        self.r = float(radius_mm)

    def sdf(self, p):
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        best = np.full(len(p), np.inf)
        for a, b in zip(self.a, self.b):
            ab = b - a
            ax, ay, az = x - a[0], y - a[1], z - a[2]
            t = np.clip((ax * ab[0] + ay * ab[1] + az * ab[2]) / (ab @ ab), 0.0, 1.0)
            d2 = (ax - t * ab[0]) ** 2 + (ay - t * ab[1]) ** 2 + (az - t * ab[2]) ** 2
            np.minimum(best, d2, out=best)
        return np.sqrt(best) - self.r

    def bbox(self):
        pts = np.vstack([self.a, self.b[-1:]])
        return pts.min(0) - self.r, pts.max(0) + self.r


# --------------------------------------------------------------------------- centrelines
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
        dr_dt = (r_p - r_m) / (2 * eps_t) / np.maximum(rho, 1.0)
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


def pchip_profile(knots: Sequence[tuple[float, float]]) -> Callable[[Array], Array]:
    """A monotone piecewise-cubic (PCHIP) profile through ``(s, value)`` knots, held constant
    beyond the ends. Local extrema sit exactly at knots (no overshoot)."""
    from scipy.interpolate import PchipInterpolator

    k = np.asarray(knots, float)
    f = PchipInterpolator(k[:, 0], k[:, 1], extrapolate=False)
    lo, hi = k[0, 0], k[-1, 0]

    def profile(s):
        s = np.asarray(s, float)
        return f(np.clip(s, lo, hi))

    return profile


def smoothstep(t: Array) -> Array:
    """C1 blend 0 → 1 on [0, 1] (3t^2 - 2t^3), clamped outside."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
