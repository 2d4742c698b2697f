"""Display windowing of CT values (Hounsfield units) to 8-bit grey, and label colours.

Window presets are data (``resources/presets/window_presets.toml``), validated on load.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from twindesk.errors import ResourceError

MIN_WIDTH_HU = 1.0


@dataclass(frozen=True)
class WindowPreset:
    """A named display window: ``width_hu`` wide, centred on ``level_hu``."""

    id: str
    name: str
    width_hu: float
    level_hu: float
    shortcut: str = ""


def presets_file() -> Path:
    from twindesk.paths import resources_dir

    return resources_dir() / "presets" / "window_presets.toml"


@lru_cache(maxsize=4)
def load_presets(path: Path | None = None) -> tuple[WindowPreset, ...]:
    """Read and validate the window presets (ids unique, width > 0)."""
    path = Path(path) if path else presets_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResourceError(f"{path}: window presets file is missing",
                            "reinstall twindesk or restore resources/presets/") from None
    except tomllib.TOMLDecodeError as exc:
        raise ResourceError(f"{path}: not valid TOML ({exc})", "fix the file's syntax") from None
    out, seen = [], set()
    for n, entry in enumerate(data.get("preset", [])):
        where = f"{path}: preset #{n + 1}"
        try:
            preset = WindowPreset(str(entry["id"]), str(entry["name"]),
                                  float(entry["width_hu"]), float(entry["level_hu"]),
                                  str(entry.get("shortcut", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResourceError(f"{where}: missing or invalid field ({exc})",
                                "each preset needs id, name, width_hu, level_hu") from None
        if preset.width_hu < MIN_WIDTH_HU:
            raise ResourceError(f"{where} ('{preset.id}'): width_hu must be ≥ {MIN_WIDTH_HU}",
                                "use a positive window width in HU")
        if preset.id in seen:
            raise ResourceError(f"{where}: duplicate id '{preset.id}'", "give each preset its own id")
        seen.add(preset.id)
        out.append(preset)
    if not out:
        raise ResourceError(f"{path}: no [[preset]] entries", "add at least one preset")
    return tuple(out)


def window_to_uint8(values: np.ndarray, width_hu: float, level_hu: float) -> np.ndarray:
    """Map values linearly so ``level - width/2`` → 0 and ``level + width/2`` → 255 (clipped).

    Integer input goes through a lookup table (one gather per pixel), which keeps slice
    scrolling well inside a display frame.
    """
    width = max(float(width_hu), MIN_WIDTH_HU)
    lo = float(level_hu) - width / 2
    if values.dtype in (np.int16, np.uint16, np.uint8, np.int8):
        vmin, vmax = (-32768, 32767) if values.dtype == np.int16 else \
            (int(np.iinfo(values.dtype).min), int(np.iinfo(values.dtype).max))
        lut = np.clip((np.arange(vmin, vmax + 1, dtype=np.float32) - lo) * (255.0 / width),
                      0, 255).astype(np.uint8)
        return lut[values.astype(np.int32) - vmin]
    out = (np.asarray(values, np.float32) - lo) * (255.0 / width)
    return np.clip(out, 0, 255).astype(np.uint8)


def drag_window(width_hu: float, level_hu: float, dx_px: float, dy_px: float,
                hu_per_px: float = 4.0) -> tuple[float, float]:
    """New (width, level) after a window/level drag: right widens, down raises the level."""
    return (max(MIN_WIDTH_HU, width_hu + dx_px * hu_per_px), level_hu + dy_px * hu_per_px)


#: Display colours (RGB 0-255) of segmented structures; others cycle through ``_CYCLE``.
STRUCTURE_COLORS: dict[str, tuple[int, int, int]] = {
    "aorta": (220, 60, 60), "lv": (230, 150, 60), "la": (70, 130, 230), "laa": (150, 90, 220),
    "bloodpool": (230, 80, 80), "coronaries": (240, 220, 60), "calcium": (255, 255, 255),
    "myocardium": (170, 90, 70), "leaflets": (90, 220, 200), "edit": (60, 220, 90),
}
_CYCLE = [(60, 200, 120), (200, 120, 220), (120, 200, 240), (240, 180, 120)]


def structure_color(name: str) -> tuple[int, int, int]:
    """Display colour of a structure (stable for unknown names)."""
    if name in STRUCTURE_COLORS:
        return STRUCTURE_COLORS[name]
    return _CYCLE[sum(name.encode()) % len(_CYCLE)]


def compose_rgb(gray: np.ndarray, masks: list[tuple[np.ndarray, tuple[int, int, int]]],
                opacity: float) -> np.ndarray:
    """Blend binary ``masks`` (same shape as ``gray``) in their colours over a grey image.

    Returns an ``(rows, cols, 3)`` uint8 image; later masks are drawn over earlier ones.
    """
    rgb = np.repeat(gray[:, :, None], 3, axis=2).astype(np.float32)
    a = float(np.clip(opacity, 0.0, 1.0))
    for mask, color in masks:
        m = mask.astype(bool)
        if m.any():
            rgb[m] = (1 - a) * rgb[m] + a * np.asarray(color, np.float32)
    return np.clip(rgb, 0, 255).astype(np.uint8)
