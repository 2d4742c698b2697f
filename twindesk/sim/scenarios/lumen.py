"""The post-TAVR lumen of a device scenario (``twindesk scenario lumen``).

After a transcatheter valve is deployed, the native leaflets are pinned between the frame
and the aortic wall, so blood flows only inside the frame from its inflow edge up to the
leaflets' free edges (the commissure height); above that the sinuses and the ascending
aorta are open again. The lumen mask of the scenario is therefore the aorta mask with every
voxel removed whose centre lies, within that axial range, outside the deployed frame's
cross-section.

The cross-section comes from the stored deployed frame (``result:place:<device>:<size>``,
VTP of beam nodes, point data ``lattice_level``): in the frame's own axis (the line fitted
through the centroids of its lattice rings), each ring's vertex nodes sorted by azimuth form
a star-shaped polygon; between two rings the boundary radius at an azimuth is interpolated
linearly in height. The resulting mask is meshed with the aorta's flow-mesh code (same
caps, same inlet/outlet labels) and stored as ``mesh:aorta@<scenario>`` and
``mesh_boundary:aorta@<scenario>``, which :func:`twindesk.sim.pulsatile.case_job.scenario_mesh`
then uses for the scenario's 3D flow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import CaseError, InputError
from twindesk.jobs import CancelToken, ProgressReporter


@dataclass(frozen=True)
class FrameSections:
    """The deployed frame's lumen in its own axis frame.

    ``origin_lps_mm`` is the annulus centre projected on the frame axis ``axis_lps`` (unit,
    pointing from the ventricle into the aorta); ``e1_lps``/``e2_lps`` span the cross-section
    plane. Per ring (sorted by height): ``height_mm`` above the annulus along the axis, and
    the polygon vertices' azimuth ``theta_rad`` (sorted, in ``[-pi, pi)``) and radius
    ``radius_mm``.
    """

    origin_lps_mm: np.ndarray
    axis_lps: np.ndarray
    e1_lps: np.ndarray
    e2_lps: np.ndarray
    height_mm: np.ndarray
    theta_rad: tuple[np.ndarray, ...]
    radius_mm: tuple[np.ndarray, ...]

    @property
    def extent_mm(self) -> tuple[float, float]:
        """Lowest and highest ring height above the annulus (mm)."""
        return float(self.height_mm[0]), float(self.height_mm[-1])

    def ring_area_mm2(self, i: int) -> float:
        """Area of ring ``i``'s polygon (mm²)."""
        t, r = self.theta_rad[i], self.radius_mm[i]
        x, y = r * np.cos(t), r * np.sin(t)
        return float(0.5 * abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)))

    def ring_radius_at(self, i: int, theta_rad: np.ndarray) -> np.ndarray:
        """Distance from the axis to ring ``i``'s polygon along azimuth ``theta_rad``."""
        t, r = self.theta_rad[i], self.radius_mm[i]
        p = np.c_[r * np.cos(t), r * np.sin(t)]
        q = np.roll(p, -1, axis=0)
        tt = np.append(t, t[0] + 2 * np.pi)
        th = np.asarray(theta_rad, float)
        th = np.where(th < t[0], th + 2 * np.pi, th)          # into [t0, t0 + 2 pi)
        k = np.clip(np.searchsorted(tt, th, side="right") - 1, 0, len(t) - 1)
        a, d = p[k], q[k] - p[k]
        u = np.c_[np.cos(th), np.sin(th)]
        # ray t*u meets the chord a + λ d: t = (a × d) / (u × d)
        return (a[:, 0] * d[:, 1] - a[:, 1] * d[:, 0]) / (u[:, 0] * d[:, 1] - u[:, 1] * d[:, 0])


def frame_sections(points_lps_mm, level, annulus_center_lps_mm, axis_hint_lps
                   ) -> FrameSections:
    """Rings of the deployed frame (vertex nodes, ``level`` ≥ 0) in the frame's axis frame.

    The axis is the least-squares line through the ring centroids (the frame may sit tilted
    from the annulus normal ``axis_hint_lps``, which only fixes the axis's sense; with one
    ring the hint is the axis).
    """
    pts = np.asarray(points_lps_mm, float)
    level = np.asarray(level, np.int64)
    ids = np.unique(level[level >= 0])
    if len(ids) < 2:
        raise CaseError(f"the stored frame has {len(ids)} lattice ring(s)",
                        "place the device again (twindesk place)")
    cent = np.array([pts[level == i].mean(axis=0) for i in ids])
    hint = np.asarray(axis_hint_lps, float)
    hint = hint / np.linalg.norm(hint)
    mid = cent.mean(axis=0)
    axis = np.linalg.svd(cent - mid)[2][0]
    axis = axis if axis @ hint >= 0 else -axis
    origin = mid + ((np.asarray(annulus_center_lps_mm, float) - mid) @ axis) * axis
    e1 = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    heights, thetas, radii = [], [], []
    for i in ids:
        d = pts[level == i] - origin
        x, y = d @ e1, d @ e2
        th = np.arctan2(y, x)
        o = np.argsort(th)
        heights.append(float((d @ axis).mean()))
        thetas.append(th[o])
        radii.append(np.hypot(x, y)[o])
    o = np.argsort(heights)
    return FrameSections(origin, axis, e1, e2, np.asarray(heights)[o],
                         tuple(thetas[j] for j in o), tuple(radii[j] for j in o))


