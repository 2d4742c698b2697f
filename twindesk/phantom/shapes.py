"""Signed-distance primitives for the phantom (LPS millimetres).

Every shape answers :meth:`Shape.sdf` for an ``(N, 3)`` array of LPS points: negative inside,
positive outside, zero on the surface. The zero level set is exact (it defines the ground
truth); away from the surface the value approximates the Euclidean distance well enough for
partial-volume sampling (it is within a factor of about 1.5 of it, which the rasteriser's
narrow-band test allows for). :meth:`Shape.bbox` bounds the inside.

Canal surfaces swept along centrelines live in :mod:`twindesk.phantom.tubes`.
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


class SmoothUnion(Shape):
    """Union with rounded creases (polynomial smooth minimum of radius ``k_mm``)."""

    def __init__(self, shapes, k_mm: float):
        self.shapes, self.k = list(shapes), float(k_mm)

    def sdf(self, p):
        pad = PAD_MM + self.k
        d = np.full(len(p), np.inf)
        for child, rows in near_children(self.shapes, p, pad):
            a, b = d[rows], child.sdf(p[rows])
            with np.errstate(invalid="ignore"):
                h = np.maximum(self.k - np.abs(a - b), 0.0) / self.k
            h = np.where(np.isfinite(h), h, 0.0)
            d[rows] = np.minimum(a, b) - h * h * self.k / 4.0
        return np.minimum(d, pad)

    def bbox(self):
        boxes = [s.bbox() for s in self.shapes]
        lo = np.min([b[0] for b in boxes], 0) - self.k
        return lo, np.max([b[1] for b in boxes], 0) + self.k


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
