"""The follow-up resampled onto the baseline grid lands where the known rigid motion says."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.model.case import Case

from .synthetic_aorta import rotation, volume

R_BASE, R_FU = 16.0, 18.0
BASE_GRID = (1.5, (-52.0, -55.0, -55.0), (70, 70, 70))


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume
    from twindesk.twin.followup import FollowUpParams, run

    root = tmp_path_factory.mktemp("overlay")
    base = volume(R_BASE, *BASE_GRID)
    fu = volume(R_FU, 1.25, (-58.0, -62.0, -50.0), (94, 96, 90), rotation(4.0, -3.0, 6.0),
                (8.0, -5.0, 6.0), seed=2)
    sitk.WriteImage(fu, str(root / "fu.mha"))
    path = root / "b.twin"
    case = Case.create(path)
    case.put_artifact("volume", lambda p: write_case_volume(base, p), ".mha", "volume")
    case.doc["image"] = {**geometry_of(base), "modality": "CT"}
    case.doc["study"] = {"date": "20230110"}
    case.save("import", {})
    case.close()
    run(FollowUpParams(path, root / "fu.mha", study_date="2024-07-10", segmenter="threshold"))
    return path


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def test_resampled_follow_up_matches_the_follow_up_anatomy_on_the_baseline_grid(followed):
    import SimpleITK as sitk

    from twindesk.twin.overlay import OUTSIDE_HU, followup_on_baseline, followups

    with Case.open(followed, write=False) as case:
        [rec] = followups(case.doc)
        on_base = followup_on_baseline(case, rec["id"])
        assert on_base.shape == sitk.GetArrayViewFromImage(case.image()).shape
    # the follow-up's anatomy (wider ascending aorta) placed like the baseline, no noise
    truth = sitk.GetArrayFromImage(volume(R_FU, *BASE_GRID)) > 220
    seen = on_base > 220
    inside = on_base != OUTSIDE_HU
    # the registration recovers the motion to a fraction of a voxel: the lumen and bone
    # masks coincide (Dice 1 would need identical partial-volume edges)
    assert dice(seen & inside, truth & inside) > 0.95
    # while the baseline's own lumen (narrower ascending aorta) agrees less well
    base = sitk.GetArrayFromImage(volume(R_BASE, *BASE_GRID)) > 220
    assert dice(seen & inside, base & inside) < dice(seen & inside, truth & inside)


def test_unknown_follow_up_is_refused(followed):
    from twindesk.twin.overlay import followup_on_baseline

    with Case.open(followed, write=False) as case, pytest.raises(InputError, match="fu-9"):
        followup_on_baseline(case, "fu-9")