def restrict_to_frame(mask: np.ndarray, grid, frame: FrameSections, top_mm: float
                      ) -> tuple[np.ndarray, dict[str, Any]]:
    """``mask`` (bool ``[z, y, x]`` on ``grid``) without the voxels outside the frame between
    its lowest ring and ``min(top_mm, highest ring)`` above the annulus, in the piece of that
    slab the frame axis runs through (other vessels crossing the same heights are kept);
    pieces cut off from the largest remaining one are dropped too. Returns (new mask,
    statistics)."""
    from scipy import ndimage

    lo, hi = frame.extent_mm[0], min(frame.extent_mm[1], float(top_mm))
    if hi <= lo:
        raise InputError(f"the commissure height {top_mm:g} mm is below the frame's inflow "
                         f"edge ({lo:.1f} mm above the annulus)",
                         "check the root measurement (twindesk measure) and the placement")
    idx = np.argwhere(mask)
    p = grid.zyx_to_lps(idx) - frame.origin_lps_mm
    s = p @ frame.axis_lps
    sel = (s >= lo) & (s <= hi)
    # Only the lumen the frame sits in: the slab of heights also crosses other vessels (the
    # descending aorta runs beside the root), which are separate pieces within the slab.
    slab = np.zeros(mask.shape, bool)
    slab[tuple(idx[sel].T)] = True
    pieces, _n = ndimage.label(slab)
    x, y = p[sel] @ frame.e1_lps, p[sel] @ frame.e2_lps
    near = np.hypot(x, y) <= 0.5 * min(float(r.min()) for r in frame.radius_mm)
    own = np.unique(pieces[tuple(idx[sel][near].T)])
    if not len(own):
        raise InputError("the deployed frame's axis does not run through the aorta lumen",
                         "check the segmentation and place the device again (twindesk place)")
    sel[sel] = np.isin(pieces[tuple(idx[sel].T)], own)
    x, y, ss = p[sel] @ frame.e1_lps, p[sel] @ frame.e2_lps, s[sel]
    th, r = np.arctan2(y, x), np.hypot(x, y)
    k = np.clip(np.searchsorted(frame.height_mm, ss, side="right") - 1, 0,
                len(frame.height_mm) - 2)
    limit = np.empty(len(ss))
    for j in np.unique(k):
        m = k == j
        h0, h1 = frame.height_mm[j], frame.height_mm[j + 1]
        w = np.clip((ss[m] - h0) / max(h1 - h0, 1e-9), 0.0, 1.0)
        limit[m] = ((1 - w) * frame.ring_radius_at(j, th[m])
                    + w * frame.ring_radius_at(j + 1, th[m]))
    out = mask.copy()
    drop = idx[sel][r > limit]
    out[tuple(drop.T)] = False
    pinned = len(drop)
    # pieces the restriction cut off (a sinus pocket below the frame's inflow edge) hold no
    # flow: of each piece of the input mask keep only the largest remaining part
    lab, n = ndimage.label(out)
    if n > 1:
        before, _ = ndimage.label(mask)
        sizes = np.bincount(lab.ravel(), minlength=n + 1)
        first = ndimage.minimum_position(lab, lab, np.arange(1, n + 1))
        parent = np.array([before[tuple(f)] for f in first])
        keep = np.zeros(n + 1, bool)
        for par in np.unique(parent):
            ids = np.flatnonzero(parent == par) + 1
            keep[ids[np.argmax(sizes[ids])]] = True
        out = keep[lab]
    vox = grid.voxel_volume_mm3
    stats = {"frame_range_mm": [round(lo, 2), round(hi, 2)],
             "frame_rings": int(len(frame.height_mm)),
             "frame_area_mm2": [round(frame.ring_area_mm2(i), 1)
                                for i in range(len(frame.height_mm))],
             "removed_voxels": int(mask.sum() - out.sum()),
             "pinned_voxels": int(pinned),
             "native_volume_ml": round(float(mask.sum()) * vox / 1000.0, 3),
             "lumen_volume_ml": round(float(out.sum()) * vox / 1000.0, 3)}
    return out, stats


