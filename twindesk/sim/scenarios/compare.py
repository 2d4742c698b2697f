"""Side-by-side comparison of two scenarios with uncertainty intervals (``twindesk compare``).

0D values come from each scenario's periodic closed-loop solution (computed now, not
stored). Intervals (central 95 %) propagate, with the fast model of
:mod:`twindesk.sim.lumped.fast` driven by each scenario's own ejection waveform:

* the latest calibration's Monte Carlo samples (artefact ``result:calibration-samples:<id>``):
  per sample the relative deviations of total resistance, compliance, stroke volume and the
  native EOA, applied to both scenarios (paired: the same patient uncertainty);
* a device's EOA spread (``eoa_sd_cm2`` of the device library, normal, one draw per sample
  shared by every scenario with that device).

A scenario with a cardiac-output target keeps its stroke volume (the target fixes it).
Differences ``B − A`` are taken sample by sample, so uncertainty the two share cancels.
Intervals follow :func:`twindesk.sim.lumped.uq.interval`: closed-loop value plus the
percentiles of the fast-model deviations. Without a calibration and without a device
spread there is nothing to propagate and the intervals are ``null``.

3D values (when both scenarios have pulsatile results) are single runs: the echo-comparable
Doppler values carry the interval of the matching 0D quantity (they are the same
``Q/EOA`` computation on the same inflow), the others carry none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.sim.lumped import units as u
from twindesk.sim.lumped.fast import EjectionShape, predictions
from twindesk.sim.lumped.haemodynamics import UNITS, summarize
from twindesk.sim.lumped.params import AorticValve, Windkessel
from twindesk.sim.lumped.store import latest_calibration, physiology
from twindesk.sim.lumped.uq import interval

LEVEL = 0.95
N_DEVICE_SAMPLES = 300
SEED = 2024
ZERO_D = ("cardiac_output_l_min", "stroke_volume_ml", "heart_rate_bpm", "aortic_systolic_mmhg",
          "aortic_diastolic_mmhg", "aortic_mean_mmhg", "aortic_pulse_pressure_mmhg",
          "lv_systolic_mmhg", "mean_gradient_mmhg", "peak_gradient_mmhg",
          "net_mean_gradient_mmhg", "peak_velocity_m_s", "aortic_eoa_cm2")
#: 3D keys (path in the pulsatile summary) → unit, and the 0D quantity whose interval applies.
THREE_D: dict[str, tuple[str, str | None]] = {
    "echo.peak_velocity_m_s": ("m/s", "peak_velocity_m_s"),
    "echo.peak_gradient_mmhg": ("mmHg", "peak_gradient_mmhg"),
    "echo.mean_gradient_mmhg": ("mmHg", "mean_gradient_mmhg"),
    "echo.net_pressure_drop_mean_mmhg": ("mmHg", None),
    "echo.net_pressure_drop_peak_mmhg": ("mmHg", None),
    "echo.pressure_drop_3d_mean_mmhg": ("mmHg", None),
    "echo.pressure_drop_3d_peak_mmhg": ("mmHg", None),
    "peak_velocity_3d_m_s": ("m/s", None),
    "aortic_pressure.systolic_mmhg": ("mmHg", None),
    "aortic_pressure.diastolic_mmhg": ("mmHg", None),
    "aortic_pressure.mean_mmhg": ("mmHg", None),
    "wall_shear_stress.tawss_mean_pa": ("Pa", None),
    "wall_shear_stress.tawss_max_pa": ("Pa", None),
    "wall_shear_stress.low_tawss_area_percent": ("%", None),
    "wall_shear_stress.osi_mean": ("", None),
    "wall_shear_stress.high_osi_area_percent": ("%", None),
    "wall_shear_stress.peak_systole_wss_max_pa": ("Pa", None),
}


class _Scenario:
    """Nominal closed-loop solution of one scenario and its fast-model ingredients."""

    def __init__(self, doc: dict[str, Any], name: str):
        from twindesk.sim.lumped.jobs import periodic_scenario
        from twindesk.sim.scenarios.define import device_of

        self.name = name
        self.c, sol, self.info = periodic_scenario(doc, name)
        self.values = summarize(self.c, sol.waveforms)
        self.period = self.c.heart.heart_period_s
        self.shape = EjectionShape.from_waveforms(sol.waveforms, self.period)
        self.sv = u.ml_to_m3(self.values["stroke_volume_ml"])
        self.device = device_of(doc, name)
        self.sv_fixed = "cardiac_output_target_l_min" in self.info

    def fast(self, d_r=0.0, d_c=0.0, d_sv=0.0, d_eoa=0.0, eoa_m2=None) -> dict[str, float]:
        wk, valve = self.c.arteries, self.c.valve
        wk = Windkessel(wk.rp_pa_s_per_m3 * (1 + d_r), wk.c_m3_per_pa * (1 + d_c),
                        wk.rd_pa_s_per_m3 * (1 + d_r), wk.pd_pa)
        eoa = eoa_m2 if eoa_m2 is not None else valve.eoa_m2 * (1 + d_eoa)
        eoa = min(max(eoa, 0.05e-4), 0.95 * valve.aorta_area_m2)
        valve = AorticValve(eoa, valve.aorta_area_m2, valve.pressure_recovery,
                            valve.blood_density_kg_per_m3)
        sv = self.sv * (1 + (0.0 if self.sv_fixed else d_sv))
        out = predictions(self.shape, wk, valve, sv, self.period)
        out["aortic_eoa_cm2"] = u.m2_to_cm2(eoa)
        out["heart_rate_bpm"] = 60.0 / self.period
        return out


def _calibration_deviations(case) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """Relative deviations per sample (resistance, compliance, SV, native EOA)."""
    cal = latest_calibration(case.doc)
    if not cal or not cal.get("samples_artifact") or case.artifact(cal["samples_artifact"]) is None:
        return None, None
    dev = case.read_json(cal["samples_artifact"])
    fitted, pred = cal.get("fitted") or {}, cal.get("predictions") or {}

    def rel(key: str, nominal: dict | None) -> np.ndarray:
        d = np.asarray(dev.get(key) or [0.0] * len(next(iter(dev.values()))), float)
        v = (nominal or {}).get("value")
        return d / v if v else np.zeros_like(d)

    return ({"r": rel("total_resistance_mmhg_s_per_ml", fitted.get(
                "total_resistance_mmhg_s_per_ml")),
             "c": rel("c_ml_per_mmhg", fitted.get("c_ml_per_mmhg")),
             "sv": rel("stroke_volume_ml", pred.get("stroke_volume_ml")),
             "eoa": rel("aortic_eoa_cm2", fitted.get("aortic_eoa_cm2"))}, cal["id"])


def _samples(case, scenarios: list[_Scenario]) -> tuple[list[list[dict]], list[str]]:
    """Per scenario, the fast-model predictions of every sample; and the sources used."""
    rel, cal_id = _calibration_deviations(case)
    devices = [s.device for s in scenarios if s.device and s.device.get("eoa_sd_cm2")]
    if rel is None and not devices:
        return [], []
    n = len(rel["r"]) if rel is not None else N_DEVICE_SAMPLES
    rng = np.random.default_rng(SEED)
    draws = {d["id"] + f"@{d['size_mm']:g}": rng.standard_normal(n) for d in devices}
    sources = ([f"calibration {cal_id} measurement-error samples"] if rel is not None else []) + \
        [f"device EOA spread {d['id']} {d['size_mm']:g} mm (SD {d['eoa_sd_cm2']:g} cm²)"
         for d in devices]
    out = []
    for s in scenarios:
        rows = []
        dev = s.device if s.device and s.device.get("eoa_sd_cm2") else None
        for i in range(n):
            kw = {}
            if rel is not None:
                kw = {"d_r": rel["r"][i], "d_c": rel["c"][i], "d_sv": rel["sv"][i]}
                if s.device is None:
                    kw["d_eoa"] = rel["eoa"][i]
            if dev is not None:
                z = draws[dev["id"] + f"@{dev['size_mm']:g}"][i]
                kw["eoa_m2"] = u.cm2_to_m2(max(dev["eoa_cm2"] + z * dev["eoa_sd_cm2"], 0.3))
            rows.append(s.fast(**kw))
        out.append(rows)
    return out, sorted(set(sources), key=sources.index)


def _entry(value: float, devs: np.ndarray | None, unit: str) -> dict[str, Any]:
    if devs is None or not np.any(devs):  # nothing propagated into this value
        return {"value": float(value), "low": None, "high": None, "unit": unit}
    return interval(value, devs, unit, LEVEL)


def _get(d: dict, path: str):
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def compare_scenarios(case, a: str, b: str) -> dict[str, Any]:
    """The comparison of scenarios ``a`` and ``b`` of an open case (module docstring)."""
    from twindesk.sim.scenarios.define import geometry_changes, list_scenarios

    scen = [_Scenario(case.doc, a), _Scenario(case.doc, b)]
    samples, sources = _samples(case, scen)
    nominal_fast = [s.fast() for s in scen]
    zero_d, rel_devs = [], {}
    for key in ZERO_D:
        unit = UNITS.get(key, "")
        va, vb = scen[0].values[key], scen[1].values[key]
        devs = [None, None]
        diff = None
        if samples and key in nominal_fast[0]:
            devs = [np.array([row[key] for row in samples[j]]) - nominal_fast[j][key]
                    for j in range(2)]
            diff = devs[1] - devs[0]
            rel_devs[key] = [devs[j] / nominal_fast[j][key] if nominal_fast[j][key] else None
                             for j in range(2)]
        zero_d.append({"quantity": key, "unit": unit, "a": _entry(va, devs[0], unit),
                       "b": _entry(vb, devs[1], unit),
                       "difference": _entry(vb - va, diff, unit),
                       "difference_percent": 100.0 * (vb - va) / va if va else None})
    pulsatile = case.doc.get("pulsatile") or {}
    three_d, missing = None, [n for n in (a, b) if n not in pulsatile]
    if not missing:
        three_d = []
        sums = [pulsatile[a]["summary"], pulsatile[b]["summary"]]
        for path, (unit, zkey) in THREE_D.items():
            va, vb = _get(sums[0], path), _get(sums[1], path)
            if va is None or vb is None:
                continue
            rd = rel_devs.get(zkey) if zkey else None
            devs = [rd[j] * v if rd and rd[j] is not None else None
                    for j, v in enumerate((va, vb))]
            diff = devs[1] - devs[0] if devs[0] is not None and devs[1] is not None else None
            three_d.append({"quantity": path, "unit": unit, "a": _entry(va, devs[0], unit),
                            "b": _entry(vb, devs[1], unit),
                            "difference": _entry(vb - va, diff, unit),
                            "difference_percent": 100.0 * (vb - va) / va if va else None})
        for name, s in zip((a, b), sums, strict=True):
            if not s.get("cycles", {}).get("periodic", False):
                sources.append(f"note: the 3D run of '{name}' did not reach periodicity")
    listing = {s["name"]: s for s in list_scenarios(case.doc)}
    return {
        "case": str(case.path), "a": a, "b": b,
        "definitions": {n: {"parameters_source": sc.info["parameters_source"],
                            "device": sc.device, "geometry_changes": geometry_changes(case.doc, n),
                            "overrides": listing[n]["overrides"], "targets": listing[n]["targets"]}
                        for n, sc in zip((a, b), scen, strict=True)},
        "zero_d": zero_d,
        "three_d": three_d,
        "three_d_missing": None if not missing else
        f"no 3D pulsatile result for {', '.join(missing)} (run 'twindesk scenario run CASE "
        "NAME --3d')",
        "uncertainty": {"interval": LEVEL, "sources": sources,
                        "n_samples": len(samples[0]) if samples else 0,
                        "method": "fast model (analytic RCR + Bernoulli valve on each "
                                  "scenario's ejection waveform), paired samples; 3D-only "
                                  "values are single runs without interval"
                        if samples else "no calibration samples and no device EOA spread: "
                                        "no intervals"},
        "physiology_model": physiology(case.doc).get("model"),
    }
