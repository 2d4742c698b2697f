"""Double-oblique views of the aortic root with draggable hinge points, and the C-arm plot.

A :class:`RootPlaneView` paints one :class:`twindesk.geometry.root_editor.ViewPlane` (pixels
already sampled), contours and lines given in LPS, and points; points given as draggable
can be moved with the left mouse button: ``point_dragged`` while moving, ``point_released``
on release (LPS mm in the view's plane). Positions go through the plane's own mapping.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from twindesk.imaging.window import window_to_uint8

CUSP_COLORS = {"right": QColor(80, 200, 90), "left": QColor(255, 150, 40),
               "non": QColor(80, 150, 255)}
GRAB_PX = 10.0


class RootPlaneView(QWidget):
    """One double-oblique view (square, the plane's field of view fitted to the widget)."""

    point_dragged = Signal(str, object)
    point_released = Signal(str, object)

    def __init__(self, name: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"root_view_{name}")
        self.title = title
        self.setMinimumSize(100, 100)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.plane = None
        self._qimage: QImage | None = None
        self._buffer = None
        self.contours: list[tuple[np.ndarray, QColor]] = []
        self.lines: list[tuple[np.ndarray, np.ndarray, QColor]] = []
        self.points: dict[str, tuple[np.ndarray, QColor, bool]] = {}   # name: (lps, colour, drag)
        self.markers: list[tuple[np.ndarray, QColor, str]] = []
        self.caption = ""
        self._drag: str | None = None

    # ---------------------------------------------------------------- content
    def set_content(self, plane, pixels: np.ndarray, window_hu: tuple[float, float],
                    *, contours=(), lines=(), points=None, markers=(), caption: str = ""
                    ) -> None:
        """Show ``pixels`` (rows x cols of ``plane``) with window ``(width, level)`` and
        overlays in LPS mm."""
        self.plane = plane
        gray = window_to_uint8(np.asarray(pixels, np.float32), *window_hu)
        self._buffer = np.ascontiguousarray(gray)
        h, w = gray.shape
        self._qimage = QImage(self._buffer.data, w, h, w, QImage.Format.Format_Grayscale8)
        self.contours = [(np.asarray(c, float), col) for c, col in contours]
        self.lines = [(np.asarray(a, float), np.asarray(b, float), col) for a, b, col in lines]
        self.points = {k: (np.asarray(p, float), col, bool(drag))
                       for k, (p, col, drag) in (points or {}).items()}
        self.markers = [(np.asarray(p, float), col, text) for p, col, text in markers]
        self.caption = caption
        self.update()

    def clear(self) -> None:
        self.plane, self._qimage = None, None
        self.update()

    # ---------------------------------------------------------------- mapping
    def _rect(self) -> tuple[float, float, float]:
        side = min(self.width(), self.height())
        return (self.width() - side) / 2, (self.height() - side) / 2, side

    def mm_to_widget(self, col_mm: float, row_mm: float) -> QPointF:
        """Plane mm → widget pixels (rows run upward: superior / left up)."""
        x0, y0, side = self._rect()
        s = side / (2 * self.plane.half_mm)
        return QPointF(x0 + (col_mm + self.plane.half_mm) * s,
                       y0 + (self.plane.half_mm - row_mm) * s)

    def widget_to_mm(self, x: float, y: float) -> tuple[float, float]:
        x0, y0, side = self._rect()
        s = side / (2 * self.plane.half_mm)
        return (x - x0) / s - self.plane.half_mm, self.plane.half_mm - (y - y0) / s

    def widget_pos_of(self, lps) -> QPointF:
        col, row, _ = self.plane.to_plane(lps)[0]
        return self.mm_to_widget(col, row)

    def lps_at(self, x: float, y: float) -> np.ndarray:
        return self.plane.to_lps(*self.widget_to_mm(x, y))

    # ---------------------------------------------------------------- painting
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.black)
        p.setFont(QFont(self.font().family(), 8))
        if self.plane is None or self._qimage is None:
            p.setPen(QColor(160, 160, 160))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no hinge points yet")
            p.end()
            return
        x0, y0, side = self._rect()
        # image rows run along +row_dir downward in the array: flip so rows go up
        p.save()
        p.translate(x0, y0 + side)
        p.scale(1.0, -1.0)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(QRectF(0, 0, side, side), self._qimage)
        p.restore()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for pts, col in self.contours:
            if len(pts) < 3:
                continue
            p.setPen(QPen(col, 1.5))
            p.drawPolygon(QPolygonF([self.widget_pos_of(q) for q in pts]))
        for a, b, col in self.lines:
            p.setPen(QPen(col, 1.2, Qt.PenStyle.DashLine))
            p.drawLine(self.widget_pos_of(a), self.widget_pos_of(b))
        for q, col, text in self.markers:
            c = self.widget_pos_of(q)
            p.setPen(QPen(col, 2))
            p.drawPolygon(QPolygonF([c + QPointF(0, -6), c + QPointF(5, 4), c + QPointF(-5, 4)]))
            p.drawText(c + QPointF(7, 4), text)
        for name, (q, col, drag) in self.points.items():
            c = self.widget_pos_of(q)
            p.setPen(QPen(col, 2.5 if name == self._drag else 2))
            p.drawEllipse(c, 5, 5)
            p.drawText(c + QPointF(7, -7), name)
        p.setPen(QColor(255, 255, 255))
        p.drawText(QPointF(6, 14), self.title)
        if self.caption:
            p.drawText(QPointF(6, self.height() - 6), self.caption)
        p.end()

    # ---------------------------------------------------------------- mouse
    def _nearest_draggable(self, x: float, y: float) -> str | None:
        best, name = GRAB_PX, None
        for k, (q, _col, drag) in self.points.items():
            if not drag:
                continue
            c = self.widget_pos_of(q)
            d = float(np.hypot(c.x() - x, c.y() - y))
            if d <= best:
                best, name = d, k
        return name

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.plane is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        self._drag = self._nearest_draggable(pos.x(), pos.y())
        self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._drag is None or self.plane is None:
            return
        pos = event.position()
        lps = self.lps_at(pos.x(), pos.y())
        _q, col, drag = self.points[self._drag]
        self.points[self._drag] = (lps, col, drag)
        self.point_dragged.emit(self._drag, lps)
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._drag is None or self.plane is None:
            return
        name, self._drag = self._drag, None
        pos = event.position()
        self.point_released.emit(name, self.lps_at(pos.x(), pos.y()))
        self.update()


