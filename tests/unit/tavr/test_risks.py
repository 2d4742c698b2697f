"""Risk measures against analytic answers: VTC and displaced-leaflet distances of a frame
held in a stiff cylinder, PPM grades at their boundaries, MSID grades, BSA."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.api import place
from twindesk.sim.mechanics.params import Placement, TissueModel
from twindesk.sim.mechanics.synthetic import cylinder_surface
from twindesk.sim.tavr import risks

TUBE_MM = 24.0           # rigid-ish tube, smaller than the 26 mm frame: the frame takes it
STIFF = TissueModel(foundation_stiffness_n_per_mm3=5.0)


@pytest.fixture(scope="module")
def frame_in_tube():
    """A 26 mm balloon-expandable frame (18 mm tall) released 4 mm deep in a stiff 24 mm
    tube whose axis is the placement axis (frame coordinates = LPS here)."""
    tube = cylinder_surface(TUBE_MM, -20.0, 40.0, n_theta=256, n_z=61)
    pl = Placement((0.0, 0.0, 0.0), (0.0, 0.0, 1.0), depth_mm=4.0,
                   commissure_direction_lps=(1.0, 0.0, 0.0))
    return place(generic.be_frame(26.0), tube, pl, tissue_model=STIFF, model="fast")


def _ostium(radius_mm, height_mm, angle_deg=60.0):
    a = np.radians(angle_deg)
    return np.array([radius_mm * np.cos(a), radius_mm * np.sin(a), height_mm])


@pytest.mark.parametrize("angle_deg", [0.0, 60.0, 137.0, 250.0])
def test_vtc_is_ostium_radius_minus_the_tube_radius(frame_in_tube, angle_deg):
    """VTC = R_ostium - D_tube/2 for an ostium 5 mm outside the tube (the frame fills the
    tube: outer envelope on the wall within 0.1 mm)."""
    df = frame_in_tube
    for height in (2.0, 8.0, 25.0):          # inside the frame height and above its top
        p = _ostium(TUBE_MM / 2 + 5.0, height, angle_deg)
        m = risks.coronary_measures(df, p, free_edge_height_mm=15.0)
        assert m["vtc_mm"] == pytest.approx(5.0, abs=0.1), height
        assert m["height_on_axis_mm"] == pytest.approx(height, abs=1e-9)


def test_displaced_leaflet_distance_below_above_and_inside(frame_in_tube):
    df = frame_in_tube
    free_edge = 10.0
    # below the free edge: the nearest leaflet point is level with the ostium (horizontal)
    below = risks.coronary_measures(df, _ostium(TUBE_MM / 2 + 3.0, 6.0), free_edge)
    assert below["distance_to_leaflet_mm"] == pytest.approx(3.0, abs=0.1)
    # above the free edge: the nearest point is on the rim, sqrt(3² + 4²) = 5 mm away
    above = risks.coronary_measures(df, _ostium(TUBE_MM / 2 + 3.0, 14.0), free_edge)
    assert above["distance_to_leaflet_mm"] == pytest.approx(5.0, abs=0.1)
    assert above["vtc_mm"] == pytest.approx(3.0, abs=0.1)       # VTC stays horizontal
    # an ostium inside the leaflet cylinder below the free edge is covered: negative
    inside = risks.coronary_measures(df, _ostium(TUBE_MM / 2 - 2.0, 6.0), free_edge)
    assert inside["distance_to_leaflet_mm"] == pytest.approx(-2.0, abs=0.1)
    assert inside["vtc_mm"] == pytest.approx(-2.0, abs=0.1)
    # the distance to the struts is at least the distance to the contour (open cells)
    assert below["distance_to_frame_mm"] >= below["vtc_mm"] - 0.05


@pytest.mark.parametrize(("ieoa", "bmi", "grade"), [
    (0.86, None, "none"), (0.85, None, "moderate"), (0.66, 25.0, "moderate"),
    (0.65, 25.0, "severe"), (0.40, 29.9, "severe"),
    (0.71, 30.0, "none"), (0.70, 30.0, "moderate"), (0.56, 35.0, "moderate"),
    (0.55, 35.0, "severe")])
def test_ppm_grades_at_the_varc3_boundaries(ieoa, bmi, grade):
    assert risks.ppm_grade(ieoa, bmi) == grade


@pytest.mark.parametrize(("msid", "grade"), [(3.0, "low"), (0.01, "low"), (0.0, "intermediate"),
                                             (-2.49, "intermediate"), (-2.5, "high"),
                                             (None, None)])
def test_msid_grades(msid, grade):
    assert risks.msid_grade(msid) == grade


def test_mosteller_and_table():
    assert risks.bsa_mosteller_m2(170.0, 70.0) == pytest.approx(np.sqrt(170 * 70 / 3600))
    table = risks.load_table()
    assert table["coronary"]["vtc_high_risk_below_mm"] == 4.0
    assert "VARC" in risks.ppm_thresholds(None)["citation"] or \
        "Valve Academic" in risks.ppm_thresholds(None)["citation"]


def test_broken_table_is_a_resource_error(tmp_path):
    from twindesk.errors import ResourceError

    bad = tmp_path / "t.toml"
    bad.write_text(risks.table_path().read_text().replace(
        'moderate_max_cm2_per_m2 = 0.85', 'moderate_max_cm2_per_m2 = 0.5'))
    with pytest.raises(ResourceError, match="severe_max must be below"):
        risks.load_table(bad)
