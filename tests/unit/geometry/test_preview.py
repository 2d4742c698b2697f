import numpy as np
import pytest

from twindesk.geometry.preview import mask_surface
from twindesk.imaging.mpr import VolumeGeometry


def test_ball_surface_in_lps():
    geom = VolumeGeometry(size=(40, 40, 40), spacing_mm=(0.5, 0.5, 0.5),
                          origin_lps_mm=(-10.0, 5.0, 100.0),
                          direction=(-1, 0, 0, 0, -1, 0, 0, 0, 1))  # flipped in x and y
    k, j, i = np.mgrid[0:40, 0:40, 0:40]
    lps = geom.index_to_lps(np.stack([i, j, k], -1).astype(float))
    center = geom.index_to_lps(np.array([20.0, 15.0, 22.0]))
    mask = (np.linalg.norm(lps - center, axis=-1) <= 6.0).astype(np.uint8)
    surf = mask_surface(mask, geom)
    r = np.linalg.norm(surf.points - center, axis=1)
    assert np.abs(r - 6.0).max() < 0.5          # within one voxel of the true sphere
    np.testing.assert_allclose(surf.points.mean(0), center, atol=0.05)
    assert surf.volume == pytest.approx(4 / 3 * np.pi * 6 ** 3, rel=0.05)
    assert mask_surface(np.zeros_like(mask), geom) is None
