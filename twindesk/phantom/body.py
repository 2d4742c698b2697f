"""The thorax around the heart: body wall, lungs, mediastinal fat, airway, bones, liver.

These give automatic seeding and thresholds realistic surroundings: bright cortical bone
(spine, ribs, sternum) next to contrast blood, air in the airway, lungs at about -800 HU,
fat at -100 HU and soft tissue near 50 HU. Positions are relative to the body origin
``B`` (midline, annulus level); the spine is slightly posterior of the LA and left-posterior
of it runs the descending aorta.
"""

from __future__ import annotations

import numpy as np

from twindesk.phantom.heart import STEP_MM, Heart, Vessel
from twindesk.phantom.shapes import (
    CapsuleChain,
    Complement,
    Ellipsoid,
    EllipticCylinder,
    Intersection,
    SmoothUnion,
    Union,
    unit,
)
from twindesk.phantom.tubes import Centerline, Tube, circular, spline_path, straight_path

LUNG_TREE_SEED = 11  # the pulmonary artery tree is part of the anatomy, not of the noise


def _any_normal(direction, hint=None) -> np.ndarray:
    """A unit vector perpendicular to ``direction`` (along ``hint`` projected, if given)."""
    d = unit(direction)
    h = np.asarray(hint, float) if hint is not None else np.eye(3)[int(np.argmin(np.abs(d)))]
    return unit(h - (h @ d) * d)


