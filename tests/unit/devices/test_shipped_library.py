"""The shipped device library loads without problems and its numbers are consistent."""

from __future__ import annotations

import math
import tomllib

import pytest

from twindesk.model.devices import load_library
from twindesk.model.devices.radial_estimate import estimate_radial_force, surface_strain
from twindesk.paths import resources_dir

SHIPPED = resources_dir() / "devices"


@pytest.fixture(scope="module")
def lib():
    return load_library(shipped_dir=SHIPPED, include_user=False)


def test_every_shipped_file_loads_without_problems(lib):
    assert lib.problems == ()
    files = sorted(p.name for p in SHIPPED.glob("*.toml") if p.name != "materials.toml")
    assert sorted(f.file for f in lib.families) == files
    assert set(lib.materials) == {"cocr_l605", "ss_316l", "nitinol_se"}


def test_families_required_by_the_issue(lib):
    kinds = {f.kind: f for f in lib.families}
    assert kinds["balloon-expandable"].sizes_mm == (20, 23, 26, 29)
    assert kinds["self-expanding"].sizes_mm == (23, 26, 29, 34)
    assert kinds["laao"].sizes_mm == (20, 24, 27, 31, 35)
    for f in lib.families:
        assert f.frame.frame_geometry == "generic"
        assert f.orientation.rotation_zero_definition and f.orientation.implant_depth_definition
        assert lib.material_of(f).model == ("elastic-plastic" if f.kind == "balloon-expandable"
                                            else "superelastic")
    be = kinds["balloon-expandable"]
    assert be.recoil is not None and 0 < be.recoil.recoil_min_pct < be.recoil.recoil_max_pct
    for s in kinds["self-expanding"].sizes:
        assert s.waist_diameter_mm < s.inflow_diameter_mm < s.outflow_diameter_mm
        assert len(s.radial_force) >= 5


def test_every_number_resolves_to_a_cited_source(lib):
    """Each numeric field of each table maps to at least one defined [[sources]] entry."""
    from dataclasses import fields

    for f in lib.families:
        tables = [f.frame, f.placement, f.anatomy, *f.sizes] + ([f.recoil] if f.recoil else [])
        for table in tables:
            for fld in fields(table):
                value = getattr(table, fld.name)
                if isinstance(value, (int, float)) or fld.name == "radial_force" and value:
                    cited = f.source_of(table, fld.name)
                    assert cited, (f.id, type(table).__name__, fld.name)
                    assert all(c.citation for c in cited)


def test_estimates_are_labelled(lib):
    for f in lib.families:
        for s in f.sources_table:
            if s.kind == "engineering-estimate":
                assert s.verification in ("estimate", "computed") and s.note


def test_derived_perimeter_and_area_ranges_recompute():
    """Derived ranges: perimeter = 2 sqrt(pi A) (BE, 0.1 mm rounding), area = P^2/(4 pi)
    (SE, 1 mm^2 rounding)."""
    be = tomllib.loads((SHIPPED / "balloon_expandable_valve.toml").read_text())
    for s in be["sizes"]:
        for a_key, p_key in (("annulus_area_min_mm2", "annulus_perimeter_min_mm"),
                             ("annulus_area_max_mm2", "annulus_perimeter_max_mm")):
            assert s[p_key] == pytest.approx(2 * math.sqrt(math.pi * s[a_key]), abs=0.05)
    se = tomllib.loads((SHIPPED / "self_expanding_valve.toml").read_text())
    for s in se["sizes"]:
        for a_key, p_key in (("annulus_area_min_mm2", "annulus_perimeter_min_mm"),
                             ("annulus_area_max_mm2", "annulus_perimeter_max_mm")):
            assert s[a_key] == pytest.approx(s[p_key] ** 2 / (4 * math.pi), abs=0.5)


def test_occluder_ostium_ranges_follow_compression(lib):
    laao = next(f for f in lib.families if f.kind == "laao")
    for s in laao.sizes:
        assert s.ostium_min_mm == pytest.approx(s.diameter_mm * (1 - s.compression_max_pct / 100),
                                                abs=0.051)
        assert s.ostium_max_mm == pytest.approx(s.diameter_mm * (1 - s.compression_min_pct / 100),
                                                abs=0.051)


def test_hardening_moduli_recompute_from_specification():
    """Plastic modulus H = (UTS - yield) / elongation (stress against plastic strain):
    L605 (860, 310 MPa, 35 %), 316L (490, 170 MPa, 40 %)."""
    lib = load_library(shipped_dir=SHIPPED, include_user=False)
    l605, ss = lib.materials["cocr_l605"], lib.materials["ss_316l"]
    assert l605.hardening_modulus_mpa == pytest.approx((860 - 310) / 0.35, abs=0.5)
    assert ss.hardening_modulus_mpa == pytest.approx((490 - 170) / 0.40, abs=0.5)


def test_radial_force_table_equals_the_documented_estimate(lib):
    se = next(f for f in lib.families if f.kind == "self-expanding")
    nitinol = lib.material_of(se)
    for s in se.sizes:
        model = estimate_radial_force(se.frame, nitinol, s.inflow_diameter_mm, s.frame_height_mm,
                                      [p.diameter_mm for p in s.radial_force])
        for shipped, est in zip(s.radial_force, model, strict=True):
            assert shipped.cof_n == pytest.approx(est.cof_n, abs=0.051)
            assert shipped.rrf_n == pytest.approx(est.rrf_n, abs=0.051)


def test_generic_frames_survive_crimping(lib):
    """Peak strut strain at the crimped diameter stays below nitinol's recoverable strain
    (elastic strain at the loading plateau end + transformation strain)."""
    for f in lib.families:
        if f.kind != "self-expanding":
            continue
        m = lib.material_of(f)
        limit = m.loading_end_mpa / m.austenite_modulus_mpa + m.transformation_strain
        for s in f.sizes:
            strain = surface_strain(f.frame, s.inflow_diameter_mm, s.frame_height_mm,
                                    f.frame.crimped_diameter_mm)
            assert 0.02 < strain < limit, (s.size_mm, strain, limit)


def test_radial_estimate_elastic_branch_matches_linear_beam_theory(lib):
    """For a 0.05 mm compression the model is linear: F = 2 pi rows * 2 E I kappa / (L cos t)
    with kappa = 6 dtheta / L and dtheta = pi dD / (2 N L cos t0) (first order)."""
    se = next(f for f in lib.families if f.kind == "self-expanding")
    m, s, fr = lib.material_of(se), se.sizes[1], se.frame
    d0, dd = s.inflow_diameter_mm, 0.05
    (pt,) = estimate_radial_force(fr, m, d0, s.frame_height_mm, [d0 - dd])
    a = s.frame_height_mm / (2 * fr.rows_of_cells)
    c0 = math.pi * d0 / (2 * fr.cells_per_row)
    length = math.hypot(a, c0)
    cos0 = a / length
    dtheta = math.pi * dd / (2 * fr.cells_per_row * length * cos0)
    inertia = fr.strut_thickness_mm * fr.strut_width_mm ** 3 / 12
    expected = (2 * math.pi * fr.rows_of_cells * 2 * m.austenite_modulus_mpa * inertia
                * 6 * dtheta / length / (length * cos0))
    assert pt.cof_n == pytest.approx(expected, rel=0.01)
    assert pt.rrf_n == pytest.approx(pt.cof_n, rel=1e-12)
    (zero,) = estimate_radial_force(fr, m, d0, s.frame_height_mm, [d0])
    assert zero.cof_n == pytest.approx(0.0, abs=1e-12)
