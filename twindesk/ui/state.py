"""What every view shows: the volume, label layers, crosshair, window, tools.

One :class:`ViewerState` is shared by all views and panels of the main window; views listen
to its signals, so the crosshair, window/level and layers stay linked everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

from twindesk.imaging.mpr import VolumeGeometry, value_at
from twindesk.imaging.window import structure_color

TOOLS = ("navigate", "ruler", "angle", "paint", "erase", "threshold", "seed", "path",
         "device")


@dataclass
class Layer:
    """A binary label layer drawn over the MPR views (and as a surface in 3D)."""

    name: str
    mask: np.ndarray  # uint8 [k, j, i] on the volume grid
    color: tuple[int, int, int]
    visible: bool = True
    editable: bool = False


@dataclass
class Overlay:
    """Line segments (LPS mm, shape (m, 2, 3)) drawn where they cut the 2D views (a deployed
    frame's struts)."""

    name: str
    segments_lps: np.ndarray
    color: tuple[int, int, int]
    visible: bool = True


@dataclass
class Surface:
    """A triangle surface (LPS mm) shown in the 3D view."""

    name: str
    mesh: object  # pyvista.PolyData
    color: tuple[int, int, int]
    visible: bool = True
    meta: dict = field(default_factory=dict)


@dataclass
class FieldLayer:
    """A scalar field painted in colour over the planar 2D views (a flow result).

    ``sample(origin_lps_mm, col_step_lps_mm, row_step_lps_mm, shape)`` returns the field on
    a view's pixel grid (NaN where there is no field); ``colorize(values)`` turns it into
    ``(rows, cols, 4)`` uint8 RGBA (alpha 0 where NaN). Both are Qt-free callables.
    """

    name: str
    sample: object
    colorize: object


class ViewerState(QObject):
    """Shared viewing state. Geometry is LPS mm throughout."""

    volume_changed = Signal()
    cursor_changed = Signal()
    display_changed = Signal()       # window/level, opacity, visibility: repaint only
    layers_changed = Signal()        # label data changed: re-extract overlays
    surfaces_changed = Signal()
    tool_changed = Signal(str)
    reslice_changed = Signal()       # oblique normal or curve changed
    measurements_changed = Signal()
    hover = Signal(object, object)   # (lps mm ndarray or None, value or None)
    pending_changed = Signal()       # the measurement being drawn
    #: paint/erase strokes from a 2D view: (lps mm, plane normal, erase?, "begin"|"move"|"end")
    brush_stroke = Signal(object, object, bool, str)
    seed_clicked = Signal(object)    # lps mm
    measurement_done = Signal(str, object, str)  # kind, list of LPS points, view name
    fusion_changed = Signal()        # a second volume fused over the first (or removed)
    overlays_changed = Signal()
    field_layer_changed = Signal()   # the colour-mapped field over the 2D views
    #: device tool drags in a 2D view: (lps mm, view normal, "begin"|"move"|"end")
    device_drag = Signal(object, object, str)

    def __init__(self) -> None:
        super().__init__()
        self.volume: np.ndarray | None = None
        self.geometry: VolumeGeometry | None = None
        self.layers: dict[str, Layer] = {}
        self.surfaces: dict[str, Surface] = {}
        self.overlays: dict[str, Overlay] = {}
        self.cursor_lps = np.zeros(3)
        self.window_width_hu = 700.0
        self.window_level_hu = 200.0
        self.overlay_opacity = 0.45
        self.tool = "navigate"
        self.brush_radius_mm = 3.0
        self.oblique_normal_lps = np.array([0.0, 0.0, 1.0])
        self.curve_lps: np.ndarray | None = None
        self.curve_angle_deg = 0.0
        self.curve_source = ""
        self.measurements: list[dict] = []
        self.pending_points: list[np.ndarray] = []
        self.fusion_volume: np.ndarray | None = None  # on the volume grid, [k, j, i]
        self.fusion_name = ""
        self.fusion_blend = 0.5
        self.field_layer: FieldLayer | None = None

    # --------------------------------------------------------------- volume
    def set_volume(self, volume: np.ndarray | None, geometry: VolumeGeometry | None) -> None:
        self.volume, self.geometry = volume, geometry
        self.layers, self.surfaces, self.overlays = {}, {}, {}
        self.fusion_volume, self.fusion_name = None, ""
        self.field_layer = None
        self.curve_lps, self.curve_source = None, ""
        self.pending_points = []
        self.cursor_lps = geometry.center_lps() if geometry is not None else np.zeros(3)
        self.volume_changed.emit()
        self.layers_changed.emit()
        self.surfaces_changed.emit()
        self.overlays_changed.emit()
        self.field_layer_changed.emit()
        self.cursor_changed.emit()

    @property
    def has_volume(self) -> bool:
        return self.volume is not None

    def value_at(self, lps_mm) -> float | None:
        if self.volume is None:
            return None
        return value_at(self.volume, self.geometry, lps_mm)

    # --------------------------------------------------------------- cursor
    def set_cursor(self, lps_mm) -> None:
        p = np.asarray(lps_mm, float)
        if self.geometry is not None:
            ijk = np.clip(self.geometry.lps_to_index(p), 0, np.asarray(self.geometry.size) - 1)
            p = self.geometry.index_to_lps(ijk) if not np.allclose(
                ijk, self.geometry.lps_to_index(p)) else p
        if not np.allclose(p, self.cursor_lps):
            self.cursor_lps = p
            self.cursor_changed.emit()

    # -------------------------------------------------------------- display
    def set_window(self, width_hu: float, level_hu: float) -> None:
        self.window_width_hu, self.window_level_hu = float(width_hu), float(level_hu)
        self.display_changed.emit()

    def set_overlay_opacity(self, opacity: float) -> None:
        self.overlay_opacity = float(np.clip(opacity, 0.0, 1.0))
        self.display_changed.emit()

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(tool)
        self.tool = tool
        self.pending_points = []
        self.tool_changed.emit(tool)
        self.pending_changed.emit()

    # --------------------------------------------------------------- fusion
    def set_fusion(self, volume: np.ndarray | None, name: str = "") -> None:
        """Fuse a second volume (same grid as :attr:`volume`, e.g. a follow-up resampled
        onto the baseline) over the MPR views; ``None`` removes it."""
        if volume is not None and (self.volume is None or volume.shape != self.volume.shape):
            raise ValueError("the fused volume must lie on the volume's grid")
        self.fusion_volume, self.fusion_name = volume, name if volume is not None else ""
        self.fusion_changed.emit()

    def set_fusion_blend(self, blend: float) -> None:
        self.fusion_blend = float(np.clip(blend, 0.0, 1.0))
        self.display_changed.emit()

    def set_field_layer(self, layer: FieldLayer | None) -> None:
        """Paint a field over the 2D views (a new object each time the field or its colours
        change, so views resample); ``None`` removes it."""
        if layer is None and self.field_layer is None:
            return
        self.field_layer = layer
        self.field_layer_changed.emit()

    # --------------------------------------------------------------- layers
    def set_layer(self, name: str, mask: np.ndarray, *, visible: bool = True,
                  editable: bool = False, color: tuple[int, int, int] | None = None) -> None:
        old = self.layers.get(name)
        self.layers[name] = Layer(name, mask, color or structure_color(name),
                                  old.visible if old else visible, editable)
        self.layers_changed.emit()

    def remove_layer(self, name: str) -> None:
        if self.layers.pop(name, None) is not None:
            self.layers_changed.emit()

    def set_layer_visible(self, name: str, visible: bool) -> None:
        if name in self.layers:
            self.layers[name].visible = visible
            self.layers_changed.emit()

    def visible_layers(self) -> list[Layer]:
        return [layer for layer in self.layers.values() if layer.visible]

    def set_surface(self, name: str, mesh, color: tuple[int, int, int] | None = None,
                    meta: dict | None = None) -> None:
        old = self.surfaces.get(name)
        self.surfaces[name] = Surface(name, mesh, color or structure_color(name),
                                      old.visible if old else True, meta or {})
        self.surfaces_changed.emit()

    def remove_surface(self, name: str) -> None:
        if self.surfaces.pop(name, None) is not None:
            self.surfaces_changed.emit()

    def set_surface_visible(self, name: str, visible: bool) -> None:
        if name in self.surfaces:
            self.surfaces[name].visible = visible
            self.surfaces_changed.emit()

    def set_overlay(self, name: str, segments_lps: np.ndarray,
                    color: tuple[int, int, int] = (0, 230, 255)) -> None:
        old = self.overlays.get(name)
        self.overlays[name] = Overlay(name, np.asarray(segments_lps, float), color,
                                      old.visible if old else True)
        self.overlays_changed.emit()

    def remove_overlay(self, name: str) -> None:
        if self.overlays.pop(name, None) is not None:
            self.overlays_changed.emit()

    # -------------------------------------------------------------- reslice
    def set_oblique_normal(self, normal_lps) -> None:
        n = np.asarray(normal_lps, float)
        self.oblique_normal_lps = n / np.linalg.norm(n)
        self.reslice_changed.emit()

    def set_curve(self, points_lps: np.ndarray | None, source: str = "") -> None:
        self.curve_lps = None if points_lps is None else np.asarray(points_lps, float)
        self.curve_source = source
        self.reslice_changed.emit()

    def set_curve_angle(self, angle_deg: float) -> None:
        self.curve_angle_deg = float(angle_deg) % 360.0
        self.reslice_changed.emit()

    # --------------------------------------------------------- measurements
    def set_measurements(self, records: list[dict]) -> None:
        self.measurements = list(records)
        self.measurements_changed.emit()

    def set_pending(self, points: list[np.ndarray]) -> None:
        self.pending_points = list(points)
        self.pending_changed.emit()
