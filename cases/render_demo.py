"""Render the demo phantom for a visual check (matplotlib, Agg backend).

Usage::

    python cases/render_demo.py [DIR] [--out FOLDER]

``DIR`` is a ``twindesk demo`` folder (default: the user's demo). Reads the DICOM series back
with SimpleITK, the label map and the ground truth, and writes PNGs:

* ``orthogonal.png``: axial, coronal and sagittal slices through the annulus centre, with
  the label outlines;
* ``annulus_plane.png``: the oblique slice in the annulus plane (truth contour, hinges,
  LVOT-cut outline) and the LVOT 4 mm below;
* ``root_long_axis.png``: double-oblique long-axis slices through each coronary ostium
  (truth lower edge and annulus line marked);
* ``laa.png``: the appendage's ostium plane and a slice along its axis.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

WINDOW = dict(cmap="gray", vmin=-250, vmax=650)
LABEL_COLOURS = {1: "red", 2: "orange", 3: "gold", 4: "magenta", 5: "lime", 6: "salmon",
                 7: "white", 8: "cyan", 9: "saddlebrown", 10: "royalblue", 11: "ivory"}


def load(folder: Path):
    import SimpleITK as sitk

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder / "dicom")))
    img = reader.Execute()
    lab = sitk.ReadImage(str(folder / "labels.mha"))
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return (sitk.GetArrayFromImage(img).astype(np.float32), sitk.GetArrayFromImage(lab),
            np.array(img.GetOrigin()), img.GetSpacing()[0], truth)


def sample_plane(vol, origin, h, center, u, v, half_mm=45.0, step_mm=0.25, order=1):
    """Values on the plane ``center + a u + b v`` (a, b in [-half, half] mm)."""
    from scipy.ndimage import map_coordinates

    a = np.arange(-half_mm, half_mm + 1e-9, step_mm)
    A, Bm = np.meshgrid(a, a[::-1])                      # rows: +v up
    pts = center + A[..., None] * u + Bm[..., None] * v
    idx = (pts - origin) / h                             # x, y, z voxel indices
    out = map_coordinates(vol, [idx[..., 2], idx[..., 1], idx[..., 0]], order=order,
                          mode="constant", cval=-1000 if order else 0)
    return out, (-half_mm, half_mm, -half_mm, half_mm)


def to_plane(points, center, u, v):
    d = np.asarray(points, float) - center
    return d @ u, d @ v


def outline(ax, lab, extent, labels=None):
    """Label outlines; aorta and LV share one outline (their border is the LVOT cut)."""
    for value, colour in LABEL_COLOURS.items():
        if (labels and value not in labels) or value == 2:
            continue
        m = (np.isin(lab, (1, 2)) if value == 1 else lab == value).astype(float)
        if m.any():
            ax.contour(m, levels=[0.5], colors=[colour], linewidths=0.6, extent=extent,
                       origin="upper")


def render(folder: Path, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    vol, lab, origin, h, truth = load(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    ann = truth["annulus"]
    c = np.array(ann["center_lps_mm"])
    n = np.array(ann["normal_lps"])
    e_major, e_minor = np.array(ann["major_axis_lps"]), np.array(ann["minor_axis_lps"])
    ex, ey, ez = np.eye(3)

    # orthogonal slices through the annulus centre (radiological display: patient right on
    # the left of axial/coronal images, anterior on the left of sagittal ones)
    fig, axs = plt.subplots(1, 3, figsize=(21, 8))
    for ax, (u, v, title) in zip(axs, ((ex, -ey, "axial (anterior up)"),
                                       (ex, ez, "coronal (superior up)"),
                                       (ey, ez, "sagittal (anterior left)"))):
        img, ext = sample_plane(vol, origin, h, c, u, v, 110.0, 0.5)
        ls, _ = sample_plane(lab.astype(np.float32), origin, h, c, u, v, 110.0, 0.5, order=0)
        ax.imshow(img, extent=ext, **WINDOW)
        outline(ax, ls, ext)
        ax.set_title(f"{title} through the annulus centre")
    p = out / "orthogonal.png"
    fig.tight_layout()
    fig.savefig(p, dpi=80)
    plt.close(fig)
    written.append(p)

    # annulus plane and LVOT
    fig, axs = plt.subplots(1, 2, figsize=(16, 8))
    for ax, key in zip(axs, ("annulus", "lvot")):
        sec = truth[key]
        cc = np.array(sec["center_lps_mm"])
        img, ext = sample_plane(vol, origin, h, cc, e_major, e_minor, 24.0, 0.1)
        ls, _ = sample_plane(lab.astype(np.float32), origin, h, cc, e_major, e_minor, 24.0,
                             0.1, order=0)
        ax.imshow(img, extent=ext, **WINDOW)
        outline(ax, ls, ext, labels=[1, 2, 7, 8])
        x, y = to_plane(sec["contour_lps_mm"], cc, e_major, e_minor)
        ax.plot(np.r_[x, x[:1]], np.r_[y, y[:1]], "c--", lw=1)
        if key == "annulus":
            for name, pt in sec["hinge_points_lps_mm"].items():
                hx, hy = to_plane([pt], cc, e_major, e_minor)
                ax.plot(hx, hy, "y+", ms=14, mew=2)
                ax.annotate(name, (hx[0], hy[0]), color="y")
        ax.set_title(f"{key}: {sec['max_diameter_mm']:.1f} x {sec['min_diameter_mm']:.1f} mm, "
                     f"perimeter {sec['perimeter_mm']:.1f} mm, area {sec['area_mm2']:.0f} mm²"
                     "\n(x: major axis, y: minor axis toward anterior; dashed: truth)")
    p = out / "annulus_plane.png"
    fig.tight_layout()
    fig.savefig(p, dpi=80)
    plt.close(fig)
    written.append(p)

    # long-axis slices through each coronary ostium
    fig, axs = plt.subplots(1, 2, figsize=(16, 9))
    for ax, side in zip(axs, ("left", "right")):
        o = truth["coronary_ostia"][side]
        radial = np.array(o["direction_lps"])
        cc = c + 15.0 * n
        img, ext = sample_plane(vol, origin, h, cc, radial, n, 35.0, 0.15)
        ls, _ = sample_plane(lab.astype(np.float32), origin, h, cc, radial, n, 35.0, 0.15,
                             order=0)
        ax.imshow(img, extent=ext, **WINDOW)
        outline(ax, ls, ext, labels=[1, 2, 5, 7, 8, 9])
        ax.axhline(-15.0, color="c", ls="--", lw=1)
        lx, ly = to_plane([o["lower_edge_lps_mm"]], cc, radial, n)
        ax.plot(lx, ly, "y+", ms=16, mew=2)
        ax.set_title(f"{side} coronary ostium: lower edge {o['lower_edge_height_mm']:.1f} mm "
                     "above the annulus (dashed)\n(x: toward the ostium, y: root axis)")
    p = out / "root_long_axis.png"
    fig.tight_layout()
    fig.savefig(p, dpi=80)
    plt.close(fig)
    written.append(p)

    # LAA
    laa = truth["laa"]
    o = np.array(laa["ostium"]["center_lps_mm"])
    nu = np.array(laa["ostium"]["normal_lps"])
    a1, a2 = np.array(laa["ostium"]["major_axis_lps"]), np.array(laa["ostium"]["minor_axis_lps"])
    fig, axs = plt.subplots(1, 2, figsize=(16, 8))
    img, ext = sample_plane(vol, origin, h, o, a1, a2, 25.0, 0.1)
    ls, _ = sample_plane(lab.astype(np.float32), origin, h, o, a1, a2, 25.0, 0.1, order=0)
    axs[0].imshow(img, extent=ext, **WINDOW)
    outline(axs[0], ls, ext, labels=[3, 4])
    x, y = to_plane(laa["ostium"]["contour_lps_mm"], o, a1, a2)
    axs[0].plot(np.r_[x, x[:1]], np.r_[y, y[:1]], "c--", lw=1)
    axs[0].set_title(f"LAA ostium plane: {laa['ostium']['max_diameter_mm']:.1f} x "
                     f"{laa['ostium']['min_diameter_mm']:.1f} mm (dashed: truth)")
    axis = np.array(laa["axis_lps_mm"])
    w = axis[-1] - o
    w = w - (w @ nu) * nu
    w = w / np.linalg.norm(w)
    cc = o + 18.0 * nu
    img, ext = sample_plane(vol, origin, h, cc, w, nu, 35.0, 0.15)
    ls, _ = sample_plane(lab.astype(np.float32), origin, h, cc, w, nu, 35.0, 0.15, order=0)
    axs[1].imshow(img, extent=ext, **WINDOW)
    outline(axs[1], ls, ext, labels=[3, 4, 9, 5])
    x, y = to_plane(axis, cc, w, nu)
    axs[1].plot(x, y, "c-", lw=1)
    axs[1].set_title(f"LAA along its axis ({laa['morphology']}, depth {laa['depth_mm']:.1f} mm)")
    p = out / "laa.png"
    fig.tight_layout()
    fig.savefig(p, dpi=80)
    plt.close(fig)
    written.append(p)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path, help="twindesk demo folder")
    ap.add_argument("--out", type=Path, default=Path("demo_renders"))
    args = ap.parse_args(argv)
    folder = args.dir
    if folder is None:
        from twindesk.phantom.demo import default_dir

        folder = default_dir()
    if not (folder / "truth.json").is_file():
        print(f"{folder}: no demo there; run 'twindesk demo {folder}' first", file=sys.stderr)
        return 2
    for p in render(folder, args.out):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
