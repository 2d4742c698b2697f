"""The closed-loop 0D model: periodic steady state, conservation laws, valve physics."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.lumped import units as u
from twindesk.sim.lumped.haemodynamics import cycle_mean, summarize
from twindesk.sim.lumped.model import activation, integrate_cycle, time_to_peak_elastance_s
from twindesk.sim.lumped.params import default_circulation, from_clinical, to_clinical
from twindesk.sim.lumped.periodic import PERIODICITY_TOLERANCE, solve_periodic


@pytest.fixture(scope="module")
def baseline():
    c = default_circulation()
    return c, solve_periodic(c)


def test_periodicity_criterion_met_and_matches_brute_force(baseline):
    c, sol = baseline
    assert sol.cycle_to_cycle_change < PERIODICITY_TOLERANCE and sol.periodic
    # Brute force: 60 plain beats from an arbitrary state reach the same periodic state.
    y = np.array([100e-6, u.mmhg_to_pa(60.0), 0.0])
    c_art, c_ven = c.arteries.c_m3_per_pa, c.venous.compliance_m3_per_pa
    y[2] = (c.stressed_volume_m3 - y[0] - c_art * y[1]) / c_ven
    for _ in range(60):
        y = integrate_cycle(c, y).y[:, -1]
    assert y[0] == pytest.approx(sol.state0[0], rel=1e-5)
    assert y[1] == pytest.approx(sol.state0[1], rel=1e-5)
    assert sol.cycle_integrations < 20  # Newton shooting is the acceleration


def test_conservation_laws(baseline):
    c, sol = baseline
    w, period = sol.waveforms, c.heart.heart_period_s
    c_art, c_ven = c.arteries.c_m3_per_pa, c.venous.compliance_m3_per_pa
    stressed = w.v_lv_m3 + c_art * w.p_c_pa + c_ven * w.p_v_pa
    assert np.ptp(stressed) / c.stressed_volume_m3 < 1e-6
    q_av, q_mv, q_per = (cycle_mean(w.t_s, q, period)
                         for q in (w.q_av_m3_s, w.q_mv_m3_s, w.q_per_m3_s))
    assert q_mv == pytest.approx(q_av, rel=2e-3)  # what goes in comes out over a beat
    assert q_per == pytest.approx(q_av, rel=2e-3)
    s = summarize(c, w)
    # Mean pressure identity of the Windkessel: MAP − mean P_v = R_total · CO.
    lhs = u.mmhg_to_pa(s["aortic_mean_mmhg"] - s["venous_mean_mmhg"])
    assert lhs == pytest.approx(c.arteries.total_resistance_pa_s_per_m3 * q_av, rel=2e-3)
    assert s["stroke_volume_ml"] == pytest.approx(s["end_diastolic_volume_ml"]
                                                  - s["end_systolic_volume_ml"], rel=2e-3)


def test_baseline_is_physiological(baseline):
    c, sol = baseline
    s = summarize(c, sol.waveforms)
    assert 100 < s["aortic_systolic_mmhg"] < 140 and 60 < s["aortic_diastolic_mmhg"] < 90
    assert 4.0 < s["cardiac_output_l_min"] < 6.0 and 50 < s["ejection_fraction_pct"] < 70
    assert 5 < s["lv_end_diastolic_mmhg"] < 15
    assert s["mean_gradient_mmhg"] < 6  # a normal 3 cm² valve


def test_stenosis_raises_gradient_consistent_with_bernoulli():
    c = default_circulation().with_(aortic_eoa_cm2=0.7)
    sol = solve_periodic(c)
    s = summarize(c, sol.waveforms)
    w = sol.waveforms
    # Peak Doppler gradient is ρ/2·(Q_max/EOA)², the simplified Bernoulli 4v² within 1 %.
    v = w.q_av_m3_s.max() / c.valve.eoa_m2
    assert s["peak_velocity_m_s"] == pytest.approx(v)
    assert s["peak_gradient_mmhg"] == pytest.approx(4.0 * v ** 2, rel=0.01)
    # Severe aortic stenosis by the guideline thresholds (mean ≥ 40 mmHg, Vmax ≥ 4 m/s ± 5 %).
    assert s["mean_gradient_mmhg"] > 35 and v > 3.8
    # Net gradient after pressure recovery: ELCo = EOA·Aa/(Aa − EOA) (Garcia et al. 2000).
    el = c.valve.eoa_m2 * c.valve.aorta_area_m2 / (c.valve.aorta_area_m2 - c.valve.eoa_m2)
    assert s["net_peak_gradient_mmhg"] == pytest.approx(
        s["peak_gradient_mmhg"] * (c.valve.eoa_m2 / el) ** 2, rel=0.01)
    # Without pressure recovery the net gradient is the Doppler gradient.
    c2 = c.with_(pressure_recovery=False)
    s2 = summarize(c2, solve_periodic(c2).waveforms)
    assert s2["net_mean_gradient_mmhg"] == pytest.approx(s2["mean_gradient_mmhg"], rel=1e-3)
    assert s2["lv_systolic_mmhg"] > s["lv_systolic_mmhg"]  # recovery unloads the LV


def test_activation_normalised():
    period = 0.8
    t = np.linspace(0, period, 4001)
    a = np.array([activation(x, period) for x in t])
    assert a[0] == 0.0 and a.max() == pytest.approx(1.0, abs=1e-6)
    assert t[np.argmax(a)] == pytest.approx(time_to_peak_elastance_s(period), abs=period / 4000)
    assert activation(period + 0.1, period) == pytest.approx(activation(0.1, period))


def test_clinical_round_trip_and_checks():
    from twindesk.errors import InputError

    c = default_circulation()
    d = to_clinical(c)
    assert to_clinical(from_clinical(d)) == pytest.approx(d)
    with pytest.raises(InputError, match="'aortic_eoa_cm2' = 80 is outside"):
        from_clinical({**d, "aortic_eoa_cm2": 80.0})
    with pytest.raises(InputError, match="unknown field"):
        from_clinical({"eoa": 1.0})
    with pytest.raises(InputError, match="must be smaller than aorta_area_cm2"):
        c.with_(aortic_eoa_cm2=5.0, aorta_area_cm2=4.0)


def test_closed_loop_windkessel_matches_analytic_rcr(baseline):
    """The arterial part of the closed loop, driven by its own valve flow and venous
    pressure, against the analytic RCR by linear superposition:
    P̂ = Z(ω)·Q̂ + P̂v/(1 + iωRdC)."""
    c, _ = baseline
    sol = solve_periodic(c, n_samples=4000)
    w, wk, period = sol.waveforms, c.arteries, c.heart.heart_period_s
    n = w.t_s.size
    omega = 2 * np.pi * np.fft.rfftfreq(n, d=period / n)
    from twindesk.sim.lumped.rcr_analytic import rcr_impedance

    p_hat = (rcr_impedance(wk, omega) * np.fft.rfft(w.q_av_m3_s)
             + np.fft.rfft(w.p_v_pa) / (1 + 1j * omega * wk.rd_pa_s_per_m3 * wk.c_m3_per_pa))
    p_ref = np.fft.irfft(p_hat, n)
    err = np.max(np.abs(w.p_ao_pa - p_ref)) / np.ptp(p_ref)
    assert err <= 0.005
