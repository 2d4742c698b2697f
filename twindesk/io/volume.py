"""Volumes on disk: research formats in, the case's fast-reopen format, exports out.

All images are SimpleITK images in LPS millimetres with real direction cosines.
"""

from __future__ import annotations

from pathlib import Path

from twindesk.errors import InputError

VOLUME_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
EXPORT_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha")  # single-file formats only
CASE_VOLUME_EXT = ".mha"  # uncompressed MetaImage: one header + raw voxels, fastest to reopen


def has_volume_suffix(path: Path) -> bool:
    name = Path(path).name.lower()
    return any(name.endswith(s) for s in VOLUME_SUFFIXES)


def read_volume(path: Path):
    """Read a NIfTI / NRRD / MetaImage file (physical geometry as stored, LPS)."""
    import SimpleITK as sitk

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file", "check the path")
    try:
        return sitk.ReadImage(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise InputError(f"{path}: cannot read the volume ({first[:200]})",
                         "check that the file is a complete NIfTI, NRRD or MHA volume") from None


def write_case_volume(image, path: Path) -> None:
    """Write the case's stored copy (uncompressed MetaImage)."""
    import SimpleITK as sitk

    sitk.WriteImage(image, str(path), useCompression=False)


def export_volume(image, out: Path) -> None:
    """Export with exact physical geometry; the format follows ``out``'s extension."""
    import SimpleITK as sitk

    if not Path(out).name.lower().endswith(EXPORT_SUFFIXES):
        raise InputError(f"{out}: unknown volume format",
                         f"use one of {', '.join(EXPORT_SUFFIXES)}")
    compress = Path(out).name.lower().endswith((".nii.gz", ".nrrd"))
    try:
        sitk.WriteImage(image, str(out), useCompression=compress)
    except RuntimeError as exc:
        raise InputError(f"{out}: cannot write ({str(exc).strip().splitlines()[-1][:200]})",
                         "check the folder exists and is writable") from None


def geometry_of(image) -> dict:
    """Size, spacing, origin and direction of an image, as stored in ``case.json``."""
    return {
        "size": [int(v) for v in image.GetSize()],
        "spacing_mm": [float(v) for v in image.GetSpacing()],
        "origin_lps_mm": [float(v) for v in image.GetOrigin()],
        "direction": [float(v) for v in image.GetDirection()],
    }


def export_case_volume(case, out: Path, arg: str | None = None) -> dict:
    """``twindesk export CASE OUT --what volume``: the stored volume, exact geometry."""
    from twindesk.io.atomic import atomic_move_into

    if arg:
        raise InputError(f"--what volume:{arg}: the volume has no name part", "use --what volume")
    tmp = Path(out).with_name(f".{Path(out).name}.partial" + "".join(Path(out).suffixes))
    export_volume(case.image(), tmp)
    atomic_move_into(tmp, Path(out))
    return {"format": "".join(Path(out).suffixes).lstrip(".")}
