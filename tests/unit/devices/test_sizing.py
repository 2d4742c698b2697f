"""Sizing against hand-computed cases at the range boundaries.

Ranges used (shipped files): balloon-expandable by area 20: 273-345, 23: 338-430, 26: 430-546,
29: 540-683 mm²; self-expanding by perimeter 23: 56.5-62.8, 26: 62.8-72.3, 29: 72.3-81.7,
34: 81.7-94.2 mm; occluder by maximum ostium 20: 14.0-18.0, 24: 16.8-21.6, 27: 18.9-24.3,
31: 21.7-27.9, 35: 24.5-31.5 mm.
"""

from __future__ import annotations

import math

import pytest

from twindesk.errors import InputError
from twindesk.model.devices import (AnnulusMeasurements, OstiumMeasurements, fit_family,
                                    load_library, size_annulus, size_ostium)
from twindesk.paths import resources_dir


@pytest.fixture(scope="module")
def lib():
    return load_library(shipped_dir=resources_dir() / "devices", include_user=False)


def by_area(area_mm2: float, **kw) -> AnnulusMeasurements:
    """An annulus of the given area whose perimeter is 2 % above the circle's."""
    return AnnulusMeasurements(perimeter_mm=1.02 * 2 * math.sqrt(math.pi * area_mm2),
                               area_mm2=area_mm2, **kw)


def by_perimeter(perimeter_mm: float, **kw) -> AnnulusMeasurements:
    """An annulus of the given perimeter whose area is 95 % of the circle's."""
    return AnnulusMeasurements(perimeter_mm=perimeter_mm,
                               area_mm2=0.95 * perimeter_mm ** 2 / (4 * math.pi), **kw)


BE_CASES = [  # area mm², status, fitting sizes
    (273.0, "fits", (20,)),          # exactly on the lower bound of the smallest size
    (273.1, "fits", (20,)),          # just inside
    (272.9, "below-range", ()),      # just outside
    (337.9, "fits", (20,)),          # just below the overlap zone
    (340.0, "overlap", (20, 23)),    # inside the overlap zone 338-345
    (345.0, "overlap", (20, 23)),    # on the upper bound of 20 (inside 23)
    (345.1, "fits", (23,)),
    (430.0, "overlap", (23, 26)),    # on the bound shared by 23 and 26
    (429.9, "fits", (23,)),
    (430.1, "fits", (26,)),
    (683.0, "fits", (29,)),          # on the upper bound of the largest size
    (683.1, "above-range", ()),
]


@pytest.mark.parametrize("area,status,fitting", BE_CASES)
def test_balloon_expandable_area_boundaries(lib, area, status, fitting):
    r = fit_family(lib.family("be-valve-s3like"), by_area(area))
    assert (r.status, r.fitting_sizes_mm) == (status, fitting)
    assert r.measured_value == area
    assert [s.size_mm for s in r.sizes if s.fits] == list(fitting)
    if status == "fits":
        assert r.flags == ()
    else:
        word = {"overlap": "overlap zone", "below-range": "below the smallest",
                "above-range": "above the largest"}[status]
        (flag,) = r.flags
        assert word in flag and f"{area:.1f} mm²" in flag


SE_CASES = [  # perimeter mm, status, fitting sizes
    (56.5, "fits", (23,)), (56.6, "fits", (23,)), (56.4, "below-range", ()),
    (62.8, "overlap", (23, 26)), (62.9, "fits", (26,)), (62.7, "fits", (23,)),
    (94.2, "fits", (34,)), (94.3, "above-range", ()),
]


@pytest.mark.parametrize("perimeter,status,fitting", SE_CASES)
def test_self_expanding_perimeter_boundaries(lib, perimeter, status, fitting):
    r = fit_family(lib.family("se-valve-evolutlike"), by_perimeter(perimeter))
    assert (r.status, r.fitting_sizes_mm) == (status, fitting)


