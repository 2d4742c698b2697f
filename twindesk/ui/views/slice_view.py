"""2D views drawn with Qt: axial / coronal / sagittal MPR, oblique reslice, curved MPR.

The slice is cut from the numpy volume (``twindesk.imaging``), windowed to 8 bits, blended
with the label layers and the colour-mapped field layer (a flow result; planar views only,
sampled once per slice and field) and painted as a :class:`QImage`; everything else (crosshair,
orientation letters, rulers) is painted on top with :class:`QPainter`. Positions go through
:mod:`twindesk.ui.coords` only.

Mouse: left = the current tool (navigate moves the crosshair), right-drag = window/level,
middle-drag or Shift+left-drag = pan, wheel = next/previous slice (curved view: rotate),
Ctrl+wheel = zoom, double-click = maximise. Keys: Up/Down/PageUp/PageDown scroll, R resets
zoom and pan.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from twindesk.geometry.rulers import measure
from twindesk.imaging.curved import curved_mpr
from twindesk.imaging.mpr import STANDARD_PLANES, oblique_slice, standard_slice
from twindesk.imaging.window import compose_rgb, drag_window, fuse_rgb, window_to_uint8
from twindesk.ui.coords import ViewMapping, direction_letters, edge_letters
from twindesk.ui.state import ViewerState

VIEW_TITLES = {"axial": "Axial", "coronal": "Coronal", "sagittal": "Sagittal",
               "oblique": "Oblique", "curved": "Curved MPR"}
VIEW_COLORS = {"axial": QColor(230, 80, 80), "coronal": QColor(90, 200, 90),
               "sagittal": QColor(235, 200, 60), "oblique": QColor(90, 170, 255),
               "curved": QColor(200, 120, 255)}
MEASURE_COLOR = QColor(255, 210, 0)


class SliceView(QWidget):
    """One 2D view of the shared :class:`ViewerState`. ``kind`` is a key of
    :data:`VIEW_TITLES`."""

    maximize_requested = Signal(object)

    def __init__(self, state: ViewerState, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.state, self.kind = state, kind
        self.setObjectName(f"view_{kind}")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.WheelFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        self.zoom, self.center_mm = 1.0, None
        self._image = None         # PlaneImage | CurvedImage | None
        self._recompose_needed = False
        self._masks: list = []     # [(mask 2D, color)]
        self._fusion: np.ndarray | None = None  # the fused volume's pixels of this plane
        self._n_extracts = 0       # counts extractions: the field layer's cache key
        self._field_rgba: np.ndarray | None = None  # the field layer's RGBA on this plane
        self._field_key = None
        self._extract_key = None
        self._qimage: QImage | None = None
        self._buffer: np.ndarray | None = None
        self._drag: tuple | None = None
        self._hover_lps: np.ndarray | None = None
        self._stale = True
        s = state
        s.volume_changed.connect(self._data_changed)
        s.layers_changed.connect(self._data_changed)
        s.fusion_changed.connect(self._data_changed)
        s.cursor_changed.connect(self._refresh)
        s.reslice_changed.connect(self._refresh)
        s.display_changed.connect(self._recompose)
        s.field_layer_changed.connect(self._recompose)
        for sig in (s.measurements_changed, s.pending_changed, s.overlays_changed):
            sig.connect(self.update)

    # ------------------------------------------------------------ extraction
    @property
    def scroll_dir(self) -> np.ndarray:
        if self.kind in STANDARD_PLANES:
            return np.asarray(STANDARD_PLANES[self.kind][2], float)
        return np.asarray(self.state.oblique_normal_lps, float)

    def scroll_step_mm(self) -> float:
        """One voxel along the scroll direction (mm)."""
        g = self.state.geometry
        inv = np.linalg.inv(g.matrix)
        return float(1.0 / np.max(np.abs(inv @ self.scroll_dir)))

    def _key(self):
        s = self.state
        if self.kind in STANDARD_PLANES:
            return (round(float(s.cursor_lps @ self.scroll_dir) / self.scroll_step_mm()),)
        if self.kind == "oblique":
            return (tuple(np.round(s.cursor_lps, 4)), tuple(np.round(s.oblique_normal_lps, 6)))
        return (id(s.curve_lps), round(s.curve_angle_deg, 3))

    def _data_changed(self) -> None:
        self._extract_key = None
        self._refresh()

    def _refresh(self) -> None:
        """Something the view shows changed: recompute lazily, at the next paint (several
        changes between two frames cost one extraction)."""
        self._stale = True
        self.update()

    def _recompose(self) -> None:
        self._recompose_needed = True
        self.update()

    @property
    def image(self):
        """The current resliced image (PlaneImage / CurvedImage), or None."""
        self._ensure_current()
        return self._image

    def _ensure_current(self) -> None:
        if self._stale:
            self._stale = False
            if not self.state.has_volume:
                self._image, self._qimage = None, None
                return
            key = self._key()
            if key != self._extract_key:
                self._extract()
                self._extract_key = key
                self._recompose_needed = True
        if self._recompose_needed:
            self._recompose_needed = False
            self._compose()

    def _extract(self) -> None:
        s = self.state
        self._n_extracts += 1
        vol, geom, cur = s.volume, s.geometry, s.cursor_lps
        layers = s.visible_layers()
        if self.kind in STANDARD_PLANES:
            def cut(a, order=1):
                return standard_slice(a, geom, self.kind, cur, order=order)
        elif self.kind == "oblique":
            def cut(a, order=1):
                return oblique_slice(a, geom, cur, s.oblique_normal_lps, order=order)
        elif s.curve_lps is not None and len(s.curve_lps) >= 2:
            def cut(a, order=1):
                return curved_mpr(a, geom, s.curve_lps, angle_deg=s.curve_angle_deg, order=order)
        else:
            self._image, self._masks, self._fusion = None, [], None
            return
        self._image = cut(vol)
        self._masks = [(cut(ly.mask, 0).pixels, ly.color) for ly in layers]
        self._fusion = cut(s.fusion_volume).pixels if s.fusion_volume is not None else None

    def _compose(self) -> None:
        if self._image is None:
            self._qimage = None
            return
        s = self.state
        gray = window_to_uint8(self._image.pixels, s.window_width_hu, s.window_level_hu)
        if self._fusion is not None:
            gray = fuse_rgb(gray, window_to_uint8(self._fusion, s.window_width_hu,
                                                  s.window_level_hu), s.fusion_blend)
        field = self._field()
        if gray.ndim == 3 or field is not None or (self._masks and s.overlay_opacity > 0):
            rgb = compose_rgb(gray, self._masks if s.overlay_opacity > 0 else [],
                              s.overlay_opacity)
            if field is not None:
                a = field[..., 3:4].astype(np.float32) / 255.0
                rgb = ((1 - a) * rgb + a * field[..., :3]).astype(np.uint8)
            self._buffer = np.ascontiguousarray(rgb)
            h, w = rgb.shape[:2]
            self._qimage = QImage(self._buffer.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        else:
            self._buffer = np.ascontiguousarray(gray)
            h, w = gray.shape
            self._qimage = QImage(self._buffer.data, w, h, w, QImage.Format.Format_Grayscale8)

    def _field(self) -> np.ndarray | None:
        """The field layer's RGBA on this view's plane (None without a layer, or on the
        curved view), sampled again only when the slice or the layer changed."""
        layer, img = self.state.field_layer, self._image
        if layer is None or not hasattr(img, "col_step_lps_mm"):
            self._field_rgba, self._field_key = None, None
            return None
        key = (self._n_extracts, layer)
        if self._field_key is None or self._field_key[0] != key[0] \
                or self._field_key[1] is not layer:
            values = layer.sample(img.origin_lps_mm, img.col_step_lps_mm, img.row_step_lps_mm,
                                  img.pixels.shape)
            self._field_rgba = layer.colorize(values) if np.isfinite(values).any() else None
            self._field_key = key
        return self._field_rgba

    # --------------------------------------------------------------- mapping
    def mapping(self) -> ViewMapping | None:
        if self.image is None:
            return None
        if hasattr(self.image, "pixel_size_mm"):
            pix = self.image.pixel_size_mm
        else:
            pix = (self.image.spacing_mm, self.image.spacing_mm)
        return ViewMapping(self.width(), self.height(), self.image.pixels.shape, pix,
                           self.zoom, self.center_mm)

    def lps_at(self, x: float, y: float) -> np.ndarray | None:
        m = self.mapping()
        return None if m is None else m.widget_to_lps(self.image, x, y)

    def _remember(self, m: ViewMapping) -> None:
        self.zoom, self.center_mm = m.zoom, m.center_mm

    # -------------------------------------------------------------- painting
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.black)
        color = VIEW_COLORS[self.kind]
        p.setFont(QFont(self.font().family(), 9))
        m = self.mapping()
        if m is None or self._qimage is None:
            p.setPen(QColor(160, 160, 160))
            msg = "no case open" if not self.state.has_volume else \
                "draw a path (Tools ▸ Path) or pick a centreline" if self.kind == "curved" \
                else ""
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, msg)
        else:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            x, y, w, h = m.image_rect()
            p.drawImage(QRectF(x, y, w, h), self._qimage)
            self._paint_crosshair(p, m)  # axis-parallel lines need no antialiasing
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self._paint_overlays(p, m)
            self._paint_measurements(p, m)
            self._paint_letters(p)
            self._paint_info(p)
        p.setPen(QPen(color, 2))
        p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.setPen(color)
        p.drawText(QPointF(8, 16), VIEW_TITLES[self.kind])
        if self._fusion is not None and self._qimage is not None:
            p.setPen(QColor(230, 130, 230))
            p.drawText(QPointF(8, 32), f"{self.state.fusion_name} magenta, baseline green "
                                       f"({100 * self.state.fusion_blend:.0f} %)")
        p.end()

    def _paint_crosshair(self, p: QPainter, m: ViewMapping) -> None:
        if self.kind == "curved":
            return
        x, y, depth = m.lps_to_widget(self.image, self.state.cursor_lps)
        gap = 12
        p.setPen(QPen(QColor(255, 255, 120, 170), 1))
        p.drawLine(QPointF(0, y), QPointF(x - gap, y))
        p.drawLine(QPointF(x + gap, y), QPointF(self.width(), y))
        p.drawLine(QPointF(x, 0), QPointF(x, y - gap))
        p.drawLine(QPointF(x, y + gap), QPointF(x, self.height()))

    def _visible_tolerance_mm(self) -> float:
        return max(0.5 * self.scroll_step_mm(), 0.75) if self.kind != "curved" else 3.0

    def _paint_overlays(self, p: QPainter, m: ViewMapping) -> None:
        """Overlay segments (a deployed frame's struts) where they cut this plane: a dot per
        crossing strut, a line for struts lying in the plane (planar views only)."""
        img = self.image
        if not hasattr(img, "normal_lps"):
            return
        tol = self._visible_tolerance_mm()
        cu, rv = img.col_step_lps_mm, img.row_step_lps_mm
        for ov in self.state.overlays.values():
            if not ov.visible or len(ov.segments_lps) == 0:
                continue
            seg = ov.segments_lps - img.origin_lps_mm
            depth = seg @ img.normal_lps                                   # (m, 2)
            cross = depth[:, 0] * depth[:, 1] < 0
            flat = np.all(np.abs(depth) < tol, axis=1)
            t = depth[cross, 0] / (depth[cross, 0] - depth[cross, 1])
            dots = seg[cross, 0] + t[:, None] * (seg[cross, 1] - seg[cross, 0])

            def widget(q):
                return QPointF(*m.pixel_to_widget(float(q @ cu / (cu @ cu)),
                                                  float(q @ rv / (rv @ rv))))

            color = QColor(*ov.color)
            p.setPen(QPen(color, 1.5))
            for a, b in seg[flat]:
                p.drawLine(widget(a), widget(b))
            p.setBrush(color)
            for q in dots:
                p.drawEllipse(widget(q), 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_measurements(self, p: QPainter, m: ViewMapping) -> None:
        tol = self._visible_tolerance_mm()
        items = [(r["kind"], [np.asarray(q) for q in r["points_lps_mm"]], r["value"])
                 for r in self.state.measurements]
        pending = self.state.pending_points
        if pending and self._hover_lps is not None and self.state.tool in ("ruler", "angle"):
            pending = pending + [self._hover_lps]
        for kind, pts, value in items + [("pending", pending, None)]:
            if len(pts) < 1:
                continue
            proj = [m.lps_to_widget(self.image, q) for q in pts]
            if any(abs(d) > tol for _, _, d in proj):
                continue
            p.setPen(QPen(MEASURE_COLOR, 1.5))
            qp = [QPointF(x, y) for x, y, _ in proj]
            for a, b in zip(qp, qp[1:]):
                p.drawLine(a, b)
            for q in qp:
                p.drawEllipse(q, 3, 3)
            if value is None and len(pts) in (2, 3):
                kind = "distance" if self.state.tool == "ruler" else "angle"
                if (kind == "distance") == (len(pts) == 2):
                    try:
                        value = measure(kind, pts)
                    except Exception:  # noqa: BLE001 - coincident points while drawing
                        value = None
            if value is not None:
                unit = " mm" if len(pts) == 2 else "°"
                anchor = qp[1] if len(qp) == 3 else (qp[0] + qp[1]) / 2
                p.drawText(anchor + QPointF(6, -6), f"{value:.1f}{unit}")

    def _paint_letters(self, p: QPainter) -> None:
        img = self.image
        if hasattr(img, "col_step_lps_mm"):
            letters = edge_letters(img.col_step_lps_mm, img.row_step_lps_mm)
        else:
            mid = len(img.lateral_lps) // 2
            letters = {"left": direction_letters(-img.lateral_lps[mid]),
                       "right": direction_letters(img.lateral_lps[mid]), "top": "", "bottom": ""}
        p.setPen(QColor(255, 255, 255))
        f = p.font()
        f.setBold(True)
        p.setFont(f)
        w, h = self.width(), self.height()
        p.drawText(QRectF(4, h / 2 - 10, 30, 20), Qt.AlignmentFlag.AlignLeft, letters["left"])
        p.drawText(QRectF(w - 34, h / 2 - 10, 30, 20), Qt.AlignmentFlag.AlignRight,
                   letters["right"])
        p.drawText(QRectF(w / 2 - 15, 4, 30, 20), Qt.AlignmentFlag.AlignHCenter, letters["top"])
        p.drawText(QRectF(w / 2 - 15, h - 22, 30, 20), Qt.AlignmentFlag.AlignHCenter,
                   letters["bottom"])
        f.setBold(False)
        p.setFont(f)

    def _paint_info(self, p: QPainter) -> None:
        s = self.state
        p.setPen(QColor(200, 200, 200))
        lines = [f"W {s.window_width_hu:.0f}  L {s.window_level_hu:.0f}"]
        if self.kind in STANDARD_PLANES:
            axis = int(np.argmax(np.abs(self.scroll_dir)))
            lines.insert(0, f"{'LPS'[axis]} {s.cursor_lps[axis]:.1f} mm")
        elif self.kind == "curved":
            lines.insert(0, f"{s.curve_source}  {self.image.arc_length_mm[-1]:.0f} mm, "
                            f"rot {s.curve_angle_deg:.0f}°")
        else:
            n = s.oblique_normal_lps
            lines.insert(0, f"normal ({n[0]:.2f}, {n[1]:.2f}, {n[2]:.2f})")
        for i, text in enumerate(reversed(lines)):
            p.drawText(QPointF(8, self.height() - 8 - 14 * i), text)

    # ----------------------------------------------------------------- mouse
    def _pos(self, event) -> tuple[float, float]:
        pos = event.position()
        return float(pos.x()), float(pos.y())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.image is None:
            return
        x, y = self._pos(event)
        button, mods = event.button(), event.modifiers()
        s = self.state
        if button == Qt.MouseButton.RightButton:
            self._drag = ("window", x, y, s.window_width_hu, s.window_level_hu)
        elif button == Qt.MouseButton.MiddleButton or (
                button == Qt.MouseButton.LeftButton and mods & Qt.KeyboardModifier.ShiftModifier):
            self._drag = ("pan", x, y)
        elif button == Qt.MouseButton.LeftButton:
            self._left_press(x, y)

    def _left_press(self, x: float, y: float) -> None:
        s, lps = self.state, self.lps_at(x, y)
        tool = s.tool
        if tool == "navigate":
            self._drag = ("cursor",)
            s.set_cursor(lps)
        elif tool in ("ruler", "angle"):
            pts = s.pending_points + [lps]
            need = 2 if tool == "ruler" else 3
            if len(pts) == need:
                s.set_pending([])
                s.measurement_done.emit("distance" if tool == "ruler" else "angle",
                                        [q.tolist() for q in pts], self.kind)
            else:
                s.set_pending(pts)
        elif tool in ("paint", "erase", "threshold"):
            self._drag = ("brush",)
            s.brush_stroke.emit(lps, self._plane_normal(), tool == "erase", "begin")
        elif tool == "seed":
            s.seed_clicked.emit(lps)
        elif tool == "device":
            self._drag = ("device",)
            s.device_drag.emit(lps, self._plane_normal(), "begin")
        elif tool == "path":
            pts = [lps] if s.curve_lps is None or s.curve_source != "drawn path" \
                else list(s.curve_lps) + [lps]
            s.set_curve(np.asarray(pts), "drawn path")

    def _plane_normal(self) -> np.ndarray:
        if hasattr(self.image, "normal_lps"):
            return self.image.normal_lps
        return np.asarray(self.scroll_dir)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self.image is None:
            return
        x, y = self._pos(event)
        lps = self.lps_at(x, y)
        self._hover_lps = lps
        self.state.hover.emit(lps, self.state.value_at(lps))
        drag = self._drag
        if drag is None:
            if self.state.pending_points:
                self.update()
            return
        if drag[0] == "window":
            w, lvl = drag_window(drag[3], drag[4], x - drag[1], y - drag[2])
            self.state.set_window(w, lvl)
        elif drag[0] == "pan":
            m = self.mapping()
            m.pan_by(x - drag[1], y - drag[2])
            self._remember(m)
            self._drag = ("pan", x, y)
            self.update()
        elif drag[0] == "cursor":
            self.state.set_cursor(lps)
        elif drag[0] == "brush":
            self.state.brush_stroke.emit(lps, self._plane_normal(),
                                         self.state.tool == "erase", "move")
        elif drag[0] == "device":
            self.state.device_drag.emit(lps, self._plane_normal(), "move")

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._drag and self._drag[0] == "brush" and self.image is not None:
            x, y = self._pos(event)
            self.state.brush_stroke.emit(self.lps_at(x, y), self._plane_normal(),
                                         self.state.tool == "erase", "end")
        elif self._drag and self._drag[0] == "device" and self.image is not None:
            x, y = self._pos(event)
            self.state.device_drag.emit(self.lps_at(x, y), self._plane_normal(), "end")
        self._drag = None

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.state.tool == "navigate":
            self.maximize_requested.emit(self)

    def leaveEvent(self, _event) -> None:  # noqa: N802
        self._hover_lps = None
        self.state.hover.emit(None, None)

    def wheelEvent(self, event) -> None:  # noqa: N802
        if self.image is None:
            return
        steps = event.angleDelta().y() / 120.0
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            m = self.mapping()
            x, y = self._pos(event)
            m.zoom_about(1.15 ** steps, x, y)
            self._remember(m)
            self.update()
        else:
            self.scroll(int(np.sign(steps)) * max(1, int(abs(steps))))
        event.accept()

    def scroll(self, steps: int) -> None:
        """Move the crosshair ``steps`` voxels along this view's scroll direction
        (the curved view rotates by 10° per step instead)."""
        if self.kind == "curved":
            self.state.set_curve_angle(self.state.curve_angle_deg + 10.0 * steps)
            return
        s = self.state
        s.set_cursor(s.cursor_lps + steps * self.scroll_step_mm() * self.scroll_dir)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        steps = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1, Qt.Key.Key_PageUp: 10,
                 Qt.Key.Key_PageDown: -10}.get(key)
        if steps and self.image is not None:
            self.scroll(steps)
        elif key == Qt.Key.Key_R:
            self.zoom, self.center_mm = 1.0, None
            self.update()
        elif key == Qt.Key.Key_Escape:
            self.state.set_pending([])
        else:
            super().keyPressEvent(event)
