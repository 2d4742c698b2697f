"""Cardiac cycles of a pulsatile solve: per-step monitors, cycle averages, the periodicity
check between cycles, and checkpoints that let a run resume exactly where it stopped.

Periodicity (between consecutive cycles ``c−1`` and ``c``): for every outlet, the largest
change of its pressure waveform relative to the waveform's largest absolute value, and the
same for its flow; the run is periodic when the largest of these is below the tolerance
(default 1 %). Runs stop at the first periodic cycle after ``min_cycles``, or after
``max_cycles`` (and then say they are not periodic). Optionally the outlet Windkessels restart
between cycles from their periodic state for the last cycle's outlet flows
(``periodic_restart``); the check still compares what the coupled solution did in two
whole consecutive cycles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import InputError
from twindesk.jobs import ProgressReporter
from twindesk.sim.flow.bc import flux_vectors
from twindesk.sim.pulsatile import probes
from twindesk.sim.pulsatile.unsteady import UnsteadySolver
from twindesk.sim.pulsatile.wss import CycleShear, WallShearOperator

#: Keys of the per-step records (SI): time, inflow, per-outlet flow / applied (Windkessel)
#: pressure / 3D mean pressure, inlet and recovery-section mean pressure, largest speed near
#: the inlet and anywhere, Krylov iterations, wall seconds.
SCALARS = ("t_s", "inflow_m3_s", "inlet_pressure_pa", "section_pressure_pa",
           "jet_speed_m_s", "max_speed_m_s", "linear_iterations", "step_seconds")
PER_OUTLET = ("outlet_flow_m3_s", "outlet_pressure_pa", "outlet_mean_pressure_pa")


@dataclass(frozen=True)
class CycleSettings:
    """How many cycles, how fine in time, when to stop and when to checkpoint."""

    period_s: float
    steps_per_cycle: int = 200
    max_cycles: int = 4
    min_cycles: int = 2
    periodicity_tol: float = 0.01
    #: Extra checkpoints every this many steps (0: only at the end of each cycle).
    checkpoint_every_steps: int = 0
    #: Restart the outlet Windkessels from their periodic state after each cycle
    #: (:meth:`~twindesk.sim.pulsatile.windkessel.RCRBank.periodic_restart`). Off by
    #: default: with the capacitors started from the 0D model's state, the test tube was
    #: periodic to 0.5 % after two cycles either way, and without restarts the change kept
    #: halving per cycle (0.066 % → 0.034 %) while with them it levelled off (0.075 % →
    #: 0.066 %).
    periodic_restart: bool = False

    def __post_init__(self):
        if self.steps_per_cycle < 8 or self.max_cycles < 1 or \
                not 1 <= self.min_cycles <= self.max_cycles or not self.period_s > 0:
            raise InputError(f"pulsatile cycles: steps {self.steps_per_cycle}, cycles "
                             f"{self.min_cycles}–{self.max_cycles}, period {self.period_s} s "
                             "are not usable", "use ≥ 8 steps per cycle and 1 ≤ min ≤ max cycles")

    @property
    def dt_s(self) -> float:
        return self.period_s / self.steps_per_cycle


def periodicity_change(prev: dict[str, np.ndarray], cur: dict[str, np.ndarray]) -> float:
    """Largest relative change of any outlet's pressure or flow waveform (module docstring)."""
    worst = 0.0
    for key in ("outlet_pressure_pa", "outlet_flow_m3_s"):
        a, b = np.asarray(prev[key]), np.asarray(cur[key])
        scale = np.maximum(np.abs(b).max(axis=0), 1e-300)
        worst = max(worst, float((np.abs(b - a).max(axis=0) / scale).max()))
    return worst


@dataclass
class CycleRun:
    """Everything a run accumulates: completed cycles' waveforms and changes, the current
    cycle's records, cycle-mean fields and the peak-systole snapshot."""

    completed: list[dict[str, np.ndarray]] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    records: dict[str, list] = field(default_factory=dict)
    sum_u: np.ndarray | None = None
    sum_p: np.ndarray | None = None
    shear: CycleShear | None = None
    peak: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def periodic(self) -> bool:
        return bool(self.changes) and self.changes[-1] < self._tol

    _tol: float = 0.01


