"""Hand measurements on images: distance and angle between points in LPS millimetres."""

from __future__ import annotations

import numpy as np

from twindesk.errors import InputError


def distance_mm(p0_lps_mm, p1_lps_mm) -> float:
    """Euclidean distance between two LPS points, mm."""
    return float(np.linalg.norm(np.asarray(p1_lps_mm, float) - np.asarray(p0_lps_mm, float)))


def angle_deg(a_lps_mm, vertex_lps_mm, b_lps_mm) -> float:
    """Angle at ``vertex`` between the rays to ``a`` and ``b``, degrees in [0, 180]."""
    v = np.asarray(vertex_lps_mm, float)
    u, w = np.asarray(a_lps_mm, float) - v, np.asarray(b_lps_mm, float) - v
    nu, nw = np.linalg.norm(u), np.linalg.norm(w)
    if nu < 1e-9 or nw < 1e-9:
        raise InputError("angle: an arm has zero length", "place the three points apart")
    c = float(np.clip(u @ w / (nu * nw), -1.0, 1.0))
    return float(np.degrees(np.arccos(c)))


def measure(kind: str, points_lps_mm) -> float:
    """Value of a ``"distance"`` (2 points, mm) or ``"angle"`` (3 points, degrees) measurement."""
    pts = [np.asarray(p, float) for p in points_lps_mm]
    if kind == "distance" and len(pts) == 2:
        return distance_mm(*pts)
    if kind == "angle" and len(pts) == 3:
        return angle_deg(*pts)
    raise InputError(f"measurement: '{kind}' with {len(pts)} points is not defined",
                     "a distance needs 2 points, an angle 3 (the middle one is the vertex)")
