"""A pre/post figure of 3D pulsatile results (``twindesk scenario figure``): for each
scenario the lumen coloured by one field with peak-systolic streamlines (offscreen VTK,
one shared colour range), above the pressure and flow waveforms of the last cycle.

The same pieces (:mod:`twindesk.sim.pulsatile.views`) feed the GUI's flow panel; this
function lets a technician look at a result without the GUI, and the report stays GL-free.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.sim.pulsatile import views

def _render_3d(grids, names, field: str, inlet, size_px=(520, 560)) -> tuple[bytes, tuple]:
    import pyvista as pv

    fv = views.field_view(field)
    surfaces = [views.surface_field(g, field) for g in grids]
    lines = [views.streamlines(g, *inlet) for g in grids]
    rng = views.shared_range([s.point_data["value"] for s in surfaces])
    speed = views.shared_range([ln.point_data["value"] for ln in lines if ln.n_points])
    p = pv.Plotter(off_screen=True, shape=(1, len(grids)),
                   window_size=(size_px[0] * len(grids), size_px[1]), border=False)
    for i, (surf, ln, name) in enumerate(zip(surfaces, lines, names, strict=True)):
        p.subplot(0, i)
        p.add_text(name, font_size=11)
        p.add_mesh(surf, scalars="value", clim=rng, cmap="viridis", opacity=0.55,
                   show_scalar_bar=i == len(grids) - 1,
                   scalar_bar_args={"title": fv.bar_title, "vertical": True,
                                    "title_font_size": 12, "label_font_size": 11,
                                    "fmt": "%.3g", "position_x": 0.8, "position_y": 0.15,
                                    "width": 0.08, "height": 0.6})
        if ln.n_points:
            p.add_mesh(ln, scalars="value", clim=speed, cmap="autumn", line_width=1.5,
                       show_scalar_bar=False)
        look, up = views.view_direction(np.asarray(grids[0].points))
        centre = np.asarray(surf.center)
        p.camera.focal_point = centre
        p.camera.position = centre - 2.0 * surf.length * look
        p.camera.up = up
        p.reset_camera()
    p.link_views()
    img = p.screenshot(return_img=True)
    p.close()
    return img, rng


def render(case, scenarios: list[str], field: str, out: Path,
           structure: str = "aorta") -> dict[str, Any]:
    """Write the figure for one or two scenarios to ``out`` (PNG); returns what it shows."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from twindesk.sim.pulsatile.plots import outlet_names

    grids = [views.load_fields(case, s) for s in scenarios]
    inlet = views.inlet_of(case, structure)
    img, rng = _render_3d(grids, scenarios, field, inlet)
    waves = [views.waveforms(case, s) for s in scenarios]
    fig = Figure(figsize=(5.6 * len(scenarios), 9.4), dpi=100, layout="constrained")
    gs = fig.add_gridspec(3, len(scenarios), height_ratios=(3.2, 1, 1))
    ax_img = fig.add_subplot(gs[0, :])
    ax_img.imshow(img)
    ax_img.set_axis_off()
    ax_img.set_title(f"{views.field_view(field).label}; streamlines of the peak-systolic "
                     "velocity (view onto the vessel's own plane)", fontsize=9)
    for j, (name, w) in enumerate(zip(scenarios, waves, strict=True)):
        ax_p = fig.add_subplot(gs[1, j])
        ax_p.plot(w["t_s"], w["inlet_pressure_mmhg"], label="root (3D inlet)", color="k")
        for o in outlet_names(w):
            ax_p.plot(w["t_s"], w[f"pressure_mmhg:{o}"], lw=0.8, label=o)
        ax_p.set(ylabel="pressure (mmHg)", title=f"{name}: pressures", xlabel="time (s)")
        ax_q = fig.add_subplot(gs[2, j], sharex=ax_p)
        ax_q.plot(w["t_s"], w["inflow_ml_s"], color="k", label="inflow")
        for o in outlet_names(w):
            ax_q.plot(w["t_s"], w[f"flow_ml_s:{o}"], lw=0.8, label=o)
        ax_q.set(ylabel="flow (ml/s)", xlabel="time (s)", title=f"{name}: flows")
        for ax in (ax_p, ax_q):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    out.write_bytes(buf.getvalue())
    return {"scenarios": scenarios, "field": field, "unit": views.field_view(field).unit,
            "range": list(rng), "out": str(out), "bytes": out.stat().st_size}
