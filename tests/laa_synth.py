"""Synthetic left atria with an appendage of known shape, for the LAA analysis tests.

The atrium is an ellipsoid body (LPS mm, centre at the origin); the appendage leaves it
along ``APPENDAGE_DIR`` (left, anterior, superior) as an elliptic tube of semi-axes ``a``
(along ``MAJOR``) and ``b`` starting at the body centre, whose axis is a polyline
(straight, or bent along a circular arc), with a rounded (half-ellipsoid) tip; optional
side lobes are round tubes. Two pulmonary veins leave posteriorly and run to the array
border (open ends). Everything is rasterised exactly (voxel centres inside), so the truth
is analytic: the ostium is the tube's cross-section (2a x 2b) where it leaves the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.imaging.grid import Grid

APPENDAGE_DIR = np.array([0.6, -0.7, 0.4]) / np.linalg.norm([0.6, -0.7, 0.4])
_SEMI = np.array([24.0, 18.0, 20.0])


def _major_axis(d):
    up = np.array([0.0, 0.0, 1.0])
    m = up - (up @ d) * d
    return m / np.linalg.norm(m)


MAJOR = _major_axis(APPENDAGE_DIR)


def body_exit_distance(direction=APPENDAGE_DIR) -> float:
    """Distance from the centre to the body surface along ``direction``."""
    return float(1.0 / np.sqrt(np.sum((direction / _SEMI) ** 2)))


@dataclass
class SynthLAA:
    a_mm: float = 11.0           # ostium semi-axes
    b_mm: float = 8.0
    length_mm: float = 30.0      # axis length beyond the body surface (before the tip cap)
    bend_deg: float = 0.0        # turn of the distal part
    bend_at_mm: float = 12.0     # where (beyond the body surface) the axis starts to turn
    lobes: list = field(default_factory=list)  # (distance beyond surface, direction, length, r)
    voxel_mm: float = 1.0
    veins: bool = True

    bend_radius_mm: float = 12.0

    def axis(self) -> np.ndarray:
        """Axis polyline (1 mm steps) from the body centre to the start of the tip cap
        (LPS mm): straight, then (when bent) a circular arc of ``bend_radius_mm`` turning
        by ``bend_deg`` toward the ostium's minor axis, then straight again."""
        d = APPENDAGE_DIR
        s0 = body_exit_distance()
        if not self.bend_deg:
            return np.array([[0.0, 0, 0], (s0 + self.length_mm) * d])
        side = np.cross(d, MAJOR)
        phi = np.radians(self.bend_deg)
        rb = self.bend_radius_mm
        start = (s0 + self.bend_at_mm) * d
        t = np.linspace(0.0, phi, max(int(rb * phi), 4) + 1)
        arc = start + rb * (np.sin(t)[:, None] * d + (1 - np.cos(t))[:, None] * side)
        d2 = np.cos(phi) * d + np.sin(phi) * side
        rest = self.length_mm - self.bend_at_mm - rb * phi
        tail = arc[-1] + np.linspace(0.0, max(rest, 1.0), max(int(rest), 1) + 1)[1:, None] * d2
        return np.vstack([[0.0, 0, 0], arc, tail])

    def grid(self) -> Grid:
        lo = np.array([-45.0, -55.0, -45.0])
        hi = np.array([60.0, 35.0, 55.0])
        n = np.ceil((hi - lo) / self.voxel_mm).astype(int) + 1
        return Grid(tuple(lo), (self.voxel_mm,) * 3, (1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0),
                    tuple(int(k) for k in n))

    def mask(self) -> tuple[np.ndarray, Grid]:
        g = self.grid()
        zz, yy, xx = np.meshgrid(*[np.arange(k) for k in g.shape], indexing="ij")
        p = g.zyx_to_lps(np.stack([zz, yy, xx], -1).reshape(-1, 3)).reshape(g.shape + (3,))
        inside = np.sum((p / _SEMI) ** 2, axis=-1) <= 1.0
        axis = self.axis()
        reach = max(self.a_mm, self.b_mm) + 2.0
        for k in range(len(axis) - 1):
            # evaluate each segment in its bounding box only (the bent tube has ~50)
            lo = np.minimum(axis[k], axis[k + 1]) - reach
            hi = np.maximum(axis[k], axis[k + 1]) + reach
            a_idx = np.clip(np.floor(g.lps_to_zyx(lo[None])[0]).astype(int), 0, None)
            b_idx = np.ceil(g.lps_to_zyx(hi[None])[0]).astype(int) + 1
            sl = tuple(slice(int(a), int(b)) for a, b in zip(a_idx, b_idx))
            inside[sl] |= self._segment(p[sl], axis[k], axis[k + 1],
                                        cap=(k == len(axis) - 2))
        for dist, direction, length, r in self.lobes:
            origin = self.point_beyond_surface(dist)
            u = np.asarray(direction, float) / np.linalg.norm(direction)
            inside |= _round_tube(p, origin, origin + length * u, r)
        if self.veins:
            for d in ((0.5, 0.8, 0.2), (-0.5, 0.8, 0.1)):
                d = np.asarray(d) / np.linalg.norm(d)
                inside |= _round_tube(p, 0.3 * body_exit_distance(d) * d, 200.0 * d, 7.0)
        return inside, g

    def point_beyond_surface(self, dist_mm: float) -> np.ndarray:
        """Axis point ``dist_mm`` beyond the body surface (along the polyline)."""
        axis = self.axis()
        s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(axis, axis=0), axis=1))])
        t = body_exit_distance() + dist_mm
        return np.array([np.interp(t, s, axis[:, k]) for k in range(3)])

    def _segment(self, p, a, b, cap: bool) -> np.ndarray:
        d = (b - a) / np.linalg.norm(b - a)
        m = MAJOR - (MAJOR @ d) * d
        m /= np.linalg.norm(m)
        n = np.cross(d, m)
        rel = p - a
        t = rel @ d
        x, y = rel @ m, rel @ n
        length = float(np.linalg.norm(b - a))
        ell = (x / self.a_mm) ** 2 + (y / self.b_mm) ** 2
        body = (t >= -self.b_mm) & (t <= length) & (ell <= 1.0)
        if cap:   # half-ellipsoid tip: depth b beyond the segment end
            body |= (t > length) & (ell + ((t - length) / self.b_mm) ** 2 <= 1.0)
        else:     # a thin joint (segments are 1 mm along the arc): no notch, no bulge
            body |= (t > length) & (ell + ((t - length) / 1.5) ** 2 <= 1.0)
        return body

    @property
    def depth_mm(self) -> float:
        """Axis length from the body surface to the apex (tip cap of depth b)."""
        return self.length_mm + self.b_mm


def _round_tube(p, a, b, r) -> np.ndarray:
    d = b - a
    L = float(np.linalg.norm(d))
    d = d / L
    rel = p - a
    t = np.clip(rel @ d, 0.0, L)
    closest = a + t[..., None] * d
    return np.linalg.norm(p - closest, axis=-1) <= r
