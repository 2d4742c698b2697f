"""Ground truth of the phantom, computed from the analytic geometry (LPS mm).

Every number here comes from the shapes that also drew the image: contour perimeters and
areas from the analytic cross-sections (closed forms for ellipses), heights as projections
on the annulus normal, volumes of spheres; nothing is measured on the voxels except the
informative label volumes. Keys are documented in ``cases/README.md`` and
``twindesk/schemas/phantom_truth.schema.json``.
"""

from __future__ import annotations

import numpy as np

from twindesk.phantom.anatomy import STUB_LENGTH_MM, Anatomy
from twindesk.phantom.layers import LABELS
from twindesk.phantom.params import CUSPS, GENERATOR, GENERATOR_VERSION, generator_digest
from twindesk.phantom.raster import Grid
from twindesk.phantom.root import TWO_PI, ellipse_perimeter_mm
from twindesk.phantom.shapes import unit
from twindesk.phantom.tubes import resample_polyline

LVOT_DEPTH_MM = 4.0           # LVOT section this far below the annulus plane
ASCENDING_LEVEL_MM = 40.0     # ascending-aorta diameter this far above the annulus
CENTERLINE_STEP_MM = 1.0

WINDSOCK_RULE = (
    "Di Biase et al., J Am Coll Cardiol 2012;60:531-538: windsock = one dominant lobe of "
    "sufficient length as the primary structure, with secondary lobes arising from it. Rule "
    "used here: a single dominant lobe longer (axial depth) than the ostium's maximum "
    "diameter whose axis bends by less than 90 degrees; a bend of 90 degrees or more in the "
    "proximal or middle third would make it a chicken wing, secondary lobes on both sides of "
    "a central lobe a cactus, and no dominant lobe with a depth shorter than the ostium "
    "diameter a cauliflower.")


def _pt(p) -> list[float]:
    return [float(v) for v in np.asarray(p, float).ravel()[:3]]


def _pts(a) -> list[list[float]]:
    return [[float(v) for v in row] for row in np.asarray(a, float)]


def _section(root, h: float) -> dict:
    stats = root.section_stats(h)
    center = root.axis_point(h)
    a, b = (float(v) for v in root.semi_axes(h))
    out = {"height_mm": float(h), "center_lps_mm": _pt(center), **stats,
           "contour_lps_mm": _pts(root.contour(h, 360))}
    if stats["max_diameter_mm"] > 0:
        out["eccentricity"] = 1.0 - stats["min_diameter_mm"] / stats["max_diameter_mm"]
    return out, a, b


def annulus_truth(anat: Anatomy) -> dict:
    """Annulus (virtual basal ring) from the three hinge points."""
    root = anat.heart.root
    hinges = {k: root.hinge_point(k) for k in CUSPS}
    p1, p2, p3 = (hinges[k] for k in CUSPS)
    normal = unit(np.cross(p2 - p1, p3 - p1))
    if normal @ root.n < 0:          # orient from the LV into the aorta
        normal = -normal
    sec, a, b = _section(root, 0.0)
    sec.update({
        "hinge_points_lps_mm": {k: _pt(v) for k, v in hinges.items()},
        "normal_lps": _pt(normal),
        "plane": {"center_lps_mm": sec["center_lps_mm"], "normal_lps": _pt(normal)},
        "major_axis_lps": _pt(root.e_left), "minor_axis_lps": _pt(root.e_ant),
        "definition": "virtual basal ring: the plane through the three cusp nadirs (hinge "
                      "points); contour = lumen boundary in that plane (an exact ellipse)",
    })
    sec["perimeter_mm"] = ellipse_perimeter_mm(a, b)
    return sec


OPPOSITE = {"right": ("left", "non"), "left": ("non", "right"), "non": ("right", "left")}


