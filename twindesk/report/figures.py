"""Report figures rendered without a display: MPR planes and 3D surfaces with matplotlib
(no OpenGL needed, so a report renders on any workstation or server), 0D waveforms.

Images are shown in the radiological convention: axial and coronal views have the
patient's right on the viewer's left; the 3D view looks at the patient from the front
(anterior), head up.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

#: Display colour of each structure (RGB 0–1), shared by MPR contours and 3D surfaces.
COLOURS = {"aorta": (0.86, 0.24, 0.2), "lv": (0.24, 0.47, 0.86), "la": (0.24, 0.7, 0.35),
           "bloodpool": (0.9, 0.67, 0.16), "laa": (0.6, 0.3, 0.75)}
#: CT window for contrast cardiac CT (level 200 HU, width 800 HU): lumen bright, myocardium
#: grey, fat dark.
WINDOW_HU = (-200.0, 600.0)
#: Field of view of each MPR panel (mm): the heart and aortic root fill the panel.
FOV_MM = 150.0
DPI = 150


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return buf.getvalue()


def _axis_aligned(image, interpolator):
    """``image`` resampled onto an identity-direction grid (LPS axes), when it is oblique."""
    import SimpleITK as sitk

    direction = np.asarray(image.GetDirection()).reshape(3, 3)
    if np.allclose(direction, np.eye(3), atol=1e-6):
        return image
    size, spacing = np.asarray(image.GetSize()), np.asarray(image.GetSpacing())
    corners = [image.TransformContinuousIndexToPhysicalPoint(
        [float(c) for c in np.array(idx) * (size - 1)]) for idx in np.ndindex(2, 2, 2)]
    lo, hi = np.min(corners, axis=0), np.max(corners, axis=0)
    new_size = [int(np.ceil((h - lo_) / s)) + 1 for lo_, h, s in zip(lo, hi, spacing)]
    return sitk.Resample(image, new_size, sitk.Transform(), interpolator, lo.tolist(),
                         spacing.tolist(), np.eye(3).ravel().tolist(), -1024.0
                         if interpolator != sitk.sitkNearestNeighbor else 0.0)


def mpr_figure(image, masks: dict[str, Any], centre_lps_mm) -> bytes:
    """Axial, coronal and sagittal planes through ``centre_lps_mm`` with mask outlines.

    Parameters
    ----------
    image
        The case volume (SimpleITK, HU, LPS).
    masks
        Structure name → SimpleITK 0/1 mask on the volume's grid.
    centre_lps_mm
        Where the three planes cross (LPS mm).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import SimpleITK as sitk

    img = _axis_aligned(image, sitk.sitkLinear)
    vol = sitk.GetArrayViewFromImage(img)  # (z, y, x) = (S, P, L) increasing
    arrays = {k: sitk.GetArrayViewFromImage(_axis_aligned(m, sitk.sitkNearestNeighbor))
              for k, m in masks.items()}
    sx, sy, sz = img.GetSpacing()
    ox, oy, oz = img.GetOrigin()
    nz, ny, nx = vol.shape
    idx = img.TransformPhysicalPointToIndex([float(c) for c in centre_lps_mm])
    i, j, k = (int(np.clip(v, 0, n - 1)) for v, n in zip(idx, (nx, ny, nz)))
    x = (ox, ox + sx * (nx - 1))
    y = (oy, oy + sy * (ny - 1))
    z = (oz, oz + sz * (nz - 1))
    # (title, slice of (z,y,x), extent, origin, axis labels, flip for display)
    planes = [("Axial", lambda a: a[k], (x[0], x[1], y[1], y[0]), f"z = {oz + sz * k:.1f} mm",
               ("R ← x (mm) → L", "A ← y (mm) → P")),
              ("Coronal", lambda a: a[:, j, :], (x[0], x[1], z[0], z[1]),
               f"y = {oy + sy * j:.1f} mm", ("R ← x (mm) → L", "I ← z (mm) → S")),
              ("Sagittal", lambda a: a[:, :, i], (y[0], y[1], z[0], z[1]),
               f"x = {ox + sx * i:.1f} mm", ("A ← y (mm) → P", "I ← z (mm) → S"))]
    c = [ox + sx * i, oy + sy * j, oz + sz * k]
    centres = {"Axial": (c[0], c[1]), "Coronal": (c[0], c[2]), "Sagittal": (c[1], c[2])}
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.3))
    for ax, (title, cut, extent, where, (xl, yl)) in zip(axes, planes):
        origin = "upper" if title == "Axial" else "lower"
        ax.imshow(cut(vol), cmap="gray", vmin=WINDOW_HU[0], vmax=WINDOW_HU[1],
                  extent=extent, origin=origin, interpolation="bilinear")
        for name, arr in arrays.items():
            plane = np.asarray(cut(arr), float)
            if plane.max() > 0:
                ax.contour(plane, levels=[0.5], colors=[COLOURS.get(name, (1, 1, 0))],
                           linewidths=1.2, extent=extent, origin=origin)
        h_c, v_c = centres[title]
        half = FOV_MM / 2
        ax.set_xlim(max(min(extent[:2]), h_c - half), min(max(extent[:2]), h_c + half))
        v_lim = (max(min(extent[2:]), v_c - half), min(max(extent[2:]), v_c + half))
        ax.set_ylim(v_lim[::-1] if title == "Axial" else v_lim)  # anterior at the top
        ax.set_title(f"{title} ({where})", fontsize=10)
        ax.set_xlabel(xl, fontsize=8)
        ax.set_ylabel(yl, fontsize=8)
        ax.tick_params(labelsize=7)
    if arrays:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=COLOURS.get(n, (1, 1, 0)), lw=2, label=n)
                   for n in arrays]
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
                   frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _png(fig)


