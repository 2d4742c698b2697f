"""Waveform artefacts of a pulsatile run: CSV table and PNG plot (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_csv(waves: dict[str, np.ndarray], path: Path) -> None:
    """One row per time step of the last cycle; units in the column names."""
    header = ",".join(waves)
    data = np.column_stack([np.asarray(v, float) for v in waves.values()])
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt="%.6g")


def outlet_names(waves: dict[str, np.ndarray]) -> list[str]:
    return [k.split(":", 1)[1] for k in waves if k.startswith("flow_ml_s:")]


def write_png(waves: dict[str, np.ndarray], path: Path, title: str) -> None:
    """Pressures, flows and the Doppler velocity over the last cycle."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    t = waves["t_s"]
    fig = Figure(figsize=(11, 3.6), dpi=100, layout="constrained")
    ax_p, ax_q, ax_v = fig.subplots(1, 3)
    ax_p.plot(t, waves["inlet_pressure_mmhg"], label="3D inlet (root)")
    ax_p.plot(t, waves["section_pressure_mmhg"], label="recovery section", ls="--")
    for name in outlet_names(waves):
        ax_p.plot(t, waves[f"pressure_mmhg:{name}"], label=name, lw=0.8)
    ax_p.set(xlabel="time (s)", ylabel="pressure (mmHg)", title="Pressures")
    ax_q.plot(t, waves["inflow_ml_s"], label="inflow (0D valve)", color="k")
    for name in outlet_names(waves):
        ax_q.plot(t, waves[f"flow_ml_s:{name}"], label=name, lw=0.8)
    ax_q.set(xlabel="time (s)", ylabel="flow (ml/s)", title="Flows")
    ax_v.plot(t, waves["doppler_velocity_m_s"], label="jet Q/EOA (Doppler)")
    ax_v.plot(t, waves["jet_speed_3d_m_s"], label="3D, near inlet")
    ax_v.set(xlabel="time (s)", ylabel="velocity (m/s)", title="Velocity")
    for ax in (ax_p, ax_q, ax_v):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, format="png")
