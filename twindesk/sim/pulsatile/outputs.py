"""The summary, point fields and waveform table of a finished pulsatile run (last cycle).

Units are in every key (clinical units for people: mmHg, L/min, ml/s; SI for fields that
other solvers read). Field names at peak systole match the steady flow result
(``velocity_m_s``, ``pressure_mmhg``, ``wss_pa``, ``on_wall``) so one viewer shows both;
cycle measures add ``velocity_mean_m_s``, ``pressure_mean_mmhg``, ``tawss_pa``, ``osi``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.sim.flow.post import PA_PER_MMHG
from twindesk.sim.flow.provenance import software_versions
from twindesk.sim.pulsatile.echo import echo_outputs, predicted_vs_measured

M3S_PER_LMIN = 1e-3 / 60.0
ZERO_D_KEYS = ("aortic_systolic_mmhg", "aortic_diastolic_mmhg", "aortic_mean_mmhg",
               "cardiac_output_l_min", "stroke_volume_ml", "heart_rate_bpm",
               "mean_gradient_mmhg", "peak_gradient_mmhg", "net_mean_gradient_mmhg",
               "peak_velocity_m_s", "aortic_eoa_cm2")


def _pressure_stats(p_pa: np.ndarray) -> dict[str, float]:
    p = np.asarray(p_pa) / PA_PER_MMHG
    return {"systolic_mmhg": float(p.max()), "diastolic_mmhg": float(p.min()),
            "mean_mmhg": float(p.mean())}


def wall_stats(tawss: np.ndarray, osi: np.ndarray, peak_wss: np.ndarray, area_m2: np.ndarray,
               low_pa: float, high_osi: float) -> dict[str, float]:
    a = np.asarray(area_m2)
    total = a.sum()
    low = float(a[tawss < low_pa].sum())
    high = float(a[osi > high_osi].sum())
    return {"tawss_mean_pa": float((tawss * a).sum() / total), "tawss_max_pa": float(tawss.max()),
            "low_tawss_threshold_pa": low_pa, "low_tawss_area_mm2": low * 1e6,
            "low_tawss_area_percent": 100.0 * low / total,
            "osi_mean": float((osi * a).sum() / total), "osi_max": float(osi.max()),
            "high_osi_threshold": high_osi, "high_osi_area_mm2": high * 1e6,
            "high_osi_area_percent": 100.0 * high / total,
            "peak_systole_wss_mean_pa": float((peak_wss * a).sum() / total),
            "peak_systole_wss_max_pa": float(peak_wss.max()),
            "wall_area_mm2": float(total * 1e6)}


def summarize_run(setup, solver, monitor, run, settings, params) -> dict[str, Any]:
    """``{"summary", "fields", "waveforms", "fingerprint"}`` of a finished run."""
    from twindesk.sim.pulsatile.case_job import OSI_HIGH_THRESHOLD, WSS_LOW_THRESHOLD_PA

    d = setup.domain
    last = run.completed[-1]
    n = len(last["t_s"])
    c = setup.circulation
    q_in = last["inflow_m3_s"]
    drop = last["inlet_pressure_pa"] - last["section_pressure_pa"]
    w0 = setup.waveforms
    echo = echo_outputs(w0.t_s, w0.q_av_m3_s, last["t_s"], q_in, c.valve.eoa_m2,
                        c.valve.loss_coefficient_pa_s2_per_m6, drop, last["jet_speed_m_s"])
    q_mean = float(q_in.mean())
    names = {r["region_id"]: r["name"] for r in setup.outlets_rcr}
    outlets = []
    for i, o in enumerate(solver.bank.outlets):
        q = last["outlet_flow_m3_s"][:, i]
        rcr = next(r for r in setup.outlets_rcr if r["region_id"] == o.region_id)
        outlets.append({"region_id": o.region_id, "name": names[o.region_id],
                        "flow_mean_l_min": float(q.mean() / M3S_PER_LMIN),
                        "flow_split_percent": 100.0 * float(q.mean()) / q_mean if q_mean else 0.0,
                        "flow_peak_ml_s": float(q.max() * 1e6),
                        "flow_min_ml_s": float(q.min() * 1e6),
                        **{f"pressure_{k}": v for k, v in _pressure_stats(
                            last["outlet_pressure_pa"][:, i]).items()},
                        "rp_pa_s_per_m3": rcr["rp_pa_s_per_m3"], "c_m3_per_pa": rcr["c_m3_per_pa"],
                        "rd_pa_s_per_m3": rcr["rd_pa_s_per_m3"], "pd_pa": rcr["pd_pa"]})
    tawss, osi = run.shear.tawss_pa(), run.shear.osi()
    peak_tau = np.linalg.norm(run.peak["tau"], axis=1)
    wall = wall_stats(tawss, osi, peak_tau, monitor.wss.area_m2, WSS_LOW_THRESHOLD_PA,
                      OSI_HIGH_THRESHOLD)
    iters = np.asarray(last["linear_iterations"])
    summary = {
        "scenario": params.scenario, "structure": params.structure,
        "echo": echo,
        "echo_comparison": predicted_vs_measured(echo, setup.doc),
        "aortic_pressure": _pressure_stats(last["inlet_pressure_pa"]),
        "inflow": {"cardiac_output_l_min": q_mean / M3S_PER_LMIN,
                   "stroke_volume_ml": q_mean * settings.period_s * 1e6,
                   "peak_flow_ml_s": float(q_in.max() * 1e6)},
        "outlets": outlets,
        "wall_shear_stress": wall,
        "peak_systole_time_s": float(run.peak["t_s"]) % settings.period_s,
        "peak_velocity_3d_m_s": float(np.max(last["max_speed_m_s"])),
        "zero_d": {k: setup.haemodynamics_0d[k] for k in ZERO_D_KEYS
                   if k in setup.haemodynamics_0d},
        "cycles": {"completed": len(run.completed), "changes": list(run.changes),
                   "periodic": bool(run.changes) and run.changes[-1] < settings.periodicity_tol,
                   "tolerance": settings.periodicity_tol,
                   "measure": "largest change of any outlet's pressure or flow waveform between "
                              "the last two cycles, relative to its peak",
                   "period_s": settings.period_s, "steps_per_cycle": settings.steps_per_cycle,
                   "dt_s": settings.dt_s},
        "solver": {"method": "BDF2 (linearly implicit, extrapolated convection), Taylor-Hood "
                             "P2/P1, streamline diffusion, outlet RCR coupled implicitly",
                   "linear_solver": "krylov" if solver.krylov else "direct",
                   "steps": int(solver.steps), "linear_iterations_mean": float(iters.mean()),
                   "linear_iterations_max": int(iters.max()),
                   "seconds_per_step": float(np.mean(last["step_seconds"])),
                   "solve_seconds": float(run.seconds)},
        "mesh": d.describe(),
        "inlet_profile": params.inlet_profile,
        "geometry_changes": setup.geometry_changes,
        "mesh_artifacts": setup.mesh_keys,
        "notes": setup.notes,
        "fluid": {"density_kg_m3": solver.prm.density_kg_per_m3,
                  "viscosity_pa_s": solver.prm.viscosity_pa_s},
        "fingerprint": setup.fingerprint,
        "software": software_versions(),
    }
    if not summary["cycles"]["periodic"]:
        summary["notes"] = summary["notes"] + [
            f"not periodic after {len(run.completed)} cycles (last change "
            f"{100 * (run.changes[-1] if run.changes else 1):.2f} % ≥ "
            f"{100 * settings.periodicity_tol:g} %): run more cycles (--cycles)"]
    vd = d.vertex_dofs
    wss_peak_v, on_wall = monitor.wss.to_vertices(peak_tau)
    fields = {"points_lps_mm": d.points_mm, "tets": setup.tets,
              "velocity_m_s": run.peak["u"][:, vd].T.copy(),
              "pressure_mmhg": run.peak["p"] / PA_PER_MMHG,
              "wss_pa": wss_peak_v, "on_wall": on_wall.astype(np.uint8),
              "velocity_mean_m_s": (run.sum_u[:, vd] / n).T.copy(),
              "pressure_mean_mmhg": run.sum_p / n / PA_PER_MMHG,
              "tawss_pa": monitor.wss.to_vertices(tawss)[0],
              "osi": monitor.wss.to_vertices(osi)[0]}
    t = last["t_s"] - last["t_s"][0] + settings.dt_s
    waves = {"t_s": t, "inflow_ml_s": q_in * 1e6,
             "doppler_velocity_m_s": np.maximum(q_in, 0.0) / c.valve.eoa_m2,
             "inlet_pressure_mmhg": last["inlet_pressure_pa"] / PA_PER_MMHG,
             "section_pressure_mmhg": last["section_pressure_pa"] / PA_PER_MMHG,
             "jet_speed_3d_m_s": last["jet_speed_m_s"]}
    for i, o in enumerate(outlets):
        waves[f"flow_ml_s:{o['name']}"] = last["outlet_flow_m3_s"][:, i] * 1e6
        waves[f"pressure_mmhg:{o['name']}"] = last["outlet_pressure_pa"][:, i] / PA_PER_MMHG
    return {"summary": summary, "fields": fields, "waveforms": waves,
            "fingerprint": setup.fingerprint}