def test_oversizing_percentages_hand_computed(lib):
    # Area 273 mm², perimeter 60 mm against the 20 mm valve:
    # area: pi*10^2/273 - 1 = 314.159/273 - 1 = 15.08 %; perimeter: pi*20/60 - 1 = 4.72 %.
    r = fit_family(lib.family("be-valve-s3like"), AnnulusMeasurements(60.0, 273.0))
    s20 = r.sizes[0]
    assert s20.oversizing_area_pct == pytest.approx(15.0766, abs=1e-3)
    assert s20.oversizing_perimeter_pct == pytest.approx(4.7198, abs=1e-3)
    # Perimeter 72.3 mm (the 26/29 boundary): 26 mm: pi*26/72.3 - 1 = 12.98 %;
    # 29 mm: pi*29/72.3 - 1 = 26.01 %.
    r = fit_family(lib.family("se-valve-evolutlike"), by_perimeter(72.3))
    assert r.status == "overlap" and r.fitting_sizes_mm == (26, 29)
    pct = {s.size_mm: s.oversizing_perimeter_pct for s in r.sizes}
    assert pct[26] == pytest.approx(12.976, abs=1e-3)
    assert pct[29] == pytest.approx(26.011, abs=1e-3)


def test_gap_between_sizes(device_dir):
    # Move the 23 mm lower bound to 350 mm²: a gap opens between 345 and 350 mm².
    device_dir.edit("balloon_expandable_valve.toml", "annulus_area_min_mm2 = 338",
                    "annulus_area_min_mm2 = 350")
    lib = device_dir.load()
    assert lib.errors == ()
    fam = lib.family("be-valve-s3like")
    r = fit_family(fam, by_area(347.0))
    assert (r.status, r.fitting_sizes_mm) == ("gap", ())
    (flag,) = r.flags
    assert "gap between sizes 20 mm (up to 345) and 23 mm (from 350)" in flag
    assert fit_family(fam, by_area(345.0)).fitting_sizes_mm == (20,)   # now no overlap
    assert fit_family(fam, by_area(350.0)).fitting_sizes_mm == (23,)   # exactly on the bound
    assert fit_family(fam, by_area(349.9)).status == "gap"             # just outside


OCCLUDER_CASES = [  # max ostium mm, status, fitting sizes
    (14.0, "fits", (20,)), (13.9, "below-range", ()), (16.8, "overlap", (20, 24)),
    (31.5, "fits", (35,)), (31.6, "above-range", ()), (27.9, "overlap", (31, 35)),
]


@pytest.mark.parametrize("ostium,status,fitting", OCCLUDER_CASES)
def test_occluder_ostium_boundaries(lib, ostium, status, fitting):
    r = fit_family(lib.family("laao-flxlike"), OstiumMeasurements(ostium, ostium))
    assert (r.status, r.fitting_sizes_mm) == (status, fitting)


def test_occluder_compression_hand_computed(lib):
    # Max 17 mm, mean 16 mm: 20 mm device (20-17)/20 = 15 %, at mean (20-16)/20 = 20 %;
    # 24 mm device (24-17)/24 = 29.17 %. Exactly 14 mm in a 20 mm device = 30 %.
    (r,) = size_ostium(lib, OstiumMeasurements(17.0, 16.0, min_diameter_mm=15.0))
    assert r.fitting_sizes_mm == (20, 24)
    fits = {s.size_mm: s for s in r.sizes}
    assert fits[20].compression_pct == pytest.approx(15.0)
    assert fits[20].compression_at_mean_pct == pytest.approx(20.0)
    assert fits[24].compression_pct == pytest.approx(29.1667, abs=1e-4)
    (r,) = size_ostium(lib, OstiumMeasurements(14.0, 14.0))
    assert r.sizes[0].compression_pct == pytest.approx(30.0)


