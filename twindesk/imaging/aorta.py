"""Aorta segmentation: root (from the LVOT-root junction) through the arch to the descending
aorta, arch branches trimmed to short stubs.

Method (classical, no trained model):

1. Seeds: round bright cross-sections of the ascending and descending aorta in axial slices
   (:mod:`twindesk.imaging.seeds`), or a user seed.
2. Thresholds from local statistics: the blood level around the seed and the soft-tissue
   level in a shell around the lumen give the half-maximum edge threshold
   (:mod:`twindesk.imaging.blood`); a lower level (a quarter of the way from tissue to blood)
   admits dimly opacified lumen such as the false lumen of a dissection.
3. Backbone: a distance-weighted minimal path through the contrast from the ascending to the
   descending aorta (the arch), extended by cross-section tracking down the descending aorta
   and down the ascending aorta into the left ventricle (:mod:`twindesk.imaging.tube`).
4. Root cut: along the proximal track the cross-section widens into the sinuses of Valsalva
   and narrows again at the annulus / LVOT before it opens into the ventricle; the cut is the
   narrowest section below the sinus maximum, perpendicular to the track (the "virtual basal
   ring" level of Kasel AM et al., JACC Cardiovasc Imaging 2013;6:249-62).
5. Lumen: a local half-maximum threshold inside a tube envelope around the backbone (radius
   from rays cast in each perpendicular section; a dissection flap does not stop a ray),
   holes filled and flaps bridged by a small closing; branches leave the envelope and are
   added back as stubs of ``stub_length_mm`` cut perpendicular to their own axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging import blood, tubemask
from twindesk.imaging.grid import Grid
from twindesk.imaging.reslice import unit
from twindesk.imaging.seeds import find_aorta_seeds
from twindesk.imaging.tube import Track, minimal_path, ray_lengths, track
from twindesk.jobs import CancelToken, ProgressReporter

STEP_MM = 2.0  # backbone sample spacing
#: Envelope radius = ENVELOPE_SCALE x the section's median ray length + ENVELOPE_MARGIN_MM.
ENVELOPE_SCALE = 1.2
ENVELOPE_MARGIN_MM = 2.5
SINUS_WINDOW_MM = 40.0
N_RAYS = 48
STAR_MARGIN_MM = 1.5  # beyond the first exit from the bright lumen; the threshold decides  # how far above the ventricle the sinuses are searched


@dataclass(frozen=True)
class AortaParams:
    """Parameters of :func:`segment_aorta` (lengths in mm, points LPS mm)."""

    seed_lps_mm: tuple[float, float, float] | None = None
    stub_length_mm: float = 10.0
    min_branch_radius_mm: float = 2.5
    closing_mm: float = 2.0


@dataclass(frozen=True)
class RootCut:
    """The LVOT-root junction plane; ``normal_lps`` points from the ventricle into the aorta."""

    center_lps_mm: np.ndarray
    normal_lps: np.ndarray
    radius_mm: float
    lv_point_lps_mm: np.ndarray | None  # inside the chamber below the cut (LV seed)


@dataclass
class Levels:
    blood_hu: float
    tissue_hu: float
    core_hu: float  # half maximum
    low_hu: float  # a quarter of the way: dim lumen

    def as_dict(self) -> dict:
        return {k: round(float(v), 1) for k, v in vars(self).items()}


@dataclass
class AortaModel:
    """Everything the aorta segmentation found, on the working grid unless stated."""

    working: blood.Working
    levels: Levels
    centerline_lps_mm: np.ndarray  # from the root cut to the descending end
    radius_env_mm: np.ndarray
    cut: RootCut | None
    lumen: np.ndarray  # working-grid lumen without stubs
    stubs: np.ndarray  # working-grid branch stubs
    seed_lps_mm: tuple[float, float, float]
    seed_source: str
    distal_stop: str
    branch_stubs: list[dict]  # ostium, tip, axis (LPS) of each arch branch stub


def levels_at(w: blood.Working, seed_lps_mm) -> Levels:
    """Blood, tissue and the two thresholds measured around a seed in the lumen."""
    from scipy import ndimage as ndi

    g = w.grid
    seed = g.lps_to_zyx(seed_lps_mm)[0]
    b, _ = blood.blood_level(w.hu, g, seed)
    core_hu = blood.half_max(b, blood.TISSUE_HU_GUESS)
    # The lumen around the seed (a 60 mm box is plenty for the shell statistics).
    r = np.ceil(30.0 / g.spacing_zyx).astype(int)
    c = np.round(seed).astype(int)
    sl = tuple(slice(max(0, ci - ri), ci + ri + 1) for ci, ri in zip(c, r))
    lab, _ = ndi.label(w.hu[sl] >= core_hu)
    local = lab == lab[tuple(c - [s.start for s in sl])]
    tissue = blood.shell_level(w.hu[sl], local, g)
    core_hu = blood.half_max(b, tissue)
    low = max(tissue + 0.25 * (b - tissue), min(blood.MIN_DIM_LUMEN_HU, core_hu - 20.0))
    return Levels(b, tissue, core_hu, low)


def segment_aorta(image, params: AortaParams = AortaParams(), progress=None,
                  cancel: CancelToken | None = None) -> AortaModel:
    """Segment the aorta of a contrast CT (SimpleITK image, LPS, HU).

    Returns an :class:`AortaModel`; :func:`native_mask` puts its mask on the image's grid.
    """
    rep = ProgressReporter(progress, cancel=cancel)
    rep(0.0, "smoothing")
    w = blood.working_volume(image)
    g = w.grid
    rep(0.08, "finding the aorta")
    seeds = find_aorta_seeds(w.hu, g)
    asc, desc, r_asc, r_desc, seed, source = _choose_seeds(seeds, params.seed_lps_mm, g)
    lev = levels_at(w, seed)
    core = w.hu >= lev.core_hu
    low = w.hu >= lev.low_hu
    for name, p in (("seed", seed), ("ascending seed", asc), ("descending seed", desc)):
        if p is not None and not core[tuple(np.round(g.lps_to_zyx(p)[0]).astype(int))]:
            raise InputError(f"the {name} {np.round(p, 1).tolist()} is not in bright lumen "
                             f"(threshold {lev.core_hu:.0f} HU)",
                             "put --seed-lps in the middle of the aorta's lumen")
    rep(0.25, "tracing the centerline")
    points, arch, proximal, distal_stop = _backbone(core, g, asc, desc, r_asc, r_desc, cancel)
    cut, cut_index = root_cut(proximal)
    if cut is not None:
        points = points[cut_index:]
        points[0] = cut.center_lps_mm
    points = tubemask.smooth_polyline(tubemask.resample_polyline(points, STEP_MM), 1.5)
    rep(0.45, "measuring the lumen")
    points, radius = _recentre(core, g, points, cancel)
    r_env = ENVELOPE_SCALE * radius + ENVELOPE_MARGIN_MM
    star, frame_u = _star_radii(core, g, points, r_env)
    rep(0.55, "cutting the lumen")
    region = tubemask.envelope(g, points, r_env, radius_by_angle=star, frame_u=frame_u)
    if cut is not None:
        region &= ~tubemask.half_space(g, cut.center_lps_mm, cut.normal_lps, 3 * cut.radius_mm)
    lumen = _lumen_in(w, lev, region, points, params.closing_mm)
    rep(0.65, "false lumen")
    false_lumen, wide = _dim_lumen(w, lev, lumen, points, radius, cut)
    if false_lumen.any():
        lumen = _join_false_lumen(w, lumen, false_lumen, wide, points)
    rep(0.75, "branch stubs")
    stubs, stub_info = _stubs(core, lumen, region, g, params, cut, arch, points, radius)
    whole = tubemask.component_touching(lumen | stubs, g.lps_to_zyx(points))
    lumen &= whole
    stubs &= whole
    rep(1.0, "done")
    return AortaModel(w, lev, points, r_env, cut, lumen, stubs,
                      tuple(float(v) for v in seed), source, distal_stop, stub_info)


def _choose_seeds(seeds, user_seed, g: Grid):
    """Ascending/descending points, their radii, the reported seed and its source."""
    if seeds is not None and seeds.ascending_lps_mm is not None:
        asc, desc = np.asarray(seeds.ascending_lps_mm), np.asarray(seeds.descending_lps_mm)
        if user_seed is None:
            return asc, desc, seeds.ascending_radius_mm, seeds.descending_radius_mm, \
                tuple(desc), seeds.source
        return asc, desc, seeds.ascending_radius_mm, seeds.descending_radius_mm, \
            tuple(user_seed), f"user (--seed-lps); path ends {seeds.source[6:]}"
    if user_seed is not None:
        return None, np.asarray(user_seed, float), None, 12.0, tuple(user_seed), \
            "user (--seed-lps); the arch was not found automatically, tracked from the seed"
    if seeds is not None:
        return None, np.asarray(seeds.descending_lps_mm), None, seeds.descending_radius_mm, \
            seeds.descending_lps_mm, seeds.source
    raise InputError("could not find the aorta automatically (no round bright vessel "
                     "cross-sections in the axial slices)",
                     "give a point inside the aorta with --seed-lps X,Y,Z (LPS mm)")


def _backbone(core: np.ndarray, g: Grid, asc, desc, r_asc, r_desc, cancel
              ) -> tuple[np.ndarray, np.ndarray | None, Track | None, str]:
    """Centerline points from the ventricle end of the proximal track to the descending end,
    the arch part (ascending to descending seed), the proximal track (for the root cut) and
    why the distal track stopped."""
    if asc is None:
        # Only one seed: track both ways along z and call the upper end the root side.
        up = track(core, g, desc, (0, 0, 1), r_desc, cancel=cancel)
        down = track(core, g, desc, (0, 0, -1), r_desc, cancel=cancel)
        pts = np.concatenate([up.points_lps_mm[::-1], down.points_lps_mm[1:]])
        return pts, None, None, down.stop
    path = _arch_path(core, g, asc, desc)
    path = tubemask.smooth_polyline(tubemask.resample_polyline(path, STEP_MM), 2.0)
    k = min(5, len(path) - 1)
    distal = track(core, g, desc, unit(path[-1] - path[-1 - k]), r_desc, cancel=cancel)
    proximal = track(core, g, asc, unit(path[0] - path[k]), r_asc, cancel=cancel)
    pts = np.concatenate([proximal.points_lps_mm[::-1][:-1], path, distal.points_lps_mm[1:]])
    return pts, path, proximal, distal.stop


def _arch_path(core: np.ndarray, g: Grid, asc, desc) -> np.ndarray:
    """Minimal path ascending -> descending, kept above the lower seed (so it cannot run
    through the heart)."""
    a, d = g.lps_to_zyx(asc)[0], g.lps_to_zyx(desc)[0]
    z_axis = g.vector_to_zyx([0.0, 0.0, 1.0])[0]
    allowed = core.copy()
    # Only voxels not more than 10 mm below the lower seed (in LPS z).
    zz = np.arange(core.shape[0])
    if abs(z_axis[0]) > 0.9:  # axial stack: the index z follows LPS z
        lps_z = g.zyx_to_lps(np.stack([zz, np.zeros_like(zz), np.zeros_like(zz)], 1))[:, 2]
        low_z = min(float(asc[2]), float(desc[2])) - 10.0
        allowed[lps_z < low_z] = False
    path = minimal_path(allowed, g, a, d)
    return g.zyx_to_lps(path)


def root_cut(proximal: Track | None) -> tuple[RootCut | None, int]:
    """The LVOT-root junction on a track that runs from the ascending aorta into the LV.

    Returns the cut and the index of its section counted from the *ventricle* end of the
    reversed track (the index into the assembled backbone). None when the track never
    reached a chamber.
    """
    if proximal is None or proximal.stop != "chamber" or len(proximal.sections) < 6:
        return None, 0
    secs = proximal.sections
    r = np.array([s.radius_eq_mm for s in secs])
    end = len(secs) - 1  # the chamber section itself
    n_win = int(SINUS_WINDOW_MM / STEP_MM)
    lo = max(0, end - n_win)
    k_sinus = lo + int(np.argmax(r[lo:end - 1]))
    k_neck = k_sinus + int(np.argmin(r[k_sinus:end]))
    sec = secs[k_neck]
    normal = -unit(secs[min(k_neck + 1, end)].centroid_lps_mm - secs[max(k_neck - 1, 0)]
                   .centroid_lps_mm)
    chamber = secs[end]
    lv_point = chamber.centroid_lps_mm - 10.0 * normal
    # Index in the assembled backbone: the proximal part is reversed and its seed dropped.
    index = (len(secs) - 1) - k_neck
    return RootCut(sec.centroid_lps_mm, normal, sec.radius_eq_mm, lv_point), index


def _recentre(core: np.ndarray, g: Grid, points: np.ndarray, cancel, rounds: int = 2
              ) -> tuple[np.ndarray, np.ndarray]:
    """Move each backbone point to the centre of its ray polygon and return a robust lumen
    radius per point: the 35th percentile of the ray lengths, so neighbours touching the
    vessel over up to half its circumference do not widen it."""
    from scipy import ndimage as ndi

    pts = points.copy()
    radius = np.zeros(len(pts))
    for _ in range(rounds):
        tan = tubemask.tangents(pts)
        for k in range(len(pts)):
            if cancel is not None and k % 20 == 0:
                cancel.check()
            u, v = _frame(tan[k])
            lengths = ray_lengths(core, g, pts[k], tan[k], 32, 45.0, gap_mm=2.0)
            radius[k] = np.percentile(lengths, 35)
            # Rays that escaped into a touching neighbour must not pull the centre.
            lengths = np.minimum(lengths, 1.25 * radius[k])
            ang = np.linspace(0.0, 2 * np.pi, 32, endpoint=False)
            ends = lengths[:, None] * (np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * v)
            if k not in (0, len(pts) - 1) and radius[k] > 0:
                pts[k] = pts[k] + 0.8 * ends.mean(axis=0)
        pts = tubemask.smooth_polyline(pts, 1.0)
    radius = ndi.median_filter(radius, size=5, mode="nearest")
    return pts, radius


def _star_radii(core: np.ndarray, g: Grid, points: np.ndarray, cap_mm: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per-direction envelope radius of each section: where the ray first leaves the bright
    lumen (so a neighbour behind a visible wall stays out), plus ``STAR_MARGIN_MM``, capped
    by the round envelope (a neighbour touching without a visible wall). Returns the
    ``K x N_RAYS`` radii and the rotation-minimising in-plane axes ``u_k``."""
    from scipy import ndimage as ndi

    from twindesk.imaging.reslice import transported_normals

    tan = tubemask.tangents(points)
    us = transported_normals(tan)
    rays = np.array([ray_lengths(core, g, points[k], tan[k], N_RAYS, 45.0, gap_mm=1.0,
                                 u_lps=us[k]) for k in range(len(points))])
    rays = ndi.median_filter(rays, size=(3, 1), mode="nearest")
    return np.minimum(rays + STAR_MARGIN_MM, cap_mm[:, None]), us


