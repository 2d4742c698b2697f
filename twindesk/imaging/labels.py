"""Segmentation masks stored in a case: ``labels:<structure>``.

A mask is a uint8 0/1 MetaImage on the case volume's grid. Every change of a mask goes
through :func:`store` as an undoable command (:mod:`twindesk.model.commands`), so
segmentation runs and hand edits alike can be undone, also after reopening the case.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.errors import CaseError, InputError
from twindesk.imaging.grid import Grid, array, mask_image, mask_stats
from twindesk.model import commands

STRUCTURES = ("aorta", "lv", "la", "bloodpool")


def key(structure: str) -> str:
    """The artefact key of a structure's mask."""
    check_structure(structure)
    return f"labels:{structure}"


def check_structure(structure: str) -> None:
    if structure not in STRUCTURES:
        raise InputError(f"--structure: unknown structure '{structure}'",
                         f"choose one of: {', '.join(STRUCTURES)}")


def has(case, structure: str) -> bool:
    return case.artifact(key(structure)) is not None


def load(case, structure: str) -> np.ndarray:
    """The stored mask as a bool array ``[z, y, x]`` on the case grid."""
    import SimpleITK as sitk

    path = case.artifact_path(key(structure))
    img = sitk.ReadImage(str(path))
    ref = case.image()
    if tuple(img.GetSize()) != tuple(ref.GetSize()):
        raise CaseError(f"case {case.path}: '{key(structure)}' is not on the volume's grid",
                        "segment the structure again")
    return array(img) > 0


def store(case, structure: str, mask: np.ndarray, label: str,
          meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``mask`` as the structure's labels, recorded as one undoable command.

    The caller commits with ``case.save(...)``. Returns the mask statistics.
    """
    import SimpleITK as sitk

    ref = case.image()
    img = mask_image(mask, ref)
    stats = mask_stats(mask, Grid.of(ref))
    full_meta = {"structure": structure, "voxels": stats["voxels"],
                 "volume_ml": round(stats["volume_ml"], 3), **(meta or {})}
    name = key(structure)
    with commands.recording(case, label, [commands.pointer("artifacts", name)]):
        case.put_artifact(name, lambda p: sitk.WriteImage(img, str(p), useCompression=True),
                          ".mha", "labels", full_meta)
    return stats
