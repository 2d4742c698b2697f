"""Parsing of argument values shared by all commands."""

from __future__ import annotations

import math

from twindesk.errors import InputError


def parse_point(text: str, field: str) -> tuple[float, float, float]:
    """``"X,Y,Z"`` in LPS mm → a tuple; bad text names the flag."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise InputError(f"{field}: '{text}' is not a point",
                         "write three numbers in LPS millimetres: X,Y,Z (e.g. 12.5,-180,650)")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError(f"{field}: '{text}' contains a non-number",
                         "write three numbers in LPS millimetres: X,Y,Z") from None
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{field}: '{text}' is not finite", "write finite numbers")
    return values  # type: ignore[return-value]


def parse_points(text: str, field: str, count: int | None = None) -> list[tuple[float, float, float]]:
    """``"X,Y,Z;X,Y,Z"`` → points; ``count`` enforces how many."""
    points = [parse_point(chunk, field) for chunk in text.split(";") if chunk.strip()]
    if count is not None and len(points) != count:
        raise InputError(f"{field}: expected {count} points, got {len(points)}",
                         "separate points with ';', e.g. \"X,Y,Z;X,Y,Z;X,Y,Z\"")
    return points
