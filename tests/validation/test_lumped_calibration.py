"""Calibration on synthetic patients generated from known parameters; identifiability; UQ."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.lumped.calibration import RP_FRACTION, calibrate, reproduced_table
from twindesk.sim.lumped.clinical import (MAP_FORM_FACTOR, ClinicalData, bsa_mosteller_m2,
                                          central_mean_mmhg, latest_vitals)
from twindesk.sim.lumped.haemodynamics import summarize
from twindesk.sim.lumped.params import default_circulation, to_clinical
from twindesk.sim.lumped.periodic import solve_periodic
from twindesk.sim.lumped.uq import MeasurementErrors, UQSettings, interval, sample

RECOVERY_TOL = 0.02


def truth_circulation(r_total, c, eoa, volume, hr):
    return default_circulation().with_(
        rp_mmhg_s_per_ml=RP_FRACTION * r_total, rd_mmhg_s_per_ml=(1 - RP_FRACTION) * r_total,
        c_ml_per_mmhg=c, aortic_eoa_cm2=eoa, stressed_volume_ml=volume, heart_rate_bpm=hr)


def synthetic_measurements(truth, **keep) -> ClinicalData:
    """What a clinic would measure on ``truth``: brachial cuff consistent with the central
    mean/diastolic pressure through the stated rule, CO, HR and Doppler mean gradient."""
    s = summarize(truth, solve_periodic(truth).waveforms)
    dbp = s["aortic_diastolic_mmhg"]
    sbp = dbp + (s["aortic_mean_mmhg"] - dbp) / MAP_FORM_FACTOR
    d = ClinicalData(sbp_mmhg=sbp, dbp_mmhg=dbp, hr_bpm=truth.heart.heart_rate_bpm,
                     co_l_min=s["cardiac_output_l_min"], mean_gradient_mmhg=s["mean_gradient_mmhg"])
    return d.replace(**keep) if keep else d


@pytest.mark.parametrize("r_total, c, eoa, volume, hr", [
    (1.3, 0.9, 0.8, 700.0, 64.0),    # severe AS, stiff arteries
    (0.9, 1.8, 1.9, 560.0, 82.0),    # mild AS, compliant arteries, faster heart
])
def test_identifiable_parameters_recovered_within_2_percent(r_total, c, eoa, volume, hr):
    truth = truth_circulation(r_total, c, eoa, volume, hr)
    data = synthetic_measurements(truth)
    # Start far from the truth: the population defaults.
    cal = calibrate(data, default_circulation())
    got, want = to_clinical(cal.circulation), to_clinical(truth)
    for key in ("rp_mmhg_s_per_ml", "rd_mmhg_s_per_ml", "c_ml_per_mmhg", "aortic_eoa_cm2",
                "stressed_volume_ml", "heart_rate_bpm"):
        assert got[key] == pytest.approx(want[key], rel=RECOVERY_TOL), key
    for row in reproduced_table(cal).values():
        assert abs(row["error_pct"]) < 0.1  # the closed loop reproduces its targets
    assert cal.solution.periodic


def test_missing_gradient_leaves_eoa_unfitted_and_says_why():
    prior = default_circulation()
    # A patient whose valve happens to equal the prior's: everything else must still come back.
    truth = truth_circulation(1.1, 1.2, to_clinical(prior)["aortic_eoa_cm2"], 650.0, 70.0)
    data = synthetic_measurements(truth, mean_gradient_mmhg=None)
    cal = calibrate(data, prior)
    ok, reason = cal.identifiable["aortic_eoa"]
    assert not ok and "--mean-gradient-mmhg" in reason
    assert cal.circulation.valve.eoa_m2 == prior.valve.eoa_m2  # not silently fitted
    assert "mean_gradient" not in reproduced_table(cal)
    got = to_clinical(cal.circulation)
    assert got["c_ml_per_mmhg"] == pytest.approx(1.2, rel=RECOVERY_TOL)
    assert got["rp_mmhg_s_per_ml"] + got["rd_mmhg_s_per_ml"] == pytest.approx(1.1, rel=RECOVERY_TOL)
    assert got["stressed_volume_ml"] == pytest.approx(650.0, rel=RECOVERY_TOL)


def test_missing_cardiac_output_makes_resistance_compliance_eoa_unidentifiable():
    truth = truth_circulation(1.1, 1.2, 1.0, 650.0, 70.0)
    data = synthetic_measurements(truth, co_l_min=None)
    prior = default_circulation()
    cal = calibrate(data, prior)
    for name in ("total_resistance", "compliance", "aortic_eoa", "stressed_volume"):
        ok, reason = cal.identifiable[name]
        assert not ok and "--co-l-min" in reason, name
    assert cal.circulation.arteries == prior.arteries
    assert cal.fitted == []


def test_missing_diastolic_pressure_makes_compliance_unidentifiable():
    data = ClinicalData(sbp_mmhg=130, hr_bpm=70, co_l_min=5.0)
    cal = calibrate(data, default_circulation())
    ok, reason = cal.identifiable["compliance"]
    assert not ok and "--dbp" in reason
    assert cal.identifiable["stressed_volume"][0]
    assert cal.summary["cardiac_output_l_min"] == pytest.approx(5.0, rel=1e-3)


def test_uncertainty_intervals_seeded_and_scaled_by_errors():
    truth = truth_circulation(1.2, 1.0, 0.9, 650.0, 70.0)
    data = synthetic_measurements(truth)
    cal = calibrate(data, default_circulation())
    a = sample(cal, data, UQSettings(n_samples=120, seed=7))
    b = sample(cal, data, UQSettings(n_samples=120, seed=7))
    assert all(np.array_equal(a[k], b[k]) for k in a)  # seeded: reproducible
    eoa = interval(to_clinical(cal.circulation)["aortic_eoa_cm2"], a["aortic_eoa_cm2"], "cm²")
    assert eoa["low"] < eoa["value"] < eoa["high"]
    # EOA ∝ SV/√G: with CO ±10 % and G ±15 % its relative spread is
    # ≈ √(0.1² + 0.075²) = 12.5 %
    rel_sd = np.std(a["aortic_eoa_cm2"]) / eoa["value"]
    assert 0.09 < rel_sd < 0.16
    # Halving every error halves the spread (to within sampling noise).
    half = MeasurementErrors(cuff_sd_mmhg=2.5, co_sd_fraction=0.05, gradient_sd_fraction=0.075)
    h = sample(cal, data, UQSettings(n_samples=120, seed=7, errors=half))
    assert np.std(h["c_ml_per_mmhg"]) / np.std(a["c_ml_per_mmhg"]) == pytest.approx(0.5, abs=0.1)
    # Ventricular quantities get intervals through the linearised closed loop.
    assert np.std(a["ejection_fraction_pct"]) > 0 and np.std(a["stressed_volume_ml"]) > 0


def test_clinical_rules():
    assert central_mean_mmhg(140.0, 80.0) == pytest.approx(104.0)  # DBP + 0.4·PP
    assert bsa_mosteller_m2(180.0, 80.0) == pytest.approx(2.0)      # √(180·80/3600)
    vitals = {"vitals": [{"time_utc": "2026-01-02T10:00:00Z", "sbp_mmhg": 150, "hr_bpm": 80},
                         {"time_utc": "2026-03-01T09:00:00Z", "sbp_mmhg": 135, "dbp_mmhg": 75},
                         {"time_utc": "2025-12-01T09:00:00Z", "hr_bpm": 60}]}
    data, label = latest_vitals(vitals)
    assert (data.sbp_mmhg, data.dbp_mmhg, data.hr_bpm) == (135, 75, 80)
    assert "2026-03-01" in label
    assert latest_vitals({}) is None and latest_vitals({"vitals": [{"height_cm": 170}]}) is None


def test_uncertainty_sampling_can_be_cancelled():
    from twindesk.errors import Cancelled
    from twindesk.jobs import CancelToken, ProgressReporter

    data = ClinicalData(sbp_mmhg=140, dbp_mmhg=80, hr_bpm=70, co_l_min=5.0)
    cal = calibrate(data, default_circulation())
    token = CancelToken()
    seen = []

    def progress(fraction, message=""):
        seen.append(fraction)
        if len(seen) == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        sample(cal, data, UQSettings(n_samples=200), ProgressReporter(progress, cancel=token))
    assert len(seen) == 2