def surface_of(mask, max_triangles: int = 15000):
    """Triangle surface (points LPS mm, faces) of a 0/1 mask, smoothed and decimated."""
    import pyvista as pv
    import SimpleITK as sitk

    arr = sitk.GetArrayFromImage(mask).astype(np.float32)
    if arr.max() <= 0:
        return None
    grid = pv.ImageData(dimensions=arr.shape[::-1], spacing=mask.GetSpacing(), origin=(0, 0, 0))
    grid.point_data["m"] = arr.ravel(order="C")
    surf = grid.contour([0.5], scalars="m").triangulate()
    if surf.n_cells == 0:
        return None
    surf = surf.smooth_taubin(n_iter=20, pass_band=0.1)
    if surf.n_cells > max_triangles:
        surf = surf.decimate(1.0 - max_triangles / surf.n_cells)
    d = np.asarray(mask.GetDirection()).reshape(3, 3)
    points = np.asarray(surf.points) @ d.T + np.asarray(mask.GetOrigin())
    faces = np.asarray(surf.faces).reshape(-1, 4)[:, 1:]
    return points, faces


def surface_figure(masks: dict[str, Any]) -> bytes | None:
    """Anterior 3D view of the masks' surfaces (shaded), or ``None`` when all are empty."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    # the blood pool encloses the chambers: draw it only when nothing else is there
    names = [n for n in masks if n != "bloodpool"] or list(masks)
    surfaces = {n: s for n in names if (s := surface_of(masks[n])) is not None}
    if not surfaces:
        return None
    fig = plt.figure(figsize=(6.5, 6.0))
    ax = fig.add_subplot(111, projection="3d")
    light = np.array([-0.3, -1.0, 0.6])
    light /= np.linalg.norm(light)
    allpts = []
    for name, (pts, faces) in surfaces.items():
        tris = pts[faces]
        normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        shade = 0.35 + 0.65 * np.abs(normals @ light)
        colour = np.asarray(COLOURS.get(name, (0.8, 0.8, 0.2)))
        ax.add_collection3d(Poly3DCollection(tris, facecolors=shade[:, None] * colour,
                                             edgecolors="none", label=name))
        allpts.append(pts)
    pts = np.vstack(allpts)
    centre, half = (pts.max(0) + pts.min(0)) / 2, (pts.max(0) - pts.min(0)).max() / 2
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
        setter(c - half, c + half)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=8, azim=-90)  # camera on −y (anterior), patient's left on the right
    ax.set_xlabel("x (mm, → L)", fontsize=8)
    ax.set_ylabel("")
    ax.set_yticks([])  # depth axis: seen end-on from the front
    ax.set_zlabel("z (mm, → S)", fontsize=8)
    ax.tick_params(labelsize=7)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=COLOURS.get(n, (0.8, 0.8, 0.2)), label=n)
                       for n in surfaces], loc="upper right", fontsize=8)
    return _png(fig)


def waveform_figure(table: dict[str, np.ndarray], title: str) -> bytes:
    """Pressures and aortic flow over the last simulated cardiac cycle.

    ``table`` holds columns ``t_s``, ``p_lv_mmhg``, ``p_ao_mmhg`` and ``q_aortic_ml_s``
    (the 0D waveform CSV of :mod:`twindesk.sim.lumped`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(table["t_s"], float)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7.5, 4.6), sharex=True)
    ax1.plot(t, table["p_lv_mmhg"], color=COLOURS["lv"], lw=1.5, label="LV pressure")
    ax1.plot(t, table["p_ao_mmhg"], color=COLOURS["aorta"], lw=1.5, label="aortic pressure")
    ax1.set_ylabel("pressure (mmHg)", fontsize=9)
    ax1.legend(fontsize=8, loc="upper right")
    ax1.grid(alpha=0.3)
    ax1.set_title(title, fontsize=10)
    ax2.plot(t, table["q_aortic_ml_s"], color="0.2", lw=1.5, label="aortic valve flow")
    ax2.set_ylabel("flow (ml/s)", fontsize=9)
    ax2.set_xlabel("time in cycle (s)", fontsize=9)
    ax2.legend(fontsize=8, loc="upper right")
    ax2.grid(alpha=0.3)
    for ax in (ax1, ax2):
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return _png(fig)


