"""A small synthetic contrast CT of the left heart for fast anatomy tests.

Shapes are analytic (variable-radius tubes around polylines, ellipsoids, cylinders) and
their exact label masks are returned with the image, so tests can compute Dice and
diameter errors against known numbers. Coordinates are LPS mm (+x left, +y posterior,
+z superior); the image has partial-volume edges (area-weighted at the voxel scale), a
Gaussian blur and Gaussian noise.

The aorta starts at the annulus plane z = 0 (normal +z) with radius 10 mm, widens to the
sinus (16.5 mm at 10 mm), narrows to the sino-tubular junction (13 mm at 22 mm) and runs up
the ascending aorta (14 mm) into a semicircular arch (radius 40 mm in the y-z plane) and
down the descending aorta (12 mm) to the bottom of the field. Three arch branches (radius 5,
4, 4.5 mm) leave the arch upward; the aorta's truth keeps them for 10 mm beyond the wall.
Below the annulus the outflow tract joins a left-ventricular ellipsoid; the left atrium is
a sphere behind the root with four pulmonary veins (stubs of 10 mm in the truth) and an
appendage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

BLOOD_HU = 380.0
TISSUE_HU = 40.0
FAT_HU = -90.0
LUNG_HU = -800.0
BONE_HU = 700.0
RIGHT_HEART_HU = 200.0
STUB_MM = 10.0

ARCH_R = 40.0
ASC_TOP = 70.0  # z where the arch begins
DESC_Y = 2 * ARCH_R


def polyline_tube(p: np.ndarray, pts: np.ndarray, radius: np.ndarray,
                  step_mm: float = 0.2) -> np.ndarray:
    """Signed distance to a tube of varying radius along a polyline (sampled every
    ``step_mm``; the ends are rounded)."""
    from scipy.spatial import cKDTree

    pts = np.asarray(pts, float)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], max(2, int(s[-1] / step_mm) + 1))
    dense = np.stack([np.interp(t, s, pts[:, k]) for k in range(3)], axis=1)
    r = np.interp(t, s, radius)
    d, i = cKDTree(dense).query(p, workers=-1, distance_upper_bound=float(r.max()) + 15.0)
    far = ~np.isfinite(d)
    i[far] = 0
    return np.where(far, 15.0, d - r[i])


def aorta_centerline(step_mm: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """True axis and lumen radius of the synthetic aorta from the annulus to the bottom."""
    pts, rad = [], []
    for z in np.arange(0.0, ASC_TOP, step_mm):
        pts.append((0.0, 0.0, z))
        rad.append(float(np.interp(z, [0, 4, 10, 16, 22, 30, ASC_TOP],
                                   [10.0, 13.0, 16.5, 15.5, 13.0, 14.0, 14.0])))
    n_arc = int(np.pi * ARCH_R / step_mm)
    for k in range(n_arc + 1):
        a = np.pi * k / n_arc
        pts.append((0.0, ARCH_R - ARCH_R * np.cos(a), ASC_TOP + ARCH_R * np.sin(a)))
        rad.append(14.0 - 2.0 * k / n_arc)
    for z in np.arange(ASC_TOP - step_mm, -112.0, -step_mm):
        pts.append((0.0, DESC_Y, z))
        rad.append(12.0)
    return np.asarray(pts), np.asarray(rad)


BRANCHES = (  # (angle on the arch from the ascending side, radius mm)
    (0.30 * np.pi, 5.0), (0.45 * np.pi, 4.0), (0.60 * np.pi, 4.5))
PV_DIRS = ((-1.0, 0.3, 0.25), (-1.0, 0.3, -0.25), (1.0, 0.3, 0.25), (1.0, 0.3, -0.25))
LA_C, LA_R = np.array([0.0, 42.0, -12.0]), 19.0
LV_C, LV_AX = np.array([22.0, -18.0, -48.0]), np.array([26.0, 22.0, 34.0])


@dataclass
class Synthetic:
    image: object  # SimpleITK image (int16 HU)
    aorta: np.ndarray  # truth masks [z, y, x]
    lv: np.ndarray
    la: np.ndarray
    centerline_lps_mm: np.ndarray
    radius_mm: np.ndarray
    asc_seed_lps_mm: tuple[float, float, float]
    desc_seed_lps_mm: tuple[float, float, float]
    lv_point_lps_mm: tuple[float, float, float]
    la_point_lps_mm: tuple[float, float, float]


@lru_cache(maxsize=2)
def make_cta(spacing_mm: float = 1.5, noise_hu: float = 20.0, seed: int = 0,
             blur_mm: float = 0.7) -> Synthetic:
    """The synthetic CTA (cached: it is deterministic and read-only in tests)."""
    import SimpleITK as sitk
    from scipy import ndimage as ndi

    lo = np.array([-70.0, -70.0, -110.0])
    hi = np.array([70.0, 125.0, 150.0])
    shape_xyz = np.floor((hi - lo) / spacing_mm).astype(int) + 1
    zz, yy, xx = np.meshgrid(*[lo[k] + spacing_mm * np.arange(shape_xyz[k]) for k in (2, 1, 0)],
                             indexing="ij")
    p = np.stack([xx.ravel(), yy.ravel(), zz.ravel()], axis=1)
    shape = zz.shape

    cl, rad = aorta_centerline(2.0)
    d_aorta = polyline_tube(p, cl, rad)
    root_side = p[:, 1] < ARCH_R  # the annulus plane z = 0 closes the ascending side
    d_aorta = np.where(root_side & (p[:, 2] < 0.0), np.inf, d_aorta)
    # arch branches, straight up from the arch
    d_branch = np.full(len(p), np.inf)
    d_stub = np.full(len(p), np.inf)
    for ang, r in BRANCHES:
        base = np.array([0.0, ARCH_R - ARCH_R * np.cos(ang), ASC_TOP + ARCH_R * np.sin(ang)])
        top = base + np.array([0.0, 0.0, 90.0])
        d = polyline_tube(p, np.array([base, top]), np.array([r, r]))
        d_branch = np.minimum(d_branch, d)
        # where the branch's axis leaves the aortic lumen, then 10 mm further
        line = base + np.outer(np.arange(0.0, 40.0, 0.1), [0.0, 0.0, 1.0])
        exit_z = line[np.argmax(polyline_tube(line, cl, rad) > 0), 2]
        cut = exit_z + STUB_MM
        d_stub = np.minimum(d_stub, np.where(p[:, 2] <= cut, d, np.inf))
    # LV: ellipsoid + outflow tract from the annulus down into it
    q = (p - LV_C) / LV_AX
    d_lv = (np.linalg.norm(q, axis=1) - 1.0) * LV_AX.min()
    lvot = polyline_tube(p, np.array([[0.0, 0.0, 0.5], [0.0, 0.0, -6.0], [12.0, -10.0, -30.0]]),
                         np.array([10.0, 10.5, 12.0]))
    d_lv = np.minimum(d_lv, np.where(p[:, 2] < 0.0, lvot, np.inf))
    # LA: sphere, appendage, pulmonary veins
    d_la_body = np.linalg.norm(p - LA_C, axis=1) - LA_R
    laa = polyline_tube(p, np.array([LA_C + [12, -10, 10], LA_C + [30, -24, 18]]),
                        np.array([8.0, 5.0]))
    d_pv = np.full(len(p), np.inf)
    d_pv_stub = np.full(len(p), np.inf)
    for dvec in PV_DIRS:
        u = np.asarray(dvec) / np.linalg.norm(dvec)
        a, b = LA_C + u * (LA_R - 3.0), LA_C + u * (LA_R + 90.0)
        d = polyline_tube(p, np.array([a, b]), np.array([6.0, 6.0]))
        d_pv = np.minimum(d_pv, d)
        along = (p - LA_C) @ u
        d_pv_stub = np.minimum(d_pv_stub, np.where(along <= LA_R + STUB_MM, d, np.inf))
    d_la = np.minimum(np.minimum(d_la_body, laa), d_pv)
    # an open mitral valve: a channel narrower than both chambers, split at its middle
    mv_a, mv_b = np.array([14.0, 0.0, -32.0]), LA_C
    mitral = polyline_tube(p, np.array([mv_a, mv_b]), np.array([9.0, 9.0]))
    u_mv = (mv_b - mv_a) / np.linalg.norm(mv_b - mv_a)
    mid = 0.5 * ((mv_a @ u_mv) + (mv_b @ u_mv) - LA_R + 10.0)
    la_side = p @ u_mv >= mid
    d_lv = np.minimum(d_lv, np.where(la_side, np.inf, mitral))
    d_la = np.minimum(d_la, np.where(la_side, mitral, np.inf))
    d_la_body = np.minimum(d_la_body, np.where(la_side, mitral, np.inf))
    # right atrium (dimmer contrast), spine, lungs, fat
    d_ra = np.linalg.norm(p - np.array([-45.0, 5.0, -30.0]), axis=1) - 22.0
    d_spine = np.hypot(p[:, 0], p[:, 1] - 118.0) - 14.0
    d_body = np.hypot(p[:, 0] / 68.0, (p[:, 1] - 25.0) / 98.0) - 1.0

    def occ(d: np.ndarray) -> np.ndarray:  # partial volume across one voxel
        return np.clip(0.5 - d / spacing_mm, 0.0, 1.0)

    hu = np.full(len(p), LUNG_HU)
    hu = np.where(d_body < 0, hu, FAT_HU)
    mediastinum = (np.abs(p[:, 0]) < 45) & (p[:, 1] < 105)
    hu = np.where(mediastinum, TISSUE_HU, hu)
    for d, level, wall in ((d_spine, BONE_HU, 0.0), (d_ra, RIGHT_HEART_HU, 2.0),
                           (d_lv, BLOOD_HU, 8.0), (d_la, BLOOD_HU, 2.0),
                           (np.minimum(d_aorta, d_branch), BLOOD_HU, 2.0)):
        if wall:
            hu = hu + occ(d - wall) * (TISSUE_HU - hu)
        hu = hu + occ(d) * (level - hu)
    hu = hu.reshape(shape)
    if blur_mm > 0:
        hu = ndi.gaussian_filter(hu, blur_mm / spacing_mm)
    rng = np.random.default_rng(seed)
    hu = hu + rng.normal(0.0, noise_hu, hu.shape)
    img = sitk.GetImageFromArray(np.round(hu).astype(np.int16))
    img.SetOrigin(tuple(float(v) for v in lo))
    img.SetSpacing((spacing_mm,) * 3)

    aorta = ((d_aorta <= 0) | (d_stub <= 0)).reshape(shape)
    lv = (d_lv <= 0).reshape(shape) & ~aorta
    la_mask = ((d_la_body <= 0) | (laa <= 0) | (d_pv_stub <= 0)).reshape(shape)
    cl1, rad1 = aorta_centerline(1.0)
    return Synthetic(img, aorta, lv, la_mask, cl1, rad1, (0.0, 0.0, 45.0),
                     (0.0, DESC_Y, 20.0), tuple(float(v) for v in LV_C),
                     tuple(float(v) for v in LA_C))


def dice(a: np.ndarray, b: np.ndarray, ignore: np.ndarray | None = None) -> float:
    if ignore is not None:
        a, b = a & ~ignore, b & ~ignore
    return float(2.0 * np.count_nonzero(a & b) / max(1, np.count_nonzero(a) + np.count_nonzero(b)))


def near_plane(image, z0: float = 0.0, band_mm: float = 3.0) -> np.ndarray:
    """Voxels within ``band_mm`` of the annulus plane z = z0 (left out of Dice)."""
    import SimpleITK as sitk

    n = image.GetSize()
    z = image.GetOrigin()[2] + image.GetSpacing()[2] * np.arange(n[2])
    band = np.abs(z - z0) <= band_mm
    out = np.zeros(sitk.GetArrayViewFromImage(image).shape, bool)
    out[band] = True
    return out


def make_case(path, image, masks: dict | None = None, meta: dict | None = None):
    """A case holding ``image`` as its volume (and optional ``labels:<s>`` masks), made with
    the case store's own primitives; returns the case path (closed)."""
    from pathlib import Path

    import SimpleITK as sitk

    from twindesk.imaging import labels
    from twindesk.io.volume import geometry_of, write_case_volume
    from twindesk.model.case import Case

    path = Path(path)
    case = Case.create(path)
    try:
        case.put_artifact("volume", lambda p: write_case_volume(image, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(image), "modality": "CT"}
        case.save("import", {"source": "synthetic"})
        for name, mask in (masks or {}).items():
            labels.store(case, name, mask, f"test {name}", (meta or {}).get(name))
        if masks:
            case.save("test masks", {})
    finally:
        case.close()
    assert sitk is not None
    return path


def tube_mask(spacing_mm: float, radius_mm: float, length_mm: float, curved: bool = False,
              pad_mm: float = 6.0):
    """A voxelized tube (straight along z, or a half circle of radius 40 mm in the x-z
    plane) and its true axis: ``(image, mask, axis_points_lps_mm)``."""
    import SimpleITK as sitk

    if curved:
        rc = 40.0
        lo = np.array([-rc - radius_mm - pad_mm, -radius_mm - pad_mm, -pad_mm])
        hi = np.array([rc + radius_mm + pad_mm, radius_mm + pad_mm, rc + radius_mm + pad_mm])
    else:
        lo = np.array([-radius_mm - pad_mm, -radius_mm - pad_mm, 0.0])
        hi = np.array([radius_mm + pad_mm, radius_mm + pad_mm, length_mm])
    n = np.floor((hi - lo) / spacing_mm).astype(int) + 1
    zz, yy, xx = np.meshgrid(*[lo[k] + spacing_mm * np.arange(n[k]) for k in (2, 1, 0)],
                             indexing="ij")
    if curved:
        rho = np.hypot(xx, zz)
        ang = np.arctan2(zz, xx)
        mask = (np.hypot(rho - rc, yy) <= radius_mm) & (ang >= 0.1) & (ang <= np.pi - 0.1)
        t = np.linspace(0.1, np.pi - 0.1, 400)
        axis = np.stack([rc * np.cos(t), np.zeros_like(t), rc * np.sin(t)], 1)
    else:
        mask = (np.hypot(xx, yy) <= radius_mm) & (zz >= 2.0) & (zz <= length_mm - 2.0)
        axis = np.stack([np.zeros(50), np.zeros(50), np.linspace(2.0, length_mm - 2.0, 50)], 1)
    img = sitk.GetImageFromArray(np.where(mask, 300, -50).astype(np.int16))
    img.SetOrigin(tuple(float(v) for v in lo))
    img.SetSpacing((spacing_mm,) * 3)
    return img, mask, axis