def _frame(normal):
    from twindesk.imaging.reslice import plane_frame

    u, v, _ = plane_frame(normal)
    return u, v


def _lumen_in(w: blood.Working, lev: Levels, region: np.ndarray, points: np.ndarray,
              closing_mm: float) -> np.ndarray:
    """Local half-maximum lumen inside ``region``, connected to the backbone, holes filled."""
    from scipy import ndimage as ndi

    g = w.grid
    sl = blood.bbox_slices(region, pad=2)
    sub_hu = w.hu[sl]
    thr = tubemask.local_threshold(sub_hu, g, lev.tissue_hu, lev.low_hu, lev.core_hu)
    sub = (sub_hu >= thr) & region[sl]
    lo = np.array([s.start for s in sl])
    sub = tubemask.component_touching(sub, g.lps_to_zyx(points) - lo)
    sub = ndi.binary_fill_holes(sub)
    out = np.zeros_like(region)
    out[sl] = sub
    out = tubemask.close_within(out, region, g, closing_mm)
    return out


def _dim_lumen(w: blood.Working, lev: Levels, lumen: np.ndarray, points: np.ndarray,
               radius: np.ndarray, cut: RootCut | None) -> np.ndarray:
    """Dimly opacified lumen alongside the bright one: the false lumen of a (type B)
    dissection, searched along the backbone from the top of the arch onwards.

    Candidates are thick (a 2 mm ball fits) regions above the low level near the backbone
    (within twice the local lumen radius + 6 mm, or 1.3 times the aorta's median radius
    + 5 mm, whichever is wider: a compressed true lumen is much narrower than the aorta)
    that touch the bright
    lumen. They are kept when they run along the aorta for at least 20 mm and hold almost no
    voxel as bright as the blood (a neighbouring chamber or vessel would).
    """
    from scipy import ndimage as ndi

    g = w.grid
    reach = np.maximum(2.0 * radius + 6.0, 1.3 * float(np.median(radius)) + 5.0)
    # Only beyond the top of the arch: the dissections we handle are type B (descending); in
    # front of the ascending aorta a dimmer right heart or pulmonary artery would qualify.
    apex = int(np.argmax(points[:, 2]))
    if len(points) - apex < 3:
        return np.zeros_like(lumen), np.zeros_like(lumen)
    wide = tubemask.envelope(g, points[apex:], np.minimum(reach[apex:], 35.0),
                             cap_start=False)
    out = np.zeros_like(lumen)
    if cut is not None:
        wide &= ~tubemask.half_space(g, cut.center_lps_mm, cut.normal_lps, 4 * cut.radius_mm)
    sl = blood.bbox_slices(wide, pad=2)
    hu = w.hu[sl]
    lum = lumen[sl]
    dim = (hu >= lev.low_hu) & ~lum & wide[sl]
    dim = ndi.binary_opening(dim, structure=blood.ball(2.0, g.spacing_zyx))
    near = ndi.binary_dilation(lum, structure=blood.ball(3.0, g.spacing_zyx))
    lab, n = ndi.label(dim)
    if n == 0:
        return out, wide
    ids = np.unique(lab[near & dim])
    ids = ids[ids > 0]
    index = np.arange(1, n + 1)
    bright = np.asarray(ndi.mean(hu >= lev.blood_hu, lab, index))
    boxes = ndi.find_objects(lab)
    length = np.array([(b[0].stop - b[0].start) * g.spacing_zyx[0] for b in boxes])
    keep = [i for i in ids if bright[i - 1] < 0.05 and length[i - 1] >= 20.0]
    # Undo the opening's erosion: grow back over the dim voxels by the ball radius.
    grown = tubemask.geodesic_dilate(np.isin(lab, keep), (hu >= lev.low_hu) & wide[sl] & ~lum,
                                     int(np.ceil(2.0 / g.spacing_zyx.min())))
    out[sl] = grown
    return out, wide


