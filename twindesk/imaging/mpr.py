"""Planar reslicing of a volume: the three standard MPR planes and oblique planes.

Every 2D image produced here carries the exact mapping from its pixels to LPS millimetres,
so viewers, measurements and tools never guess the geometry:

``lps = origin_lps_mm + col * col_step_lps_mm + row * row_step_lps_mm``

Standard planes follow the radiological display convention (DICOM PS3.3 C.7.6.2.1.1 patient
coordinates; viewer convention as in most CT workstations): the patient's left is on the
right of the screen in axial and coronal views, anterior is up in axial, superior is up in
coronal and sagittal, and anterior is on the left in sagittal.

When the volume's direction cosines are a signed permutation (the usual axial CT) a standard
plane is a plain array slice (exact voxel values, no interpolation, well under a millisecond);
otherwise it is resampled with trilinear interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twindesk.imaging.grid import Grid

#: (column direction, row direction, scroll direction) of each standard plane, unit LPS.
STANDARD_PLANES: dict[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]] = {
    "axial": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),        # screen right = L, down = P; wheel → S
    "coronal": ((1, 0, 0), (0, 0, -1), (0, -1, 0)),    # right = L, down = I; wheel → A
    "sagittal": ((0, 1, 0), (0, 0, -1), (1, 0, 0)),    # right = P, down = I; wheel → L
}


@dataclass(frozen=True)
class VolumeGeometry(Grid):
    """Voxel grid of a volume in LPS millimetres (the SimpleITK convention), with helpers in
    voxel-index order ``(i, j, k)`` (i fastest) for the viewers.

    ``lps = origin_lps_mm + direction @ (spacing_mm * ijk)``; the numpy array of the volume is
    indexed ``[k, j, i]``. The same grid as :class:`twindesk.imaging.grid.Grid` (whose
    helpers use ``(z, y, x)`` order).
    """

    @classmethod
    def of_image(cls, image: Any) -> VolumeGeometry:
        """Geometry of a SimpleITK image."""
        g = Grid.of(image)
        return cls(g.origin_lps_mm, g.spacing_mm, g.direction, g.size)

    def index_to_lps(self, ijk: np.ndarray) -> np.ndarray:
        """Continuous voxel index ``(..., 3)`` (i, j, k) → LPS mm ``(..., 3)``."""
        return np.asarray(ijk, float) @ self.matrix.T + np.asarray(self.origin_lps_mm)

    def lps_to_index(self, lps_mm: np.ndarray) -> np.ndarray:
        """LPS mm ``(..., 3)`` → continuous voxel index (i, j, k) ``(..., 3)``."""
        inv = np.linalg.inv(self.matrix)
        return (np.asarray(lps_mm, float) - np.asarray(self.origin_lps_mm)) @ inv.T

    def contains_index(self, ijk: np.ndarray) -> bool:
        """True when the nearest voxel of ``ijk`` lies inside the grid."""
        idx = np.rint(np.asarray(ijk, float))
        return bool(np.all(idx >= 0) and np.all(idx < np.asarray(self.size)))

    def center_lps(self) -> np.ndarray:
        """LPS mm of the centre of the grid."""
        return self.index_to_lps((np.asarray(self.size, float) - 1) / 2)

    def corners_lps(self) -> np.ndarray:
        """The 8 corner voxel centres in LPS mm, ``(8, 3)``."""
        hi = np.asarray(self.size, float) - 1
        ijk = np.array([[a, b, c] for a in (0, hi[0]) for b in (0, hi[1]) for c in (0, hi[2])])
        return self.index_to_lps(ijk)

    def axis_permutation(self, tol: float = 1e-6) -> tuple[tuple[int, int], ...] | None:
        """For a signed-permutation direction: per LPS axis ``a`` the pair (index axis, sign).

        ``None`` when the volume is oblique (direction not a signed permutation).
        """
        d = np.asarray(self.direction, float).reshape(3, 3)
        out = []
        for a in range(3):
            j = int(np.argmax(np.abs(d[a])))
            if abs(abs(d[a, j]) - 1) > tol or np.sum(np.abs(d[a]) > tol) != 1:
                return None
            out.append((j, 1 if d[a, j] > 0 else -1))
        if len({j for j, _ in out}) != 3:
            return None
        return tuple(out)


@dataclass(frozen=True)
class PlaneImage:
    """A resliced 2D image and its exact pixel → LPS mapping.

    ``pixels[row, col]`` holds the value at ``origin_lps_mm + col * col_step_lps_mm +
    row * row_step_lps_mm``. ``inside`` is False when the plane misses the volume (pixels then
    hold the background value).
    """

    pixels: np.ndarray
    origin_lps_mm: np.ndarray
    col_step_lps_mm: np.ndarray
    row_step_lps_mm: np.ndarray
    inside: bool = True

    @property
    def normal_lps(self) -> np.ndarray:
        n = np.cross(self.col_step_lps_mm, self.row_step_lps_mm)
        return n / np.linalg.norm(n)

    @property
    def pixel_size_mm(self) -> tuple[float, float]:
        """(column spacing, row spacing) in mm."""
        return (float(np.linalg.norm(self.col_step_lps_mm)),
                float(np.linalg.norm(self.row_step_lps_mm)))

    def pixel_to_lps(self, col: float, row: float) -> np.ndarray:
        """Continuous pixel position → LPS mm."""
        return self.origin_lps_mm + col * self.col_step_lps_mm + row * self.row_step_lps_mm

    def lps_to_pixel(self, lps_mm: np.ndarray) -> tuple[float, float, float]:
        """LPS mm → (col, row, signed distance from the plane in mm along :attr:`normal_lps`)."""
        d = np.asarray(lps_mm, float) - self.origin_lps_mm
        cu, rv = self.col_step_lps_mm, self.row_step_lps_mm
        return (float(d @ cu / (cu @ cu)), float(d @ rv / (rv @ rv)),
                float(d @ self.normal_lps))


def background_value(array: np.ndarray) -> float:
    """Fill value outside the volume: air for CT-like data, zero for masks."""
    return float(min(array.min(initial=0), -1024)) if np.issubdtype(array.dtype, np.signedinteger) \
        else 0.0


def standard_slice(array: np.ndarray, geometry: VolumeGeometry, plane: str,
                   point_lps_mm: np.ndarray, order: int = 1) -> PlaneImage:
    """The axial, coronal or sagittal slice through ``point_lps_mm``.

    Parameters
    ----------
    array
        Volume values indexed ``[k, j, i]`` on ``geometry``'s grid (HU or labels).
    plane
        ``"axial"``, ``"coronal"`` or ``"sagittal"``.
    point_lps_mm
        A point on the plane, LPS mm (the crosshair).
    order
        Interpolation order when the volume is oblique (0 for label maps, 1 for images).
    """
    col_dir, row_dir, _ = (np.asarray(v, float) for v in STANDARD_PLANES[plane])
    perm = geometry.axis_permutation()
    if perm is None:
        return _resampled_standard(array, geometry, col_dir, row_dir, point_lps_mm, order)
    normal_axis = int(np.argmax(np.abs(np.cross(col_dir, row_dir))))
    col_axis, row_axis = int(np.argmax(np.abs(col_dir))), int(np.argmax(np.abs(row_dir)))
    ijk = geometry.lps_to_index(point_lps_mm)
    jn = perm[normal_axis][0]
    k = int(np.rint(ijk[jn]))
    inside = 0 <= k < geometry.size[jn]
    kc = min(max(k, 0), geometry.size[jn] - 1)
    # numpy axis of voxel index axis j is 2 - j
    index: list[Any] = [slice(None)] * 3
    index[2 - jn] = kc
    sl = array[tuple(index)]
    jc, jr = perm[col_axis][0], perm[row_axis][0]
    remaining = [j for j in (2, 1, 0) if j != jn]  # order of the 2D slice's axes (numpy order)
    if remaining.index(jr) != 0:
        sl = sl.T
    # flip so that increasing column/row goes along col_dir/row_dir
    flip_c = perm[col_axis][1] * col_dir[col_axis] < 0
    flip_r = perm[row_axis][1] * row_dir[row_axis] < 0
    if flip_c:
        sl = sl[:, ::-1]
    if flip_r:
        sl = sl[::-1, :]
    start = np.zeros(3)
    start[jn] = k
    if flip_c:
        start[jc] = geometry.size[jc] - 1
    if flip_r:
        start[jr] = geometry.size[jr] - 1
    m = geometry.matrix
    col_step = m[:, jc] * (-1 if flip_c else 1)
    row_step = m[:, jr] * (-1 if flip_r else 1)
    pixels = np.ascontiguousarray(sl) if inside else np.full(sl.shape, background_value(array),
                                                             dtype=array.dtype)
    return PlaneImage(pixels, geometry.index_to_lps(start), col_step, row_step, inside)


def _resampled_standard(array, geometry, col_dir, row_dir, point_lps_mm, order) -> PlaneImage:
    spacing = min(geometry.spacing_mm)
    corners = geometry.corners_lps()
    cs, rs = corners @ col_dir, corners @ row_dir
    p = np.asarray(point_lps_mm, float)
    origin = p - (p @ col_dir) * col_dir - (p @ row_dir) * row_dir \
        + cs.min() * col_dir + rs.min() * row_dir
    shape = (int(np.ceil((rs.max() - rs.min()) / spacing)) + 1,
             int(np.ceil((cs.max() - cs.min()) / spacing)) + 1)
    return sample_plane(array, geometry, origin, col_dir * spacing, row_dir * spacing, shape,
                        order)


def sample_plane(array: np.ndarray, geometry: VolumeGeometry, origin_lps_mm: np.ndarray,
                 col_step_lps_mm: np.ndarray, row_step_lps_mm: np.ndarray,
                 shape: tuple[int, int], order: int = 1) -> PlaneImage:
    """Resample ``array`` on the plane grid ``origin + col * col_step + row * row_step``.

    Trilinear (``order=1``) or nearest-voxel (``order=0``) interpolation; outside the volume
    the background value.
    """
    from scipy.ndimage import map_coordinates

    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    o = np.asarray(origin_lps_mm, float)
    cu, rv = np.asarray(col_step_lps_mm, float), np.asarray(row_step_lps_mm, float)
    inv = np.linalg.inv(geometry.matrix)
    # index = inv @ (origin - volume_origin) + col * inv@cu + row * inv@rv, per voxel axis
    base = inv @ (o - np.asarray(geometry.origin_lps_mm))
    ic, ir = inv @ cu, inv @ rv
    coords = np.stack([base[j] + cols * ic[j] + rows * ir[j] for j in (2, 1, 0)])
    bg = background_value(array)
    pixels = map_coordinates(array, coords, order=order, mode="constant", cval=bg,
                             prefilter=False)
    if order == 0:
        pixels = pixels.astype(array.dtype, copy=False)
    inside = bool(np.any((coords >= -0.5).all(axis=0) &
                         (coords <= (np.array(array.shape) - 0.5)[:, None, None]).all(axis=0)))
    return PlaneImage(pixels, o, cu, rv, inside)


def plane_axes(normal_lps: np.ndarray, up_hint_lps: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal (column, row) directions of a plane with the given normal.

    The row direction ("screen down") is the projection of ``-up_hint`` (default superior,
    or posterior when the normal is nearly superior), so oblique views stay upright.
    """
    n = np.asarray(normal_lps, float)
    n = n / np.linalg.norm(n)
    up = np.array([0.0, 0.0, 1.0]) if up_hint_lps is None else np.asarray(up_hint_lps, float)
    if abs(up @ n) / np.linalg.norm(up) > 0.95:
        up = np.array([0.0, -1.0, 0.0])  # anterior is "up" for near-axial planes
    down = -(up - (up @ n) * n)
    down /= np.linalg.norm(down)
    col = np.cross(down, n)
    return col, down


