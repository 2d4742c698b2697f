"""Segmentation on a synthetic left-heart CTA with known labels (tests/anatomy_synth.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from tests.anatomy_synth import ARCH_R, DESC_Y, dice, make_cta, near_plane
from twindesk.errors import Cancelled, InputError
from twindesk.imaging import aorta as ao
from twindesk.imaging import heart
from twindesk.imaging.blood import working_volume
from twindesk.imaging.seeds import find_aorta_seeds
from twindesk.jobs import CancelToken


@pytest.fixture(scope="module")
def synth():
    return make_cta()


@pytest.fixture(scope="module")
def model(synth):
    return ao.segment_aorta(synth.image)


def test_seeds_are_on_the_ascending_and_descending_axes(synth):
    w = working_volume(synth.image)
    s = find_aorta_seeds(w.hu, w.grid)
    asc, desc = np.asarray(s.ascending_lps_mm), np.asarray(s.descending_lps_mm)
    assert np.hypot(asc[0], asc[1]) < 2.0  # ascending axis: x = y = 0
    assert np.hypot(desc[0], desc[1] - DESC_Y) < 2.0
    assert s.ascending_radius_mm == pytest.approx(14.0, abs=1.5)
    assert s.descending_radius_mm == pytest.approx(12.0, abs=1.5)
    assert "auto" in s.source


def test_aorta_matches_truth_and_is_cut_at_the_annulus(synth, model):
    mask = ao.native_mask(model, synth.image)
    ignore = near_plane(synth.image, 0.0, 3.0)
    assert dice(mask, synth.aorta, ignore) >= 0.96
    assert ndi.label(mask)[1] == 1
    cut = model.cut
    # the narrowing below the sinus: the annulus (z = 0, radius 10 mm) or just below it
    assert abs(cut.center_lps_mm[2]) <= 4.0 and np.hypot(*cut.center_lps_mm[:2]) <= 2.5
    assert cut.normal_lps[2] > 0.95
    assert cut.radius_mm == pytest.approx(10.3, abs=1.0)
    # three arch branches, each a stub ending about 10 mm beyond the wall
    assert len(model.branch_stubs) == 3
    top = synth.image.GetOrigin()[2] + 1.5 * np.argwhere(mask)[:, 0].max()
    true_top = synth.image.GetOrigin()[2] + 1.5 * np.argwhere(synth.aorta)[:, 0].max()
    assert abs(top - true_top) <= 3.0


def test_chambers_match_truth(synth, model):
    ignore = near_plane(synth.image, 0.0, 3.0)
    lv = heart.segment_chambers(synth.image, model, "lv").mask
    la = heart.segment_chambers(synth.image, model, "la").mask
    assert dice(lv, synth.lv, ignore) >= 0.95
    assert dice(la, synth.la) >= 0.95
    assert not (lv & la).any()
    pool = heart.segment_chambers(synth.image, model, "bloodpool").mask
    assert dice(pool, synth.aorta | synth.lv | synth.la) >= 0.97
    assert ndi.label(pool)[1] == 1


def test_user_seed_outside_blood_is_refused(synth):
    with pytest.raises(InputError, match="contrast-filled blood"):
        ao.segment_aorta(synth.image, ao.AortaParams(seed_lps_mm=(60.0, 0.0, 0.0)))


def test_cancel_stops_the_job(synth):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        ao.segment_aorta(synth.image, progress=lambda f, m="": None, cancel=token)


def test_arch_geometry_sanity(model):
    # the backbone climbs the ascending aorta, crosses the arch and descends behind it
    pts = model.centerline_lps_mm
    assert pts[:, 2].max() == pytest.approx(70.0 + ARCH_R, abs=3.0)
    assert pts[-1, 1] == pytest.approx(DESC_Y, abs=2.0)
