"""Uncertainty intervals of the appendage measurements.

Two sources, combined in quadrature per direction (the convention of the aortic-root
measurements):

* the ostium plane: re-measured with the plane shifted by one voxel (the largest spacing)
  either way along its normal and tilted by ``tilt_deg`` either way about its two in-plane
  axes (six planes);
* the edge position: the lumen boundary is known to half a voxel, so a closed contour's
  diameters change by ``2 d``, its perimeter by ``2 pi d`` and its area by ``P d + pi d^2``
  (``d`` half a voxel); a length between a plane and a wall by ``d``.

Every value is reported as ``{"value", "low", "high", "unit"}``.
"""

from __future__ import annotations

import math

from twindesk.geometry.uncertainty import interval

__all__ = ["combined", "edge", "interval", "spread"]


def spread(value: float | None, samples) -> tuple[float, float]:
    """Largest downward and upward deviation of the samples from the value."""
    vals = [v for v in samples if v is not None and math.isfinite(v)]
    if value is None or not vals:
        return 0.0, 0.0
    return max(0.0, value - min(vals)), max(0.0, max(vals) - value)


def edge(kind: str, half_voxel_mm: float, perimeter_mm: float = 0.0) -> float:
    """Change of a quantity when the boundary moves by half a voxel (see module doc)."""
    d = half_voxel_mm
    return {"diameter": 2 * d, "perimeter": 2 * math.pi * d,
            "area": perimeter_mm * d + math.pi * d * d, "length": d}.get(kind, 0.0)


def combined(value: float | None, samples, edge_dev: float, unit: str = "mm"):
    """Interval from perturbed re-measurements and an edge deviation, in quadrature."""
    lo, hi = spread(value, samples)
    return interval(value, math.hypot(lo, edge_dev), math.hypot(hi, edge_dev), unit)
