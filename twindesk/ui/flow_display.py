"""What the flow panel draws: a 3D result (pulsatile, or steady from ``twindesk flow``) in the
3D view, and the pulsatile waveforms.

The geometry comes from :mod:`twindesk.sim.pulsatile.views` (Qt-free, LPS mm); this module
only hands it to the shared :class:`~twindesk.ui.state.ViewerState` as surfaces (the 3D view
draws them with their colour map, LPS being the 3D view's world frame) and plots waveforms.

* ``flow:lumen`` — the lumen wall coloured by the chosen field (semi-transparent, so the
  streamlines and the section inside show);
* ``flow:section`` — the same field on the cross-section of the lumen by the current MPR
  plane (axial, coronal, sagittal or oblique through the crosshair), with the lumen's colour
  range; it follows the crosshair and the oblique normal;
* ``flow:streamlines`` — streamlines of the peak-systolic velocity from the inlet, in one
  colour (a second colour bar would cover the first).

* field layer ``flow`` — the same field painted semi-transparently on every planar 2D view
  (axial, coronal, sagittal, oblique) inside the lumen, with the lumen's colour map and
  range (:func:`views.plane_samples` on the view's pixel grid, :func:`colorize`); the 2D
  views also get the section's outline (overlay ``flow:section``).
"""

from __future__ import annotations

import numpy as np

from twindesk.imaging.mpr import STANDARD_PLANES
from twindesk.sim.pulsatile import views

LUMEN, SECTION, LINES = "flow:lumen", "flow:section", "flow:streamlines"
PLANES = ("none", "axial", "coronal", "sagittal", "oblique")
CMAPS = {"pressure": "coolwarm", "pressure_mean": "coolwarm", "velocity": "viridis",
         "velocity_mean": "viridis", "wss": "inferno", "tawss": "inferno", "osi": "magma",
         "steady_pressure": "coolwarm", "steady_velocity": "viridis", "steady_wss": "inferno"}
WALL_FIELDS = ("wss", "tawss", "osi", "steady_wss")
N_SEEDS = 60  # enough to show the jet and the branches without hiding the wall colour
STREAMLINE_RGB = (110, 225, 255)  # light cyan: apart from every colour map used
FIELD_ALPHA = 0.7  # the field over the CT in the 2D views: its colours read, the wall shows


def label_format(lo: float, hi: float) -> str:
    """printf format for colour-bar labels of a range: enough decimals to tell ticks apart."""
    span = abs(hi - lo)
    return "%.0f" if span >= 20 else "%.1f" if span >= 2 else "%.2f" if span >= 0.2 else "%.3f"


def finite_range(values: np.ndarray) -> tuple[float, float]:
    """:func:`views.shared_range` of the finite values (a range never holds NaN)."""
    v = np.asarray(values, float)
    return views.shared_range([v[np.isfinite(v)]])


