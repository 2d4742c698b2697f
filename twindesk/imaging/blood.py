"""Contrast blood: the working volume and thresholds from local statistics.

Segmentation works on a smoothed copy of the CT on an isotropic *working grid* (about
1.5 mm: coarse enough to be fast, fine enough for a 20 mm vessel), and writes its final masks
on the case's own grid. Thresholds are never fixed HU values: they come from the blood level
measured around the seed and the soft-tissue level measured in a shell around the lumen, so
the lumen edge sits at the half-maximum between the two (the edge of a blurred step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.grid import Grid, array, resample_isotropic

#: Working-grid spacing (mm) for topology steps (seeds, separation, tracking).
WORK_SPACING_MM = 1.5
#: Gaussian smoothing (mm) before thresholding: removes noise, keeps a 1.5 mm voxel's edge.
SMOOTH_SIGMA_MM = 0.8
#: Soft tissue (myocardium, vessel wall) in a contrast CT, HU; only a starting guess.
TISSUE_HU_GUESS = 40.0
#: Lowest blood level (HU) we accept as contrast-enhanced; below it the scan is not a CTA.
MIN_CONTRAST_HU = 180.0
#: Soft tissue next to a vessel is at least this dense (a shell full of partial-volume fat
#: would otherwise pull the estimate towards fat).
MIN_TISSUE_HU = 30.0
#: Dimly opacified lumen (a false lumen) must be denser than enhanced myocardium.
MIN_DIM_LUMEN_HU = 130.0


@dataclass(frozen=True)
class Working:
    """The smoothed CT on the working grid (``hu`` is float32 ``[z, y, x]``)."""

    hu: np.ndarray
    grid: Grid
    image: object  # the SimpleITK working image (smoothed)


def working_volume(image, spacing_mm: float = WORK_SPACING_MM,
                   sigma_mm: float = SMOOTH_SIGMA_MM) -> Working:
    """Smooth the CT and put it on an isotropic grid of about ``spacing_mm``.

    A volume that is already isotropic within 10 % at a spacing between 1 and 2 mm is kept on
    its own grid (no interpolation blur); others are resampled.
    """
    import SimpleITK as sitk

    sp = np.asarray(image.GetSpacing(), dtype=float)
    img = sitk.Cast(image, sitk.sitkFloat32)
    if sigma_mm > 0:
        img = sitk.SmoothingRecursiveGaussian(img, float(sigma_mm))
    iso = sp.max() / sp.min() < 1.1 and 1.0 <= sp.max() <= 2.0
    if not iso:
        img = resample_isotropic(img, max(spacing_mm, float(sp.min())))
    return Working(array(img), Grid.of(img), img)


def distance_inside(mask: np.ndarray, spacing_zyx) -> np.ndarray:
    """Euclidean distance (mm) from each voxel of ``mask`` to the nearest voxel outside it
    (0 outside). SimpleITK's multi-threaded Maurer transform; the distance is measured to
    the outside voxel's centre, as :func:`scipy.ndimage.distance_transform_edt` does."""
    import SimpleITK as sitk

    img = sitk.GetImageFromArray((~mask).astype(np.uint8))
    img.SetSpacing([float(v) for v in np.asarray(spacing_zyx)[::-1]])
    d = sitk.SignedMaurerDistanceMap(img, insideIsPositive=False, squaredDistance=False,
                                     useImageSpacing=True)
    out = sitk.GetArrayFromImage(d)  # positive off the "object" (= outside the mask)
    return np.where(mask, out, 0.0).astype(np.float32)


def sphere_offsets(radius_mm: float, spacing_zyx) -> np.ndarray:
    """Integer ``(dz, dy, dx)`` offsets of voxels within ``radius_mm`` of a voxel centre."""
    sp = np.asarray(spacing_zyx, dtype=float)
    r = np.ceil(radius_mm / sp).astype(int)
    g = np.stack(np.meshgrid(*[np.arange(-k, k + 1) for k in r], indexing="ij"), -1).reshape(-1, 3)
    return g[((g * sp) ** 2).sum(1) <= radius_mm ** 2]


