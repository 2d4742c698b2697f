"""Measurements on hand-built deployed frames with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.mechanics import generic, metrics
from twindesk.sim.mechanics.frame import build_frame
from twindesk.sim.mechanics.results import DeployedFrame, FrameTransform
from twindesk.sim.mechanics.synthetic import cylinder_surface


def _frame_in_tube(tube_d=26.0, scale=1.0, force=None):
    device = generic.se_cylinder(26.0)
    mesh = build_frame(device, 4)
    x = mesh.nodes_mm * np.array([scale, scale, 1.0])
    s = mesh.sample_s[:, None]
    pts = (1 - s) * x[mesh.sample_a] + s * x[mesh.sample_b]
    f = np.zeros_like(pts) if force is None else force(pts)
    return DeployedFrame(
        "full", device, None, FrameTransform.identity(), x, mesh.elements, mesh.vertex_level,
        mesh.vertex_index, mesh.levels, mesh.thickness_mm, mesh.width_mm, 10.0,
        int(mesh.inflow_ring[0]), pts, mesh.sample_area_mm2, f,
        cylinder_surface(tube_d, -10.0, 40.0, 256, 51), np.zeros(3), {})


def test_level_diameters_of_a_free_cylindrical_frame():
    df = _frame_in_tube()
    rep = metrics.level_report(df)
    for name in metrics.LEVELS:
        assert rep[name]["mean_mm"] == pytest.approx(26.0, abs=0.02)
        assert rep[name]["eccentricity"] == pytest.approx(0.0, abs=1e-3)
        assert rep[name]["expansion_pct"] == pytest.approx(100.0, abs=0.1)


def test_paravalvular_gap_area_of_an_undersized_frame():
    df = _frame_in_tube(tube_d=26.0, scale=22.0 / 26.0)       # ~22 mm frame in 26 mm tube
    gap = metrics.paravalvular_gap(df)
    sec = metrics.section_at(df, df.annulus_z_mm)
    contour_area = 0.5 * np.sum(sec.radius_mm ** 2) * (2 * np.pi / len(sec.radius_mm))
    expected = np.pi * 13.0 ** 2 - contour_area
    assert gap["arc_deg"] == pytest.approx(360.0)
    assert gap["area_mm2"] == pytest.approx(expected, rel=0.01)
    # the gap persisting through the ±2 mm band lies between the contour's extremes
    assert 13.0 - sec.radius_mm.max() - 0.01 <= gap["max_gap_mm"] <= 13.0 - sec.radius_mm.min()
    # a frame touching the tube leaves no gap
    assert metrics.paravalvular_gap(_frame_in_tube(26.0))["area_mm2"] == 0.0


def test_point_distances_to_the_frame():
    df = _frame_in_tube()
    p = np.array([[0.0, 16.0, 10.0], [0.0, 0.0, 10.0]])
    d = metrics.point_distances(df, p)
    # to the skirt contour: a polygon through the strut crossings, whose 15–30 corners lie
    # on the 13 mm outer radius
    lo, hi = 16.0 - 13.0, 16.0 - 13.0 * np.cos(np.pi / 15)
    assert lo - 0.01 <= d[0]["horizontal_mm"] <= hi + 0.01
    assert -13.01 <= d[1]["horizontal_mm"] <= -13.0 * np.cos(np.pi / 15) + 0.01
    assert 0 < d[0]["distance_mm"] <= d[0]["horizontal_mm"] + 0.3


def test_pressure_map_conserves_the_contact_force():
    def push(pts):                       # 0.01 N radially outward per sample
        r = np.hypot(pts[:, 0], pts[:, 1])
        return -0.01 * np.column_stack([pts[:, 0] / r, pts[:, 1] / r, 0 * r])

    df = _frame_in_tube(force=push)
    p = metrics.tissue_pressure(df)
    area = df.tissue_frame.vertex_area
    total = np.sum(p * area)
    assert total == pytest.approx(0.01 * len(df.sample_area_mm2), rel=0.02)
    stats = metrics.pressure_stats(df, p)
    assert stats["max_kpa"] >= stats["p95_kpa"] >= stats["mean_kpa"] > 0


def test_compression_and_axis_helpers():
    df = _frame_in_tube(scale=22.0 / 26.0)
    outer = 2 * (13.0 - 0.225) * 22.0 / 26.0 + 0.45        # scaled centreline + thickness
    assert metrics.compression_pct(df) == pytest.approx(100 * (26 - outer) / 26, abs=0.1)
    assert np.allclose(metrics.device_axis_lps(df), [0, 0, 1], atol=1e-6)
