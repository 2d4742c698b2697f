"""Hand-editing operations on a mask: brush paint/erase, threshold in a region, fill holes,
keep the largest island, smooth.

Each is a pure function ``(mask, ...) -> new mask`` on bool arrays ``[z, y, x]`` with the
image grid to convert LPS millimetres; :func:`apply_edit` dispatches an :class:`Edit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.grid import Grid

OPERATIONS = ("paint", "erase", "threshold", "fill_holes", "keep_largest", "smooth")


@dataclass(frozen=True)
class Edit:
    """One edit. ``center_lps_mm`` + ``radius_mm`` give the brush / region sphere;
    ``box_lps_mm`` (two opposite corners) a box region for ``threshold`` instead;
    ``low_hu`` / ``high_hu`` the threshold window; ``sigma_mm`` the smoothing width."""

    operation: str
    center_lps_mm: tuple[float, float, float] | None = None
    radius_mm: float | None = None
    box_lps_mm: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    low_hu: float | None = None
    high_hu: float | None = None
    sigma_mm: float = 1.0

    def label(self, structure: str) -> str:
        """A short human description for the undo history."""
        where = ""
        if self.center_lps_mm is not None:
            where = f" at ({', '.join(f'{v:.1f}' for v in self.center_lps_mm)}) r {self.radius_mm:g} mm"
        elif self.box_lps_mm is not None:
            where = " in box"
        extra = ""
        if self.operation == "threshold":
            extra = f" {self.low_hu:g}..{self.high_hu:g} HU"
        elif self.operation == "smooth":
            extra = f" sigma {self.sigma_mm:g} mm"
        return f"{self.operation.replace('_', ' ')} {structure}{extra}{where}"


def sphere_region(grid: Grid, center_lps_mm, radius_mm: float) -> tuple[tuple[slice, ...], np.ndarray]:
    """Slices of the sphere's bounding box and the sphere's voxels inside it (bool)."""
    if radius_mm is None or not np.isfinite(radius_mm) or radius_mm <= 0:
        raise InputError(f"--radius-mm: {radius_mm} is not a positive radius",
                         "give the brush radius in millimetres, e.g. --radius-mm 5")
    c = grid.lps_to_zyx(center_lps_mm)[0]
    # A sphere in LPS is an ellipsoid-ish set of voxels: bound it by the radius in index units.
    reach = radius_mm / grid.spacing_zyx.min() + 1
    lo = np.maximum(np.floor(c - reach).astype(int), 0)
    hi = np.minimum(np.ceil(c + reach).astype(int) + 1, grid.shape)
    if np.any(hi <= lo):
        raise InputError(f"the point {list(center_lps_mm)} lies outside the image",
                         "give a point inside the volume (LPS mm)")
    sl = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    zz, yy, xx = np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij")
    idx = np.stack([zz, yy, xx], -1).reshape(-1, 3)
    d = np.linalg.norm(grid.zyx_to_lps(idx) - np.asarray(center_lps_mm, float), axis=1)
    return sl, (d <= radius_mm).reshape(zz.shape)


def box_region(grid: Grid, corners_lps_mm) -> tuple[tuple[slice, ...], np.ndarray]:
    """Slices and voxels of an LPS-axis-aligned box given by two opposite corners."""
    a, b = (np.asarray(c, float) for c in corners_lps_mm)
    lo_lps, hi_lps = np.minimum(a, b), np.maximum(a, b)
    corners = np.array([[x, y, z] for x in (lo_lps[0], hi_lps[0]) for y in (lo_lps[1], hi_lps[1])
                        for z in (lo_lps[2], hi_lps[2])])
    idx = grid.lps_to_zyx(corners)
    lo = np.maximum(np.floor(idx.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(idx.max(axis=0)).astype(int) + 1, grid.shape)
    if np.any(hi <= lo):
        raise InputError("the box lies outside the image", "give corners inside the volume")
    sl = tuple(slice(int(x), int(y)) for x, y in zip(lo, hi))
    zz, yy, xx = np.meshgrid(*[np.arange(x, y) for x, y in zip(lo, hi)], indexing="ij")
    pts = grid.zyx_to_lps(np.stack([zz, yy, xx], -1).reshape(-1, 3))
    inside = np.all((pts >= lo_lps - 1e-6) & (pts <= hi_lps + 1e-6), axis=1)
    return sl, inside.reshape(zz.shape)


def paint(mask: np.ndarray, grid: Grid, center_lps_mm, radius_mm: float) -> np.ndarray:
    """Add a ball of ``radius_mm`` around ``center_lps_mm``."""
    out = mask.copy()
    sl, ball = sphere_region(grid, center_lps_mm, radius_mm)
    out[sl] |= ball
    return out


def erase(mask: np.ndarray, grid: Grid, center_lps_mm, radius_mm: float) -> np.ndarray:
    """Remove a ball of ``radius_mm`` around ``center_lps_mm``."""
    out = mask.copy()
    sl, ball = sphere_region(grid, center_lps_mm, radius_mm)
    out[sl] &= ~ball
    return out


def threshold(mask: np.ndarray, hu: np.ndarray, region: tuple[tuple[slice, ...], np.ndarray],
              low_hu: float, high_hu: float) -> np.ndarray:
    """Inside ``region`` the mask becomes exactly the voxels with ``low_hu <= HU <= high_hu``;
    outside it nothing changes."""
    if low_hu is None or high_hu is None or not low_hu <= high_hu:
        raise InputError(f"--threshold: '{low_hu},{high_hu}' is not a window LOW,HIGH",
                         "give two HU values with LOW <= HIGH, e.g. --threshold 200,900")
    sl, reg = region
    out = mask.copy()
    win = (hu[sl] >= low_hu) & (hu[sl] <= high_hu)
    out[sl] = np.where(reg, win, out[sl])
    return out


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill cavities that are enclosed in 3D (face connectivity to the outside)."""
    from scipy import ndimage as ndi

    return ndi.binary_fill_holes(mask)


