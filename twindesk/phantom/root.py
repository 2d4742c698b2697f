"""Analytic aortic root: LVOT, annulus, three sinuses, STJ, ascending lumen, open leaflets.

Root frame
----------
``h`` is the height above the annulus plane along the unit normal ``n`` (LV → aorta);
in-plane angle ``theta`` runs from the anterior direction ``e_ant`` (0 deg) toward the
patient's left ``e_left = n x e_ant`` (+90 deg); ``rho`` is the distance from the root axis.

Shape
-----
* Below the annulus the LVOT is an ellipse whose semi-axes blend (smoothstep) from the LVOT
  values ``lvot_transition_mm`` below the annulus to the annulus ellipse at ``h = 0``.
* At ``h = 0`` the lumen is exactly the annulus ellipse (major axis along ``e_left``): the
  sinus bulges start at the leaflet attachment line, which touches the annulus plane only at
  the three cusp nadirs (hinge points), so the virtual basal ring is the plane of the three
  hinges, as defined by Piazza et al., Circ Cardiovasc Interv 2008;1:74-81.
* Above it the base ellipse blends to the sino-tubular junction circle over
  ``base_transition_mm``; each sinus adds a bulge ``B_k sin(pi u) f(t)`` where ``u`` is
  the fraction across the cusp's sector (0 and 1 at the commissures) and ``t`` the fraction
  from the attachment line to the STJ; ``f`` peaks (= 1) at ``t = sinus_peak_fraction``.
* The leaflet attachment line (the "crown") is ``h_att = h_comm (1 - sin(pi u))``; open
  (systolic) leaflets are sheets of the given thickness lying just inside the base surface
  from the attachment line up to the free edge ``h_comm - (h_comm - h_free) sin(pi u)``.
* From the STJ up the lumen is circular with the diameter profile of
  :attr:`RootParams.aorta_diameter_knots` (arc length above the annulus).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ellipe

from twindesk.phantom.params import CUSPS, RootParams
from twindesk.phantom.shapes import pchip_profile, smoothstep, unit

TWO_PI = 2.0 * np.pi


def ellipse_perimeter_mm(a_mm: float, b_mm: float) -> float:
    """Exact perimeter of an ellipse with semi-axes a, b (complete elliptic integral)."""
    a, b = max(a_mm, b_mm), min(a_mm, b_mm)
    return float(4.0 * a * ellipe(1.0 - (b / a) ** 2))


class AorticRoot:
    """The analytic root of :class:`RootParams`, placed at ``body_origin + annulus_offset``."""

    def __init__(self, p: RootParams, body_origin_lps_mm):
        self.p = p
        self.center = np.asarray(body_origin_lps_mm, float) + np.asarray(p.annulus_offset_mm)
        self.n = unit(p.annulus_normal_lps)
        ant = np.array([0.0, -1.0, 0.0])
        self.e_ant = unit(ant - (ant @ self.n) * self.n)
        self.e_left = np.cross(self.n, self.e_ant)
        c = np.radians(p.commissure_angles_deg)  # RL, LN, NR
        starts = {"right": c[2], "left": c[0], "non": c[1]}
        ends = {"right": c[0], "left": c[1], "non": c[2]}
        self.sector = {k: (starts[k] % TWO_PI, (ends[k] - starts[k]) % TWO_PI) for k in CUSPS}
        self.commissure_pairs = {("right", "left"): c[0], ("left", "non"): c[1],
                                 ("non", "right"): c[2]}
        self.a0, self.b0 = p.annulus_major_mm / 2, p.annulus_minor_mm / 2
        self.a_lvot, self.b_lvot = p.lvot_major_mm / 2, p.lvot_minor_mm / 2
        self.r_stj = p.stj_diameter_mm / 2
        self.diameter = pchip_profile(p.aorta_diameter_knots)
        pk = p.sinus_peak_fraction
        self._q = (1 - pk) / pk  # exponent giving the peak at t = pk for f = t (1-t)^q
        self._f_norm = pk * (1 - pk) ** self._q

    # ----------------------------------------------------------------- frames
    def to_root(self, p: np.ndarray):
        """LPS points → (h, cos theta, sin theta, rho)."""
        q = p - self.center
        h = q @ self.n
        x, y = q @ self.e_ant, q @ self.e_left
        rho = np.hypot(x, y)
        safe = np.where(rho > 1e-12, rho, 1.0)
        return h, np.where(rho > 1e-12, x / safe, 1.0), np.where(rho > 1e-12, y / safe, 0.0), rho

    def to_lps(self, h, theta, rho) -> np.ndarray:
        """Root coordinates (theta in radians) → LPS points ``(N, 3)``."""
        h, theta, rho = np.broadcast_arrays(*(np.asarray(v, float) for v in (h, theta, rho)))
        d = np.cos(theta)[..., None] * self.e_ant + np.sin(theta)[..., None] * self.e_left
        return self.center + h[..., None] * self.n + rho[..., None] * d

    def axis_point(self, h) -> np.ndarray:
        return self.center + np.asarray(h, float)[..., None] * self.n

    # ----------------------------------------------------------------- cusps
    def cusp_coords(self, theta):
        """Per angle: cusp index (0 right, 1 left, 2 non) and fraction u across its sector."""
        theta = np.asarray(theta, float) % TWO_PI
        idx = np.zeros(theta.shape, int)
        u = np.zeros(theta.shape)
        for i, k in enumerate(CUSPS):
            start, width = self.sector[k]
            uk = ((theta - start) % TWO_PI) / width
            m = uk < 1.0
            idx = np.where(m, i, idx)
            u = np.where(m, uk, u)
        return idx, u

    def cusp_center_angle(self, cusp: str) -> float:
        start, width = self.sector[cusp]
        return float((start + width / 2) % TWO_PI)

    def attachment_height(self, u):
        return self.p.commissure_height_mm * (1.0 - np.sin(np.pi * np.asarray(u)))

    def free_edge_height(self, u):
        hc, hf = self.p.commissure_height_mm, self.p.leaflet_free_edge_height_mm
        return hc - (hc - hf) * np.sin(np.pi * np.asarray(u))

    # ----------------------------------------------------------------- lumen
    def semi_axes(self, h):
        """Base-ellipse semi-axes (along e_left, along e_ant) at height ``h`` (mm)."""
        h = np.asarray(h, float)
        tl = smoothstep(-h / self.p.lvot_transition_mm)
        tb = smoothstep(h / self.p.base_transition_mm)
        a = np.where(h < 0, self.a0 + (self.a_lvot - self.a0) * tl,
                     self.a0 + (self.r_stj - self.a0) * tb)
        b = np.where(h < 0, self.b0 + (self.b_lvot - self.b0) * tl,
                     self.b0 + (self.r_stj - self.b0) * tb)
        r_asc = self.diameter(h) / 2.0
        above = h >= self.p.stj_height_mm
        return np.where(above, r_asc, a), np.where(above, r_asc, b)

    def base_radius(self, h, c, s):
        a, b = self.semi_axes(h)
        return 1.0 / np.sqrt((c / b) ** 2 + (s / a) ** 2)

    def bulge(self, h, c, s):
        """Sinus bulge (mm) beyond the base surface."""
        h = np.asarray(h, float)
        idx, u = self.cusp_coords(np.arctan2(s, c))
        amp = np.asarray(self.p.sinus_bulge_mm, float)[idx]
        h_att = self.attachment_height(u)
        span = np.maximum(self.p.stj_height_mm - h_att, 1e-6)
        t = (h - h_att) / span
        inside = (t > 0) & (t < 1)
        tc = np.clip(t, 0.0, 1.0)
        f = tc * (1.0 - tc) ** self._q / self._f_norm
        return np.where(inside, amp * np.sin(np.pi * u) * f, 0.0)

    def wall_radius(self, h, c, s):
        """Lumen radius (mm) of the root at height ``h`` in direction ``(c, s)``."""
        return self.base_radius(h, c, s) + self.bulge(h, c, s)

    def wall_radius_at(self, h, theta):
        return self.wall_radius(h, np.cos(theta), np.sin(theta))

    # ----------------------------------------------------------------- leaflets
    def leaflet_sdf(self, p: np.ndarray) -> np.ndarray:
        """Signed distance (first-order estimate) to the three open leaflets (thin sheets).

        The edge terms (attachment line, free edge) are heights divided by their gradient
        norm, so they approximate distances even where the crown line is steep."""
        h, c, s, rho = self.to_root(p)
        idx, u = self.cusp_coords(np.arctan2(s, c))
        t = self.p.leaflet_thickness_mm
        mid = self.base_radius(h, c, s) - t / 2
        d_r = np.abs(rho - mid) - t / 2
        width = np.array([self.sector[k][1] for k in CUSPS])[idx]
        cosu = np.abs(np.cos(np.pi * u)) * np.pi / width / np.maximum(rho, 1.0)
        g_att = np.sqrt(1.0 + (self.p.commissure_height_mm * cosu) ** 2)
        g_free = np.sqrt(1.0 + ((self.p.commissure_height_mm -
                                 self.p.leaflet_free_edge_height_mm) * cosu) ** 2)
        return np.maximum.reduce([d_r, (self.attachment_height(u) - h) / g_att,
                                  (h - self.free_edge_height(u)) / g_free])

    def leaflet_point(self, cusp: str, angle_fraction: float, height_fraction: float):
        """Mid-surface point of a leaflet (LPS) and its (theta, h)."""
        start, width = self.sector[cusp]
        theta = start + angle_fraction * width
        h_att = float(self.attachment_height(angle_fraction))
        h = h_att + height_fraction * (float(self.free_edge_height(angle_fraction)) - h_att)
        rho = float(self.base_radius(h, np.cos(theta), np.sin(theta))) - \
            self.p.leaflet_thickness_mm / 2
        return self.to_lps(h, theta, rho), theta, h

    # ----------------------------------------------------------------- landmarks
    def hinge_point(self, cusp: str) -> np.ndarray:
        """Nadir of a cusp's attachment line: on the annulus ellipse at the cusp centre."""
        th = self.cusp_center_angle(cusp)
        return self.to_lps(0.0, th, self.wall_radius_at(0.0, th))

    def commissure_point(self, pair) -> np.ndarray:
        th = self.commissure_pairs[pair]
        h = self.p.commissure_height_mm
        return self.to_lps(h, th, self.wall_radius_at(h, th))

    def contour(self, h: float, n_points: int = 720) -> np.ndarray:
        """Closed lumen contour in the plane at height ``h`` (LPS, first point not repeated)."""
        th = np.linspace(0.0, TWO_PI, n_points, endpoint=False)
        return self.to_lps(np.full_like(th, h), th, self.wall_radius_at(np.full_like(th, h), th))

    def section_stats(self, h: float, n_theta: int = 7200) -> dict:
        """Perimeter, area and diameters of the lumen section at height ``h``.

        Elliptic sections (no sinus bulge) use the exact closed forms; others integrate the
        analytic polar contour ``r(theta)`` on a fine grid (relative error < 1e-6).
        Diameters: min / max of ``r(theta) + r(theta + pi)`` (calipers through the axis).
        """
        th = np.linspace(0.0, TWO_PI, n_theta, endpoint=False)
        hh = np.full_like(th, h)
        r = self.wall_radius_at(hh, th)
        bulges = np.any(self.bulge(hh, np.cos(th), np.sin(th)) > 0)
        if not bulges:
            a, b = (float(v) for v in self.semi_axes(h))
            perim, area = ellipse_perimeter_mm(a, b), float(np.pi * a * b)
        else:
            dth = TWO_PI / n_theta
            area = float(0.5 * np.sum(r**2) * dth)
            xy = np.stack([r * np.cos(th), r * np.sin(th)], 1)
            perim = float(np.sum(np.linalg.norm(np.roll(xy, -1, 0) - xy, axis=1)))
        cal = r + np.roll(r, -n_theta // 2)
        return {"perimeter_mm": perim, "area_mm2": area,
                "min_diameter_mm": float(cal.min()), "max_diameter_mm": float(cal.max()),
                "perimeter_derived_diameter_mm": perim / np.pi,
                "area_derived_diameter_mm": float(2.0 * np.sqrt(area / np.pi))}
