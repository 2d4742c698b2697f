"""The annulus (virtual basal ring) plane from the three hinge points, and the root frame.

The aortic annulus is the virtual ring through the nadirs of the three cusps' hinge lines
(hinge points); its plane is the plane through those three points (Piazza N, de Jaegere P,
Schultz C, et al. Anatomy of the aortic valvar complex and its implications for
transcatheter implantation of the aortic valve. Circ Cardiovasc Interv 2008;1:74-81;
Blanke et al., SCCT expert consensus, J Cardiovasc Comput Tomogr 2019;13:1-20).

Root frame (LPS): ``normal`` points from the left ventricle into the aorta; in-plane angles
run from the *anterior* direction (the patient's anterior, -y, projected into the plane,
0 deg) toward the patient's *left* (+90 deg), as in :mod:`twindesk.phantom.root`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError

CUSPS = ("right", "left", "non")  # right-, left- and non-coronary cusps
#: Typical in-plane angles of the cusp centres in the root frame (deg): the right cusp is
#: anterior, the left cusp left-posterior, the non-coronary cusp right-posterior.
TYPICAL_CUSP_ANGLE_DEG = {"right": 0.0, "left": 120.0, "non": 240.0}
ANTERIOR_LPS = np.array([0.0, -1.0, 0.0])
SUPERIOR_LPS = np.array([0.0, 0.0, 1.0])


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    n = float(np.linalg.norm(v))
    if not np.isfinite(n) or n < 1e-12:
        raise InputError(f"direction {np.round(v, 3).tolist()} has no length",
                         "give distinct, finite points")
    return v / n


@dataclass(frozen=True)
class RootFrame:
    """Plane centre and unit normal (LPS) with the in-plane anterior / left axes."""

    center_lps_mm: np.ndarray
    normal_lps: np.ndarray

    @property
    def anterior(self) -> np.ndarray:
        a = ANTERIOR_LPS - (ANTERIOR_LPS @ self.normal_lps) * self.normal_lps
        if np.linalg.norm(a) < 1e-6:  # normal along y: any in-plane axis will do
            a = SUPERIOR_LPS - (SUPERIOR_LPS @ self.normal_lps) * self.normal_lps
        return unit(a)

    @property
    def left(self) -> np.ndarray:
        return np.cross(self.normal_lps, self.anterior)

    def height(self, points_lps_mm) -> np.ndarray:
        """Signed distance (mm) of points above the plane (toward the aorta)."""
        p = np.atleast_2d(np.asarray(points_lps_mm, dtype=float))
        return (p - self.center_lps_mm) @ self.normal_lps

    def angle_deg(self, points_lps_mm) -> np.ndarray:
        """In-plane angle (deg, 0..360) of points about the axis."""
        q = np.atleast_2d(np.asarray(points_lps_mm, dtype=float)) - self.center_lps_mm
        return np.degrees(np.arctan2(q @ self.left, q @ self.anterior)) % 360.0

    def direction(self, angle_deg) -> np.ndarray:
        t = np.radians(np.asarray(angle_deg, dtype=float))
        return np.cos(t)[..., None] * self.anterior + np.sin(t)[..., None] * self.left

    def point(self, height_mm, angle_deg, radius_mm) -> np.ndarray:
        return (self.center_lps_mm + np.asarray(height_mm, float)[..., None] * self.normal_lps
                + np.asarray(radius_mm, float)[..., None] * self.direction(angle_deg))

    def shifted(self, height_mm: float) -> RootFrame:
        return RootFrame(self.center_lps_mm + height_mm * self.normal_lps, self.normal_lps)


def hinge_plane(hinges_lps_mm: dict, aorta_hint_lps=None) -> RootFrame:
    """The plane through the three hinge points, normal oriented into the aorta.

    ``hinges_lps_mm`` maps ``right``, ``left``, ``non`` to LPS points. The normal points to
    the side of ``aorta_hint_lps`` (a direction from the LV into the aorta) when given, else
    superiorly (the aortic root rises from the ventricle in every body position the LPS
    frame describes). The centre is the hinges' mean (callers replace it by the centroid of
    the annulus contour).
    """
    missing = [k for k in CUSPS if k not in hinges_lps_mm]
    if missing:
        raise InputError(f"hinge points: missing {', '.join(missing)}",
                         "give three hinge points (right, left, non-coronary cusp)")
    p = np.array([np.asarray(hinges_lps_mm[k], float) for k in CUSPS])
    if p.shape != (3, 3) or not np.all(np.isfinite(p)):
        raise InputError("hinge points must be three finite LPS points",
                         "write --hinges-lps \"X,Y,Z;X,Y,Z;X,Y,Z\" (right; left; non)")
    sides = [np.linalg.norm(p[i] - p[j]) for i, j in ((0, 1), (1, 2), (2, 0))]
    if min(sides) < 3.0:
        raise InputError(f"two hinge points are only {min(sides):.1f} mm apart",
                         "place one hinge point at the nadir of each of the three cusps")
    cross = np.cross(p[1] - p[0], p[2] - p[0])
    if np.linalg.norm(cross) < 0.05 * max(sides) ** 2:
        raise InputError("the three hinge points are (nearly) on one line",
                         "place one hinge point at the nadir of each of the three cusps")
    n = unit(cross)
    hint = SUPERIOR_LPS if aorta_hint_lps is None else np.asarray(aorta_hint_lps, float)
    if n @ hint < 0:
        n = -n
    return RootFrame(p.mean(axis=0), n)


def cusp_labels_from_angles(angles_deg) -> list[str]:
    """Label three lobe angles (root frame, deg) as right/left/non by the best cyclic match
    to the typical angles (:data:`TYPICAL_CUSP_ANGLE_DEG`)."""
    a = np.asarray(angles_deg, dtype=float) % 360.0
    order = np.argsort(a)
    best, labels = np.inf, None
    for shift in range(3):
        names = [CUSPS[(i + shift) % 3] for i in range(3)]
        err = sum(_angdiff(a[order[i]], TYPICAL_CUSP_ANGLE_DEG[names[i]]) ** 2 for i in range(3))
        if err < best:
            best, labels = err, names
    out = [""] * 3
    for i in range(3):
        out[order[i]] = labels[i]
    return out


def _angdiff(a: float, b: float) -> float:
    return float((a - b + 180.0) % 360.0 - 180.0)