class Monitor:
    """Per-step measurements of a :class:`UnsteadySolver` (all precomputed as linear maps)."""

    def __init__(self, solver: UnsteadySolver, section: tuple | None, mu_pa_s: float,
                 jet_diameters: float = 1.5):
        d = solver.d
        self.solver = solver
        self.inlet_row = probes.region_mean_row(d, d.inlet.id)
        self.outlet_rows = np.array([probes.region_mean_row(d, o.region_id)
                                     for o in solver.bank.outlets])
        self.section_row = (probes.section_row(d, *section) if section is not None
                            else self.inlet_row)
        self.jet_dofs = probes.near_inlet_dofs(d, jet_diameters)
        self.inlet_flux = -flux_vectors(d, d.facets_of("inlet"))  # inward positive
        self.wss = WallShearOperator(d, mu_pa_s)

    def measure(self, stats) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        s = self.solver
        speed2 = (s.u ** 2).sum(axis=0)
        scalars = {"t_s": s.t, "inflow_m3_s": float(np.einsum("kn,kn->", self.inlet_flux, s.u)),
                   "inlet_pressure_pa": float(self.inlet_row @ s.p),
                   "section_pressure_pa": float(self.section_row @ s.p),
                   "jet_speed_m_s": float(np.sqrt(speed2[self.jet_dofs].max()))
                   if len(self.jet_dofs) else 0.0,
                   "max_speed_m_s": float(np.sqrt(speed2.max())),
                   "linear_iterations": stats.linear_iterations,
                   "step_seconds": stats.seconds}
        q = s.outlet_flows()
        outlets = {"outlet_flow_m3_s": q, "outlet_pressure_pa": s.bank.pressure.copy(),
                   "outlet_mean_pressure_pa": self.outlet_rows @ s.p}
        return scalars, outlets


def run_cycles(solver: UnsteadySolver, monitor: Monitor, settings: CycleSettings,
               progress=None, cancel=None, checkpoint: Callable[[dict, dict], None] | None = None,
               resume: dict[str, np.ndarray] | None = None) -> CycleRun:
    """Step ``solver`` cycle by cycle until periodic (module docstring).

    ``checkpoint(state, info)`` receives the full state (flat dict of arrays, see
    :func:`pack`) at the end of every cycle (and every ``checkpoint_every_steps``);
    ``resume`` is such a state to continue from.
    """
    rep = ProgressReporter(progress, cancel=cancel)
    run = CycleRun(_tol=settings.periodicity_tol)
    n = settings.steps_per_cycle
    if resume is not None:
        unpack(resume, solver, run)
    else:
        _start_cycle(run, solver, monitor)
    inflow = np.array([_inflow(monitor, solver, solver.t + (k + 1) * settings.dt_s)
                       for k in range(n)]) if resume is None and solver.steps == 0 else None
    peak_index = int(np.argmax(inflow)) if inflow is not None else int(resume["peak_index"])
    total = settings.max_cycles * n
    t_start = time.perf_counter()
    while True:
        cycle, k = divmod(solver.steps, n)
        if cycle >= settings.max_cycles:
            break
        stats = solver.step()
        scalars, outlets = monitor.measure(stats)
        for key, v in {**scalars, **outlets}.items():
            run.records.setdefault(key, []).append(v)
        run.sum_u += solver.u
        run.sum_p += solver.p
        tau = monitor.wss(solver.u)
        run.shear.add(tau)
        if k == peak_index:
            run.peak = {"u": solver.u.copy(), "p": solver.p.copy(), "tau": tau,
                        "t_s": np.array(solver.t)}
        run.seconds += stats.seconds
        msg = (f"cycle {cycle + 1}/{settings.max_cycles}, step {k + 1}/{n}, "
               f"t {solver.t:.3f} s, {stats.linear_iterations} linear iterations")
        rep(solver.steps / total, msg)
        end_of_cycle = k == n - 1
        if end_of_cycle:
            done = _finish_cycle(run, settings)
            if done:
                break
            if settings.periodic_restart:
                solver.bank.periodic_restart(run.completed[-1]["outlet_flow_m3_s"], settings.dt_s)
            _start_cycle(run, solver, monitor)
        if checkpoint is not None and (end_of_cycle or (
                settings.checkpoint_every_steps and solver.steps % settings.checkpoint_every_steps
                == 0)):
            checkpoint(pack(solver, run, peak_index),
                       {"cycle": solver.steps // n, "step": solver.steps, "t_s": solver.t,
                        "cycle_changes": list(run.changes)})
    run.seconds = max(run.seconds, time.perf_counter() - t_start)
    return run


