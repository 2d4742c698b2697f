"""Synthetic lumen surfaces for verification and benchmarks (local millimetres).

Local frame: z along the vessel axis with the annulus plane at z = 0 (LVOT at z < 0), x
toward the left–right commissure. Every surface is an open tube triangulated on an
(azimuth × height) grid with normals pointing out of the lumen.

* :func:`tube_surface` — any r(θ, z) tube; :func:`cylinder_surface`,
  :func:`elliptic_tube_surface` — bench tubes;
* :func:`aortic_root_surface` — a phantom-like root: LVOT, (optionally elliptical) annulus,
  three sinuses of Valsalva bulging between the commissures, sinotubular junction and
  ascending aorta, with coronary ostia in the left and right sinuses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from twindesk.sim.mechanics.surface import TriangleSurface


def tube_surface(radius_fn, z_min_mm: float, z_max_mm: float, n_theta: int = 128,
                 n_z: int = 120) -> TriangleSurface:
    """Open tube with radius ``radius_fn(theta, z)`` (vectorised), outward normals."""
    theta = np.linspace(0.0, 2 * np.pi, n_theta, endpoint=False)
    z = np.linspace(z_min_mm, z_max_mm, n_z)
    tt, zz = np.meshgrid(theta, z)                        # (n_z, n_theta)
    rr = radius_fn(tt, zz)
    pts = np.column_stack([(rr * np.cos(tt)).ravel(), (rr * np.sin(tt)).ravel(), zz.ravel()])
    i, j = np.meshgrid(np.arange(n_z - 1), np.arange(n_theta), indexing="ij")
    a = i * n_theta + j
    b = i * n_theta + (j + 1) % n_theta
    c = (i + 1) * n_theta + j
    d = (i + 1) * n_theta + (j + 1) % n_theta
    # counter-clockwise seen from outside: (a, b, d) and (a, d, c) point outward
    faces = np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3),
                            np.stack([a, d, c], -1).reshape(-1, 3)])
    return TriangleSurface(pts, faces)


def cylinder_surface(diameter_mm: float, z_min_mm: float = -20.0, z_max_mm: float = 60.0,
                     n_theta: int = 256, n_z: int = 81) -> TriangleSurface:
    return tube_surface(lambda t, z: np.full_like(t, 0.5 * diameter_mm), z_min_mm, z_max_mm,
                        n_theta, n_z)


def ellipse_radius(theta, a, b):
    """Polar radius of an ellipse with semi-axes a (x) and b (y)."""
    return a * b / np.sqrt((b * np.cos(theta)) ** 2 + (a * np.sin(theta)) ** 2)


def elliptic_tube_surface(max_diameter_mm: float, min_diameter_mm: float,
                          z_min_mm: float = -20.0, z_max_mm: float = 60.0,
                          n_theta: int = 256, n_z: int = 81) -> TriangleSurface:
    a, b = 0.5 * max_diameter_mm, 0.5 * min_diameter_mm
    return tube_surface(lambda t, z: ellipse_radius(t, a, b), z_min_mm, z_max_mm, n_theta, n_z)


@dataclass(frozen=True)
class RootGeometry:
    """Dimensions of a synthetic aortic root (diameters in mm, heights above the annulus)."""

    lvot_diameter_mm: float = 22.0
    annulus_max_mm: float = 24.0
    annulus_min_mm: float = 24.0
    sinus_diameter_mm: float = 31.0
    stj_diameter_mm: float = 27.0
    aorta_diameter_mm: float = 29.0
    sinus_height_mm: float = 9.0
    stj_height_mm: float = 19.0
    ostium_height_mm: float = 12.0
    annulus_major_angle_deg: float = 0.0

    @property
    def perimeter_diameter_mm(self) -> float:
        """Perimeter-derived annulus diameter (Ramanujan's ellipse perimeter / π)."""
        a, b = 0.5 * self.annulus_max_mm, 0.5 * self.annulus_min_mm
        h = ((a - b) / (a + b)) ** 2
        return (a + b) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))


def aortic_root_surface(geom: RootGeometry = RootGeometry(), z_min_mm: float = -18.0,
                        z_max_mm: float = 50.0, n_theta: int = 144,
                        n_z: int = 136) -> TriangleSurface:
    """Phantom-like aortic root (see module docstring); commissures at 0°, 120°, 240°,
    the non-coronary sinus centred at 180°, left and right sinuses at 60° and 300°."""
    g = geom
    z_ctrl = np.array([z_min_mm, -8.0, 0.0, g.sinus_height_mm, g.stj_height_mm,
                       g.stj_height_mm + 8.0, z_max_mm])
    base = 0.5 * np.array([g.lvot_diameter_mm, g.lvot_diameter_mm,
                           0.5 * (g.annulus_max_mm + g.annulus_min_mm),
                           g.stj_diameter_mm, g.stj_diameter_mm, g.aorta_diameter_mm,
                           g.aorta_diameter_mm])
    base_r = PchipInterpolator(z_ctrl, base)
    # sinus bulge: zero at the annulus and the STJ, peak at sinus_height
    bz = np.array([z_min_mm, 0.0, g.sinus_height_mm, g.stj_height_mm, z_max_mm])
    bulge_amp = 0.5 * g.sinus_diameter_mm - float(base_r(g.sinus_height_mm))
    bulge = PchipInterpolator(bz, [0.0, 0.0, bulge_amp, 0.0, 0.0])
    # annulus ellipticity fades out over the LVOT and the sinus heights
    ez = np.array([z_min_mm, -10.0, 0.0, g.sinus_height_mm, z_max_mm])
    ecc = PchipInterpolator(ez, [0.0, 0.6, 1.0, 0.0, 0.0])
    phi0 = np.radians(g.annulus_major_angle_deg)
    half_diff = 0.25 * (g.annulus_max_mm - g.annulus_min_mm)

    def radius(theta, z):
        r = base_r(z) + bulge(z) * 0.5 * (1 - np.cos(3 * theta))
        return r + ecc(z) * half_diff * np.cos(2 * (theta - phi0))

    return tube_surface(radius, z_min_mm, z_max_mm, n_theta, n_z)


def coronary_ostia_mm(geom: RootGeometry = RootGeometry()) -> dict[str, np.ndarray]:
    """Ostium points (on the sinus wall) of the left (60°) and right (300°) coronaries."""
    surf_r = 0.5 * geom.sinus_diameter_mm  # the bulge peaks at the sinus centre
    z = geom.ostium_height_mm
    # radius at the ostium height from the same profile as the surface
    s = aortic_root_surface(geom, n_theta=36, n_z=2 * int(geom.stj_height_mm) + 60)
    out = {}
    for name, deg in (("left", 60.0), ("right", 300.0)):
        t = np.radians(deg)
        d = np.array([np.cos(t), np.sin(t), 0.0])
        probe = np.array([0.0, 0.0, z]) + surf_r * d
        q, *_ = s.closest(probe[None])
        out[name] = q[0]
    return out
