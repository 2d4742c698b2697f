import numpy as np
import pytest

from twindesk.errors import ResourceError
from twindesk.imaging.window import (compose_rgb, drag_window, load_presets, window_to_uint8)


def test_lut_matches_formula():
    values = np.arange(-1100, 3400, 7, dtype=np.int16)
    got = window_to_uint8(values, 700, 200)
    ref = np.clip((values.astype(float) - (200 - 350)) * 255 / 700, 0, 255).astype(np.uint8)
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1
    assert got[values <= -150].max() == 0 and got[values >= 550].min() == 255
    np.testing.assert_array_equal(window_to_uint8(values.astype(np.float32), 700, 200), got)


def test_presets_are_valid_and_named():
    presets = {p.id: p for p in load_presets()}
    assert {"cta", "soft_tissue", "bone"} <= set(presets)
    assert presets["bone"].width_hu > presets["cta"].width_hu > presets["soft_tissue"].width_hu


def test_bad_presets_file(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('[[preset]]\nid = "x"\nname = "X"\nwidth_hu = 0\nlevel_hu = 1\n')
    with pytest.raises(ResourceError, match="width_hu"):
        load_presets(bad)


def test_drag_and_overlay():
    assert drag_window(400, 40, 10, -5) == (440, 20)
    assert drag_window(10, 0, -100, 0)[0] >= 1
    gray = np.full((2, 2), 100, np.uint8)
    mask = np.array([[1, 0], [0, 0]], np.uint8)
    rgb = compose_rgb(gray, [(mask, (200, 0, 0))], 0.5)
    assert tuple(rgb[0, 0]) == (150, 50, 50) and tuple(rgb[1, 1]) == (100, 100, 100)
