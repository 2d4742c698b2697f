"""A synthetic straight aortic root CT with tube branches (coronaries), for fast tests."""

import numpy as np

from twindesk.geometry.annulus import RootFrame

VOXEL_MM = 0.6
R_ROOT_MM = 13.0


def root_ct(branches, rng_seed=5):
    """A straight root (radius 13 mm, axis z, annulus plane z = 0) with tube branches
    ``(angle_deg, lower_edge_height_mm, diameter_mm, tilt_deg)`` leaving its wall; blood
    350 HU, tissue 40 HU, Gaussian blur (sigma 0.4 mm) and noise (15 HU)."""
    import SimpleITK as sitk
    from scipy import ndimage as ndi

    n = int(70 / VOXEL_MM)
    ax = (np.arange(n) - n / 2) * VOXEL_MM
    z, y, x = np.meshgrid(ax + 15.0, ax, ax, indexing="ij")
    # signed distances (mm, negative inside) of the root and the branches; partial volume
    # from the distance of each voxel centre (exact for a plane parallel to a voxel face)
    sdf = np.maximum(np.hypot(x, y) - R_ROOT_MM, -12.0 - z)
    frame = RootFrame(np.zeros(3), np.array([0.0, 0.0, 1.0]))
    for ang, lower, dia, tilt in branches:
        d = (np.cos(np.radians(tilt)) * frame.direction(ang)
             + np.sin(np.radians(tilt)) * frame.normal_lps)
        r = dia / 2
        # axis through the wall at the centre height: the lower edge meets the wall at
        # ``lower`` (a tilted tube's section in the wall is r / cos(tilt) high)
        p0 = frame.point(lower + r / np.cos(np.radians(tilt)), ang, R_ROOT_MM)
        q = np.stack([x - p0[0], y - p0[1], z - p0[2]], -1)
        t = q @ d
        tube = np.maximum(np.linalg.norm(q - t[..., None] * d, axis=-1) - r,
                          np.maximum(-R_ROOT_MM - t, t - 20.0))
        sdf = np.minimum(sdf, tube)
    hu = 40.0 + 310.0 * np.clip(0.5 - sdf / VOXEL_MM, 0.0, 1.0)
    hu = ndi.gaussian_filter(hu, 0.4 / VOXEL_MM)
    hu += np.random.default_rng(rng_seed).normal(0.0, 15.0, hu.shape)
    img = sitk.GetImageFromArray(hu.astype(np.float32))
    img.SetSpacing((VOXEL_MM,) * 3)
    img.SetOrigin((float(ax[0]), float(ax[0]), float(ax[0] + 15.0)))
    return img