def oblique_slice(array: np.ndarray, geometry: VolumeGeometry, center_lps_mm: np.ndarray,
                  normal_lps: np.ndarray, *, spacing_mm: float | None = None,
                  half_width_mm: float | None = None, up_hint_lps: np.ndarray | None = None,
                  order: int = 1) -> PlaneImage:
    """A square oblique reslice centred on ``center_lps_mm`` with the given plane normal.

    ``spacing_mm`` defaults to the finest voxel spacing and ``half_width_mm`` to half the
    volume's diagonal, so the whole volume fits at any angle.
    """
    spacing = float(spacing_mm or min(geometry.spacing_mm))
    corners = geometry.corners_lps()
    half = float(half_width_mm or 0.5 * np.linalg.norm(corners.max(0) - corners.min(0)))
    col, down = plane_axes(normal_lps, up_hint_lps)
    n = int(np.ceil(2 * half / spacing)) + 1
    c = np.asarray(center_lps_mm, float)
    origin = c - (n - 1) / 2 * spacing * (col + down)
    return sample_plane(array, geometry, origin, col * spacing, down * spacing, (n, n), order)


def value_at(array: np.ndarray, geometry: VolumeGeometry, lps_mm: np.ndarray) -> float | None:
    """Value of the voxel nearest to ``lps_mm``; ``None`` outside the volume."""
    ijk = geometry.lps_to_index(lps_mm)
    if not geometry.contains_index(ijk):
        return None
    i, j, k = (int(v) for v in np.rint(ijk))
    return float(array[k, j, i])
