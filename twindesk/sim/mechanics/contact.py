"""Walls the frame presses on: penalty contact with an elastic foundation.

A wall gives, for each frame node, a penetration ``p`` (mm, positive when the strut's
outer — or, for a balloon, inner — surface lies beyond the wall) and its gradient. The
contact force on a node is ``-k A φ(p) ∇p`` with ``k`` the wall's pressure stiffness
(N/mm³: a Winkler foundation for tissue, a large penalty for rigid tools), ``A`` the
node's smeared wall area (mm²) and ``φ`` the penetration smoothed quadratically over
``smoothing_mm`` (C¹ contact for Newton; at least 0.05 mm on compliant tissue walls).
Contact is frictionless.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.sim.mechanics.surface import SmoothWallField, TriangleSurface


COMPLIANT_N_PER_MM3 = 1.0        # walls softer than this are tissue foundations
COMPLIANT_SMOOTHING_MM = 0.05


@dataclass
class ContactResult:
    force: np.ndarray        # (n, 3) force on the nodes (N)
    stiffness: np.ndarray    # (n, 3, 3) derivative of −force w.r.t. node positions
    penetration: np.ndarray  # (n,) mm (negative: gap)
    normal: np.ndarray       # (n, 3) unit gradient of the penetration
    face: np.ndarray | None = None
    bary: np.ndarray | None = None
    points: np.ndarray | None = None   # (P, 3) where the samples touched (set by the solver)


def smoothed(p: np.ndarray, delta: float):
    """φ(p) and φ'(p): 0 below 0, p²/(2δ) up to δ, p − δ/2 beyond."""
    phi = np.where(p <= 0, 0.0, np.where(p < delta, p * p / (2 * delta), p - 0.5 * delta))
    dphi = np.where(p <= 0, 0.0, np.where(p < delta, p / delta, 1.0))
    return phi, dphi


class Wall:
    """Base class: subclasses implement :meth:`penetration`."""

    stiffness_n_per_mm3: float = 1.0
    name: str = "wall"

    def penetration(self, x: np.ndarray, offset_mm: float):
        """Penetration (n,), gradient (n, 3), Hessian (n, 3, 3) or None, extras."""
        raise NotImplementedError

    def stiffness_at(self, extras) -> np.ndarray | float:
        return self.stiffness_n_per_mm3

    def set_radial_scale(self, scale: float) -> None:
        """Scale the wall radially about the z axis (continuation in the fast model)."""
        raise NotImplementedError

    def radius_samples(self, z_range_mm: tuple[float, float]):
        """(z, radius) samples of the wall within a height range (inside walls only)."""
        raise NotImplementedError

    def contact(self, x: np.ndarray, area_mm2: np.ndarray, offset_mm: float,
                smoothing_mm: float) -> ContactResult:
        p, grad, hess, extras = self.penetration(x, offset_mm)
        # a compliant wall is penetrated by tenths of millimetres: a wider smoothing
        # keeps contact onset gentle without changing the equilibrium noticeably
        if self.stiffness_n_per_mm3 < COMPLIANT_N_PER_MM3:
            smoothing_mm = max(smoothing_mm, COMPLIANT_SMOOTHING_MM)
        phi, dphi = smoothed(p, smoothing_mm)
        ka = self.stiffness_at(extras) * area_mm2
        force = -(ka * phi)[:, None] * grad
        stiff = (ka * dphi)[:, None, None] * grad[:, :, None] * grad[:, None, :]
        if hess is not None:
            stiff = stiff + (ka * phi)[:, None, None] * hess
        face, bary = extras if extras is not None else (None, None)
        return ContactResult(force, stiff, p, grad, face, bary)


class CylinderWall(Wall):
    """Rigid or compliant circular cylinder about the z axis (frame coordinates).

    ``inside=True``: the frame is inside (crimper, capsule, bench tube, tissue tube);
    ``inside=False``: the frame is outside (balloon). ``z_range_mm`` limits the wall's
    extent (nodes outside it do not touch).
    """

    def __init__(self, radius_mm: float, inside: bool = True,
                 stiffness_n_per_mm3: float = 200.0, name: str = "cylinder",
                 z_range_mm: tuple[float, float] | None = None):
        self.radius_mm = float(radius_mm)
        self.inside = inside
        self.stiffness_n_per_mm3 = stiffness_n_per_mm3
        self.name = name
        self.z_range_mm = z_range_mm
        self._base_radius = self.radius_mm

    def set_radial_scale(self, scale: float) -> None:
        self.radius_mm = self._base_radius * scale

    def radius_samples(self, z_range_mm):
        z = np.linspace(z_range_mm[0], z_range_mm[1], 20)
        return z, np.full_like(z, self.radius_mm if self.inside else np.inf)

    def penetration(self, x, offset_mm):
        r = np.hypot(x[:, 0], x[:, 1])
        rs = np.maximum(r, 1e-9)
        er = np.column_stack([x[:, 0] / rs, x[:, 1] / rs, np.zeros(len(x))])
        # ∂²r/∂x² = (I − e_z e_zᵀ − e_r e_rᵀ)/r
        proj = np.diag([1.0, 1.0, 0.0]) - er[:, :, None] * er[:, None, :]
        hess = proj / rs[:, None, None]
        if self.inside:
            p, grad = r + offset_mm - self.radius_mm, er
        else:
            p, grad, hess = self.radius_mm - (r - offset_mm), -er, -hess
        if self.z_range_mm is not None:
            out = (x[:, 2] < self.z_range_mm[0]) | (x[:, 2] > self.z_range_mm[1])
            p = np.where(out, -1.0, p)
        return p, grad, hess, None


class SurfaceWall(Wall):
    """The lumen surface (frame inside, normals pointing into the wall) as an elastic
    foundation, contacted through its smooth implicit field (:class:`SmoothWallField`);
    ``vertex_stiffness_scale`` (optional, per surface vertex) multiplies the foundation
    stiffness locally (e.g. calcified spots), interpolated at the nearest vertex."""

    def __init__(self, surface: TriangleSurface, stiffness_n_per_mm3: float,
                 vertex_stiffness_scale: np.ndarray | None = None, name: str = "tissue",
                 support_mm: float | None = None):
        self.surface = surface
        self.field = SmoothWallField(surface, support_mm)
        self.stiffness_n_per_mm3 = stiffness_n_per_mm3
        self.scale = (None if vertex_stiffness_scale is None
                      else np.asarray(vertex_stiffness_scale, float))
        self.name = name
        self._base_field = self.field

    def set_radial_scale(self, scale: float) -> None:
        self.field = self._base_field.radially_scaled(scale)

    def radius_samples(self, z_range_mm):
        p = self.surface.points
        sel = (p[:, 2] > z_range_mm[0]) & (p[:, 2] < z_range_mm[1])
        return p[sel, 2], np.hypot(p[sel, 0], p[sel, 1])

    def penetration(self, x, offset_mm):
        phi, grad, hess = self.field.evaluate(x)
        return phi + offset_mm, grad, hess, None

    def stiffness_at(self, extras):
        return self.stiffness_n_per_mm3

    def contact(self, x, area_mm2, offset_mm, smoothing_mm):
        res = super().contact(x, area_mm2, offset_mm, smoothing_mm)
        if self.scale is not None:
            _, idx = self.field._tree.query(x)
            s = self.scale[idx]
            res.force *= s[:, None]
            res.stiffness *= s[:, None, None]
        return res
