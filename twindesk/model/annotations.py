"""Hand measurements kept in the case document.

``case.doc["annotations"]["measurements"]`` is a list of
``{"id": int, "kind": "distance"|"angle", "points_lps_mm": [[x, y, z], ...],
"value": float, "unit": "mm"|"deg", "view": str, "created_utc": str}``. The values are
computed by the caller (``twindesk.geometry.rulers``) so this module stays a plain record
store usable below the geometry room.
"""

from __future__ import annotations

from typing import Any

from twindesk.errors import InputError
from twindesk.io.artifacts import now_utc

POINTS_NEEDED = {"distance": 2, "angle": 3}
UNITS = {"distance": "mm", "angle": "deg"}


def measurements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The measurement records of a case document (empty list when none)."""
    return list((doc.get("annotations") or {}).get("measurements", []))


def add_measurement(doc: dict[str, Any], kind: str, points_lps_mm: list, value: float,
                    view: str = "") -> dict[str, Any]:
    """Append a measurement record to ``doc`` (in memory) and return it."""
    if kind not in POINTS_NEEDED:
        raise InputError(f"measurement kind '{kind}' is unknown", "use distance or angle")
    pts = [[float(c) for c in p] for p in points_lps_mm]
    if len(pts) != POINTS_NEEDED[kind] or any(len(p) != 3 for p in pts):
        raise InputError(f"a {kind} needs {POINTS_NEEDED[kind]} LPS points",
                         "click the points again")
    existing = measurements(doc)
    record = {"id": max((m["id"] for m in existing), default=0) + 1, "kind": kind,
              "points_lps_mm": pts, "value": float(value), "unit": UNITS[kind], "view": view,
              "created_utc": now_utc()}
    annotations = dict(doc.get("annotations") or {})
    annotations["measurements"] = existing + [record]
    doc["annotations"] = annotations
    return record


def remove_measurement(doc: dict[str, Any], measurement_id: int) -> None:
    """Delete one measurement record from ``doc`` (in memory)."""
    annotations = dict(doc.get("annotations") or {})
    annotations["measurements"] = [m for m in measurements(doc) if m["id"] != measurement_id]
    doc["annotations"] = annotations