def keep_largest(mask: np.ndarray) -> np.ndarray:
    """Keep only the largest face-connected island."""
    from scipy import ndimage as ndi

    lab, n = ndi.label(mask)
    if n <= 1:
        return mask.copy()
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    return lab == int(np.argmax(sizes))


def smooth(mask: np.ndarray, grid: Grid, sigma_mm: float) -> np.ndarray:
    """Gaussian-smooth the mask's surface: blur the 0/1 field by ``sigma_mm`` and keep the
    level that preserves the volume (removes single-voxel bumps and pits without shrinking)."""
    from scipy import ndimage as ndi

    from twindesk.imaging.blood import bbox_slices

    if not np.isfinite(sigma_mm) or sigma_mm <= 0:
        raise InputError(f"--smooth: {sigma_mm} is not a positive width",
                         "give the smoothing width in millimetres, e.g. --smooth 1.0")
    if not mask.any():
        return mask.copy()
    pad = int(np.ceil(3 * sigma_mm / grid.spacing_zyx.min())) + 1
    sl = bbox_slices(mask, pad=pad)
    sigma_vox = sigma_mm / grid.spacing_zyx
    blurred = ndi.gaussian_filter(mask[sl].astype(np.float32), sigma_vox, mode="constant")
    # The level that keeps the voxel count (blurring alone shrinks convex shapes by about
    # sigma^2 / radius), kept near one half so holes and bumps still go.
    n = int(mask.sum())
    flat = np.sort(blurred.ravel())[::-1]
    level = float(np.clip(flat[min(n, flat.size) - 1], 0.3, 0.7))
    out = np.zeros_like(mask)
    out[sl] = blurred >= level
    return out


def apply_edit(mask: np.ndarray, hu: np.ndarray | None, grid: Grid, edit: Edit) -> np.ndarray:
    """Run one :class:`Edit` and return the new mask."""
    op = edit.operation
    if op in ("paint", "erase"):
        if edit.center_lps_mm is None:
            raise InputError(f"--{op} needs a point X,Y,Z", "e.g. --paint 10,-180,650 --radius-mm 5")
        fn = paint if op == "paint" else erase
        return fn(mask, grid, edit.center_lps_mm, edit.radius_mm)
    if op == "threshold":
        if edit.box_lps_mm is not None:
            region = box_region(grid, edit.box_lps_mm)
        elif edit.center_lps_mm is not None:
            region = sphere_region(grid, edit.center_lps_mm, edit.radius_mm)
        else:
            raise InputError("--threshold needs a region", "add --center X,Y,Z --radius-mm R, "
                             "or --box \"X,Y,Z;X,Y,Z\"")
        return threshold(mask, hu, region, edit.low_hu, edit.high_hu)
    if op == "fill_holes":
        return fill_holes(mask)
    if op == "keep_largest":
        return keep_largest(mask)
    if op == "smooth":
        return smooth(mask, grid, edit.sigma_mm)
    raise InputError(f"unknown edit operation '{op}'", f"choose one of: {', '.join(OPERATIONS)}")


def edit_case(case_path, structure: str, edit: Edit) -> dict:
    """Apply ``edit`` to the case's stored mask of ``structure`` as one undoable command.

    Returns the ``twindesk edit`` result object.
    """
    from twindesk.imaging import labels
    from twindesk.imaging.grid import array, mask_stats
    from twindesk.model import commands
    from twindesk.model.case import Case

    with Case.open(case_path, require_write=True) as case:
        if not labels.has(case, structure):
            raise InputError(f"case {case_path} has no {structure} mask to edit",
                             f"run 'twindesk segment {case_path} --structure {structure}' first")
        image = case.image()
        grid = Grid.of(image)
        mask = labels.load(case, structure)
        hu = array(image) if edit.operation == "threshold" else None
        new = apply_edit(mask, hu, grid, edit)
        changed = int(np.count_nonzero(new != mask))
        label = edit.label(structure)
        if changed:
            old_meta = case.artifact(labels.key(structure)).get("meta", {})
            stats = labels.store(case, structure, new, label,
                                 {**old_meta, "edited": True, "last_edit": edit.operation})
            case.save("edit", {"structure": structure, "operation": edit.operation,
                               "changed_voxels": changed})
        else:  # nothing to undo later: record the attempt, change nothing
            stats = mask_stats(mask, grid)
            case.log_action("edit", {"structure": structure, "operation": edit.operation,
                                     "changed_voxels": 0})
        return {"structure": structure, "operation": edit.operation, "label": label,
                "voxels_before": int(mask.sum()), "voxels": stats["voxels"],
                "changed_voxels": changed, "volume_ml": round(stats["volume_ml"], 3),
                **commands.summary(case.doc)}
