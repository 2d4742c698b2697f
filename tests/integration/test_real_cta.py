"""The real contrast CTA (a type-B dissection with a stent-graft): aorta, chambers, centerline.

Skips cleanly without the developers' shared data. Points below were read off the slices
(voxel index x, y, z -> LPS: x = -179.658 + 1.5 i, y = -275.158 + 1.5 j, z = 540.2 + 1.5 k).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from tests.conftest import shared_data

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _lps(i, j, k):
    return (-179.658 + 1.5 * i, -275.158 + 1.5 * j, 540.2 + 1.5 * k)


@pytest.fixture(scope="module")
def cta_case(tmp_path_factory):
    from twindesk.model.ingest import import_source

    src = shared_data("ct_chest_cta", "example_ct.nii.gz")
    path = tmp_path_factory.mktemp("cta") / "cta.twin"
    import_source(src, path).close()
    return path


def _mask(case_path, structure):
    from twindesk.imaging import labels
    from twindesk.imaging.grid import Grid
    from twindesk.model.case import Case

    with Case.open(case_path, write=False) as case:
        return labels.load(case, structure), Grid.of(case.image())


def _inside(case_path, structure, point) -> bool:
    mask, grid = _mask(case_path, structure)
    return bool(mask[tuple(np.round(grid.lps_to_zyx(point)[0]).astype(int))])


def test_aorta_is_one_sane_piece_with_both_lumens(cta_case, run_cli):
    r = run_cli("segment", cta_case, "--structure", "aorta", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["seed_source"].startswith("auto")
    assert 150.0 <= d["volume_ml"] <= 260.0  # root to the celiac level, both lumens
    (x0, y0, z0), (x1, y1, z1) = d["bbox_lps_mm"]
    assert z0 < 560.0 and z1 > 750.0  # from the image bottom to the top of the arch
    assert ndi.label(_mask(cta_case, "aorta")[0])[1] == 1
    assert _inside(cta_case, "aorta", _lps(135, 107, 80))  # true lumen, mid descending
    assert _inside(cta_case, "aorta", _lps(143, 116, 80))  # false lumen beside it
    assert _inside(cta_case, "aorta", _lps(133, 105, 110))  # inside the stent-graft
    assert _inside(cta_case, "aorta", _lps(120, 58, 100))  # ascending aorta
    assert not _inside(cta_case, "aorta", _lps(150, 55, 70))  # LV cavity
    assert not _inside(cta_case, "aorta", _lps(125, 85, 80))  # left atrium
    assert not _inside(cta_case, "aorta", _lps(100, 60, 100))  # superior vena cava


def test_chambers_and_centerline(cta_case, run_cli):
    if not _has(cta_case, "aorta"):
        assert run_cli("segment", cta_case, "--structure", "aorta").code == 0
    r = run_cli("segment", cta_case, "--structure", "lv", "--json")
    assert r.code == 0 and 90.0 <= r.json["volume_ml"] <= 180.0
    assert _inside(cta_case, "lv", _lps(150, 55, 70))
    r = run_cli("segment", cta_case, "--structure", "la", "--json")
    assert r.code == 0 and 60.0 <= r.json["volume_ml"] <= 160.0
    assert _inside(cta_case, "la", _lps(125, 85, 80))
    r = run_cli("centerline", cta_case, "--structure", "aorta", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["length_mm"] > 300.0
    asc = d["ascending_max"]
    assert 28.0 <= asc["diameter_area_mm"] <= 38.0  # a normal-calibre ascending aorta
    assert len(d["branches"]) >= 2


def _has(case_path, structure):
    from twindesk.model.case import Case

    with Case.open(case_path, write=False) as case:
        return case.artifact(f"labels:{structure}") is not None
