"""Named aortic segments along the centreline, and narrowing / enlarging a segment's lumen.

Segments are arc-length ranges (mm) of ``centerline:<structure>`` measured from the end
nearest the flow mesh's inlet (the aortic root):

``ascending``
    From the root to the start of the arch.
``arch``
    From the first to the last arch-branch origin, each widened by that branch's radius
    (the branch outlets of the flow mesh, projected on the centreline; the conventional
    boundaries of the arch are the brachiocephalic and left subclavian origins, e.g.
    Erbel et al., 2014 ESC Guidelines on aortic diseases, Eur Heart J 2014;35:2873–2926,
    Fig. 2).
``descending``
    From the end of the arch to the end of the centreline.
``START-END``
    Any arc-length range in mm, e.g. ``40-65``.

A change of ``PERCENT`` narrows the lumen diameter by that percentage inside the segment
(negative: enlarges it), with cosine tapers over one local radius at both ends so the wall
stays smooth. Mesh points inside the local lumen radius are scaled towards the centreline;
points farther out (branch stubs) move with the wall, so stubs keep their shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError

NAMED = ("ascending", "arch", "descending")
#: A narrowing beyond this leaves too little lumen for the flow mesh.
MAX_NARROWING_PCT = 90.0
MAX_ENLARGEMENT_PCT = 100.0


@dataclass(frozen=True)
class Narrowing:
    """``percent`` diameter reduction (negative: enlargement) over ``segment``."""

    segment: str
    percent: float

    @classmethod
    def parse(cls, text: str) -> Narrowing:
        """``SEGMENT:PERCENT`` (``ascending:30``, ``40-65:50``, ``arch:-20``)."""
        name, sep, pct = str(text).rpartition(":")
        name = name.strip().lower()
        try:
            value = float(pct) if sep else float("nan")
        except ValueError:
            value = float("nan")
        if not name or not np.isfinite(value):
            raise InputError(f"--narrow '{text}': expected SEGMENT:PERCENT",
                             "e.g. --narrow ascending:30 (30 % narrower) or --narrow "
                             "40-65:-20 (20 % wider between 40 and 65 mm)")
        if name not in NAMED and not re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", name):
            raise InputError(f"--narrow '{text}': unknown segment '{name}'",
                             f"use {', '.join(NAMED)} or an arc-length range START-END in mm")
        if not -MAX_ENLARGEMENT_PCT <= value <= MAX_NARROWING_PCT or value == 0:
            raise InputError(f"--narrow '{text}': {value:g} % is outside the range "
                             f"−{MAX_ENLARGEMENT_PCT:g} … {MAX_NARROWING_PCT:g} % (and not 0)",
                             "give the diameter change in percent")
        return cls(name, value)

    @property
    def diameter_factor(self) -> float:
        return 1.0 - self.percent / 100.0

    def to_doc(self) -> dict:
        return {"segment": self.segment, "percent": self.percent,
                "diameter_factor": self.diameter_factor,
                "area_change_percent": 100.0 * (self.diameter_factor ** 2 - 1.0)}


@dataclass(frozen=True)
class Centreline:
    """Centreline samples oriented from the root (LPS mm)."""

    points_mm: np.ndarray
    arc_mm: np.ndarray
    radius_mm: np.ndarray

    @classmethod
    def from_doc(cls, cl: dict, inlet_centre_mm) -> Centreline:
        try:
            pts = np.asarray(cl["points_lps_mm"], float)
            s = np.asarray(cl["arc_length_mm"], float)
            if "diameter_max_mm" in cl:
                r = 0.5 * np.asarray(cl["diameter_max_mm"], float)
            else:
                r = np.asarray(cl["radius_mm"], float)
        except (KeyError, TypeError, ValueError):
            raise InputError("centerline: missing points_lps_mm / arc_length_mm / radii",
                             "recompute the centreline (anatomy step)") from None
        if pts.ndim != 2 or len(pts) < 2 or len(s) != len(pts) or len(r) != len(pts):
            raise InputError("centerline: points, arc lengths and radii differ in length",
                             "recompute the centreline")
        c = np.asarray(inlet_centre_mm, float)
        if np.linalg.norm(pts[-1] - c) < np.linalg.norm(pts[0] - c):
            pts, r = pts[::-1], r[::-1]
            s = s[-1] - s[::-1]
        return cls(pts, s - s[0], r)

    def project(self, points_mm: np.ndarray, spacing_mm: float = 0.25):
        """Arc length, centre point and local radius of the nearest centreline position of
        each point (the polyline resampled every ``spacing_mm``)."""
        from scipy.spatial import cKDTree

        s_fine = np.arange(0.0, self.arc_mm[-1] + spacing_mm, spacing_mm)
        s_fine = np.minimum(s_fine, self.arc_mm[-1])
        fine = np.column_stack([np.interp(s_fine, self.arc_mm, self.points_mm[:, k])
                                for k in range(3)])
        _, idx = cKDTree(fine).query(np.asarray(points_mm, float))
        return s_fine[idx], fine[idx], np.interp(s_fine[idx], self.arc_mm, self.radius_mm)


def descending_outlet(regions: list[dict]) -> dict:
    """The descending-aorta outlet: named so, else the largest outlet."""
    outlets = [r for r in regions if r.get("kind") == "outlet"]
    for r in outlets:
        if "desc" in str(r.get("name", "")).lower():
            return r
    return max(outlets, key=lambda r: float(r["area_mm2"]))


def segment_ranges(cl: Centreline, regions: list[dict]) -> dict[str, tuple[float, float]]:
    """Arc-length range (mm) of each named segment (module docstring); ``arch`` and the
    ranges that border it only when the mesh has arch-branch outlets."""
    desc = descending_outlet(regions)
    branches = [r for r in regions if r.get("kind") == "outlet" and r is not desc]
    end = float(cl.arc_mm[-1])
    if not branches:
        return {}
    centres = np.array([r["center_lps_mm"] for r in branches], float)
    s_b, _, _ = cl.project(centres)
    r_b = np.sqrt(np.array([float(r["area_mm2"]) for r in branches]) / np.pi)
    a0 = float(max(0.0, np.min(s_b - r_b)))
    a1 = float(min(end, np.max(s_b + r_b)))
    return {"ascending": (0.0, a0), "arch": (a0, a1), "descending": (a1, end)}


def resolve_range(name: str, cl: Centreline, regions: list[dict]) -> tuple[float, float]:
    if name in NAMED:
        ranges = segment_ranges(cl, regions)
        if name not in ranges:
            raise InputError(f"segment '{name}' cannot be located: the flow mesh has no "
                             "arch-branch outlets", "give an arc-length range START-END in mm")
        return ranges[name]
    a, b = (float(v) for v in name.split("-"))
    end = float(cl.arc_mm[-1])
    if not 0 <= a < b <= end + 1e-6:
        raise InputError(f"segment {name} mm lies outside the centreline (0–{end:.0f} mm)",
                         "give START < END within the centreline length")
    return a, b


def taper(s: np.ndarray, s0: float, s1: float, ramp_mm: float) -> np.ndarray:
    """1 inside ``[s0 + ramp, s1 − ramp]``, 0 outside ``[s0, s1]``, cosine in between."""
    ramp = max(min(ramp_mm, 0.5 * (s1 - s0)), 1e-9)
    up = np.clip((s - s0) / ramp, 0.0, 1.0)
    down = np.clip((s1 - s) / ramp, 0.0, 1.0)
    return 0.5 * (1 - np.cos(np.pi * np.minimum(up, down)))


def morph_points(points_mm: np.ndarray, cl: Centreline, regions: list[dict],
                 changes: list[Narrowing]) -> tuple[np.ndarray, list[dict]]:
    """Move mesh points to apply ``changes``; returns the new points and, per change, its
    resolved arc-length range."""
    pts = np.asarray(points_mm, float).copy()
    s, centre, radius = cl.project(pts)
    radial = pts - centre
    dist = np.linalg.norm(radial, axis=1)
    unit = radial / np.maximum(dist, 1e-12)[:, None]
    reach = np.minimum(dist, radius)  # branch stubs move with the wall, not towards the axis
    shift = np.zeros(len(pts))
    applied = []
    for ch in changes:
        s0, s1 = resolve_range(ch.segment, cl, regions)
        ramp = float(np.interp(0.5 * (s0 + s1), cl.arc_mm, cl.radius_mm))
        shift += (ch.diameter_factor - 1.0) * taper(s, s0, s1, ramp) * reach
        applied.append({**ch.to_doc(), "arc_mm": [s0, s1], "taper_mm": min(ramp, 0.5 * (s1 - s0))})
    return pts + shift[:, None] * unit, applied


def _signed_volumes(points_mm: np.ndarray, tets: np.ndarray) -> np.ndarray:
    p = np.asarray(points_mm)[np.asarray(tets)]
    return np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]),
                     p[:, 3] - p[:, 0])


def check_tets(before_mm: np.ndarray, after_mm: np.ndarray, tets: np.ndarray) -> None:
    """Raise :class:`InputError` if a morph turned any tetrahedron inside out."""
    v0, v1 = _signed_volumes(before_mm, tets), _signed_volumes(after_mm, tets)
    bad = int((np.sign(v0) != np.sign(v1)).sum() + (v1 == 0).sum())
    if bad:
        raise InputError(f"the lumen change turned {bad} mesh elements inside out",
                         "use a smaller change or a longer segment")
