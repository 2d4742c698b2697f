"""Signed distances → integer HU image and label map.

Sampling
--------
Each layer's shape is evaluated on the voxel grid inside its bounding box with a narrow-band
scheme: the signed distance is first computed at the centres of 16^3-voxel cells; cells far
inside or outside (``|d| > 2 * half-diagonal + voxel``; the shapes' distance estimates are
within that factor of Euclidean) are filled wholesale, the others are split into 4^3, 2^3
and single-voxel cells in turn. Layers marked ``coarse`` (background tissue whose exact
boundary does not matter) are sampled at twice the voxel size and interpolated linearly.

Partial volume: a voxel of size ``h`` whose centre lies at signed distance ``d`` from a
surface is given the occupancy ``clip(0.5 - d / h, 0, 1)`` (the exact volume fraction of a
voxel cut by a plane parallel to a face), and layers are composited in order,
``HU <- HU + (HU_layer - HU) * occupancy``. Labels take the layer's value where the voxel
centre is inside (``d <= 0``).

Then the point-spread function (isotropic Gaussian, sigma = FWHM / 2.3548; on the voxel grid
a separable kernel with exactly that variance, see :func:`psf_kernel`) blurs the HU image,
white Gaussian noise is added from ``numpy.random.default_rng(seed)``, and values are
rounded and clipped to int16 HU [-1024, 3071].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.phantom.layers import MATERIALS, Layer
from twindesk.phantom.params import TissueHU
from twindesk.phantom.shapes import Shape

LEVELS = (16, 4, 2, 1)  # cell sizes (voxels) of the narrow-band refinement
LIPSCHITZ = 2.0         # shapes' distance estimates are within this factor of Euclidean
CHUNK = 400_000


@dataclass(frozen=True)
class Grid:
    """An axis-aligned voxel grid (identity direction), LPS mm.

    ``size_xyz`` is (nx, ny, nz); arrays are indexed ``[k, j, i]`` = (z, y, x) as
    ``SimpleITK.GetArrayFromImage`` returns them.
    """

    origin_lps_mm: tuple[float, float, float]
    spacing_mm: float
    size_xyz: tuple[int, int, int]

    @classmethod
    def covering(cls, lo, hi, spacing_mm: float) -> Grid:
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        n = np.floor((hi - lo) / spacing_mm).astype(int) + 1
        return cls(tuple(float(v) for v in lo), float(spacing_mm), tuple(int(v) for v in n))

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        return self.size_xyz[2], self.size_xyz[1], self.size_xyz[0]

    def index_box(self, lo, hi, pad_mm: float):
        """Voxel index ranges (start, stop) per axis x, y, z covering [lo - pad, hi + pad]."""
        o, h = np.asarray(self.origin_lps_mm), self.spacing_mm
        lo = np.where(np.isfinite(lo), lo, -1e9)
        hi = np.where(np.isfinite(hi), hi, 1e9)
        a = np.floor((np.asarray(lo) - pad_mm - o) / h).astype(np.int64)
        b = np.ceil((np.asarray(hi) + pad_mm - o) / h).astype(np.int64) + 1
        size = np.asarray(self.size_xyz)
        a, b = np.clip(a, 0, size), np.clip(b, 0, size)
        return a, b

    def points(self, i, j, k) -> np.ndarray:
        o, h = np.asarray(self.origin_lps_mm), self.spacing_mm
        return np.stack([o[0] + h * np.asarray(i, float), o[1] + h * np.asarray(j, float),
                         o[2] + h * np.asarray(k, float)], axis=-1)

    def to_dict(self) -> dict:
        return {"size": list(self.size_xyz), "spacing_mm": [self.spacing_mm] * 3,
                "origin_lps_mm": list(self.origin_lps_mm),
                "direction": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]}


def _sdf_chunked(shape: Shape, pts: np.ndarray) -> np.ndarray:
    if len(pts) <= CHUNK:
        return shape.sdf(pts)
    return np.concatenate([shape.sdf(pts[i:i + CHUNK]) for i in range(0, len(pts), CHUNK)])


def occupancy(shape: Shape, grid: Grid, offsets_mm=(0.0,)):
    """Partial-volume occupancy of ``{shape.sdf <= offset}`` on ``grid`` for each offset.

    Cells of 16, 4, 2 and then 1 voxel: a cell whose centre lies farther than
    ``LIPSCHITZ * half-diagonal + voxel`` from every offset surface is filled wholesale
    (1 inside, 0 outside); the others are split.

    Returns
    -------
    (slices, [occ, ...]) or None
        One float32 array in [0, 1] per offset for the ``[k, j, i]`` sub-volume ``slices``;
        ``None`` when the shape misses the grid.
    """
    h = grid.spacing_mm
    offsets = np.asarray(offsets_mm, float)
    lo, hi = shape.bbox()
    a, b = grid.index_box(lo, hi, 2.0 * h + max(offsets.max(), 0.0))
    if np.any(b <= a):
        return None
    n = b - a                                   # voxels per axis (x, y, z)
    top = LEVELS[0]
    nt = -(-n // top)
    occs = [np.zeros((nt[2] * top, nt[1] * top, nt[0] * top), np.float32) for _ in offsets]
    ci, cj, ck = (x.ravel() * top for x in np.meshgrid(
        np.arange(nt[0]), np.arange(nt[1]), np.arange(nt[2]), indexing="ij"))
    for level, size in enumerate(LEVELS):
        if ci.size == 0:
            break
        half = (size - 1) / 2.0
        if size == 1:
            keep = (ci < n[0]) & (cj < n[1]) & (ck < n[2])
            ci, cj, ck = ci[keep], cj[keep], ck[keep]
            d = _sdf_chunked(shape, grid.points(ci + a[0], cj + a[1], ck + a[2]))
            for occ, off in zip(occs, offsets):
                occ[ck, cj, ci] = np.clip(0.5 - (d - off) / h, 0.0, 1.0)
            break
        d = _sdf_chunked(shape, grid.points(ci + a[0] + half, cj + a[1] + half,
                                            ck + a[2] + half))
        thr = LIPSCHITZ * np.sqrt(3.0) * half * h + h
        band = np.zeros(d.shape, bool)
        for occ, off in zip(occs, offsets):
            inside = d - off < -thr
            band |= np.abs(d - off) <= thr
            if inside.any():
                view = occ.reshape(occ.shape[0] // size, size, occ.shape[1] // size, size,
                                   occ.shape[2] // size, size)
                view[ck[inside] // size, :, cj[inside] // size, :, ci[inside] // size, :] = 1.0
        ci, cj, ck = ci[band], cj[band], ck[band]
        sub = LEVELS[level + 1]
        off3 = np.arange(0, size, sub)
        oi, oj, ok = (x.ravel() for x in np.meshgrid(off3, off3, off3, indexing="ij"))
        ci = (ci[:, None] + oi[None, :]).ravel()
        cj = (cj[:, None] + oj[None, :]).ravel()
        ck = (ck[:, None] + ok[None, :]).ravel()
        keep = (ci < n[0]) & (cj < n[1]) & (ck < n[2])
        ci, cj, ck = ci[keep], cj[keep], ck[keep]
    occs = [occ[: n[2], : n[1], : n[0]] for occ in occs]
    slices = (slice(a[2], b[2]), slice(a[1], b[1]), slice(a[0], b[0]))
    return slices, occs


def _upsample2(arr: np.ndarray, axis: int) -> np.ndarray:
    """Linear interpolation to twice the sampling along ``axis`` (n → 2n - 1 samples)."""
    a = np.moveaxis(arr, axis, 0)
    out = np.empty((2 * a.shape[0] - 1,) + a.shape[1:], arr.dtype)
    out[0::2] = a
    out[1::2] = 0.5 * (a[:-1] + a[1:])
    return np.moveaxis(out, 0, axis)


def occupancy_coarse(shape: Shape, grid: Grid, offsets_mm=(0.0,)):
    """:func:`occupancy` sampled on a grid twice as coarse, interpolated back linearly."""
    coarse = Grid(grid.origin_lps_mm, grid.spacing_mm * 2,
                  tuple(int(-(-n // 2)) + 1 for n in grid.size_xyz))
    res = occupancy(shape, coarse, offsets_mm)
    if res is None:
        return None
    slices, occs = res
    out, sub = [], []
    shape_c = occs[0].shape
    for s, n, m in zip(slices, grid.shape_zyx, shape_c):
        start, stop = 2 * s.start, min(2 * s.start + 2 * m - 1, n)
        out.append(slice(start, stop))
        sub.append(slice(0, stop - start))
    fine = []
    for occ in occs:
        for axis in range(3):
            occ = _upsample2(occ, axis)
        fine.append(occ[tuple(sub)])
    return tuple(out), fine


def paint(layers: list[Layer], grid: Grid, tissue: TissueHU, progress=None,
          cancel: CancelToken | None = None):
    """Composite ``layers`` in order over air.

    Returns
    -------
    hu, labels, materials
        float32 HU, uint8 labels and uint8 material codes (:data:`MATERIALS` index + 1 of
        the last material whose surface encloses the voxel centre), all ``[k, j, i]``.

    Layers sharing one shape object (different ``offset_mm``: walls, cortex / marrow) are
    sampled together; the occupancies for later layers wait, quantised to uint8.
    """
    rep = ProgressReporter(progress, cancel=cancel)
    hu = np.full(grid.shape_zyx, tissue.air_hu, np.float32)
    labels = np.zeros(grid.shape_zyx, np.uint8)
    materials = np.full(grid.shape_zyx, MATERIALS.index("air") + 1, np.uint8)
    groups: dict[int, list[float]] = {}
    for layer in layers:
        groups.setdefault(id(layer.shape), []).append(layer.offset_mm)
    cache: dict[tuple[int, float], tuple] = {}
    for n_done, layer in enumerate(layers):
        rep(n_done / len(layers), f"drawing {layer.name}")
        key = (id(layer.shape), layer.offset_mm)
        if key in cache:
            sl, q = cache.pop(key)
            occ = None if q is None else q.astype(np.float32) / np.float32(255.0)
        else:
            offs = sorted(set(groups[id(layer.shape)]))
            sample = occupancy_coarse if layer.coarse else occupancy
            res = sample(layer.shape, grid, offs)
            occ, sl = None, None
            if res is not None:
                sl, occs = res
                for off, o in zip(offs, occs):
                    if off == layer.offset_mm:
                        occ = o
                    elif (id(layer.shape), off) not in cache:
                        cache[(id(layer.shape), off)] = (sl, np.rint(o * 255).astype(np.uint8))
            else:
                for off in offs:
                    cache[(id(layer.shape), off)] = (None, None)
        if occ is None:
            continue
        inside = occ >= 0.5
        if layer.material is not None:
            value = np.float32(getattr(tissue, f"{layer.material}_hu"))
            sub = hu[sl]
            step = np.subtract(value, sub)
            step *= occ
            sub += step
            materials[sl][inside] = MATERIALS.index(layer.material) + 1
        if layer.label is not None:
            sub_l = labels[sl]
            if layer.only_labels is not None:
                inside &= np.isin(sub_l, layer.only_labels)
            sub_l[inside] = layer.label
    rep(1.0, "layers drawn")
    return hu, labels, materials


def psf_kernel(sigma_vox: float) -> np.ndarray:
    """1-D discrete PSF with variance exactly ``sigma_vox**2`` (voxels).

    A sampled Gaussian narrower than a voxel has too small a variance; for ``sigma <= 0.7``
    voxel the 3-tap kernel ``[w, 1 - 2w, w]`` with ``w = sigma^2 / 2`` has the right second
    moment (the discrete analogue of the Gaussian); wider PSFs use the sampled Gaussian.
    """
    if sigma_vox**2 <= 0.5:
        w = sigma_vox**2 / 2.0
        return np.array([w, 1.0 - 2.0 * w, w])
    r = int(np.ceil(4.0 * sigma_vox))
    x = np.arange(-r, r + 1, dtype=float)
    k = np.exp(-0.5 * (x / sigma_vox) ** 2)
    return k / k.sum()


def blur_and_noise(hu: np.ndarray, grid: Grid, psf_sigma_mm: float, noise_sd_hu: float,
                   seed: int) -> np.ndarray:
    """Gaussian PSF (separable, :func:`psf_kernel`), additive white Gaussian noise, int16 HU."""
    from scipy.ndimage import correlate1d

    kernel = psf_kernel(psf_sigma_mm / grid.spacing_mm)
    out = hu
    for axis in range(3):
        out = correlate1d(out, kernel, axis=axis, mode="nearest")
    rng = np.random.default_rng(seed)
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(noise_sd_hu)
    np.rint(out, out=out)
    np.clip(out, -1024, 3071, out=out)
    return out.astype(np.int16)