def _projected(points_mm: np.ndarray, look: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Points (LPS mm) on the view plane: ``[:, 0]`` rightwards, ``[:, 1]`` up, ``[:, 2]``
    depth (larger is farther from the viewer)."""
    right = np.cross(look, up)
    return np.asarray(points_mm, float) @ np.c_[right, up, look]


def steady_flow_figure(grid, inlet, title: str) -> bytes:
    """A steady 3D flow result (``twindesk flow``) in two panels, both viewing the vessel's
    own plane (:func:`twindesk.sim.pulsatile.views.view_direction`): streamlines from the
    inlet coloured by speed inside the lumen's silhouette, and the wall coloured by wall
    shear stress (visible side, painter's order). Colour ranges: 2nd–98th percentile.

    ``grid``: the result's point fields (LPS mm, ``velocity_m_s``, ``wss_pa``); ``inlet``:
    (centre LPS mm, outward unit normal, radius mm) seeding the streamlines, or ``None``.
    Drawn with matplotlib, like the other report figures (no OpenGL needed).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection

    from twindesk.sim.pulsatile import views

    surf = views.surface_field(grid, "steady_wss").triangulate()
    faces = np.asarray(surf.faces).reshape(-1, 4)[:, 1:]
    look, up = views.view_direction(np.asarray(grid.points))
    xyz = _projected(surf.points, look, up)
    order = np.argsort(-xyz[faces, 2].mean(axis=1))  # farthest first
    tris = xyz[faces[order]][:, :, :2]
    wss = np.asarray(surf.point_data["value"], float)[faces[order]].mean(axis=1)
    # the inlet and outlet caps are not wall (WSS 0 there): leave them out of the WSS panel
    wall = np.asarray(surf.point_data["on_wall"])[faces[order]].min(axis=1) > 0 \
        if "on_wall" in surf.point_data else np.ones(len(order), bool)
    fig, (ax_v, ax_w) = plt.subplots(1, 2, figsize=(8.0, 4.2))
    ax_v.add_collection(PolyCollection(tris, facecolors=(0.88, 0.88, 0.88),
                                       edgecolors="none"))
    lines = views.streamlines(grid, *inlet, field="steady_velocity") if inlet else None
    if lines is not None and lines.n_lines:
        pts = _projected(lines.points, look, up)[:, :2]
        conn = np.asarray(lines.lines)
        segs, speeds, i = [], [], 0
        speed = np.asarray(lines.point_data["value"], float)
        while i < len(conn):  # each polyline: its consecutive point pairs
            ids = conn[i + 1:i + 1 + conn[i]]
            segs.extend(pts[np.c_[ids[:-1], ids[1:]]])
            speeds.extend((speed[ids[:-1]] + speed[ids[1:]]) / 2)
            i += conn[i] + 1
        lo, hi = views.shared_range([np.asarray(speeds)])
        lc = LineCollection(segs, cmap="viridis", linewidths=0.6)
        lc.set_array(np.asarray(speeds))
        lc.set_clim(lo, hi)
        ax_v.add_collection(lc)
        fig.colorbar(lc, ax=ax_v, shrink=0.75, label="speed (m/s)")
        ax_v.set_title("Streamlines from the inlet", fontsize=9)
    else:
        ax_v.set_title("Lumen (no inlet region: no streamlines)", fontsize=9)
    lo, hi = views.shared_range([wss[wall]])
    pc = PolyCollection(tris[wall], cmap="inferno", edgecolors="none")
    pc.set_array(wss[wall])
    pc.set_clim(lo, hi)
    ax_w.add_collection(pc)
    fig.colorbar(pc, ax=ax_w, shrink=0.75, label="wall shear stress (Pa)")
    ax_w.set_title("Wall shear stress", fontsize=9)
    for ax in (ax_v, ax_w):
        ax.autoscale_view()
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)
