"""Inflow and outlet resistances: defaults, physiology, scenarios."""

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.sim.flow.boundary_values import M3S_PER_LMIN, boundary_values
from twindesk.sim.flow.domain import Region
from twindesk.sim.flow.post import PA_PER_MMHG

OUTLETS = [Region(2, "descending_aorta", "outlet", (0, 0, 0), (0, 0, -1), 400.0),
           Region(3, "brachiocephalic", "outlet", (0, 0, 0), (0, 0, 1), 100.0)]


def test_defaults_murray_split_and_total_resistance():
    bv = boundary_values({}, OUTLETS, "mean")
    assert bv.source == "default" and bv.assumptions
    assert bv.inflow_m3_per_s == pytest.approx(5.0 * M3S_PER_LMIN)
    r = bv.resistances_pa_s_per_m3
    # Parallel total = MAP / CO; split ∝ area^1.5 (4^1.5 = 8).
    total = 1 / (1 / r[2] + 1 / r[3])
    assert total == pytest.approx(93 * PA_PER_MMHG / (5.0 * M3S_PER_LMIN))
    assert r[3] / r[2] == pytest.approx(8.0)
    peak = boundary_values({}, OUTLETS, "peak").inflow_m3_per_s
    assert peak / bv.inflow_m3_per_s == pytest.approx(np.pi / 0.66)


def test_physiology_values_are_used():
    doc = {"physiology": {"results": {"baseline": {"haemodynamics": {
               "cardiac_output_l_min": 4.2, "peak_aortic_flow_ml_s": 380.0}}},
                          "outlets": [{"name": "descending_aorta", "rp_pa_s_per_m3": 1e7,
                                       "rd_pa_s_per_m3": 1.5e8, "c_m3_per_pa": 1e-8},
                                      {"region_id": 3, "r_total_pa_s_per_m3": 6e8}]}}
    bv = boundary_values(doc, OUTLETS, "mean")
    assert bv.source == "physiology" and not bv.assumptions, bv.assumptions
    assert bv.inflow_m3_per_s == pytest.approx(4.2 * M3S_PER_LMIN)
    assert bv.resistances_pa_s_per_m3 == {2: pytest.approx(1.6e8), 3: pytest.approx(6e8)}
    assert boundary_values(doc, OUTLETS, "peak").inflow_m3_per_s == pytest.approx(380e-6)


def test_scenario_and_bad_input():
    doc = {"physiology": {"scenarios": {"low": {"from": "baseline",
                                                "targets": {"cardiac_output_l_min": 3.0}}}}}
    assert boundary_values(doc, OUTLETS, "mean", "low").inflow_m3_per_s == \
        pytest.approx(3.0 * M3S_PER_LMIN)
    with pytest.raises(InputError):
        boundary_values(doc, OUTLETS, "mean", "nope")
    with pytest.raises(InputError):
        boundary_values({}, OUTLETS, "systole")


def test_calibrated_outlets_come_from_the_circulation_model():
    store = pytest.importorskip("twindesk.sim.lumped.store")
    doc = {"physiology": {"scenarios": {"variant": {"from": "baseline", "overrides": {}}},
                          "calibrations": [], "results": {}}}
    bv = boundary_values(doc, OUTLETS, "mean", "variant")
    recs = store.outlet_bcs(doc, [r.to_meta() for r in OUTLETS], "variant")
    for rec in recs:
        rid = rec["region_id"]
        assert bv.resistances_pa_s_per_m3[rid] == pytest.approx(
            rec["rp_pa_s_per_m3"] + rec["rd_pa_s_per_m3"])
        assert bv.reference_pressure_pa[rid] == pytest.approx(rec["pd_pa"])


def test_a_variant_keeps_the_cardiac_output_of_its_base():
    """A device scenario from ``twindesk scenario add`` has no CO of its own until it is run:
    the flow uses its base scenario's target, not the population default."""
    from twindesk.sim.flow.boundary_values import DEFAULT_CO_L_MIN
    from twindesk.sim.lumped.params import default_circulation, to_clinical

    doc = {"physiology": {"scenarios": {
        "baseline": {"parameters": to_clinical(default_circulation()),
                     "targets": {"cardiac_output_l_min": 4.2}},
        "post": {"from": "baseline", "overrides": {"aortic_eoa_cm2": 1.9}},
        "post-ex": {"from": "post", "overrides": {"heart_rate_bpm": 100.0}}},
        "results": {}, "calibrations": []}}
    outlets = OUTLETS
    for name in ("post", "post-ex"):
        bv = boundary_values(doc, outlets, "mean", scenario=name)
        assert bv.inflow_m3_per_s == pytest.approx(4.2 * M3S_PER_LMIN, rel=1e-12)
        assert any("baseline" in n for n in bv.assumptions)
    doc["physiology"]["results"]["post"] = {"haemodynamics": {"cardiac_output_l_min": 3.9}}
    bv = boundary_values(doc, outlets, "mean", scenario="post-ex")
    assert bv.inflow_m3_per_s == pytest.approx(3.9 * M3S_PER_LMIN, rel=1e-12)
    assert 4.2 != DEFAULT_CO_L_MIN


def _feeding_pressure_mmhg(bv):
    """P0 with Σ (P0 − P_ref,i) / R_i = Q: the lumped pressure feeding the outlets."""
    g = {i: 1 / r for i, r in bv.resistances_pa_s_per_m3.items()}
    p0 = (bv.inflow_m3_per_s + sum(g[i] * bv.reference_pressure_pa[i] for i in g)) / \
        sum(g.values())
    return p0 / PA_PER_MMHG


def test_peak_flow_pressure_level_is_the_systolic_pressure():
    doc = {"physiology": {"results": {"baseline": {"haemodynamics": {
               "cardiac_output_l_min": 4.8, "peak_aortic_flow_ml_s": 288.0,
               "aortic_systolic_mmhg": 124.0}}},
                          "outlets": [{"name": "descending_aorta", "rp_pa_s_per_m3": 1e7,
                                       "rd_pa_s_per_m3": 1.5e8, "pd_pa": 1300.0},
                                      {"region_id": 3, "r_total_pa_s_per_m3": 6e8,
                                       "pd_pa": 1300.0}]}}
    mean = boundary_values(doc, OUTLETS, "mean")
    peak = boundary_values(doc, OUTLETS, "peak")
    # Mean flow: the calibrated distal pressures as they are.
    assert mean.reference_pressure_pa == {2: 1300.0, 3: 1300.0}
    # Peak: same resistances (same split), one common shift, feeding node at systole.
    assert peak.resistances_pa_s_per_m3 == mean.resistances_pa_s_per_m3
    d = {i: peak.reference_pressure_pa[i] - 1300.0 for i in (2, 3)}
    assert d[2] == pytest.approx(d[3]) and d[2] < 0
    assert _feeding_pressure_mmhg(peak) == pytest.approx(124.0)
    unshifted = (288e-6 + 1300.0 * (1 / 1.6e8 + 1 / 6e8)) / (1 / 1.6e8 + 1 / 6e8) / PA_PER_MMHG
    assert unshifted > 2 * 124.0  # what the resistances alone would give
    assert any("anchored to the systolic aortic pressure 124 mmHg" in a
               for a in peak.assumptions)
    # Without a 0D result: a flat systolic pressure, else the default 120 mmHg.
    assert _feeding_pressure_mmhg(boundary_values(
        {"physiology": {"systolic_mmhg": 140.0}}, OUTLETS, "peak")) == pytest.approx(140.0)
    assert _feeding_pressure_mmhg(boundary_values({}, OUTLETS, "peak")) == pytest.approx(120.0)
