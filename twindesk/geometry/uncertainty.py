"""Uncertainty intervals of the root measurements from the image.

Two sources, combined in quadrature per direction:

* hinge placement: each hinge point moved by one voxel (the largest voxel spacing) up and
  down along the annulus normal (moving a hinge within the plane does not change the plane),
  six re-measurements of everything that depends on the annulus plane;
* edge position: the lumen boundary is known to half a voxel; a closed convex contour offset
  by ``d`` changes its perimeter by ``2 pi d``, its area by ``P d + pi d^2`` and diameters by
  ``2 d``.

Values are reported as ``{"value", "low", "high", "unit"}``, the shape the 0D model uses.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def interval(value: float | None, low_dev: float = 0.0, high_dev: float = 0.0,
             unit: str = "mm") -> dict[str, Any] | None:
    """``{"value", "low", "high", "unit"}`` from a value and non-negative deviations."""
    if value is None or not math.isfinite(value):
        return None
    return {"value": float(value), "low": float(value - abs(low_dev)),
            "high": float(value + abs(high_dev)), "unit": unit}


def edge_deviation(key: str, perimeter_mm: float, half_voxel_mm: float) -> float:
    """Change of a contour quantity when the boundary moves outward by half a voxel."""
    d = half_voxel_mm
    if key == "perimeter_mm":
        return 2 * math.pi * d
    if key == "area_mm2":
        return perimeter_mm * d + math.pi * d * d
    if key.endswith("diameter_mm"):
        return 2 * d
    return 0.0


def perturbed_hinges(hinges: dict, normal_lps, step_mm: float) -> list[dict]:
    """Six copies of ``hinges`` with one hinge moved +-``step_mm`` along the normal."""
    n = np.asarray(normal_lps, float)
    out = []
    for k in hinges:
        for s in (-1.0, 1.0):
            h = {q: np.asarray(v, float) for q, v in hinges.items()}
            h[k] = h[k] + s * step_mm * n
            out.append(h)
    return out


def spread(value: float | None, samples: list[float | None]) -> tuple[float, float]:
    """Largest downward and upward deviation of the samples from the value."""
    vals = [v for v in samples if v is not None and math.isfinite(v)]
    if value is None or not vals:
        return 0.0, 0.0
    return max(0.0, value - min(vals)), max(0.0, max(vals) - value)


def combine(*devs: tuple[float, float]) -> tuple[float, float]:
    return (math.sqrt(sum(d[0] ** 2 for d in devs)), math.sqrt(sum(d[1] ** 2 for d in devs)))