def _join_false_lumen(w: blood.Working, lumen: np.ndarray, false_lumen: np.ndarray,
                      wide: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Add the false lumen and the septum between it and the true lumen (a 4 mm closing near
    the false lumen, through soft tissue only: never across fat or lung)."""
    g = w.grid
    near = tubemask.geodesic_dilate(false_lumen, wide, int(np.ceil(6.0 / g.spacing_zyx.min())))
    both = lumen | false_lumen
    both = tubemask.close_within(both, near & (w.hu > 0.0), g, 4.0)
    return tubemask.component_touching(both, g.lps_to_zyx(points))


def _stubs(core: np.ndarray, lumen: np.ndarray, region: np.ndarray, g: Grid,
           params: AortaParams, cut: RootCut | None, arch_lps_mm: np.ndarray | None,
           backbone_lps_mm: np.ndarray, backbone_radius_mm: np.ndarray
           ) -> tuple[np.ndarray, list[dict]]:
    """Arch branches leaving the envelope, grown ``stub_length_mm`` from it and trimmed
    perpendicular to each branch's axis.

    The stub runs ``stub_length_mm`` past the point where its axis leaves the aortic lumen
    (``backbone_radius_mm`` around ``backbone_lps_mm``). A stub is kept only where a vessel
    leaves the top of the arch (ostium next to the arch
    part of the backbone, axis pointing upwards) with a neck between ``min_branch_radius_mm``
    and 80 % of the aortic radius. Thin vessels and partial-volume contacts with neighbours
    (pulmonary artery, atrium, caval vein) do not survive the opening or fail those tests.
    """
    from scipy import ndimage as ndi
    from scipy.spatial import cKDTree

    out = np.zeros_like(lumen)
    infos: list[dict] = []
    if arch_lps_mm is None or len(arch_lps_mm) < 2:
        return out, infos
    reach = params.stub_length_mm + 2 * params.min_branch_radius_mm
    sl = blood.bbox_slices(lumen, pad=int(np.ceil(reach / g.spacing_zyx.min())) + 1)
    outside = core[sl] & ~region[sl]
    st = blood.ball(params.min_branch_radius_mm, g.spacing_zyx)
    opened = ndi.binary_opening(outside, structure=st)
    lum = lumen[sl]
    steps = int(np.ceil(reach / g.spacing_zyx.min()))
    grown = tubemask.geodesic_dilate(lum, opened, steps) & ~lum
    lab, n = ndi.label(grown, structure=np.ones((3, 3, 3), bool))
    if n == 0:
        return out, infos
    touching = ndi.binary_dilation(lum, structure=np.ones((3, 3, 3), bool)) & grown
    lo = np.array([s.start for s in sl])
    arch_tree = cKDTree(arch_lps_mm)
    lumen_tree = cKDTree(backbone_lps_mm)
    lumen_radius = np.asarray(backbone_radius_mm, float)
    px_area = float(np.prod(g.spacing_zyx[1:]))
    for i in range(1, n + 1):
        comp = lab == i
        ostium = np.argwhere(comp & touching)
        neck_r = np.sqrt(len(ostium) * px_area / np.pi)
        if neck_r < params.min_branch_radius_mm:
            continue
        p_ost = g.zyx_to_lps(ostium.mean(axis=0) + lo)[0]
        vox = np.argwhere(comp)
        p_vox = g.zyx_to_lps(vox + lo)
        if np.linalg.norm(p_vox.mean(axis=0) - p_ost) < 1e-3:
            continue  # a one-voxel-thick fringe, not a branch
        axis = unit(p_vox.mean(axis=0) - p_ost)
        aortic_r, _ = arch_tree.query(p_ost)  # the ostium sits on the aortic wall
        if axis[2] < 0.5 or neck_r > 0.8 * aortic_r:
            continue  # not an upward arch branch, or too wide to be one
        proj = (p_vox - p_ost) @ axis
        # The stub is measured from where the branch's axis leaves the aortic lumen (the
        # ostium voxels sit at the envelope, a few mm beyond the wall).
        t = np.arange(-25.0, 0.01, 0.25)
        line = p_ost + t[:, None] * axis
        d, k = lumen_tree.query(line)
        inside = d <= lumen_radius[k]
        t_wall = float(t[np.flatnonzero(inside)[-1]]) if inside.any() else 0.0
        keep = proj <= t_wall + params.stub_length_mm
        part = np.zeros_like(comp)
        part[tuple(vox[keep].T)] = True
        part = tubemask.component_touching(part, ostium)
        if not part.any():
            continue
        out[sl] |= part
        kept = part[tuple(vox.T)]
        top = kept & (proj >= proj[kept].max() - 1.5)  # the cut face of the stub
        tip = p_vox[top].mean(axis=0)
        infos.append({"ostium_lps_mm": [round(float(v), 2) for v in p_ost],
                      "tip_lps_mm": [round(float(v), 2) for v in tip],
                      "axis_lps": [round(float(v), 4) for v in axis],
                      "neck_radius_mm": round(float(neck_r), 2)})
    return out, infos


def native_mask(model: AortaModel, image) -> np.ndarray:
    """The aorta (lumen + stubs) on ``image``'s own grid as a bool array ``[z, y, x]``."""
    from twindesk.imaging.refine import to_native

    return to_native(model.working, model.lumen | model.stubs, image, model.levels,
                     model.centerline_lps_mm)
