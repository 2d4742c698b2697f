"""Mask edits against counted and analytic answers; storing masks as undoable commands."""

import numpy as np
import pytest
import SimpleITK as sitk

from twindesk.errors import InputError
from twindesk.imaging import mask_edit
from twindesk.imaging.mpr import VolumeGeometry
from twindesk.model import commands
from twindesk.model.case import Case

GEOM = VolumeGeometry((40, 40, 20), (0.5, 0.5, 2.0), (0.0, 0.0, 0.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))


def centres():
    k, j, i = np.mgrid[0:20, 0:40, 0:40]
    return GEOM.index_to_lps(np.stack([i, j, k], -1).astype(float))


def test_disc_brush_paints_exactly_the_voxels_in_the_disc_and_plane():
    mask = np.zeros((20, 40, 40), np.uint8)
    c = np.array([10.0, 10.0, 20.0])  # on slice k = 10
    changed = mask_edit.brush(mask, GEOM, c, 3.0, 1, normal_lps=(0, 0, 1))
    d = centres() - c
    expected = (np.sum(d[..., :2] ** 2, -1) <= 9.0) & (np.abs(d[..., 2]) <= 1.0)
    assert changed == expected.sum() == mask.sum()
    np.testing.assert_array_equal(mask.astype(bool), expected)
    # a disc of radius 3 mm on a 0.5 mm grid: area π r² within 3 %
    assert mask.sum() * 0.25 == pytest.approx(np.pi * 9, rel=0.03)
    assert mask_edit.brush(mask, GEOM, c, 1.0, 0, normal_lps=(0, 0, 1)) > 0
    assert mask[10, 20, 20] == 0 and mask.sum() < expected.sum()


def test_ball_brush_volume():
    mask = np.zeros((20, 40, 40), np.uint8)
    mask_edit.brush(mask, GEOM, (10.0, 10.0, 20.0), 4.0, 1)
    # slices 2 mm apart through a ball of radius 4 mm: discs of area π (r² - z²), z = 0, ±2, ±4
    slab_mm3 = sum(np.pi * (16 - z * z) * 2.0 for z in (-4, -2, 0, 2, 4))
    assert mask_edit.mask_volume_ml(mask, GEOM) * 1000 == pytest.approx(slab_mm3, rel=0.03)
    with pytest.raises(InputError):
        mask_edit.brush(mask, GEOM, (0, 0, 0), 0.0, 1)


def test_threshold_and_seeded_growing():
    vol = np.full((20, 40, 40), -1000, np.int16)
    vol[:, 5:15, 5:15] = 300     # a bright bar
    vol[:, 25:35, 25:35] = 300   # another, not connected
    vol[5, 8, 8] = 2000          # a calcium-like voxel inside the first bar
    grown = mask_edit.grow_from_seed(vol, GEOM, GEOM.index_to_lps([10, 10, 10]), 150, 1000)
    assert grown.sum() == 20 * 100 - 1 and grown[:, 25:35, 25:35].sum() == 0
    kept = mask_edit.threshold(vol, 250, 310, within=grown)
    assert kept.sum() == grown.sum()
    with pytest.raises(InputError, match="outside"):
        mask_edit.grow_from_seed(vol, GEOM, GEOM.index_to_lps([0, 0, 0]), 150, 1000)
    with pytest.raises(InputError, match="lower"):
        mask_edit.threshold(vol, 10, 5)


def test_commit_is_undoable(tmp_path):
    img = sitk.GetImageFromArray(np.zeros((20, 40, 40), np.int16))
    img.SetSpacing(GEOM.spacing_mm)
    from twindesk.io.volume import write_case_volume

    with Case.create(tmp_path / "c.twin") as case:
        case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
        case.save("import")
        mask = np.zeros((20, 40, 40), np.uint8)
        mask[3:6] = 1
        cmd = mask_edit.commit_mask(case, "lv", mask, "paint lv")
        assert cmd["label"] == "paint lv" and "labels:lv" in case.doc["artifacts"]
        stored = sitk.GetArrayFromImage(sitk.ReadImage(str(case.artifact_path("labels:lv"))))
        np.testing.assert_array_equal(stored, mask)
        assert sitk.ReadImage(str(case.artifact_path("labels:lv"))).GetSpacing() == \
            GEOM.spacing_mm
        commands.undo(case)
        assert "labels:lv" not in case.doc["artifacts"]
        commands.redo(case)
        assert "labels:lv" in case.doc["artifacts"]
        with pytest.raises(InputError, match="shape"):
            mask_edit.commit_mask(case, "lv", mask[:10], "bad")
