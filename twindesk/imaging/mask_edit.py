"""Hand edits of binary label masks (brush, threshold, seeded region growing) and storing a
mask in a case as an undoable command.

Masks are uint8 arrays ``[k, j, i]`` on the case volume's grid (values 0/1); geometry is the
volume's :class:`~twindesk.imaging.mpr.VolumeGeometry` (LPS mm).
"""

from __future__ import annotations

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.mpr import VolumeGeometry


def _box(geometry: VolumeGeometry, center_lps_mm, radius_mm: float) -> tuple[slice, ...] | None:
    """Numpy index box ``[k, j, i]`` of the voxels within ``radius_mm`` of a point."""
    corners = np.array([[dx, dy, dz] for dx in (-1, 1) for dy in (-1, 1) for dz in (-1, 1)],
                       float) * radius_mm + np.asarray(center_lps_mm, float)
    ijk = geometry.lps_to_index(corners)
    lo = np.maximum(np.floor(ijk.min(0)).astype(int), 0)
    hi = np.minimum(np.ceil(ijk.max(0)).astype(int) + 1, np.asarray(geometry.size))
    if np.any(hi <= lo):
        return None
    return tuple(slice(int(lo[a]), int(hi[a])) for a in (2, 1, 0))


def brush(mask: np.ndarray, geometry: VolumeGeometry, center_lps_mm, radius_mm: float,
          value: int, normal_lps=None) -> int:
    """Set the voxels of a brush stroke to ``value`` (1 paint, 0 erase), in place.

    With ``normal_lps`` the brush is a disc in the viewed plane (voxel centres within
    ``radius_mm`` of the centre and within half a voxel of the plane); without it a ball.
    Returns the number of voxels whose value changed.
    """
    if radius_mm <= 0:
        raise InputError(f"brush radius {radius_mm} mm", "use a radius above 0 mm")
    box = _box(geometry, center_lps_mm, radius_mm)
    if box is None:
        return 0
    k, j, i = np.meshgrid(*(np.arange(s.start, s.stop) for s in box), indexing="ij")
    lps = geometry.index_to_lps(np.stack([i, j, k], axis=-1).astype(float))
    d = lps - np.asarray(center_lps_mm, float)
    inside = np.einsum("...a,...a->...", d, d) <= radius_mm ** 2
    if normal_lps is not None:
        n = np.asarray(normal_lps, float) / np.linalg.norm(normal_lps)
        half = 0.5 / np.max(np.abs(np.linalg.inv(geometry.matrix) @ n))  # half a voxel step
        inside &= np.abs(d @ n) <= half + 1e-6
    region = mask[box]
    changed = int(np.count_nonzero(region[inside] != value))
    region[inside] = value
    return changed


def threshold(volume: np.ndarray, low_hu: float, high_hu: float,
              within: np.ndarray | None = None) -> np.ndarray:
    """Voxels with ``low_hu ≤ value ≤ high_hu`` (restricted to ``within`` when given)."""
    if low_hu > high_hu:
        raise InputError(f"threshold {low_hu} > {high_hu} HU", "the lower bound must be lower")
    out = (volume >= low_hu) & (volume <= high_hu)
    if within is not None:
        out &= within.astype(bool)
    return out.astype(np.uint8)


def grow_from_seed(volume: np.ndarray, geometry: VolumeGeometry, seed_lps_mm, low_hu: float,
                   high_hu: float) -> np.ndarray:
    """The 6-connected region of voxels in [low, high] HU that contains the seed voxel."""
    from scipy import ndimage as ndi

    ijk = np.rint(geometry.lps_to_index(seed_lps_mm)).astype(int)
    if not geometry.contains_index(ijk):
        raise InputError(f"seed {np.round(seed_lps_mm, 1).tolist()} mm is outside the volume",
                         "click inside the image")
    inside = threshold(volume, low_hu, high_hu).astype(bool)
    seed = (ijk[2], ijk[1], ijk[0])
    if not inside[seed]:
        raise InputError(f"the seed voxel is {volume[seed]} HU, outside [{low_hu:.0f}, "
                         f"{high_hu:.0f}] HU", "click inside the structure or widen the range")
    labels, _ = ndi.label(inside)
    return (labels == labels[seed]).astype(np.uint8)


def mask_volume_ml(mask: np.ndarray, geometry: VolumeGeometry) -> float:
    """Volume of a mask in millilitres (voxel count × voxel volume)."""
    voxel_mm3 = abs(float(np.linalg.det(geometry.matrix)))
    return float(np.count_nonzero(mask)) * voxel_mm3 / 1000.0


def commit_mask(case, structure: str, mask: np.ndarray, label: str) -> dict | None:
    """Store ``mask`` as the case's ``labels:<structure>`` artefact as one undoable command
    (:mod:`twindesk.model.commands`); the document changes in memory (the caller saves).

    Returns the command, or None when the mask is unchanged.
    """
    import SimpleITK as sitk

    from twindesk.io.volume import write_case_volume
    from twindesk.model import commands

    reference = case.image()
    if tuple(mask.shape[::-1]) != tuple(reference.GetSize()):
        raise InputError(f"mask for '{structure}' has shape {mask.shape}, the volume "
                         f"{reference.GetSize()[::-1]}", "edit on the case's own grid")
    image = sitk.GetImageFromArray((mask > 0).astype(np.uint8))
    image.CopyInformation(reference)
    name = f"labels:{structure}"
    meta = {"structure": structure, "source": label}
    with commands.recording(case, label, [commands.pointer("artifacts", name)]) as rec:
        case.put_artifact(name, lambda p: write_case_volume(image, p), ".mha", "labels", meta)
    return rec["command"]
