"""The 3D view (pyvistaqt): segmented surfaces, the three MPR planes in place, and an
orientation marker. World coordinates are LPS millimetres (:mod:`twindesk.ui.coords`)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from twindesk.imaging.mpr import STANDARD_PLANES, standard_slice
from twindesk.imaging.window import window_to_uint8
from twindesk.ui.coords import AXIS_LABELS_3D, camera_preset
from twindesk.ui.state import ViewerState

RENDER_INTERVAL_MS = 30  # coalesce crosshair moves into at most ~33 renders per second
MULTI_SAMPLES = 0  # MSAA costs several times the frame on software OpenGL; FXAA instead


class View3D(QWidget):
    """3D view of the shared state. Call :meth:`close_plotter` before the widget dies."""

    def __init__(self, state: ViewerState, parent: QWidget | None = None):
        super().__init__(parent)
        from pyvistaqt import QtInteractor

        self.setObjectName("view_3d")
        self.state = state
        self.show_slices = True
        self.plotter = QtInteractor(self, multi_samples=MULTI_SAMPLES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plotter)
        self.plotter.set_background("#15171c", top="#3b4150")
        self.plotter.enable_anti_aliasing("fxaa")
        self.plotter.add_axes(xlabel=AXIS_LABELS_3D[0], ylabel=AXIS_LABELS_3D[1],
                              zlabel=AXIS_LABELS_3D[2], line_width=3)
        self._grids: dict[str, object] = {}
        self._slices_dirty = False
        self._surface_actors: dict[str, object] = {}
        self._bar_titles: set[str] = set()
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self._render_now)
        state.volume_changed.connect(self._volume_changed)
        state.cursor_changed.connect(self._update_slices)
        state.display_changed.connect(self._update_window)
        state.surfaces_changed.connect(self._update_surfaces)

    # --------------------------------------------------------------- slices
    # Each MPR plane is one textured quad: a few triangles plus a texture upload per change,
    # which keeps software OpenGL (llvmpipe under Xvfb) well inside a frame.
    def _volume_changed(self) -> None:
        for kind in STANDARD_PLANES:
            self.plotter.remove_actor(f"slice_{kind}", render=False)
        self._grids = {}
        if self.state.has_volume:
            self._slices_dirty = True
            self.reset_camera("oblique")
        self.request_render()

    def _update_slices(self) -> None:
        """Mark the planes stale; they are rebuilt right before the next render."""
        self._slices_dirty = True
        self.request_render()

    def _rebuild_slices(self) -> None:
        import pyvista as pv

        self._slices_dirty = False
        s = self.state
        if not s.has_volume or not self.show_slices:
            return
        for kind in STANDARD_PLANES:
            img = standard_slice(s.volume, s.geometry, kind, s.cursor_lps)
            key = (tuple(np.round(img.origin_lps_mm, 4)), s.window_width_hu, s.window_level_hu)
            if self._grids.get(kind) == key:
                continue
            self._grids[kind] = key
            rows, cols = img.pixels.shape
            corners = [(-0.5, rows - 0.5), (cols - 0.5, rows - 0.5), (cols - 0.5, -0.5),
                       (-0.5, -0.5)]  # texture (s, t) = (0,0) (1,0) (1,1) (0,1); row 0 on top
            quad = pv.PolyData(np.array([img.pixel_to_lps(c, r) for c, r in corners]),
                               faces=[4, 0, 1, 2, 3])
            quad.active_texture_coordinates = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
            gray = window_to_uint8(img.pixels, s.window_width_hu, s.window_level_hu)
            texture = pv.Texture(np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2)))
            texture.interpolate = True
            self.plotter.add_mesh(quad, texture=texture, lighting=False, name=f"slice_{kind}",
                                  render=False)

    def _update_window(self) -> None:
        self._update_slices()

    def set_slices_visible(self, visible: bool) -> None:
        self.show_slices = bool(visible)
        for kind in STANDARD_PLANES:
            actor = self.plotter.actors.get(f"slice_{kind}")
            if actor is not None:
                actor.SetVisibility(self.show_slices)
        self._update_slices()

    # ------------------------------------------------------------- surfaces
    def _update_surfaces(self) -> None:
        surfaces = self.state.surfaces
        for name in list(self._surface_actors):
            if name not in surfaces or self._surface_actors[name][0] is not surfaces[name].mesh:
                self.plotter.remove_actor(self._surface_actors.pop(name)[1], render=False)
        # a colour bar outlives its actor in pyvista: drop the bars no surface uses any more
        # (a surface recoloured by another field would otherwise keep the old bar under it)
        titles = {_bar_title(s) for s in surfaces.values() if _bar_title(s)}
        for title in self._bar_titles - titles:
            if title in self.plotter.scalar_bars:
                self.plotter.remove_scalar_bar(title, render=False)
        self._bar_titles = titles
        renewed: set[str] = set()
        for name, surf in surfaces.items():
            if name not in self._surface_actors:
                title = _bar_title(surf)
                # pyvista widens a shared bar to the union of its mappers' ranges, old ones
                # included: another result with the same title (steady peak after mean,
                # 99–127 mmHg instead of 124–127) would be coloured over the old range
                if title and title not in renewed and title in self.plotter.scalar_bars:
                    self.plotter.remove_scalar_bar(title, render=False)
                renewed.add(title)
                # a new colour bar goes above those already shown (a device's contact
                # pressure and a flow field would otherwise print over each other)
                slot = len(self.plotter.scalar_bars) \
                    if title and title not in self.plotter.scalar_bars else 0
                actor = self.plotter.add_mesh(surf.mesh, name=f"surface:{name}", render=False,
                                              **_mesh_style(surf, slot))
                self._surface_actors[name] = (surf.mesh, actor)
            self._surface_actors[name][1].SetVisibility(surf.visible)
        self.request_render()

    # --------------------------------------------------------------- handle
    def set_handle(self, center_lps, callback, radius_mm: float = 1.6) -> None:
        """A draggable sphere at ``center_lps``; ``callback(new_center_lps)`` runs when the
        user releases it (the device panel's 3D drag)."""
        self._handle_callback = callback
        if getattr(self, "_handle", None) is None:
            self._handle = self.plotter.add_sphere_widget(
                self._handle_moved, center=tuple(float(v) for v in center_lps),
                radius=radius_mm, color="gold", selected_color="orange",
                test_callback=False, interaction_event="end")
        else:
            self._handle.SetCenter(*(float(v) for v in center_lps))
        self.request_render()

    def clear_handle(self) -> None:
        if getattr(self, "_handle", None) is not None:
            self.plotter.clear_sphere_widgets()
            self._handle = None
            self.request_render()

    def _handle_moved(self, center) -> None:
        callback = getattr(self, "_handle_callback", None)
        if callback is not None:
            callback(np.asarray(center, float))

    # --------------------------------------------------------------- camera
    def reset_camera(self, side: str = "oblique") -> None:
        """Look at the whole volume from the named side (:data:`CAMERA_PRESETS`)."""
        g = self.state.geometry
        if g is None:
            return
        corners = g.corners_lps()
        visible = [s.mesh for s in self.state.surfaces.values() if s.visible]
        if visible and not self.show_slices:  # frame the surfaces, not the whole scan
            b = np.array([m.bounds for m in visible]).reshape(-1, 3, 2)
            corners = np.stack([b[:, :, 0].min(0), b[:, :, 1].max(0)])
        lo, hi = corners.min(0), corners.max(0)
        diag = float(np.linalg.norm(hi - lo))
        self.plotter.camera_position = camera_preset(side, (lo + hi) / 2, 2.0 * diag)
        self.plotter.reset_camera(bounds=tuple(np.ravel(np.stack([lo, hi]).T)))
        self.request_render()

    def request_render(self) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start()

    def _render_now(self) -> None:
        if self.plotter is None or getattr(self.plotter, "_closed", False):
            return
        if not self.isVisible():
            return  # a hidden view renders when shown
        if self._slices_dirty:
            self._rebuild_slices()
        self.plotter.render()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.request_render()

    def render_now(self) -> None:
        """Render immediately (screenshots, tests)."""
        self._render_timer.stop()
        self._render_now()

    def close_plotter(self) -> None:
        self._render_timer.stop()
        if self.plotter is not None:
            self.plotter.close()


def _bar_title(surf) -> str | None:
    meta = surf.meta or {}
    return meta.get("scalar_title", meta["scalars"]) if meta.get("scalars") else None


#: Height of one colour-bar slot (fraction of the view): bar, labels and title.
BAR_SLOT = 0.14


def _mesh_style(surf, bar_slot: int = 0) -> dict:
    """add_mesh keywords of a surface: its colour, or per-point scalars with a colour map
    (``meta`` keys ``scalars``, ``cmap``, ``clim``, ``scalar_title``, ``fmt`` and
    ``n_labels`` of the bar's labels) whose bar sits in slot ``bar_slot`` from the bottom,
    and a line width for line meshes (``line_width``)."""
    meta = surf.meta or {}
    style = {"smooth_shading": True, "specular": 0.3}
    if meta.get("scalars"):
        style.update(scalars=meta["scalars"], cmap=meta.get("cmap", "inferno"),
                     clim=meta.get("clim"), show_scalar_bar=True,
                     # horizontal along the bottom: a vertical bar's title overflows the
                     # right edge of a narrow view
                     scalar_bar_args={"title": _bar_title(surf),
                                      "vertical": False, "position_x": 0.2,
                                      "position_y": 0.04 + BAR_SLOT * bar_slot,
                                      "height": 0.07, "width": 0.6,
                                      "title_font_size": 14, "label_font_size": 12,
                                      "n_labels": meta.get("n_labels", 4),
                                      "fmt": meta.get("fmt", "%.0f"),
                                      "color": "white"})
    else:
        style["color"] = [v / 255 for v in surf.color]
    if meta.get("line_width"):
        style.update(line_width=meta["line_width"], smooth_shading=False, lighting=False)
    if meta.get("opacity") is not None:
        style["opacity"] = meta["opacity"]
    return style