def ball(radius_mm: float, spacing_zyx) -> np.ndarray:
    """A boolean ball structuring element of ``radius_mm`` on an anisotropic grid."""
    off = sphere_offsets(radius_mm, spacing_zyx)
    r = np.abs(off).max(axis=0)
    out = np.zeros(tuple(2 * r + 1), dtype=bool)
    out[tuple((off + r).T)] = True
    return out


def blood_level(hu: np.ndarray, grid: Grid, seed_zyx, radius_mm: float = 5.0) -> tuple[float, float]:
    """Median and robust spread (1.4826 MAD) of the smoothed HU in a ball around the seed.

    Raises :class:`InputError` when the seed is not in contrast-enhanced blood.
    """
    c = np.round(np.asarray(seed_zyx, dtype=float)).astype(int)
    idx = c + sphere_offsets(radius_mm, grid.spacing_zyx)
    ok = np.all((idx >= 0) & (idx < np.asarray(hu.shape)), axis=1)
    vals = hu[tuple(idx[ok].T)]
    if vals.size == 0:
        raise InputError("the seed lies outside the image", "give a seed inside the volume")
    med = float(np.median(vals))
    spread = float(1.4826 * np.median(np.abs(vals - med)))
    if med < MIN_CONTRAST_HU:
        raise InputError(
            f"the seed sits in {med:.0f} HU, not in contrast-filled blood "
            f"(expected > {MIN_CONTRAST_HU:.0f} HU)",
            "move --seed-lps into the bright lumen, or check that the scan is a contrast CT")
    return med, spread


def shell_level(hu: np.ndarray, mask: np.ndarray, grid: Grid, inner_mm: float = 1.6,
                outer_mm: float = 4.5) -> float:
    """Median HU of soft tissue in a shell ``inner_mm..outer_mm`` outside ``mask``.

    Air (lung, below -300 HU) and fat (below -30 HU) are left out because they are not what
    a lumen edge blurs into where the wall is; the result is clipped to a plausible
    soft-tissue range so a shell full of neighbouring blood cannot raise it far.
    """
    from scipy import ndimage as ndi

    if not mask.any():
        return TISSUE_HU_GUESS
    sl = bbox_slices(mask, pad=int(np.ceil(outer_mm / grid.spacing_zyx.min())) + 1)
    m = mask[sl]
    dist = ndi.distance_transform_edt(~m, sampling=grid.spacing_zyx)
    shell = (dist > inner_mm) & (dist <= outer_mm)
    vals = hu[sl][shell]
    vals = vals[(vals > -30) & (vals < 250)]
    if vals.size < 50:
        return TISSUE_HU_GUESS
    return float(np.clip(np.median(vals), MIN_TISSUE_HU, 120.0))


def contrast_peak_hu(hu: np.ndarray, low_hu: float = 250.0, high_hu: float = 1000.0) -> float:
    """The HU of the contrast-blood peak of the histogram (the left heart and aorta hold the
    largest volume of bright blood in a CTA). Raises :class:`InputError` when there is none."""
    bins = np.arange(low_hu, high_hu + 10.0, 10.0)
    counts, edges = np.histogram(hu[::2, ::2, ::2], bins=bins)
    counts = np.convolve(counts, np.ones(5) / 5.0, mode="same")
    if counts.sum() < 100:
        raise InputError(f"the volume has almost no voxels above {low_hu:.0f} HU",
                         "segmentation needs a contrast CT (CT angiogram)")
    i = int(np.argmax(counts))
    if i in (0, len(counts) - 1):
        raise InputError("no contrast-blood peak in the HU histogram",
                         "segmentation needs a contrast CT (CT angiogram)")
    return float(0.5 * (edges[i] + edges[i + 1]))


def half_max(blood_hu: float, tissue_hu: float) -> float:
    """The threshold half-way between blood and tissue: where a blurred edge really is."""
    return 0.5 * (blood_hu + tissue_hu)


def bbox_slices(mask: np.ndarray, pad: int = 0) -> tuple[slice, ...]:
    out = []
    for ax in range(mask.ndim):
        other = tuple(k for k in range(mask.ndim) if k != ax)
        hit = np.flatnonzero(mask.any(axis=other))
        out.append(slice(int(max(hit[0] - pad, 0)),
                         int(min(hit[-1] + pad + 1, mask.shape[ax]))))
    return tuple(out)