class CarmPlot(QWidget):
    """The C-arm projection curve (LAO+/RAO- against CRAN+/CAUD-) with the named views."""

    XLIM, YLIM = (-90.0, 90.0), (-60.0, 60.0)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("carm_plot")
        self.setMinimumSize(160, 110)
        self.plan: dict | None = None

    def set_plan(self, plan: dict | None) -> None:
        self.plan = plan
        self.update()

    def to_widget(self, primary: float, secondary: float) -> QPointF:
        m = 30.0
        w, h = self.width() - 2 * m, self.height() - 2 * m
        x = m + (primary - self.XLIM[0]) / (self.XLIM[1] - self.XLIM[0]) * w
        y = m + (self.YLIM[1] - secondary) / (self.YLIM[1] - self.YLIM[0]) * h
        return QPointF(x, y)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(250, 250, 250))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setFont(QFont(self.font().family(), 8))
        p.setPen(QPen(QColor(200, 200, 200), 1))
        for a in range(-90, 91, 30):
            p.drawLine(self.to_widget(a, self.YLIM[0]), self.to_widget(a, self.YLIM[1]))
            p.drawText(self.to_widget(a, self.YLIM[0]) + QPointF(-8, 14), f"{a:+d}")
        for b in range(-60, 61, 20):
            p.drawLine(self.to_widget(self.XLIM[0], b), self.to_widget(self.XLIM[1], b))
            p.drawText(self.to_widget(self.XLIM[0], b) + QPointF(-26, 4), f"{b:+d}")
        p.setPen(QColor(60, 60, 60))
        p.drawText(QPointF(6, 14), "CRAN (+) / CAUD (-)  vs  LAO (+) / RAO (-), degrees")
        if not self.plan:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no annulus plane yet")
            p.end()
            return
        c = self.plan["curve"]
        pts = [self.to_widget(a, b) for a, b in zip(c["primary_deg"], c["secondary_deg"])
               if self.YLIM[0] <= b <= self.YLIM[1]]
        p.setPen(QPen(QColor(0, 0, 0), 2))
        p.drawPolyline(QPolygonF(pts))
        colours = {"three_cusp_coplanar": QColor(30, 110, 220),
                   "cusp_overlap": QColor(230, 110, 20)}
        y = 28
        for name, v in self.plan["views"].items():
            col = colours.get(name, QColor(0, 0, 0))
            q = self.to_widget(v["primary_deg"], max(min(v["secondary_deg"], 60), -60))
            p.setPen(QPen(col, 2))
            p.drawEllipse(q, 5, 5)
            p.drawText(QPointF(40, y), f"{name.replace('_', ' ')}: {v['label']}")
            y += 13
        pos = self.plan.get("patient_position", "HFS")
        src = self.plan.get("patient_position_source")
        p.setPen(QColor(60, 60, 60))
        p.drawText(QPointF(40, y), f"patient {pos}" + (" (assumed)" if src == "assumed" else ""))
        p.end()
