"""The appendage ostium: the orifice where the appendage wall leaves the atrial wall.

Definition used here
--------------------
The EHRA/EAPCI consensus on catheter-based LAA occlusion (Glikson M et al., EuroIntervention
2020;15:1133-1180, section on pre-procedural CT) places the LAA ostium in the plane of the
orifice, from the left circumflex artery to the ridge (the fold between the appendage and
the left superior pulmonary vein), and measures the landing zone a little further in,
perpendicular to the appendage axis, at the depth the device instructions give. Neither the
circumflex artery nor the ridge's tip is part of an atrium mask, so twindesk uses the
geometric orifice those landmarks approximate:

* the *rim* is the curve on the atrium's surface where the appendage wall meets the
  atrial-body wall — where the surface stops being covered by the opened body of
  :mod:`twindesk.geometry.laa.region` (a ball rolling inside the body cannot enter the
  appendage, so it leaves the wall exactly at the crease around the orifice);
* the *ostium plane* is the least-squares plane of the rim, its normal pointing into the
  appendage; the *ostium contour* is the lumen's cut by that plane, closed across the
  orifice by the rim itself (never leaking into the atrial body, see
  :func:`appendage_region`).

The user may replace the plane (``landmarks.laa`` in the case, an undoable command); the
contour then is the cut by the user's plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry.laa.region import AppendageSplit
from twindesk.geometry.sections import LumenContour, lumen_contour, smooth_field
from twindesk.imaging.blood import bbox_slices
from twindesk.imaging.grid import Grid, sample, sub_grid
from twindesk.imaging.reslice import plane_frame, unit

DEFINITION = (
    "Orifice plane (EHRA/EAPCI consensus, Glikson et al., EuroIntervention 2020;15:1133, "
    "approximated geometrically without the circumflex artery and ridge landmarks): the "
    "least-squares plane of the rim where the appendage wall leaves the atrial-body wall "
    "(the body being the atrium opened with a ball too wide to enter the appendage); the "
    "contour is the lumen cut by this plane, closed across the orifice by the rim; the "
    "normal points into the appendage.")


@dataclass(frozen=True)
class OstiumPlane:
    """A plane (LPS mm) with its unit normal pointing into the appendage."""

    center_lps_mm: tuple[float, float, float]
    normal_lps: tuple[float, float, float]
    source: str = "auto"

    @property
    def center(self) -> np.ndarray:
        return np.asarray(self.center_lps_mm, float)

    @property
    def normal(self) -> np.ndarray:
        return np.asarray(self.normal_lps, float)

    def height_mm(self, points_lps_mm) -> np.ndarray:
        """Signed distance of points from the plane, positive into the appendage."""
        return (np.atleast_2d(points_lps_mm) - self.center) @ self.normal

    def moved(self, shift_mm: float = 0.0, tilt_axis_lps=None, tilt_deg: float = 0.0,
              source: str | None = None) -> OstiumPlane:
        """The plane shifted along its normal and/or tilted about an in-plane axis through
        its centre (Rodrigues' rotation)."""
        n = self.normal
        if tilt_axis_lps is not None and tilt_deg:
            k = unit(tilt_axis_lps)
            t = np.radians(tilt_deg)
            n = n * np.cos(t) + np.cross(k, n) * np.sin(t) + k * (k @ n) * (1 - np.cos(t))
        c = self.center + shift_mm * self.normal
        return OstiumPlane(tuple(float(v) for v in c), tuple(float(v) for v in unit(n)),
                           source or self.source)


def rim_curve(split: AppendageSplit) -> tuple[np.ndarray, np.ndarray]:
    """Points of the rim (LPS mm) and the curve length each stands for (mm).

    The atrium's 0.5 iso-surface (of the lightly smoothed mask) near the appendage gets the
    share ``a = C / (C + B)`` of appendage (C) against body (B), both smoothed indicators;
    the rim is the ``a = 0.5`` line on that surface (sub-voxel). Pieces shorter than a
    quarter of the longest are dropped (voxel noise near other offshoots).
    """
    from twindesk.geometry import vtk_classes as vtk
    from scipy import ndimage as ndi
    from vtkmodules.util import numpy_support as ns

    from twindesk.geometry.surface import iso_surface

    g = split.grid
    pad = int(np.ceil(4.0 / min(g.spacing_mm))) + 2
    sl = bbox_slices(split.appendage, pad=pad)
    gs = sub_grid(g, sl)
    field = smooth_field(split.atrium[sl], gs)
    poly = iso_surface(field, gs, 0.5)
    if poly.GetNumberOfPoints() == 0:
        raise InputError("the appendage has no surface", "check the left-atrium mask")
    pts = ns.vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
    idx = gs.lps_to_zyx(pts)
    sigma = 0.8
    c = sample(ndi.gaussian_filter(split.appendage[sl].astype(np.float32), sigma), idx)
    b = sample(ndi.gaussian_filter(split.body[sl].astype(np.float32), sigma), idx)
    total = c + b
    share = np.where(total > 0.02, c / np.maximum(total, 1e-6), 0.0)
    poly.GetPointData().SetScalars(ns.numpy_to_vtk(share.astype(np.float64), deep=True))
    cont = vtk.vtkContourFilter()
    cont.SetInputData(poly)
    cont.SetValue(0, 0.5)
    strip = vtk.vtkStripper()
    strip.SetInputConnection(cont.GetOutputPort())
    strip.JoinContiguousSegmentsOn()
    strip.Update()
    out = strip.GetOutput()
    if out.GetNumberOfPoints() < 8:
        raise InputError("could not find the appendage ostium (no rim between appendage "
                         "and atrial body)", "place the ostium plane by hand")
    p = ns.vtk_to_numpy(out.GetPoints().GetData()).astype(float)
    lines, ids = out.GetLines(), vtk.vtkIdList()
    lines.InitTraversal()
    pieces = []
    while lines.GetNextCell(ids):
        chain = np.array([ids.GetId(k) for k in range(ids.GetNumberOfIds())])
        seg = np.linalg.norm(np.diff(p[chain], axis=0), axis=1)
        if len(chain) >= 2:
            pieces.append((float(seg.sum()), chain, seg))
    longest = max(pc[0] for pc in pieces)
    pts_out, w_out = [], []
    for length, chain, seg in pieces:
        if length >= 0.25 * longest:
            pts_out.append(0.5 * (p[chain[1:]] + p[chain[:-1]]))
            w_out.append(seg)
    return np.vstack(pts_out), np.concatenate(w_out)


def fit_plane(points: np.ndarray, weights: np.ndarray, toward_lps_mm) -> OstiumPlane:
    """Weighted least-squares plane of the rim, normal toward ``toward_lps_mm``."""
    w = np.asarray(weights, float) / np.sum(weights)
    c = (w[:, None] * points).sum(axis=0)
    d = (points - c) * np.sqrt(w)[:, None]
    _, _, vt = np.linalg.svd(d, full_matrices=False)
    n = vt[2]
    if (np.asarray(toward_lps_mm, float) - c) @ n < 0:
        n = -n
    return OstiumPlane(tuple(float(v) for v in c), tuple(float(v) for v in n), "auto")


def polygon_in_plane(points: np.ndarray, plane: OstiumPlane) -> np.ndarray:
    """Rim points projected into the plane's ``(u, v)`` coordinates (mm), ordered by angle
    about their mean: the orifice as a closed polygon."""
    u, v, _ = plane_frame(plane.normal)
    d = points - plane.center
    ab = np.column_stack([d @ u, d @ v])
    m = ab.mean(axis=0)
    order = np.argsort(np.arctan2(ab[:, 1] - m[1], ab[:, 0] - m[0]))
    return ab[order]


@dataclass
class AppendageRegion:
    """The appendage lumen closed across its orifice (``mask`` and its smoothed ``field``
    on ``grid``), the auto plane it was built on and the orifice polygon."""

    grid: Grid
    mask: np.ndarray
    field: np.ndarray
    plane: OstiumPlane
    polygon_uv_mm: np.ndarray

    @property
    def orifice_radius_mm(self) -> float:
        return float(np.max(np.linalg.norm(self.polygon_uv_mm - self.polygon_uv_mm.mean(0),
                                           axis=1)))

    def section(self, plane: OstiumPlane, pick_lps_mm=None) -> LumenContour | None:
        """The lumen contour cut by ``plane`` (None when the plane misses the lumen)."""
        half = max(20.0, 1.6 * self.orifice_radius_mm + 6.0)
        return lumen_contour(self.field, self.grid, plane.center, plane.normal,
                             half_size_mm=half, step_mm=0.25,
                             pick_lps_mm=plane.center if pick_lps_mm is None else pick_lps_mm)


def appendage_region(split: AppendageSplit, plane: OstiumPlane, rim_points: np.ndarray,
                     back_mm: float = 3.0) -> AppendageRegion:
    """The appendage lumen plus the *orifice plug*: the atrium voxels inside the prism over
    the orifice polygon (along the plane's normal, from ``back_mm`` behind the plane to the
    opening ball's radius in front of it). Cuts near the ostium then follow the appendage
    wall where it is distal to the cut and the rim where the atrial body is, so they never
    leak into the body."""
    from matplotlib.path import Path as MplPath
    from scipy import ndimage as ndi

    g = split.grid
    poly = polygon_in_plane(rim_points, plane)
    u, v, n = plane_frame(plane.normal)
    reach = float(np.max(np.linalg.norm(poly, axis=1))) + split.ball_radius_mm + back_mm
    cand = np.argwhere(split.atrium)
    p = g.zyx_to_lps(cand.astype(float))
    d = p - plane.center
    h = d @ n
    near = (h >= -back_mm) & (h <= split.ball_radius_mm) & \
        (np.linalg.norm(d - h[:, None] * n, axis=1) <= reach)
    inside = np.zeros(len(cand), bool)
    if np.any(near):
        ab = np.column_stack([d[near] @ u, d[near] @ v])
        inside[near] = MplPath(poly).contains_points(ab)
    plug = np.zeros_like(split.atrium)
    plug[tuple(cand[inside].T)] = True
    mask = split.atrium & (split.appendage | plug)
    lab, _ = ndi.label(mask)
    keep = np.unique(lab[split.appendage & mask])
    mask = np.isin(lab, keep[keep > 0])
    return AppendageRegion(g, mask, smooth_field(mask, g), plane, poly)