def _inflow(monitor: Monitor, solver: UnsteadySolver, t: float) -> float:
    u = np.zeros_like(solver.u)
    u[:, solver.d.inlet_dofs] = solver.inlet(t)
    return float(np.einsum("kn,kn->", monitor.inlet_flux, u))


def _start_cycle(run: CycleRun, solver: UnsteadySolver, monitor: Monitor) -> None:
    run.records = {}
    run.sum_u = np.zeros_like(solver.u)
    run.sum_p = np.zeros_like(solver.p)
    run.shear = CycleShear(len(monitor.wss.facets))


def _finish_cycle(run: CycleRun, settings: CycleSettings) -> bool:
    """Close the current cycle; True when the run may stop."""
    wave = {k: np.asarray(v, float) for k, v in run.records.items()}
    if run.completed:
        run.changes.append(periodicity_change(run.completed[-1], wave))
    run.completed.append(wave)
    n_done = len(run.completed)
    periodic = bool(run.changes) and run.changes[-1] < settings.periodicity_tol
    return n_done >= settings.max_cycles or (n_done >= settings.min_cycles and periodic)


# ----------------------------------------------------------------------------- checkpoints
def pack(solver: UnsteadySolver, run: CycleRun, peak_index: int) -> dict[str, np.ndarray]:
    """The full state as a flat dict of arrays (``np.savez`` ready)."""
    out = {f"solver/{k}": np.asarray(v) for k, v in solver.state().items()}
    out.update({f"shear/{k}": np.asarray(v) for k, v in run.shear.state().items()})
    out["sum_u"], out["sum_p"] = run.sum_u, run.sum_p
    out.update({f"record/{k}": np.asarray(v, float) for k, v in run.records.items()})
    for i, wave in enumerate(run.completed):
        out.update({f"cycle{i}/{k}": v for k, v in wave.items()})
    out["n_completed"] = np.array(len(run.completed))
    out["changes"] = np.asarray(run.changes, float)
    out.update({f"peak/{k}": np.asarray(v) for k, v in run.peak.items()})
    out["peak_index"] = np.array(peak_index)
    out["seconds"] = np.array(run.seconds)
    return out


def _group(state: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def unpack(state: dict[str, np.ndarray], solver: UnsteadySolver, run: CycleRun) -> None:
    """Restore ``solver`` and ``run`` from :func:`pack`'s output."""
    solver.restore(_group(state, "solver/"))
    run.shear = CycleShear(len(state["shear/sum_mag"]))
    run.shear.restore(_group(state, "shear/"))
    run.sum_u, run.sum_p = np.array(state["sum_u"]), np.array(state["sum_p"])
    run.records = {k: list(v) for k, v in _group(state, "record/").items()}
    for k in ("outlet_flow_m3_s", "outlet_pressure_pa", "outlet_mean_pressure_pa"):
        if k in run.records:
            run.records[k] = [np.asarray(row) for row in run.records[k]]
    run.completed = [_group(state, f"cycle{i}/") for i in range(int(state["n_completed"]))]
    run.changes = [float(c) for c in state["changes"]]
    run.peak = _group(state, "peak/")
    run.seconds = float(state["seconds"])