# ----------------------------------------------------------------------------- case job
@dataclass(frozen=True)
class LumenParams:
    """Build the deployed-frame lumen of scenario ``scenario`` (structure ``aorta``)."""

    case_path: Path
    scenario: str
    structure: str = "aorta"
    preset: str = "flow"
    edge_mm: float | None = None


def stored_placement(case, device_id: str, size_mm: float):
    """(index record, metrics, frame points LPS mm, lattice level) of the case's placement
    of ``device_id`` at ``size_mm``; :class:`InputError` naming ``twindesk place`` if none."""
    from twindesk.geometry.surface import read_polydata
    from twindesk.sim.tavr.place_job import DOC_KEY, key_of

    index = (case.doc.get(DOC_KEY) or {}).get(key_of(device_id, size_mm))
    if index is None:
        raise InputError(f"case {case.path} has no placement of {device_id} {size_mm:g} mm",
                         f"run twindesk place {case.path} --device {device_id} "
                         f"--size {size_mm:g} first")
    keys = index["artifacts"]
    metrics = case.read_json(keys["metrics"])
    poly = read_polydata(case.artifact_path(keys["frame"]))
    from vtkmodules.util import numpy_support as ns

    pts = ns.vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
    arr = poly.GetPointData().GetArray("lattice_level")
    if arr is None:
        raise CaseError(f"'{keys['frame']}' has no lattice_level point data",
                        f"run twindesk place {case.path} --device {device_id} "
                        f"--size {size_mm:g} again")
    return index, metrics, pts, ns.vtk_to_numpy(arr).astype(np.int64)


def lumen_case(case, params: LumenParams, progress=None, cancel: CancelToken | None = None
               ) -> dict[str, Any]:
    """Build and store the scenario's lumen mesh in an open, writable case (saves it)."""
    from twindesk.geometry.jobs import MeshJob, mesh_case
    from twindesk.imaging import labels
    from twindesk.imaging.grid import Grid
    from twindesk.sim.lumped.store import scenario_names
    from twindesk.sim.scenarios.define import device_of

    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    if params.scenario not in scenario_names(case.doc):
        raise InputError(f"case {case.path} has no scenario '{params.scenario}'",
                         "list them with 'twindesk scenario list CASE'")
    dev = device_of(case.doc, params.scenario)
    if not dev:
        raise InputError(f"scenario '{params.scenario}' has no device",
                         f"define one with 'twindesk scenario add {case.path} NAME --device "
                         "ID --size MM'")
    index, metrics, pts, level = stored_placement(case, dev["id"], float(dev["size_mm"]))
    pl, anat = metrics["placement"], metrics["anatomy"]
    rep(0.0, "deployed frame lumen")
    frame = frame_sections(pts, level, pl["axis_point_lps_mm"], pl["axis_direction_lps"])
    if case.artifact(labels.key(params.structure)) is None:
        raise InputError(f"case {case.path} has no {params.structure} segmentation",
                         f"run 'twindesk segment {case.path} --structure {params.structure}'")
    mask = labels.load(case, params.structure)
    lumen, stats = restrict_to_frame(mask, Grid.of(case.image()), frame,
                                     float(anat["commissure_height_mm"]))
    if cancel is not None:
        cancel.check()
    suffix = f"@{params.scenario}"
    meta = {"scenario": params.scenario, "device": dev["id"], "size_mm": dev["size_mm"],
            "source_placement_sha256": (case.artifact(index["artifacts"]["frame"]) or {})
            .get("sha256"), "lumen": "deployed frame up to the commissure height"}
    mesh = mesh_case(case, MeshJob(params.case_path, params.structure, params.preset,
                                   params.edge_mm), rep.sub(0.05, 1.0), cancel,
                     mask=lumen, suffix=suffix, meta=meta)
    name = f"{params.structure}{suffix}"
    return {"case": str(params.case_path), "scenario": params.scenario,
            "device": {"id": dev["id"], "size_mm": dev["size_mm"],
                       "placement": index["artifacts"]["metrics"],
                       "model": index.get("model")},
            "commissure_height_mm": float(anat["commissure_height_mm"]),
            "lumen": stats, "mesh": mesh["mesh"], "regions": mesh["regions"],
            "artifacts": {"mesh": f"mesh:{name}", "mesh_boundary": f"mesh_boundary:{name}",
                          "surface": f"surface:{name}"},
            "seconds": round(time.perf_counter() - t0, 2)}


def run(params: LumenParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """:func:`lumen_case` on the case at ``params.case_path``."""
    from twindesk.model.case import Case

    with Case.open(params.case_path, write=True, require_write=True) as case:
        return lumen_case(case, params, progress, cancel)
