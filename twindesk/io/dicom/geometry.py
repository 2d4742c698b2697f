"""Small vector helpers for slice geometry, in LPS millimetres (pure Python: the import path
stays free of NumPy so a clean series imports fast)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Vec = tuple[float, float, float]


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def sub(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def cross(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Sequence[float]) -> float:
    return math.sqrt(dot(a, a))


def unit(a: Sequence[float]) -> Vec:
    n = norm(a)
    if n == 0:
        raise ValueError("zero-length vector")
    return (a[0] / n, a[1] / n, a[2] / n)


def slice_axes(orientation: Sequence[float]) -> tuple[Vec, Vec, Vec]:
    """Row direction, column direction and slice normal (row x column) of an
    ImageOrientationPatient value, each a unit vector in LPS."""
    row = unit(orientation[:3])
    col = unit(orientation[3:6])
    return row, col, unit(cross(row, col))


def slice_normal(orientation: Sequence[float]) -> Vec:
    return slice_axes(orientation)[2]


def is_valid_orientation(orientation: Sequence[float], tol: float = 1e-3) -> bool:
    """Both cosines unit length and perpendicular (PS3.3 C.7.6.2.1.1)."""
    row, col = orientation[:3], orientation[3:6]
    return (abs(norm(row) - 1) < tol and abs(norm(col) - 1) < tol and abs(dot(row, col)) < tol)


def orientation_label(orientation: Sequence[float], tol_deg: float = 10.0) -> str:
    """``axial``, ``coronal``, ``sagittal`` (normal within ``tol_deg`` of an axis) or
    ``oblique``."""
    n = slice_normal(orientation)
    limit = math.cos(math.radians(tol_deg))
    for axis, name in ((2, "axial"), (1, "coronal"), (0, "sagittal")):
        if abs(n[axis]) >= limit:
            return name
    return "oblique"


def angle_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Angle between two lines (direction sign ignored), degrees."""
    c = abs(dot(unit(a), unit(b)))
    return math.degrees(math.acos(min(1.0, c)))


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    m = len(s) // 2
    return s[m] if len(s) % 2 else 0.5 * (s[m - 1] + s[m])