def _sinus_chord(root, cusp: str, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Wall points at height ``h``: the cusp centre and the opposite commissure."""
    th = root.cusp_center_angle(cusp)
    th_c = root.commissure_pairs[OPPOSITE[cusp]]
    return (root.to_lps(h, th, root.wall_radius_at(h, th)),
            root.to_lps(h, th_c, root.wall_radius_at(h, th_c)))


def widest_sinus_level_mm(root, stj_height_mm: float) -> float:
    """Height of the sinus plane: where the mean of the three cusp-to-opposite-commissure
    diameters is largest (sinus diameters are read at the level of the sinuses' largest
    dimension, SCCT consensus, Blanke et al. 2019). This is above the peak of the bulge term
    (``sinus_peak_fraction``) because the base surface widens toward the STJ."""
    from scipy.optimize import minimize_scalar

    def neg_mean(h):
        return -np.mean([np.linalg.norm(np.subtract(*_sinus_chord(root, k, h))) for k in CUSPS])

    res = minimize_scalar(neg_mean, bounds=(1.0, stj_height_mm - 1.0), method="bounded",
                          options={"xatol": 1e-5})
    return float(res.x)


def root_truth(anat: Anatomy) -> dict:
    """Commissures, sinuses, STJ, ascending aorta, LVOT, septum point, LVOT cut."""
    h = anat.heart
    root, rp = h.root, anat.params.root
    lvot, _, _ = _section(root, -LVOT_DEPTH_MM)
    lvot["depth_below_annulus_mm"] = LVOT_DEPTH_MM
    comm = {f"{a}_{b}": {"point_lps_mm": _pt(root.commissure_point((a, b))),
                         "height_mm": rp.commissure_height_mm,
                         "angle_deg": float(np.degrees(root.commissure_pairs[(a, b)]))}
            for a, b in root.commissure_pairs}
    h_sin = widest_sinus_level_mm(root, rp.stj_height_mm)
    sinuses = {}
    for k in CUSPS:
        cusp_pt, comm_pt = _sinus_chord(root, k, h_sin)
        sinuses[k] = {"diameter_mm": float(np.linalg.norm(cusp_pt - comm_pt)),
                      "measured_at_height_mm": h_sin,
                      "cusp_point_lps_mm": _pt(cusp_pt),
                      "opposite_commissure": "_".join(OPPOSITE[k]),
                      "opposite_commissure_point_lps_mm": _pt(comm_pt),
                      "height_mm": rp.stj_height_mm,
                      "bulge_mm": float(rp.sinus_bulge_mm[CUSPS.index(k)]),
                      "center_angle_deg": float(np.degrees(root.cusp_center_angle(k)))}
    stj = root.section_stats(rp.stj_height_mm)
    s0 = h.annulus_s_mm
    at40 = h.aorta_cl.at(s0 + ASCENDING_LEVEL_MM)[0][0]
    # the ascending aorta: from the STJ to the origin of the first arch branch
    s_end = float(h.aorta_cl.project(anat.branch_stubs[0]["vessel"].cl.v[:1], 50.0)["s"][0])
    s_grid = np.arange(s0 + rp.stj_height_mm, s_end, 0.05)
    d_grid = root.diameter(s_grid - s0)
    k = int(np.argmax(d_grid))
    sep_th = root.commissure_pairs[("non", "right")]
    sep_h = -rp.membranous_septum_length_mm
    septum = root.to_lps(sep_h, sep_th, root.wall_radius_at(sep_h, sep_th))
    return {
        "lvot": lvot,
        "commissures": comm,
        "sinuses": sinuses,
        "stj": {"height_mm": rp.stj_height_mm, "diameter_mm": stj["area_derived_diameter_mm"],
                "center_lps_mm": _pt(root.axis_point(rp.stj_height_mm)),
                "perimeter_mm": stj["perimeter_mm"], "area_mm2": stj["area_mm2"]},
        "ascending_aorta": {
            "level_above_annulus_mm": ASCENDING_LEVEL_MM,
            "diameter_at_level_mm": float(root.diameter(ASCENDING_LEVEL_MM)),
            "center_at_level_lps_mm": _pt(at40),
            "max_diameter_mm": float(d_grid[k]),
            "max_at_arc_length_mm": float(s_grid[k] - s0),
            "max_center_lps_mm": _pt(h.aorta_cl.at(s_grid[k])[0][0]),
            "definition": "lumen diameter perpendicular to the centreline; arc length from "
                          "the annulus centre (the root is straight for "
                          f"{rp.straight_length_mm} mm, so arc length = height there)"},
        "membranous_septum": {
            "point_lps_mm": _pt(septum), "length_mm": rp.membranous_septum_length_mm,
            "definition": "inferior border of the membranous septum on the LVOT wall below "
                          "the non/right commissure; length = its distance below the annulus "
                          "plane"},
        "lvot_cut_plane": {
            "point_lps_mm": _pt(root.center), "normal_lps": _pt(root.n),
            "definition": "label 'aorta' holds the lumen on the normal's side (h >= 0), "
                          "'lv' the LVOT below; the same plane as the annulus"},
    }


def coronary_truth(anat: Anatomy) -> dict:
    h = anat.heart
    root = h.root
    out = {}
    for side, info in h.ostia.items():
        th, hc, r = info["theta"], info["h_center"], info["radius"]
        center = root.to_lps(hc, th, root.wall_radius_at(hc, th))
        lower = root.to_lps(hc - r, th, root.wall_radius_at(hc - r, th))
        out[side] = {
            "cusp": side,
            "center_lps_mm": _pt(center),
            "center_height_mm": float((center - root.center) @ root.n),
            "lower_edge_lps_mm": _pt(lower),
            "lower_edge_height_mm": float((lower - root.center) @ root.n),
            "diameter_mm": 2.0 * r,
            "direction_lps": _pt(info["direction"]),
            "angle_deg": float(np.degrees(th) % 360.0),
        }
    return out


def centerline_truth(anat: Anatomy, grid: Grid) -> dict:
    """Aortic centreline from the annulus centre to the bottom of the image."""
    h = anat.heart
    root, cl, s0 = h.root, h.aorta_cl, h.annulus_s_mm
    z_min = grid.origin_lps_mm[2]
    s_all = np.arange(s0, cl.length_mm, CENTERLINE_STEP_MM)
    pts, tan, _ = cl.at(s_all)
    last = np.nonzero(pts[:, 2] >= z_min)[0]
    # stop where the descending aorta leaves the image (the first exit after the arch)
    top = int(np.argmax(pts[:, 2]))
    below = np.nonzero((np.arange(len(pts)) > top) & (pts[:, 2] < z_min))[0]
    n = int(below[0]) if below.size else int(last[-1]) + 1
    s_all, pts, tan = s_all[:n], pts[:n], tan[:n]
    arc = s_all - s0
    r_area, d_min, d_max = [], [], []
    for a in arc:
        if a <= anat.params.root.straight_length_mm:
            st = root.section_stats(float(a), n_theta=720)
            r_area.append(st["area_derived_diameter_mm"] / 2)
            d_min.append(st["min_diameter_mm"])
            d_max.append(st["max_diameter_mm"])
        else:
            d = float(root.diameter(a))
            r_area.append(d / 2)
            d_min.append(d)
            d_max.append(d)
    r_area = np.asarray(r_area)
    return {"points_lps_mm": _pts(pts), "arc_length_mm": [float(v) for v in arc],
            "radius_mm": [float(v) for v in r_area],
            "diameter_area_mm": [float(2 * v) for v in r_area],
            "diameter_min_mm": [float(v) for v in d_min],
            "diameter_max_mm": [float(v) for v in d_max],
            "tangent_lps": _pts(tan),
            "definition": "true lumen axis (straight along the annulus normal through the "
                          "root, then the arch and descending aorta) from the annulus centre "
                          "to where it leaves the image; radius_mm = area-equivalent radius "
                          "of the section perpendicular to the axis; min/max diameters = "
                          "calipers through the axis"}


def laa_truth(anat: Anatomy) -> dict:
    h = anat.heart
    lp = anat.params.laa
    cl, s_in = h.laa_cl, h.laa_inner_len_mm
    major, minor = h.laa_semi
    o, nu = h.laa_ostium_center, h.laa_normal
    p0, t0, n0 = (x[0] for x in cl.at(s_in))
    b0 = np.cross(t0, n0)
    a, b = float(major(s_in)), float(minor(s_in))
    phi = np.linspace(0.0, TWO_PI, 360, endpoint=False)
    contour = o + a * np.cos(phi)[:, None] * n0 + b * np.sin(phi)[:, None] * b0
    r_tip = float(minor(cl.length_mm))
    t_end = cl.at(cl.length_mm)[1][0]
    apex = cl.v[-1] + r_tip * t_end
    axis = np.vstack([cl.v[cl.s >= s_in], apex[None]])
    axis = resample_polyline(axis, 1.0)
    depth = float(cl.length_mm - s_in + r_tip)
    # deepest lumen point from the ostium plane (analytic surface samples)
    s_smp = np.linspace(s_in, cl.length_mm, 200)
    cp, ct, cn = cl.at(s_smp)
    cb = np.cross(ct, cn)
    ang = np.linspace(0.0, TWO_PI, 72, endpoint=False)
    surf = (cp[:, None, :] + major(s_smp)[:, None, None] * np.cos(ang)[None, :, None] * cn[:, None]
            + minor(s_smp)[:, None, None] * np.sin(ang)[None, :, None] * cb[:, None])
    perp = max(float(((surf.reshape(-1, 3) - o) @ nu).max()), float((apex - o) @ nu))
    # the neck: the narrowest section in the first 12 mm
    near = np.where(s_smp < s_in + 12.0, major(s_smp) * minor(s_smp), np.inf)
    neck_s = float(s_smp[np.argmin(near)])
    bend = float(np.degrees(np.arccos(np.clip(t0 @ t_end, -1, 1))))
    lobe = h.laa_lobe_info
    ostium = {"center_lps_mm": _pt(o), "normal_lps": _pt(nu), "contour_lps_mm": _pts(contour),
              "max_diameter_mm": 2 * a, "min_diameter_mm": 2 * b, "mean_diameter_mm": a + b,
              "perimeter_mm": ellipse_perimeter_mm(a, b), "area_mm2": float(np.pi * a * b),
              "major_axis_lps": _pt(n0), "minor_axis_lps": _pt(b0),
              "definition": "plane where the appendage leaves the atrial body (the body lies "
                            f"entirely on the atrial side, {lp.ostium_gap_mm} mm away); "
                            "contour = exact ellipse; normal points into the appendage"}
    return {
        "ostium": ostium,
        "depth_mm": depth,
        "depth_perpendicular_mm": perp,
        "axis_lps_mm": _pts(axis),
        "axis_length_mm": float(cl.length_mm - s_in),
        "apex_lps_mm": _pt(apex),
        "neck": {"distance_from_ostium_mm": neck_s - s_in,
                 "max_diameter_mm": float(2 * major(neck_s)),
                 "min_diameter_mm": float(2 * minor(neck_s))},
        "bend_deg": bend,
        "morphology": "windsock",
        "morphology_rule": WINDSOCK_RULE,
        "lobes": [
            {"name": "dominant", "length_mm": depth, "tip_lps_mm": _pt(apex),
             "max_diameter_mm": float(2 * major(s_smp).max())},
            {"name": "secondary", "origin_lps_mm": _pt(lobe["origin"]),
             "direction_lps": _pt(lobe["direction"]),
             "distance_from_ostium_mm": lp.secondary_lobe_at_mm,
             "length_mm": lp.secondary_lobe_length_mm,
             "diameter_mm": lp.secondary_lobe_diameter_mm, "tip_lps_mm": _pt(lobe["tip"])},
        ],
    }


def calcium_truth(anat: Anatomy) -> dict:
    nodules = []
    by_cusp = {k: 0.0 for k in CUSPS}
    for c in anat.calcium_spheres():
        vol = 4.0 / 3.0 * np.pi * c["radius_mm"] ** 3
        by_cusp[c["cusp"]] += vol
        nodules.append({"cusp": c["cusp"], "center_lps_mm": _pt(c["center"]),
                        "radius_mm": c["radius_mm"], "volume_mm3": float(vol),
                        "height_above_annulus_mm": float(c["h"])})
    return {"nodules": nodules, "volume_mm3_by_cusp": by_cusp,
            "total_volume_mm3": float(sum(by_cusp.values())),
            "hu": anat.params.tissue.calcium_hu}


def vessels_truth(anat: Anatomy) -> dict:
    h = anat.heart

    def line(v):
        pts = resample_polyline(v.cl.v, 1.0)
        return {"points_lps_mm": _pts(pts),
                "radius_mm": [float(x) for x in v.radius(np.linspace(0, v.cl.length_mm,
                                                                       len(pts)))]}

    branches = []
    for s in anat.branch_stubs:
        v = s["vessel"]
        branches.append({"name": s["name"], "origin_lps_mm": _pt(s["exit_point"]),
                         "diameter_mm": float(2 * v.radius(0.0)),
                         "stub_length_mm": STUB_LENGTH_MM,
                         "stub_cut_point_lps_mm": _pt(s["cut_point"]),
                         "stub_cut_normal_lps": _pt(s["cut_normal"]), **line(v)})
    return {"arch_branches": branches,
            "coronary_centerlines": {v.name: line(v) for v in h.coronaries},
            "pulmonary_veins": {v.name: line(v) for v in h.pulmonary_veins}}


def build_truth(anat: Anatomy, grid: Grid, label_counts: dict[int, int] | None = None) -> dict:
    """The complete ground-truth document (JSON-ready)."""
    p = anat.params
    h = anat.heart
    ip = p.imaging
    image = {**grid.to_dict(), "psf": "isotropic Gaussian", "psf_fwhm_mm": ip.psf_fwhm_mm,
             "psf_sigma_mm": ip.psf_sigma_mm, "noise": "white Gaussian, added after the PSF",
             "noise_sd_hu": ip.noise_sd_hu, "seed": ip.seed,
             "phase_percent": ip.phase_percent, "trigger_time_ms": ip.trigger_time_ms,
             "heart_rate_bpm": ip.heart_rate_bpm, "patient_position": "HFS",
             "partial_volume": "occupancy clip(0.5 - d/h, 0, 1) from signed distance d"}
    truth = {
        "generator": GENERATOR, "generator_version": GENERATOR_VERSION,
        "generator_digest": generator_digest(),
        "frame": "LPS", "units": "mm",
        "parameters": p.to_dict(),
        "image": image,
        "labels": dict(LABELS),
        "hu": {k: v for k, v in p.to_dict()["tissue"].items()},
        "annulus": annulus_truth(anat),
        **root_truth(anat),
        "coronary_ostia": coronary_truth(anat),
        "aortic_centerline": centerline_truth(anat, grid),
        "calcium": calcium_truth(anat),
        "laa": laa_truth(anat),
        **vessels_truth(anat),
        "lv": {"apex_lps_mm": _pt(h.lv_apex), "base_center_lps_mm": _pt(h.lv_base),
               "long_axis_lps": _pt(h.lv_axis), "wall_thickness_mm": h.lv_wall_mm},
        "la": {"center_lps_mm": _pt(h.la_center)},
    }
    if label_counts is not None:
        voxel_ml = grid.spacing_mm ** 3 / 1000.0
        truth["label_volumes_ml"] = {name: label_counts.get(v, 0) * voxel_ml
                                     for name, v in LABELS.items()}
    return truth
