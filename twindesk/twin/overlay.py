"""A follow-up CT shown on the baseline: resampled onto the baseline grid through the rigid
transform stored at import (:mod:`twindesk.twin.followup`), for a fused view.

Display only: growth is measured on each study's own grid, never on this resampled copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.model.versions import twin_record, twin_records

#: Value outside the follow-up's field of view (air, so it shows black in any CT window).
OUTSIDE_HU = -1024


def followups(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The twin's follow-up records (``case.doc["twin"]["followups"]``), oldest first."""
    return twin_records(doc, "followups")


def followup_record(doc: dict[str, Any], followup_id: str) -> dict[str, Any]:
    return twin_record(doc, "followups", followup_id,
                       "import one first (Twin ▸ Import follow-up CT)")


def followup_on_baseline(case, followup_id: str) -> np.ndarray:
    """The follow-up volume resampled onto the case volume's grid, ``[k, j, i]`` int16 HU.

    Linear interpolation; voxels outside the follow-up's field of view are
    :data:`OUTSIDE_HU`. The stored transform maps baseline LPS points to follow-up LPS
    points, which is the direction resampling needs.
    """
    import SimpleITK as sitk

    from twindesk.io.volume import read_volume

    keys = followup_record(case.doc, followup_id)["artifacts"]
    moving = read_volume(case.artifact_path(keys["volume"]))
    transform = sitk.ReadTransform(str(case.artifact_path(keys["transform"])))
    out = sitk.Resample(moving, case.image(), transform, sitk.sitkLinear, float(OUTSIDE_HU),
                        sitk.sitkInt16)
    return sitk.GetArrayFromImage(out)