def colorize(values: np.ndarray, cmap: str, clim: tuple[float, float],
             alpha: float = FIELD_ALPHA) -> np.ndarray:
    """``(rows, cols, 4)`` uint8 RGBA of a field image in the matplotlib colour map ``cmap``
    (the 3D view's) over ``clim`` (clipped at its ends); alpha 0 where the value is NaN."""
    import matplotlib

    v = np.asarray(values, float)
    ok = np.isfinite(v)
    lo, hi = clim
    t = np.clip((np.where(ok, v, lo) - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
    rgba = matplotlib.colormaps[cmap](t, bytes=True)
    rgba[..., 3] = np.where(ok, round(255 * alpha), 0)
    return rgba


class FlowDisplay:
    """Draws one scenario's result for one field; :meth:`clear` removes everything."""

    def __init__(self, window):
        self.window_ = window
        self.state = window.state
        self.grid = None
        self.field = "pressure"
        self.plane = "axial"
        self.clim: tuple[float, float] = (0.0, 1.0)
        self.lines = None  # streamlines of the current grid (computed once per grid)
        self.show_lines = True
        self._shown: dict = {}
        self._hid_slices = False  # the 3D view's MPR planes were hidden to show the lumen

    # --------------------------------------------------------------- public
    def show(self, grid, field: str, inlet) -> dict:
        """Colour the lumen of ``grid`` by ``field``; ``inlet`` = (centre, normal, radius)
        seeds the streamlines. Returns the colour range and unit shown."""
        fresh = grid is not self.grid
        if not fresh and field == self.field and LUMEN in self.state.surfaces:
            return self._shown  # a refresh of the case document: nothing to redraw
        if fresh:
            self.grid, self.lines = grid, None
        self.field = field
        fv = views.field_view(field)
        surf = views.surface_field(grid, field)
        values = np.asarray(surf.point_data["value"], float)
        surf.point_data["value"] = np.nan_to_num(values, nan=0.0)
        wall = field in WALL_FIELDS
        # a wall field is seen on the wall; pressure and velocity are seen in the section
        # and the streamlines (velocity is zero on the wall), so their range is the lumen's
        if wall and "on_wall" in surf.point_data:  # the inlet/outlet caps hold 0, not WSS
            values = values[np.asarray(surf.point_data["on_wall"]) > 0]
        self.clim = finite_range(values if wall else views.field_values(grid, field))
        self.state.set_surface(LUMEN, surf, meta=self._meta(fv, opacity=0.6 if wall else 0.3))
        if self.lines is None and inlet is not None:
            self.lines = views.streamlines(grid, *inlet, n_seeds=N_SEEDS)
        self.set_streamlines(self.show_lines)
        self._set_field_layer(fv)
        self.update_section()
        view3d = getattr(self.window_, "view3d", None)
        if fresh and view3d is not None:  # the lumen, not the whole scan, fills the 3D view
            self._hid_slices = self._hid_slices or view3d.show_slices
            view3d.set_slices_visible(False)
            view3d.reset_camera("oblique")  # from above the front: the axial section shows
        self._shown = {"range": self.clim, "unit": fv.unit, "label": fv.label}
        return self._shown

    def set_streamlines(self, on: bool) -> None:
        self.show_lines = bool(on)
        if on and self.lines is not None and self.lines.n_points:
            self.state.set_surface(LINES, self.lines, color=STREAMLINE_RGB,
                                   meta={"line_width": 1.0})
        else:
            self.state.remove_surface(LINES)

    def set_plane(self, plane: str) -> None:
        self.plane = plane
        self.update_section()

    def update_section(self) -> None:
        """The coloured cross-section at the current MPR plane (and its 2D outline)."""
        s = self.state
        if self.grid is None or self.plane == "none":
            s.remove_surface(SECTION)
            s.remove_overlay(SECTION)
            return
        if self.plane == "oblique":  # the oblique view passes through the crosshair
            origin, normal = s.cursor_lps, s.oblique_normal_lps
        else:  # a standard view shows the voxel slice nearest the crosshair: cut there
            origin, normal = self._slice_point(), np.asarray(STANDARD_PLANES[self.plane][2], float)
        cut = views.plane_field(self.grid, self.field, origin, normal)
        if not cut.n_points:
            s.remove_surface(SECTION)
            s.remove_overlay(SECTION)
            return
        cut.point_data["value"] = np.nan_to_num(np.asarray(cut.point_data["value"], float))
        s.set_surface(SECTION, cut, meta=self._meta(views.field_view(self.field)))
        edges = cut.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                          manifold_edges=False, non_manifold_edges=False)
        lines = edges.lines.reshape(-1, 3)[:, 1:] if edges.n_lines else np.zeros((0, 2), int)
        if len(lines):
            s.set_overlay(SECTION, np.asarray(edges.points)[lines], color=STREAMLINE_RGB)
        else:
            s.remove_overlay(SECTION)

    def _slice_point(self) -> np.ndarray:
        g = self.state.geometry
        if g is None:
            return np.asarray(self.state.cursor_lps, float)
        return g.index_to_lps(np.rint(g.lps_to_index(self.state.cursor_lps)))

    def clear(self) -> None:
        """Remove the flow's surfaces and outline; the MPR planes come back in 3D."""
        self.grid, self.lines = None, None
        for name in (LUMEN, SECTION, LINES):
            self.state.remove_surface(name)
        self.state.remove_overlay(SECTION)
        self.state.set_field_layer(None)
        view3d = getattr(self.window_, "view3d", None)
        if self._hid_slices and view3d is not None:
            self._hid_slices = False
            view3d.set_slices_visible(True)

    # -------------------------------------------------------------- helpers
    def _set_field_layer(self, fv) -> None:
        """The field over the 2D views, with the lumen's colour map and range."""
        from twindesk.ui.state import FieldLayer

        grid, name, cmap, clim = self.grid, fv.name, CMAPS.get(fv.name, "viridis"), self.clim

        def sample(origin, col_step, row_step, shape):
            return views.plane_samples(grid, name, origin, col_step, row_step, shape)

        self.state.set_field_layer(FieldLayer(
            "flow", sample, lambda values: colorize(values, cmap, clim)))

    def _meta(self, fv, opacity: float | None = None) -> dict:
        meta = {"scalars": "value", "cmap": CMAPS.get(fv.name, "viridis"), "clim": self.clim,
                "scalar_title": fv.bar_title, "fmt": label_format(*self.clim),
                "n_labels": 2}  # the ends only: the title sits between them
        if opacity is not None:
            meta["opacity"] = opacity
        return meta


def plot_waveforms(figure, waves: dict[str, np.ndarray] | None, title: str,
                   empty_text: str = "") -> None:
    """Pressure and flow over the last cycle (root/inlet in black, each outlet thin), or
    ``empty_text`` when there is nothing to plot."""
    from twindesk.sim.pulsatile.plots import outlet_names

    figure.clear()
    ax_p, ax_q = figure.subplots(1, 2)
    for ax in (ax_p, ax_q):
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    ax_p.set_title("Pressure", fontsize=8)
    ax_q.set_title("Flow", fontsize=8)
    if not waves:
        for ax in (ax_p, ax_q):
            ax.text(0.5, 0.5, empty_text, ha="center", va="center", transform=ax.transAxes,
                    fontsize=8, color="0.45", wrap=True)
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.85, wspace=0.25)
        return
    t = waves["t_s"]
    ax_p.plot(t, waves["inlet_pressure_mmhg"], color="k", lw=1.2, label="root (inlet)")
    ax_q.plot(t, waves["inflow_ml_s"], color="k", lw=1.2, label="inflow")
    for name in outlet_names(waves):
        ax_p.plot(t, waves[f"pressure_mmhg:{name}"], lw=0.8, label=name)
        ax_q.plot(t, waves[f"flow_ml_s:{name}"], lw=0.8, label=name)
    ax_p.set_ylabel("mmHg", fontsize=7)
    ax_q.set_ylabel("ml/s", fontsize=7)
    for ax in (ax_p, ax_q):
        ax.set_xlabel("time in the cycle (s)", fontsize=7)
        ax.legend(fontsize=6, loc="best")
    figure.suptitle(title, fontsize=8)
    figure.subplots_adjust(left=0.1, right=0.98, bottom=0.14, top=0.86, wspace=0.3)
