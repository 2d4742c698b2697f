"""Voxel grids: LPS millimetres <-> array indices, resampling, mask statistics.

Arrays follow SimpleITK's :func:`GetArrayFromImage` order ``[z, y, x]``; points are LPS mm
(``points_lps_mm``, shape ``(N, 3)``) and continuous indices are ``(z, y, x)`` floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """Geometry of an image: ``lps = origin + direction @ (spacing * (x, y, z))``."""

    origin_lps_mm: tuple[float, float, float]
    spacing_mm: tuple[float, float, float]  # x, y, z
    direction: tuple[float, ...]  # row-major 3x3
    size: tuple[int, int, int]  # x, y, z

    @classmethod
    def of(cls, image) -> Grid:
        return cls(tuple(map(float, image.GetOrigin())), tuple(map(float, image.GetSpacing())),
                   tuple(map(float, image.GetDirection())), tuple(map(int, image.GetSize())))

    @property
    def matrix(self) -> np.ndarray:
        """3x3 map from ``(x, y, z)`` index steps to LPS mm."""
        return np.asarray(self.direction).reshape(3, 3) * np.asarray(self.spacing_mm)[None, :]

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(z, y, x)``."""
        return self.size[2], self.size[1], self.size[0]

    @property
    def spacing_zyx(self) -> np.ndarray:
        return np.asarray(self.spacing_mm)[::-1]

    @property
    def voxel_volume_mm3(self) -> float:
        return float(np.prod(self.spacing_mm))

    def zyx_to_lps(self, idx_zyx) -> np.ndarray:
        idx = np.atleast_2d(np.asarray(idx_zyx, dtype=float))[:, ::-1]
        return np.asarray(self.origin_lps_mm) + idx @ self.matrix.T

    def lps_to_zyx(self, points_lps_mm) -> np.ndarray:
        pts = np.atleast_2d(np.asarray(points_lps_mm, dtype=float))
        xyz = (pts - np.asarray(self.origin_lps_mm)) @ np.linalg.inv(self.matrix).T
        return xyz[:, ::-1]

    def vector_to_zyx(self, vectors_lps) -> np.ndarray:
        """Directions in LPS → directions in index space (unit length in mm, zyx order)."""
        v = np.atleast_2d(np.asarray(vectors_lps, dtype=float))
        return np.linalg.solve(self.matrix, v.T).T[:, ::-1] * self.spacing_zyx

    def voxels_around(self, points_lps_mm, pad_mm: float = 0.0) -> np.ndarray:
        """Integer ``(N, 3)`` ``(z, y, x)`` indices of every voxel in the index box that
        covers the LPS points padded by ``pad_mm`` along each LPS axis, clipped to the grid
        (empty when the box misses it): the candidates for a shape test near the points."""
        pts = np.atleast_2d(np.asarray(points_lps_mm, float))
        corners = self.lps_to_zyx(np.concatenate([pts - pad_mm, pts + pad_mm]))
        lo = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
        hi = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 1, self.shape)
        if np.any(hi <= lo):
            return np.empty((0, 3), dtype=int)
        zz, yy, xx = np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij")
        return np.stack([zz.ravel(), yy.ravel(), xx.ravel()], axis=1)

    def contains_zyx(self, idx_zyx) -> np.ndarray:
        idx = np.atleast_2d(idx_zyx)
        return np.all((idx >= -0.5) & (idx <= np.asarray(self.shape) - 0.5), axis=1)


def array(image, dtype=None) -> np.ndarray:
    """The voxels of a SimpleITK image as a numpy array ``[z, y, x]`` (a copy)."""
    import SimpleITK as sitk

    arr = sitk.GetArrayFromImage(image)
    return arr.astype(dtype) if dtype is not None else arr


def image_like(arr: np.ndarray, ref):
    """A SimpleITK image with ``arr``'s voxels and ``ref``'s geometry."""
    import SimpleITK as sitk

    img = sitk.GetImageFromArray(arr)
    img.CopyInformation(ref)
    return img