class Thorax:
    """Body wall, lungs, mediastinum, airway, oesophagus, skeleton and liver dome."""

    def __init__(self, heart: Heart, z_range_mm: tuple[float, float]):
        B = heart.B
        P = heart.P
        self.heart = heart
        z0, z1 = z_range_mm[0] - 20.0, z_range_mm[1] + 20.0
        rel = lambda z: float(z - B[2])  # noqa: E731
        zr0, zr1 = rel(z0), rel(z1)
        self.body = EllipticCylinder(B[:2] + (0, 5), 158.0, 113.0, (z0, z1))
        self.muscle = EllipticCylinder(B[:2] + (0, 5), 148.0, 104.0, (z0, z1))
        self.cavity = EllipticCylinder(B[:2] + (0, 3), 134.0, 92.0, (z0, z1))
        # Diaphragm domes: liver under the right dome, stomach/spleen under the left one.
        self.liver = Ellipsoid(P(-45, 10, -125), np.eye(3), (120.0, 105.0, 78.0))
        self.left_abdomen = Ellipsoid(P(55, 10, -150), np.eye(3), (95.0, 95.0, 78.0))
        # Airway and oesophagus (posterior mediastinum).
        carina = P(-3, 28, 70)
        self.trachea = Vessel("trachea", spline_path([P(-3, 24, 170), P(-3, 26, 110), carina],
                                                     step_mm=STEP_MM), 9.0, caps=("flat", "round"))
        self.bronchi = [
            Vessel("left_main_bronchus",
                   spline_path([carina, P(14, 20, 54), P(36, 14, 42)], step_mm=STEP_MM), 6.5,
                   caps=("round", "round")),
            Vessel("right_main_bronchus",
                   spline_path([carina, P(-22, 30, 56), P(-42, 32, 44)], step_mm=STEP_MM), 7.0,
                   caps=("round", "round")),
        ]
        self.airway = Union([self.trachea.tube] + [b.tube for b in self.bronchi])
        self.esophagus = Vessel("esophagus", spline_path(
            [P(4, 47, zr1), P(8, 47, 60), P(10, 46, 0), P(4, 40, zr0)], step_mm=STEP_MM),
            6.0, caps=("flat", "flat"))
        self._build_spine(B, P, zr0, zr1)
        self._build_ribs(B, P, zr0, zr1)
        self.sternum = EllipticCylinder(B[:2] + (0, -93), 16.0, 7.0, (B[2] - 70.0, z1))
        self._build_mediastinum(B, P, zr0, zr1)
        self._build_lung_vessels()

    def _build_spine(self, B, P, zr0, zr1) -> None:
        bodies, discs, arches = [], [], []
        c_body, c_canal = B[:2] + (0, 72), B[:2] + (0, 99)
        z = zr0 - 10.0
        while z < zr1:
            zb = (B[2] + z, B[2] + z + 22.0)
            bodies.append(EllipticCylinder(c_body, 19.0, 16.0, zb))
            discs.append(EllipticCylinder(c_body, 18.0, 15.0, (zb[1], zb[1] + 6.0)))
            arch = EllipticCylinder(c_canal, 15.0, 13.0, (zb[0] + 2.0, zb[1] - 2.0))
            spinous = EllipticCylinder(B[:2] + (0, 110), 4.0, 6.0, (zb[0] - 4.0, zb[1] - 8.0))
            arches.append(Union([arch, spinous]))
            z += 28.0
        self.vertebral_bodies = Union(bodies)
        self.discs = Union(discs)
        self.canal = EllipticCylinder(c_canal, 8.0, 8.0, (B[2] + zr0 - 20, B[2] + zr1 + 20))
        # paraspinal muscles and ligaments: the lungs only reach the spine from the sides
        self.paraspinal = Intersection([
            EllipticCylinder(B[:2] + (0, 94), 42.0, 30.0, (B[2] + zr0 - 20, B[2] + zr1 + 20)),
            self.body])
        self.posterior_arches = Union(arches)

    def _build_ribs(self, B, P, zr0, zr1) -> None:
        """Ribs along the chest wall, sloping down anteriorly; the anterior ends are costal
        cartilage. Each rib is cut into short tubes so each piece has a tight box."""
        bone, cartilage = [], []
        a_ell, b_ell = 127.0, 86.0
        for side in (-1.0, 1.0):
            z = zr0 + 6.0
            while z < zr1 + 30.0:
                alpha = np.linspace(0.30, 2.9, 27)
                drop = 38.0 * (alpha - alpha[0]) / (alpha[-1] - alpha[0])
                pts = np.stack([B[0] + side * a_ell * np.sin(alpha),
                                B[1] + 3.0 + b_ell * np.cos(alpha),
                                B[2] + z - drop], axis=1)
                path = spline_path(pts, step_mm=1.0)
                k_cart = int(np.argmax(path[:, 1] < B[1] - 62.0))
                for lo in range(0, len(path) - 1, 50):
                    hi = min(lo + 56, len(path) - 1)   # pieces overlap: no seam at the cuts
                    for part, (i0, i1) in ((bone, (lo, min(hi, k_cart + 3))),
                                           (cartilage, (max(lo, k_cart), hi))):
                        if i1 - i0 >= 2:
                            cl = Centerline(path[i0:i1 + 1], (0.0, 0.0, 1.0))
                            part.append(Tube(cl, circular(5.0), 5.0))
                z += 27.0
        self.rib_bone = Union(bone)
        self.rib_cartilage = Union(cartilage)

    def _build_lung_vessels(self) -> None:
        """Pulmonary arteries in the lungs: lobar branches from the ends of the left and right
        pulmonary arteries, bifurcating three times (radius x0.72, length x0.78 per
        generation, 20-40 degree branching), from a fixed seed so the anatomy never changes.
        Right-heart contrast, unlabelled; clipped to the lungs."""
        h = self.heart
        rng = np.random.default_rng(LUNG_TREE_SEED)
        vessels = []

        def grow(start, direction, radius, length, depth):
            end = start + length * direction
            vessels.append(Tube(Centerline(straight_path(start, end, 0.5), _any_normal(direction)),
                                circular(lambda s, r=radius, L=length: r * (1 - 0.15 * s / L)),
                                radius, caps=("round", "round")))
            if depth == 0:
                return
            for sign in (-1.0, 1.0):
                axis = _any_normal(direction, rng.normal(size=3))
                ang = np.radians(sign * rng.uniform(20.0, 40.0))
                d = direction * np.cos(ang) + np.cross(axis, direction) * np.sin(ang)
                grow(end, unit(d), radius * 0.72, length * 0.78, depth - 1)

        for artery, side in ((h.rpa, -1.0), (h.lpa, 1.0)):
            root = artery.cl.v[-1]
            for d in ((0.4, 0.0, 0.9), (0.8, -0.5, -0.3), (0.35, 0.35, -0.87)):
                grow(root, unit((side * d[0], d[1], d[2])), 5.0, 30.0, 3)
        self.lung_vessels = Intersection([Union(vessels), self.cavity.offset(-4.0),
                                          Complement(self.mediastinum)])

    def _build_mediastinum(self, B, P, zr0, zr1) -> None:
        h = self.heart
        # superior mediastinum above the heart; pericardial / anterior mediastinal fat in
        # front of it down to the diaphragm (the lungs only flank the heart there)
        column = EllipticCylinder(B[:2] + (-4, -8), 34.0, 60.0, (B[2] + 25.0, B[2] + zr1 + 30))
        anterior = EllipticCylinder(B[:2] + (2, -45), 36.0, 50.0, (B[2] - 95.0, B[2] + 30.0))
        posterior = EllipticCylinder(B[:2] + (8, 50), 30.0, 22.0,
                                     (B[2] + zr0 - 30, B[2] + zr1 + 30))
        # The fat envelope only needs the rough outline: exact, cheap stand-ins (a smooth
        # union needs exact distances within its blend radius, which tubes do not give).
        def chain(vessel_or_cl, r, step=25):
            v = getattr(vessel_or_cl, "cl", vessel_or_cl).v
            return CapsuleChain(v[:: max(int(step / STEP_MM), 1)].tolist() + [v[-1]], r)

        parts = [h.lv_outer_ell.offset(5.0), h.rv_cavity_ell.offset(8.0), h.ra_ell.offset(6.0),
                 h.la_ell.offset(6.0), chain(h.aorta_cl, 21.0, 20), chain(h.pulmonary_trunk, 17.0),
                 chain(h.rpa, 13.0), chain(h.lpa, 13.0), chain(h.svc, 14.0), chain(h.ivc, 15.0),
                 column, anterior, posterior]
        self.mediastinum = SmoothUnion(parts, 14.0)


__all__ = ["Thorax", "SmoothUnion", "Complement", "Intersection", "unit"]