def test_occluder_depth_warning(lib):
    (r,) = size_ostium(lib, OstiumMeasurements(20.0, 19.0, depth_mm=17.0))
    warn = {s.size_mm: s.warnings for s in r.sizes if s.fits}
    assert warn[24] == ("appendage depth 17.0 mm is shorter than the 18 mm device length",)
    assert "20 mm device length" in warn[27][0]


def test_root_requirements_of_the_self_expanding_valve(lib):
    fam = lib.family("se-valve-evolutlike")
    ok = fit_family(fam, by_perimeter(68.0, sinus_diameters_mm=(26.0, 27.0, 28.0),
                                      sinus_height_mm=15.0, stj_diameter_mm=25.5,
                                      ascending_aorta_diameter_mm=40.0))
    (s26,) = [s for s in ok.sizes if s.fits]
    assert s26.size_mm == 26 and s26.warnings == ()       # every limit exactly met
    bad = fit_family(fam, by_perimeter(68.0, sinus_diameters_mm=(26.0, 27.0, 27.0),
                                       sinus_height_mm=14.9, stj_diameter_mm=25.4,
                                       ascending_aorta_diameter_mm=40.1))
    (s26,) = [s for s in bad.sizes if s.fits]
    text = " | ".join(s26.warnings)
    assert "sinus of Valsalva mean diameter 26.7 mm is below the 27 mm" in text
    assert "sinus height 14.9 mm is below the 15 mm" in text
    assert "STJ diameter 25.4 mm is below the 25.5 mm" in text
    assert "ascending aorta diameter 40.1 mm exceeds the 40 mm" in text


def test_coronary_height_warning(lib):
    results = size_annulus(lib, by_area(400.0, coronary_height_left_mm=9.9,
                                        coronary_height_right_mm=10.0))
    assert [r.device_id for r in results] == ["be-valve-s3like", "se-valve-evolutlike"]
    for r in results:
        assert r.warnings == ("left coronary height 9.9 mm is below 10 mm: risk of coronary "
                              "obstruction",)


def test_secondary_measure_outside_its_derived_range_is_noted(lib):
    # Area 400 mm² fits the 23 mm valve; a very eccentric annulus with perimeter 75 mm lies
    # above its circle-derived perimeter range (65.2-73.5 mm).
    r = fit_family(lib.family("be-valve-s3like"), AnnulusMeasurements(75.0, 400.0))
    (s23,) = [s for s in r.sizes if s.fits]
    assert s23.fits_area and not s23.fits_perimeter
    assert "perimeter lies outside the perimeter range of the 23 mm size" in s23.warnings[0]


def test_to_dict_is_json_ready(lib):
    import json

    (r, _) = size_annulus(lib, by_area(430.0))
    d = r.to_dict()
    assert json.loads(json.dumps(d))["fitting_sizes_mm"] == [23, 26]


@pytest.mark.parametrize("kwargs,field", [
    ({"perimeter_mm": -70.0, "area_mm2": 400.0}, "perimeter_mm"),
    ({"perimeter_mm": 70.0, "area_mm2": float("nan")}, "area_mm2"),
    ({"perimeter_mm": 70.0, "area_mm2": 400.0, "stj_diameter_mm": 0.0}, "stj_diameter_mm"),
    ({"perimeter_mm": 60.0, "area_mm2": 400.0}, "isoperimetric"),
])
def test_bad_measurements_are_input_errors(kwargs, field):
    with pytest.raises(InputError, match=field):
        AnnulusMeasurements(**kwargs)


def test_ostium_measurements_must_be_ordered():
    with pytest.raises(InputError, match="min <= mean <= max"):
        OstiumMeasurements(max_diameter_mm=18.0, mean_diameter_mm=19.0)


def test_wrong_measurement_kind_is_an_input_error(lib):
    with pytest.raises(InputError, match="sized from LAA ostium"):
        fit_family(lib.family("laao-flxlike"), by_area(400.0))


def test_package_docstring_example_runs():
    import doctest

    import twindesk.model.devices as devices

    result = doctest.testmod(devices, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0
