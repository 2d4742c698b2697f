"""Isotropic scaling of a twin's anatomy about a centre point (LPS mm).

``p' = c + s·(p − c)`` for points; lengths ×s, areas ×s², volumes ×s³. JSON records are
scaled by the unit in their key names, the house naming rule (``diameter_mm``,
``area_mm2``, ``volume_ml``, ``points_lps_mm`` …): a key ending in ``_lps_mm`` holds points,
``_mm`` lengths, ``_mm2``/``_cm2`` areas, ``_mm3``/``_ml`` volumes; directions (``_lps``),
angles (``_deg``), HU, ratios and counts do not change. An interval record
``{"value", "low", "high", "unit"}`` under such a key is scaled as a whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

_POWER_BY_SUFFIX = (("_lps_mm", "point"), ("_mm2", 2), ("_cm2", 2), ("_mm3", 3), ("_ml", 3),
                    ("_mm", 1), ("_cm", 1))
_INTERVAL_KEYS = ("value", "low", "high")


def _kind(key: str):
    for suffix, kind in _POWER_BY_SUFFIX:
        if key.endswith(suffix):
            return kind
    return None


class Scaling:
    """``p' = center + factor·(p − center)``; ``center_lps_mm`` in LPS mm."""

    def __init__(self, center_lps_mm, factor: float):
        self.center = np.asarray(center_lps_mm, float).reshape(3)
        self.factor = float(factor)

    def points(self, p) -> np.ndarray:
        p = np.asarray(p, float)
        return self.center + self.factor * (p - self.center)

    def _value(self, value: Any, kind) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if kind == "point":
            if isinstance(value, dict):
                return {k: self._value(v, kind) for k, v in value.items()}
            try:
                arr = np.asarray(value, float)
            except (TypeError, ValueError):
                return value
            if arr.shape[-1:] != (3,):
                return value
            return self.points(arr).tolist()
        if isinstance(value, (int, float)):
            return float(value) * self.factor ** kind
        if isinstance(value, list):
            return [self._value(v, kind) for v in value]
        if isinstance(value, dict) and any(k in value for k in _INTERVAL_KEYS):
            return {k: (self._value(v, kind) if k in _INTERVAL_KEYS else v)
                    for k, v in value.items()}
        if isinstance(value, dict):
            return {k: self._value(v, kind) for k, v in value.items()}
        return value

    def json(self, obj: Any) -> Any:
        """A scaled copy of a JSON-like record (see the module docstring for the rules)."""
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                kind = _kind(key) if isinstance(key, str) else None
                out[key] = self._value(value, kind) if kind is not None else self.json(value)
            return out
        if isinstance(obj, list):
            return [self.json(v) for v in obj]
        return obj

    def mesh_file(self, src: Path, dst: Path) -> None:
        """Scale the points of a VTK XML file (``.vtp``/``.vtu``) from ``src`` into ``dst``;
        point and cell data are kept."""
        import pyvista as pv

        mesh = pv.read(str(src))
        mesh.points = self.points(mesh.points)
        mesh.save(str(dst), binary=True)

    def image_file(self, src: Path, dst: Path) -> None:
        """Scale an image's grid (spacing and origin) without resampling its voxels."""
        import SimpleITK as sitk

        img = sitk.ReadImage(str(src))
        img.SetOrigin(tuple(self.points(img.GetOrigin())))
        img.SetSpacing(tuple(self.factor * s for s in img.GetSpacing()))
        sitk.WriteImage(img, str(dst), useCompression=True)

    def image_block(self, block: dict[str, Any] | None) -> dict[str, Any] | None:
        """The case's ``image`` geometry block on the scaled grid."""
        if not block:
            return block
        out = dict(block)
        if "origin_lps_mm" in out:
            out["origin_lps_mm"] = self.points(out["origin_lps_mm"]).tolist()
        for key in ("spacing_mm", "slice_thickness_mm"):
            if out.get(key) is not None:
                out[key] = (np.asarray(out[key], float) * self.factor).tolist()
        return out
