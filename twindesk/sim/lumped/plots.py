"""Waveform artefacts of a 0D run: a CSV table and a PNG plot (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twindesk.sim.lumped.haemodynamics import waveform_table
from twindesk.sim.lumped.model import Waveforms


def write_csv(w: Waveforms, path: Path) -> None:
    """One row per sample; clinical units in the column names."""
    table = waveform_table(w)
    header = ",".join(table)
    data = np.column_stack([np.asarray(v, float) for v in table.values()])
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt="%.6g")


def write_png(w: Waveforms, path: Path, title: str) -> None:
    """Pressures, flows and the pressure–volume loop of one cycle."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    t = waveform_table(w)
    fig = Figure(figsize=(11, 3.6), dpi=100, layout="constrained")
    ax_p, ax_q, ax_pv = fig.subplots(1, 3)
    ax_p.plot(t["t_s"], t["p_lv_mmhg"], label="LV")
    ax_p.plot(t["t_s"], t["p_ao_mmhg"], label="aorta")
    ax_p.plot(t["t_s"], t["p_venous_mmhg"], label="venous/atrial")
    ax_p.set(xlabel="time (s)", ylabel="pressure (mmHg)", title="Pressures")
    ax_p.legend(fontsize=8)
    ax_q.plot(t["t_s"], t["q_aortic_ml_s"], label="aortic valve")
    ax_q.plot(t["t_s"], t["q_mitral_ml_s"], label="mitral valve")
    ax_q.set(xlabel="time (s)", ylabel="flow (ml/s)", title="Valve flows")
    ax_q.legend(fontsize=8)
    ax_pv.plot(np.append(t["v_lv_ml"], t["v_lv_ml"][0]),
               np.append(t["p_lv_mmhg"], t["p_lv_mmhg"][0]))
    ax_pv.set(xlabel="LV volume (ml)", ylabel="LV pressure (mmHg)", title="Pressure–volume loop")
    for ax in (ax_p, ax_q, ax_pv):
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, format="png")
