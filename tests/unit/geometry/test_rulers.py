import pytest

from twindesk.errors import InputError
from twindesk.geometry.rulers import angle_deg, distance_mm, measure


def test_distance_and_angle():
    assert distance_mm((0, 0, 0), (3, 4, 12)) == pytest.approx(13.0)
    assert angle_deg((1, 0, 0), (0, 0, 0), (0, 5, 0)) == pytest.approx(90.0)
    assert angle_deg((1, 0, 0), (0, 0, 0), (1, 1, 0)) == pytest.approx(45.0)
    assert measure("angle", [(2, 0, 0), (0, 0, 0), (-1, 0, 0)]) == pytest.approx(180.0)
    with pytest.raises(InputError):
        measure("distance", [(0, 0, 0)])
    with pytest.raises(InputError):
        angle_deg((0, 0, 0), (0, 0, 0), (1, 0, 0))
