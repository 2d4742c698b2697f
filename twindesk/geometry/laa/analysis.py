"""Left atrial appendage analysis from an atrium mask: the numbers ``twindesk laa`` prints.

:func:`analyse` runs the steps of this package on a bool mask of the left atrium with its
appendage (``labels:la``, or a surface voxelised by :mod:`twindesk.geometry.laa.voxelize`):

1. body and appendage (:mod:`.region`);
2. the ostium: rim, plane, contour (:mod:`.ostium`), or the user's plane;
3. axis, depths, bend, lobes, morphology (:mod:`.shape`);
4. the landing zone of each occluder family, perpendicular to the axis at the family's
   documented depth below the ostium;
5. intervals (:mod:`.intervals`) from re-measuring with perturbed ostium planes and the
   half-voxel edge.

The result is a JSON-ready dict (LPS mm; every measured number an interval
``{"value", "low", "high", "unit"}``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry.laa import intervals as iv
from twindesk.geometry.laa.ostium import (DEFINITION, AppendageRegion, OstiumPlane,
                                          appendage_region, fit_plane, rim_curve)
from twindesk.geometry.laa.region import AppendageSplit, RegionParams, split_appendage
from twindesk.geometry.laa.shape import (MORPHOLOGY_RULE, Shape, ShapeParams, bend, classify,
                                         analyse_shape)
from twindesk.geometry.sections import LumenContour
from twindesk.imaging.grid import Grid
from twindesk.imaging.reslice import plane_frame
from twindesk.jobs.core import CancelToken, ProgressReporter


@dataclass(frozen=True)
class LAAParams:
    """What to analyse and how.

    ``user_plane`` replaces the automatic ostium plane; ``landing_zones`` lists
    ``(device_id, depth_mm)`` of the occluder families (depth below the ostium along the
    axis); ``tilt_deg`` is the ostium-plane tilt of the intervals.
    """

    region: RegionParams = RegionParams()
    shape: ShapeParams = ShapeParams()
    user_plane: OstiumPlane | None = None
    landing_zones: tuple[tuple[str, float], ...] = ()
    tilt_deg: float = 5.0


@dataclass
class LAAResult:
    """Everything :func:`analyse` found; ``data`` is the JSON-ready summary."""

    split: AppendageSplit
    region: AppendageRegion
    auto_plane: OstiumPlane
    plane: OstiumPlane
    ostium: LumenContour
    shape: Shape
    data: dict = field(default_factory=dict)


def _vec(v, nd: int = 4) -> list[float]:
    return [round(float(x), nd) for x in np.asarray(v, float).ravel()]


def contour_numbers(c: LumenContour | None) -> dict[str, float] | None:
    """The scalar measurements of a contour (mm, mm²)."""
    if c is None:
        return None
    return {"min_diameter_mm": c.diameter_min_mm, "max_diameter_mm": c.diameter_max_mm,
            "mean_diameter_mm": 0.5 * (c.diameter_min_mm + c.diameter_max_mm),
            "area_derived_diameter_mm": c.diameter_area_mm,
            "perimeter_derived_diameter_mm": c.diameter_perimeter_mm,
            "perimeter_mm": c.perimeter_mm, "area_mm2": c.area_mm2,
            "eccentricity": c.eccentricity}


def contour_json(c: LumenContour, perturbed: list[LumenContour | None], half_voxel: float
                 ) -> dict:
    """Contour measurements with intervals (module :mod:`.intervals`) and its geometry."""
    nom = contour_numbers(c)
    samples = [contour_numbers(p) for p in perturbed]
    out = {}
    for key, value in nom.items():
        vals = [s[key] for s in samples if s is not None]
        if key == "eccentricity":
            out[key] = iv.combined(value, vals, 0.0, "1")
        elif key == "area_mm2":
            out[key] = iv.combined(value, vals, iv.edge("area", half_voxel, c.perimeter_mm),
                                   "mm2")
        elif key == "perimeter_mm":
            out[key] = iv.combined(value, vals, iv.edge("perimeter", half_voxel))
        else:
            out[key] = iv.combined(value, vals, iv.edge("diameter", half_voxel))
    out.update({"center_lps_mm": _vec(c.centroid_lps_mm, 3), "normal_lps": _vec(c.normal_lps),
                "major_axis_lps": _vec(c.direction_max_lps),
                "minor_axis_lps": _vec(c.direction_min_lps),
                "contour_lps_mm": [_vec(p, 2) for p in c.points_lps_mm[::2]]})
    return out


def perturbed_planes(plane: OstiumPlane, voxel_mm: float, tilt_deg: float
                     ) -> list[tuple[float, OstiumPlane]]:
    """``(shift_mm, plane)``: the plane shifted by one voxel either way along its normal,
    and tilted by ``tilt_deg`` either way about its two in-plane axes."""
    u, v, _ = plane_frame(plane.normal)
    out = [(s, plane.moved(s)) for s in (-voxel_mm, voxel_mm)]
    out += [(0.0, plane.moved(tilt_axis_lps=a, tilt_deg=t)) for a in (u, v)
            for t in (-tilt_deg, tilt_deg)]
    return out


def _section_at_arc(region: AppendageRegion, shape: Shape, arc_mm: float):
    c = shape.point_at(arc_mm)
    n = shape.tangent_at(arc_mm)
    return region.section(OstiumPlane(tuple(c), tuple(n)))


def _landing_zone(region, shape, plane, device_id, depth_mm, perturbed, half_voxel):
    arc = depth_mm
    if arc < 0 or arc > shape.axis.arc_length_mm[-1]:
        return None
    nom = _section_at_arc(region, shape, arc)
    if nom is None:
        return None
    pert = [_section_at_arc(region, shape, arc + s) for s, _ in perturbed if s]
    out = {"device_id": device_id, "depth_mm": float(depth_mm)}
    out.update(contour_json(nom, pert, half_voxel))
    return out


def _lobes_json(shape: Shape, half_voxel: float) -> list[dict]:
    dom = {"name": "dominant", "length_mm": iv.interval(shape.depth_mm, half_voxel, half_voxel),
           "tip_lps_mm": _vec(shape.axis.points_lps_mm[-1], 2),
           "max_diameter_mm": iv.interval(float(np.nanmax(shape.axis.diameter_area_mm)),
                                          2 * half_voxel, 2 * half_voxel)}
    out = [dom]
    for k, lobe in enumerate(shape.lobes):
        out.append({"name": f"secondary-{k + 1}",
                    "distance_from_ostium_mm": iv.interval(lobe.distance_from_ostium_mm,
                                                           half_voxel, half_voxel),
                    "length_mm": iv.interval(lobe.length_mm, 2 * half_voxel, 2 * half_voxel),
                    "diameter_mm": iv.interval(lobe.diameter_mm, 2 * half_voxel,
                                               2 * half_voxel),
                    "tip_lps_mm": _vec(lobe.tip_lps_mm, 2),
                    "direction_lps": _vec(lobe.direction_lps)})
    return out


def analyse(atrium: np.ndarray, grid: Grid, params: LAAParams = LAAParams(),
            open_mask: np.ndarray | None = None, progress=None,
            cancel: CancelToken | None = None) -> LAAResult:
    """Analyse the appendage of ``atrium`` (bool ``[z, y, x]`` on ``grid``); see the module
    docstring. Raises :class:`InputError` when no appendage or ostium can be found."""
    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    rep(0.0, "appendage and atrial body")
    split = split_appendage(atrium, grid, params.region, open_mask)
    rep(0.25, "ostium")
    rim, weights = rim_curve(split)
    app_centroid = split.grid.zyx_to_lps(np.argwhere(split.appendage).mean(axis=0))[0]
    auto = fit_plane(rim, weights, app_centroid)
    plane = params.user_plane or auto
    back = 3.0 + max(0.0, -float(auto.height_mm(plane.center)[0]))
    region = appendage_region(split, auto, rim, back_mm=back)
    ostium = region.section(plane)
    if ostium is None:
        raise InputError("the ostium plane does not cut the appendage",
                         "move the ostium plane onto the appendage's orifice")
    # centre the plane on the contour (the rim's mean lies off-centre on skewed orifices)
    plane = OstiumPlane(tuple(float(v) for v in ostium.centroid_lps_mm), plane.normal_lps,
                        plane.source)
    if cancel is not None:
        cancel.check()
    rep(0.4, "axis, depth and lobes")
    shape = analyse_shape(region, plane, params.shape, cancel)
    rep(0.85, "intervals")
    vox = split.voxel_mm
    half = 0.5 * vox
    pert = perturbed_planes(plane, vox, params.tilt_deg)
    pert_ostia = [region.section(p) for _, p in pert]
    data: dict = {
        "ostium": {"source": plane.source, "definition": DEFINITION,
                   **contour_json(ostium, pert_ostia, half)},
        "auto_ostium_plane": {"center_lps_mm": _vec(auto.center, 3),
                              "normal_lps": _vec(auto.normal)},
        "rim_lps_mm": [_vec(p, 2) for p in rim[:: max(1, len(rim) // 120)]],
    }
    data["ostium"]["center_lps_mm"] = _vec(plane.center, 3)
    data["ostium"]["normal_lps"] = _vec(plane.normal)
    zones = [_landing_zone(region, shape, plane, dev, d, pert, half)
             for dev, d in params.landing_zones]
    data["landing_zones"] = [z for z in zones if z is not None]
    data["landing_zone"] = data["landing_zones"][0] if data["landing_zones"] else None
    shifts = [s for s, _ in pert if s]
    data["depth_mm"] = iv.combined(shape.depth_mm, [shape.depth_mm - s for s in shifts],
                                   half)
    data["depth_perpendicular_mm"] = iv.combined(
        shape.depth_perpendicular_mm, [shape.depth_perpendicular_mm - s for s in shifts], half)
    data["depth_along_normal_mm"] = iv.combined(
        shape.depth_along_normal_mm, [shape.depth_along_normal_mm - s for s in shifts], half)
    bends = [bend(shape.axis, w, prox)[0]
             for w in (0.8 * params.shape.distal_window_mm, 1.2 * params.shape.distal_window_mm)
             for prox in (7.0, 13.0)]
    data["bend_deg"] = iv.combined(shape.bend_deg, bends, 0.0, "deg")
    data["bend_position_fraction"] = round(shape.bend_position_fraction, 3)
    data["axis"] = {"points_lps_mm": [_vec(p, 2) for p in shape.axis.points_lps_mm],
                    "arc_length_mm": _vec(shape.axis.arc_length_mm, 2),
                    "tangent_lps": [_vec(t) for t in shape.axis.tangent_lps],
                    "diameter_area_mm": _vec(shape.axis.diameter_area_mm, 2)}
    data["lobes"] = _lobes_json(shape, half)
    data["lobe_count"] = len(data["lobes"])
    max_d = data["ostium"]["max_diameter_mm"]
    morph, why = classify(shape.depth_mm, max_d["value"], shape.bend_deg,
                          shape.bend_position_fraction, shape.lobes)
    alt = {classify(d, m, b, shape.bend_position_fraction, shape.lobes)[0]
           for d in (data["depth_mm"]["low"], data["depth_mm"]["high"])
           for m in (max_d["low"], max_d["high"])
           for b in (data["bend_deg"]["low"], data["bend_deg"]["high"])}
    data.update({"morphology": morph, "morphology_reasons": why,
                 "morphology_rule": MORPHOLOGY_RULE,
                 "morphology_stable": alt == {morph},
                 "appendage_volume_ml": iv.interval(shape.volume_ml,
                                                    shape.surface_area_mm2 * half / 1e3,
                                                    shape.surface_area_mm2 * half / 1e3, "ml"),
                 "body": {"ball_radius_mm": round(split.ball_radius_mm, 2),
                          "center_lps_mm": _vec(split.center_lps_mm, 2)},
                 "protrusions": [p.as_dict() for p in split.protrusions],
                 "appendage_found_by": split.how,
                 "voxel_mm": vox,
                 "interval_method": (
                     f"ostium plane shifted +-{vox:.2f} mm and tilted +-{params.tilt_deg:g} deg "
                     f"(6 re-measurements) combined in quadrature with a +-{half:.2f} mm "
                     "edge position"),
                 "warnings": _warnings(shape, data, bool(params.landing_zones))})
    data["seconds"] = round(time.perf_counter() - t0, 2)
    rep(1.0, "done")
    return LAAResult(split, region, auto, plane, ostium, shape, data)


def _warnings(shape: Shape, data: dict, zones_requested: bool) -> list[str]:
    out = []
    max_d = data["ostium"]["max_diameter_mm"]["value"]
    if shape.depth_perpendicular_mm < 10.0:
        out.append(f"the appendage reaches only {shape.depth_perpendicular_mm:.1f} mm beyond "
                   "its ostium plane: "
                   "the model may contain only the appendage's trunk (check the "
                   "segmentation); occluders need a deeper landing zone")
    if zones_requested and not data["landing_zones"]:
        out.append("no landing zone: the appendage axis is shorter than the families' "
                   "landing-zone depth")
    if max_d < 10.0:
        out.append(f"ostium maximum diameter {max_d:.1f} mm is unusually small")
    return out
