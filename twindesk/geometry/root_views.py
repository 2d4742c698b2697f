"""Double-oblique views of a root measurement for a visual check (PNG, matplotlib Agg).

Top row: the planes parallel to the annulus (the annulus itself with its contour and the
hinge points, the LVOT 4 mm below, the sinus plane with the three cusp-to-commissure
diameters). Bottom row: long-axis views through the root axis and each hinge point, with
the annulus plane, the hinge, the STJ and the coronary lower edges that lie near the view.
In-plane axes: the root frame's anterior and left directions
(:class:`twindesk.geometry.annulus.RootFrame`); long-axis views show height above the annulus
upward and the distance from the axis toward the hinge to the right.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.geometry.annulus import CUSPS, RootFrame

HALF_MM = 25.0
STEP_MM = 0.2
COLOURS = {"right": "tab:green", "left": "tab:orange", "non": "tab:blue"}


def _sample(image_arr, grid, points) -> np.ndarray:
    from twindesk.imaging.grid import sample

    return sample(image_arr, grid.lps_to_zyx(points.reshape(-1, 3)).reshape(points.shape),
                  order=1, cval=-1000.0)


def _plane_xy(frame: RootFrame, height_mm: float, points) -> np.ndarray:
    """(anterior, left) coordinates (mm) of LPS points in the frame."""
    q = np.atleast_2d(np.asarray(points, float)) - frame.center_lps_mm
    return np.stack([q @ frame.anterior, q @ frame.left], axis=1)


def render(image, res: dict[str, Any], frame: RootFrame, path, title: str = "") -> None:
    """Write the six views of ``res`` (a ``measure_image`` result) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from twindesk.imaging.grid import Grid, array

    grid = Grid.of(image)
    arr = array(image).astype(np.float32)
    lev = res.get("levels") or {}
    vmin = float(lev.get("tissue_hu", 40.0)) - 200.0
    vmax = float(lev.get("blood_hu", 400.0)) + 250.0
    t = np.arange(-HALF_MM, HALF_MM + 1e-9, STEP_MM)
    fig = Figure(figsize=(15, 10), dpi=90)
    hinges = {k: np.asarray(v, float) for k, v in res["hinges_lps_mm"].items()}
    sinus = res.get("sinus") or {}
    planes = [("annulus", 0.0, res.get("annulus")),
              ("LVOT", -float((res.get("lvot") or {}).get("depth_below_annulus_mm", 4.0)),
               res.get("lvot")),
              ("sinus", float(sinus.get("level_above_annulus_mm", 10.0)), None)]
    for i, (name, h, rec) in enumerate(planes):
        ax = fig.add_subplot(2, 3, i + 1)
        A, L = np.meshgrid(t, t, indexing="ij")   # rows: left, columns: anterior
        pts = (frame.center_lps_mm + h * frame.normal_lps + L[..., None] * frame.anterior
               + A[..., None] * frame.left)
        ax.imshow(_sample(arr, grid, pts), cmap="gray", vmin=vmin, vmax=vmax, origin="lower",
                  extent=[-HALF_MM, HALF_MM, -HALF_MM, HALF_MM])
        if rec and rec.get("contour_lps_mm"):
            xy = _plane_xy(frame, h, rec["contour_lps_mm"])
            ax.plot(np.r_[xy[:, 0], xy[:1, 0]], np.r_[xy[:, 1], xy[:1, 1]], "r-", lw=1)
        if name == "annulus":
            for k, p in hinges.items():
                xy = _plane_xy(frame, h, p)[0]
                ax.plot(*xy, "o", ms=7, mfc="none", mec=COLOURS[k], mew=2, label=f"{k} hinge")
            ax.legend(loc="lower right", fontsize=7)
        if name == "sinus":
            for k, v in (sinus.get("by_cusp") or {}).items():
                a = _plane_xy(frame, h, v["cusp_point_lps_mm"])[0]
                b = _plane_xy(frame, h, v["opposite_commissure_point_lps_mm"])[0]
                d = v["diameter_mm"]
                d = d["value"] if isinstance(d, dict) else d
                ax.plot([a[0], b[0]], [a[1], b[1]], "-", color=COLOURS[k], lw=1.2,
                        label=f"{k} {d:.1f} mm")
            ax.legend(loc="lower right", fontsize=7)
        ax.set_title(f"{name} plane ({h:+.1f} mm)", fontsize=9)
        ax.set_xlabel("anterior (mm)", fontsize=8)
        ax.set_ylabel("patient left (mm)", fontsize=8)
    stj = res.get("stj") or {}
    stj_h = stj.get("height_mm")
    stj_h = stj_h["value"] if isinstance(stj_h, dict) else stj_h
    ostia = {k: v for k, v in (res.get("coronary_heights") or {}).items() if v}
    hh = np.arange(-15.0, 45.0 + 1e-9, STEP_MM)
    rr = np.arange(-HALF_MM, HALF_MM + 1e-9, STEP_MM)
    for i, k in enumerate(CUSPS):
        ax = fig.add_subplot(2, 3, 4 + i)
        ang = float(frame.angle_deg(hinges[k])[0])
        d = frame.direction(ang)
        H, R = np.meshgrid(hh, rr, indexing="ij")
        pts = frame.center_lps_mm + H[..., None] * frame.normal_lps + R[..., None] * d
        ax.imshow(_sample(arr, grid, pts), cmap="gray", vmin=vmin, vmax=vmax, origin="lower",
                  extent=[rr[0], rr[-1], hh[0], hh[-1]])
        ax.axhline(0.0, color="r", lw=0.8)
        if stj_h is not None:
            ax.axhline(stj_h, color="y", lw=0.6, ls="--")
        q = hinges[k] - frame.center_lps_mm
        ax.plot(q @ d, q @ frame.normal_lps, "o", ms=7, mfc="none", mec=COLOURS[k], mew=2)
        for side, o in ostia.items():
            p = np.asarray(o["lower_edge_lps_mm"], float)
            a_o = float(frame.angle_deg(p)[0])
            for sign in (1.0, -1.0):   # the view shows this direction and its opposite
                if abs((a_o - ang + (0.0 if sign > 0 else 180.0) + 180.0) % 360.0 - 180.0) < 25:
                    q = p - frame.center_lps_mm
                    rad = np.linalg.norm(q - (q @ frame.normal_lps) * frame.normal_lps)
                    ax.plot(sign * rad, q @ frame.normal_lps, "^", color="m", ms=7,
                            label=f"{side} ostium lower edge ({o.get('source', '?')})")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize=7)
        ax.set_title(f"long axis through the {k} hinge (annulus red, STJ yellow)", fontsize=9)
        ax.set_xlabel(f"toward the {k} cusp (mm)", fontsize=8)
        ax.set_ylabel("height above the annulus (mm)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(str(path))