def mask_image(mask: np.ndarray, ref):
    """A uint8 0/1 label image on ``ref``'s grid (the ``labels:<structure>`` format)."""
    return image_like(np.ascontiguousarray(mask, dtype=np.uint8), ref)


def resample_isotropic(image, spacing_mm: float, interpolator=None, default: float = -1024.0):
    """Resample ``image`` onto an isotropic grid of ``spacing_mm`` covering the same extent
    (same origin and direction). Returns a float32 image."""
    import SimpleITK as sitk

    old_sp = np.asarray(image.GetSpacing())
    size = [max(1, int(np.floor((n - 1) * s / spacing_mm)) + 1)
            for n, s in zip(image.GetSize(), old_sp)]
    return sitk.Resample(sitk.Cast(image, sitk.sitkFloat32), size, sitk.Transform(),
                         interpolator or sitk.sitkLinear, image.GetOrigin(), (spacing_mm,) * 3,
                         image.GetDirection(), default, sitk.sitkFloat32)


def resample_mask(mask_img, ref):
    """Resample a 0/1 mask onto ``ref``'s grid by linear interpolation and a 0.5 level (which
    keeps the surface where it was, unlike nearest neighbour). Returns a numpy bool array."""
    import SimpleITK as sitk

    f = sitk.Resample(sitk.Cast(mask_img, sitk.sitkFloat32), ref, sitk.Transform(),
                      sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    return sitk.GetArrayViewFromImage(f) >= 0.5


def mask_stats(mask: np.ndarray, grid: Grid) -> dict:
    """Voxel count, volume (ml) and axis-aligned LPS bounding box of a mask's voxel centres."""
    voxels = int(np.count_nonzero(mask))
    out = {"voxels": voxels, "volume_ml": voxels * grid.voxel_volume_mm3 / 1000.0,
           "bbox_lps_mm": None}
    if voxels:
        idx = np.argwhere(mask)
        lo, hi = idx.min(axis=0), idx.max(axis=0)
        corners = np.array([[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1])
                            for c in (lo[2], hi[2])], dtype=float)
        pts = grid.zyx_to_lps(corners)
        out["bbox_lps_mm"] = [[float(v) for v in pts.min(axis=0)],
                              [float(v) for v in pts.max(axis=0)]]
    return out


def sample(arr: np.ndarray, idx_zyx: np.ndarray, order: int = 1, cval: float = 0.0) -> np.ndarray:
    """Values of ``arr`` at continuous indices ``(..., 3)`` (linear by default)."""
    from scipy import ndimage as ndi

    idx = np.asarray(idx_zyx, dtype=float)
    flat = idx.reshape(-1, 3).T
    vals = ndi.map_coordinates(arr, flat, order=order, mode="constant", cval=cval)
    return vals.reshape(idx.shape[:-1])


def sub_grid(grid: Grid, sl: tuple[slice, ...]) -> Grid:
    """The grid of ``array[sl]`` (a box cut out of ``grid``)."""
    lo = np.array([s.start or 0 for s in sl], dtype=float)
    shape = [s.stop - (s.start or 0) for s in sl]
    origin = grid.zyx_to_lps(lo)[0]
    return Grid(tuple(float(v) for v in origin), grid.spacing_mm, grid.direction,
                (int(shape[2]), int(shape[1]), int(shape[0])))


def to_image(arr: np.ndarray, grid: Grid):
    """A SimpleITK image of ``arr`` with ``grid``'s geometry."""
    import SimpleITK as sitk

    img = sitk.GetImageFromArray(arr)
    img.SetOrigin(grid.origin_lps_mm)
    img.SetSpacing(grid.spacing_mm)
    img.SetDirection(grid.direction)
    return img


def coarsen_mask(mask: np.ndarray, grid: Grid, spacing_mm: float) -> tuple[np.ndarray, Grid]:
    """The mask on an isotropic grid of ``spacing_mm`` (returned unchanged when the grid is
    already that coarse)."""
    if min(grid.spacing_mm) >= spacing_mm * 0.999:
        return mask, grid
    img = to_image(mask.astype(np.float32), grid)
    coarse = resample_isotropic(img, spacing_mm, default=0.0)
    return array(coarse) >= 0.5, Grid.of(coarse)
