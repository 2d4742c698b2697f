"""Resample an irregular stack of planes onto a regular orthogonal grid.

Used when slice origins do not lie on one line along the slice normal (gantry tilt: the
origins slide in-plane as the table moves) or when the spacing along the normal is uneven
(a missing, dropped or extra slice). The output grid has the planes' own row and column
directions, the slice normal as third axis, the first plane's origin, and the plan's regular
spacing; each output voxel is linearly interpolated along the normal between the two nearest
planes, each sampled (bilinearly) at the voxel's in-plane position. Voxels that fall outside
the acquired planes get the volume's minimum value (air / padding).
"""

from __future__ import annotations

from twindesk.io.dicom.assemble import VolumePlan


def regularize(stacked, plan: VolumePlan, cancel=None):
    """The volume of ``plan`` on its regular grid, from the planes stacked in plan order.

    Integer input stays integer (values rounded); geometry is ``plan``'s grid.
    """
    import numpy as np
    import SimpleITK as sitk
    from scipy import ndimage

    planes = sitk.GetArrayFromImage(stacked)
    dtype = planes.dtype
    fill = float(planes.min())
    sx, sy, dz = plan.spacing_mm
    d = np.asarray(plan.distances_mm) - plan.distances_mm[0]
    # plane s's pixel (i, j) lies at (i sx + off_x, j sy + off_y) mm from the first plane's
    # origin; grid pixel (i, j) at (i sx + start_x, j sy + start_y): the grid reads the plane
    # shifted by (off - start) / spacing
    shifts = (np.asarray(plan.offsets_mm) - np.asarray(plan.grid_offset_mm)) / (sx, sy)
    cols, rows = plan.size[:2]
    data = np.full((len(planes), rows, cols), fill, np.float32)
    data[:, : planes.shape[1], : planes.shape[2]] = planes
    if np.abs(shifts).max() > 0:
        for s in range(len(data)):
            if cancel is not None:
                cancel.check()
            data[s] = ndimage.shift(data[s], (shifts[s, 1], shifts[s, 0]), order=1,
                                    mode="constant", cval=fill)
    nz = plan.size[2]
    index = np.interp(np.arange(nz) * dz, d, np.arange(len(d), dtype=float))
    lower = np.minimum(np.floor(index).astype(int), len(d) - 2)
    weight = index - lower
    integer = np.issubdtype(dtype, np.integer)
    out = np.empty((nz, *data.shape[1:]), dtype=dtype if integer else np.float32)
    for k in range(nz):  # slice by slice: no full-size temporaries
        plane = (1 - weight[k]) * data[lower[k]] + weight[k] * data[lower[k] + 1]
        if integer:
            info = np.iinfo(dtype)
            plane = np.clip(np.rint(plane), info.min, info.max)
        out[k] = plane
    image = sitk.GetImageFromArray(out)
    image.SetSpacing(plan.spacing_mm)
    image.SetOrigin(plan.origin_lps_mm)
    image.SetDirection(plan.direction)
    return image
