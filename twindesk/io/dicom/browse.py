"""What the import dialog shows: every series of a folder with a thumbnail.

Qt-free; the GUI runs :func:`browse_folder` as a job and fills its series table from the
result. Descriptions are exactly ``twindesk scan``'s series entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import DicomError
from twindesk.jobs import ProgressReporter

THUMB_PX = 96
#: Thumbnail display window (HU): a vascular window, like the viewer's CTA preset.
THUMB_WIDTH_HU, THUMB_LEVEL_HU = 700.0, 200.0


@dataclass
class FolderListing:
    """Series found under ``root`` (scan entries) and a thumbnail per series (or None)."""

    root: Path
    series: list[dict[str, Any]] = field(default_factory=list)
    thumbnails: list[np.ndarray | None] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def middle_plane(plan) -> np.ndarray:
    """The middle plane of a volume series in stored values after rescale (HU for CT)."""
    import SimpleITK as sitk

    volume, _phase = plan.volume()
    frame = volume.frames[len(volume.frames) // 2]
    image = sitk.ReadImage(str(frame.path))
    arr = sitk.GetArrayFromImage(image)
    arr = arr[frame.index] if arr.ndim == 3 else arr
    return arr[..., 0] if arr.ndim == 3 else arr  # RGB secondary captures: first channel


def thumbnail(plane: np.ndarray, size_px: int = THUMB_PX) -> np.ndarray:
    """An 8-bit thumbnail (longest side ``size_px``) of a plane, vascular window."""
    step = max(1, int(np.ceil(max(plane.shape) / size_px)))
    small = plane[::step, ::step].astype(np.float32)
    lo = THUMB_LEVEL_HU - THUMB_WIDTH_HU / 2
    return np.clip((small - lo) * (255.0 / THUMB_WIDTH_HU), 0, 255).astype(np.uint8)


def browse_folder(root: Path, progress=None, cancel=None) -> FolderListing:
    """Scan ``root`` and describe every series, with a thumbnail for each volume series.

    Raises :class:`DicomError` when the folder holds no DICOM image series at all.
    """
    from twindesk.io.dicom.scan import scan
    from twindesk.io.dicom.series import describe, plan_all

    report = ProgressReporter(progress, cancel=cancel)
    result = scan(Path(root), report.sub(0.0, 0.7), cancel)
    plans = plan_all(result)
    if not plans:
        shown = "; ".join(f"{s['file']}: {s['reason']}" for s in result.skipped[:3])
        raise DicomError(f"{root}: no DICOM image series found"
                         + (f" ({len(result.skipped)} file(s) skipped: {shown})"
                            if result.skipped else " (the folder is empty)"),
                         "choose the folder that holds the CT series (or a parent folder)")
    listing = FolderListing(Path(root), skipped=list(result.skipped))
    for n, plan in enumerate(plans):
        report(0.7 + 0.3 * n / len(plans), f"series {n + 1} of {len(plans)}")
        entry = describe(plan)
        thumb = None
        if entry["importable"]:
            try:
                thumb = thumbnail(middle_plane(plan))
            except (RuntimeError, IndexError, DicomError):
                thumb = None  # a thumbnail is a convenience; the series stays listed
        listing.series.append(entry)
        listing.thumbnails.append(thumb)
    report(1.0, "done")
    return listing
