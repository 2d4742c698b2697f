"""Analytic checks: contour metrics of ellipses, C-arm curve and named views of a plane."""

import numpy as np
import pytest

from twindesk.geometry import contours as ct
from twindesk.geometry import fluoro
from twindesk.geometry.annulus import hinge_plane


def test_ellipse_metrics_exact():
    from scipy.special import ellipe

    a, b = 13.0, 10.5
    th = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    xy = np.stack([a * np.cos(th) + 3, b * np.sin(th) - 2], 1)
    m = ct.metrics(xy)
    perim = 4 * a * ellipe(1 - (b / a) ** 2)
    assert m.perimeter_mm == pytest.approx(perim, rel=1e-5)
    assert m.area_mm2 == pytest.approx(np.pi * a * b, rel=1e-5)
    assert m.max_diameter_mm == pytest.approx(2 * a, abs=1e-3)
    assert m.min_diameter_mm == pytest.approx(2 * b, abs=1e-3)
    assert m.eccentricity == pytest.approx(1 - b / a, abs=1e-4)


def test_fourier_contour_bridges_a_notch():
    th = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    r = 11 + 1.5 * np.cos(2 * th)
    r[(th > 1.0) & (th < 1.4)] -= 3.0          # a calcium notch
    fit, keep = ct.fourier_contour(np.stack([r * np.cos(th), r * np.sin(th)], 1), 6,
                                   origin=(0, 0))
    true = ct.metrics(np.stack([(11 + 1.5 * np.cos(2 * th)) * np.cos(th),
                                (11 + 1.5 * np.cos(2 * th)) * np.sin(th)], 1))
    assert ct.metrics(fit).area_mm2 == pytest.approx(true.area_mm2, rel=0.005)


@pytest.mark.parametrize("normal", [(-0.42, -0.5, 0.757), (0.3, -0.2, 0.93), (-0.1, -0.7, 0.7)])
def test_carm_curve_edge_on(normal):
    n = np.asarray(normal) / np.linalg.norm(normal)
    c = fluoro.projection_curve(n)
    a, b = np.radians(c["primary_deg"]), np.radians(c["secondary_deg"])
    # independent construction: rotate the AP detector vector by LAO about z, then CRAN
    for ai, bi in zip(a, b):
        d0 = np.array([0.0, -1.0, 0.0])
        rz = np.array([[np.cos(ai), np.sin(ai), 0], [-np.sin(ai), np.cos(ai), 0], [0, 0, 1]])
        d1 = rz.T @ d0                                       # LAO toward +x (patient left)
        axis = np.cross(d1, [0, 0, 1.0]) / np.linalg.norm(np.cross(d1, [0, 0, 1.0]))
        d = np.cos(bi) * d1 + np.sin(bi) * np.array([0, 0, 1.0])
        assert abs(axis @ d) < 1e-9
        tilt = np.degrees(np.arcsin(abs(n @ d)))             # plane seen edge-on: 0 deg
        assert tilt < 0.5


def test_named_views_analytic():
    n = np.array([-0.42, -0.5, 0.757]); n /= np.linalg.norm(n)
    ant = np.array([0, -1.0, 0]); ant -= (ant @ n) * n; ant /= np.linalg.norm(ant)
    left = np.cross(n, ant)
    c = np.array([1.0, 2.0, 3.0])
    hinge = {k: c + 11 * (np.cos(np.radians(a)) * ant + np.sin(np.radians(a)) * left)
             for k, a in (("right", 5), ("left", 118), ("non", 243))}
    assert np.degrees(np.arccos(hinge_plane(hinge).normal_lps @ n)) < 1e-6
    v = fluoro.named_views(n, hinge)
    for name, view in v.items():
        d = fluoro.detector_direction(view["primary_deg"], view["secondary_deg"])
        assert np.degrees(np.arcsin(abs(d @ n))) < 0.5        # edge-on
        # image horizontal axis: in the plane, perpendicular to the beam
        w = np.cross(n, d)
        x = {k: float(p @ w) for k, p in hinge.items()}
        if name == "cusp_overlap":
            assert abs(x["right"] - x["left"]) < 11 * np.radians(0.5)
        else:
            assert abs(x["right"] - 0.5 * (x["left"] + x["non"])) < 11 * np.radians(0.5)
    assert v["cusp_overlap"]["primary_deg"] < 0 and v["cusp_overlap"]["secondary_deg"] < 0


@pytest.mark.parametrize("position, source, note", [
    (None, "assumed", "assumed HFS"), ("", "assumed", "assumed HFS"),
    ("HFS", "dicom", None), ("ffs", "dicom", None), ("HFP", "dicom", "HFP")])
def test_patient_position_is_stated(position, source, note, tmp_path):
    n = np.array([-0.42, -0.5, 0.757]) / np.linalg.norm([-0.42, -0.5, 0.757])
    hinges = {"right": np.array([0.0, -11, 0]), "left": np.array([9.0, 6, 0]),
              "non": np.array([-9.0, 6, 0])}
    hinges = {k: v - (v @ n) * n for k, v in hinges.items()}
    p = fluoro.plan(n, hinges, position)
    assert p["patient_position_source"] == source
    assert p["patient_position"] == ((position or "").upper() or "HFS")
    if note is None:
        assert p["notes"] == []
    else:
        assert any(note in s for s in p["notes"])
    fluoro.plot_curve(p, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
