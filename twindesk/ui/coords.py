"""The one place that converts between patient LPS millimetres and display coordinates.

* 2D views: a resliced image (:class:`~twindesk.imaging.mpr.PlaneImage` or
  :class:`~twindesk.imaging.curved.CurvedImage`) knows pixel ↔ LPS; :class:`ViewMapping`
  adds the view's zoom and pan to go pixel ↔ widget pixel. Image pixels may be non-square
  (e.g. 0.7 × 2.5 mm in a sagittal view of thick slices): the mapping works in millimetres
  so anatomy is never distorted.
* 3D view: VTK world coordinates *are* LPS millimetres (surfaces and meshes are stored in
  LPS); :func:`camera_preset` gives camera positions in that frame and
  :data:`AXIS_LABELS_3D` names the world axes for the orientation marker.
* Orientation letters for any in-plane direction: :func:`direction_letters`.

This module imports no Qt so it is tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Labels of the 3D world axes x, y, z (world = LPS).
AXIS_LABELS_3D = ("L", "P", "S")

_POS = ("L", "P", "S")
_NEG = ("R", "A", "I")


def direction_letters(direction_lps, min_component: float = 0.25) -> str:
    """Patient-orientation letters of a direction, strongest first (e.g. ``"L"``, ``"AS"``).

    Components weaker than ``min_component`` of the unit vector are left out (DICOM PS3.3
    C.7.6.1.1.1 uses the same letters, ordered by magnitude, for Patient Orientation).
    """
    d = np.asarray(direction_lps, float)
    d = d / np.linalg.norm(d)
    order = np.argsort(-np.abs(d))
    letters = [(_POS if d[a] > 0 else _NEG)[a] for a in order if abs(d[a]) >= min_component]
    return "".join(letters[:2]) or (_POS if d[order[0]] > 0 else _NEG)[order[0]]


def edge_letters(col_dir_lps, row_dir_lps) -> dict[str, str]:
    """Letters for the left, right, top and bottom edges of a view whose screen-right is
    ``col_dir_lps`` and screen-down ``row_dir_lps``."""
    c, r = np.asarray(col_dir_lps, float), np.asarray(row_dir_lps, float)
    return {"left": direction_letters(-c), "right": direction_letters(c),
            "top": direction_letters(-r), "bottom": direction_letters(r)}


@dataclass
class ViewMapping:
    """Zoom and pan of a 2D view: image pixel ↔ widget pixel ↔ LPS mm.

    Attributes
    ----------
    width_px, height_px
        Widget size.
    image_shape
        (rows, cols) of the displayed image.
    pixel_mm
        (column spacing, row spacing) of the image, mm.
    zoom
        Widget pixels per mm (relative to fit when ``fit`` is True).
    center_mm
        The image point (mm from pixel (0, 0)'s centre, along columns and rows) shown at the
        widget centre; ``None`` means the image centre.
    """

    width_px: int
    height_px: int
    image_shape: tuple[int, int]
    pixel_mm: tuple[float, float]
    zoom: float = 1.0
    center_mm: tuple[float, float] | None = None

    @property
    def fit_scale(self) -> float:
        """Widget pixels per mm that make the whole image fit the widget."""
        rows, cols = self.image_shape
        w_mm, h_mm = cols * self.pixel_mm[0], rows * self.pixel_mm[1]
        return 0.98 * min(self.width_px / max(w_mm, 1e-9), self.height_px / max(h_mm, 1e-9))

    @property
    def scale(self) -> float:
        """Widget pixels per mm."""
        return self.fit_scale * self.zoom

    def _center(self) -> tuple[float, float]:
        if self.center_mm is not None:
            return self.center_mm
        rows, cols = self.image_shape
        return ((cols - 1) / 2 * self.pixel_mm[0], (rows - 1) / 2 * self.pixel_mm[1])

    def pixel_to_widget(self, col: float, row: float) -> tuple[float, float]:
        cx, cy = self._center()
        s = self.scale
        return (self.width_px / 2 + s * (col * self.pixel_mm[0] - cx),
                self.height_px / 2 + s * (row * self.pixel_mm[1] - cy))

    def widget_to_pixel(self, x: float, y: float) -> tuple[float, float]:
        cx, cy = self._center()
        s = self.scale
        return ((cx + (x - self.width_px / 2) / s) / self.pixel_mm[0],
                (cy + (y - self.height_px / 2) / s) / self.pixel_mm[1])

    def image_rect(self) -> tuple[float, float, float, float]:
        """Widget rectangle (x, y, w, h) covered by the image's pixels (edges, not centres)."""
        x0, y0 = self.pixel_to_widget(-0.5, -0.5)
        rows, cols = self.image_shape
        x1, y1 = self.pixel_to_widget(cols - 0.5, rows - 0.5)
        return x0, y0, x1 - x0, y1 - y0

    def lps_to_widget(self, image, lps_mm) -> tuple[float, float, float]:
        """LPS mm → (x, y, distance from the image surface in mm)."""
        col, row, depth = image.lps_to_pixel(lps_mm)
        x, y = self.pixel_to_widget(col, row)
        return x, y, depth

    def widget_to_lps(self, image, x: float, y: float) -> np.ndarray:
        """Widget pixel → LPS mm on the image surface."""
        return image.pixel_to_lps(*self.widget_to_pixel(x, y))

    def pan_by(self, dx_px: float, dy_px: float) -> None:
        """Move the picture by (dx, dy) widget pixels."""
        cx, cy = self._center()
        s = self.scale
        self.center_mm = (cx - dx_px / s, cy - dy_px / s)

    def zoom_about(self, factor: float, x: float, y: float) -> None:
        """Zoom by ``factor`` keeping the image point under widget (x, y) fixed."""
        col, row = self.widget_to_pixel(x, y)
        self.zoom = float(np.clip(self.zoom * factor, 0.2, 40.0))
        cx, cy = self._center()
        nx, ny = self.pixel_to_widget(col, row)
        s = self.scale
        self.center_mm = (cx + (nx - x) / s, cy + (ny - y) / s)

    def reset(self) -> None:
        self.zoom, self.center_mm = 1.0, None


#: Camera presets of the 3D view: (direction from focal point to camera, view-up), LPS.
CAMERA_PRESETS = {
    "oblique": ((-0.55, -0.75, 0.37), (0.0, 0.0, 1.0)),  # from anterior-right-superior
    "anterior": ((0.0, -1.0, 0.0), (0.0, 0.0, 1.0)),
    "posterior": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "left": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "right": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "superior": ((0.0, 0.0, 1.0), (0.0, -1.0, 0.0)),
    "inferior": ((0.0, 0.0, -1.0), (0.0, -1.0, 0.0)),
}


def camera_preset(name: str, focal_lps_mm, distance_mm: float
                  ) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """(position, focal point, view-up) of a 3D camera looking from the named side, LPS mm."""
    direction, up = CAMERA_PRESETS[name]
    f = np.asarray(focal_lps_mm, float)
    pos = f + distance_mm * np.asarray(direction)
    return tuple(pos.tolist()), tuple(f.tolist()), tuple(float(v) for v in up)
