"""The LPS ↔ display module is Qt-free and tested without a display."""

import numpy as np
import pytest

from twindesk.imaging.mpr import PlaneImage
from twindesk.ui.coords import ViewMapping, camera_preset, direction_letters, edge_letters


def test_letters():
    assert direction_letters((1, 0, 0)) == "L" and direction_letters((-1, 0, 0)) == "R"
    assert direction_letters((0, -0.6, 0.8)) == "SA"
    assert edge_letters((1, 0, 0), (0, 1, 0)) == {"left": "R", "right": "L", "top": "A",
                                                   "bottom": "P"}


def test_round_trip_with_zoom_and_pan():
    img = PlaneImage(np.zeros((50, 100)), np.array([10.0, 20.0, 30.0]),
                     np.array([0.5, 0, 0]), np.array([0, 0, -2.0]))
    m = ViewMapping(400, 300, img.pixels.shape, img.pixel_size_mm)
    m.zoom_about(2.5, 120, 80)
    m.pan_by(13, -7)
    p = img.pixel_to_lps(31.0, 12.0)
    x, y, depth = m.lps_to_widget(img, p + np.array([0, 3.0, 0]))  # 3 mm off-plane
    assert depth == pytest.approx(-3.0) or depth == pytest.approx(3.0)
    np.testing.assert_allclose(m.widget_to_lps(img, x, y), p, atol=1e-9)
    # anatomy is not distorted: 1 mm is the same number of widget pixels on both axes
    x0, y0 = m.pixel_to_widget(0, 0)
    x1, _ = m.pixel_to_widget(2, 0)   # 1 mm along columns
    _, y1 = m.pixel_to_widget(0, 0.5)  # 1 mm along rows
    assert x1 - x0 == pytest.approx(y1 - y0)


def test_zoom_keeps_point_under_cursor():
    m = ViewMapping(300, 300, (100, 100), (1.0, 1.0))
    before = m.widget_to_pixel(200, 50)
    m.zoom_about(3.0, 200, 50)
    np.testing.assert_allclose(m.widget_to_pixel(200, 50), before, atol=1e-9)


def test_camera_anterior():
    pos, focal, up = camera_preset("anterior", (0, 0, 0), 100)
    assert pos == (0.0, -100.0, 0.0) and up == (0.0, 0.0, 1.0)
