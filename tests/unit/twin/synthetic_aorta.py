"""Synthetic contrast CT of a simple aorta (ascending, arch, descending) with a spine,
sternum and a calcified nodule, rigidly placed and sampled on any grid.

Anatomy frame (mm, LPS): ascending aorta = cylinder along z at (x=-20, y=0), z from -40 to
10, radius ``r_asc_mm``; arch = cylinder along x at (y=0, z=18), x from -20 to 20, radius 10;
descending = cylinder along z at (x=20, y=0), z from -45 to 18, radius 11 (at least 11 mm
from the ascending aorta, as the pulmonary trunk keeps them apart). Lumen 400 HU,
soft tissue 40 HU, bone 1100 HU, Gaussian noise 15 HU (fixed seed).
"""

from __future__ import annotations

import numpy as np


def rotation(ax_deg: float, ay_deg: float, az_deg: float) -> np.ndarray:
    """R = Rz·Ry·Rx (ITK Euler3DTransform convention, ZYX order)."""
    ax, ay, az = np.radians([ax_deg, ay_deg, az_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _hu(q: np.ndarray, r_asc_mm: float) -> np.ndarray:
    x, y, z = q[..., 0], q[..., 1], q[..., 2]
    hu = np.full(x.shape, 40.0)
    asc = ((x + 20) ** 2 + y ** 2 <= r_asc_mm ** 2) & (z >= -40) & (z <= 10)
    arch = (y ** 2 + (z - 18) ** 2 <= 10 ** 2) & (x >= -20) & (x <= 20)
    desc = ((x - 20) ** 2 + y ** 2 <= 11 ** 2) & (z >= -45) & (z <= 18)
    hu[asc | arch | desc] = 400.0
    spine = (np.abs(x) <= 10) & (y >= 28) & (y <= 45)
    sternum = (np.abs(x) <= 25) & (y >= -48) & (y <= -44) & (np.abs(z) <= 30)
    nodule = (x + 42) ** 2 + (y + 20) ** 2 + (z + 20) ** 2 <= 4 ** 2
    hu[spine | sternum | nodule] = 1100.0
    return hu


def volume(r_asc_mm: float, spacing_mm: float, origin_lps_mm, size, rot=np.eye(3),
           shift_mm=(0.0, 0.0, 0.0), seed: int = 1):
    """SimpleITK int16 image: the anatomy moved by p = rot·q + shift, sampled on the grid."""
    import SimpleITK as sitk

    nx, ny, nz = size
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    p = np.stack([i, j, k], axis=-1) * spacing_mm + np.asarray(origin_lps_mm, float)
    q = (p - np.asarray(shift_mm)) @ rot  # rot^T (p - shift), row-vector form
    hu = _hu(q, r_asc_mm) + np.random.default_rng(seed).normal(0.0, 15.0, q.shape[:3])
    img = sitk.GetImageFromArray(np.round(hu).astype(np.int16))
    img.SetSpacing((spacing_mm,) * 3)
    img.SetOrigin(tuple(float(v) for v in origin_lps_mm))
    return img
