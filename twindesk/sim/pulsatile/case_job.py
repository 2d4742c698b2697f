"""The pulsatile 3D flow job on a case scenario (``twindesk scenario run --3d``).

:func:`run` follows the job protocol and runs in a child process: it reads the case
read-only, solves cycle after cycle and writes a checkpoint file at the end of every cycle
(and every ``checkpoint_every_steps``) into ``checkpoint_dir`` (``checkpoint-<step>.npz``,
published by an atomic rename, with its ``.json`` description written first). The parent
watches that folder and stores the newest file as the case artefact
``result:pulsatile-checkpoint:<scenario>`` (:mod:`twindesk.sim.pulsatile.store`), so a
cancelled or killed run resumes from its last checkpoint. (Watching files rather than
progress messages keeps this independent of how a runner throttles messages.)

Coupling to the 0D model of the scenario (:mod:`twindesk.sim.lumped`):

* inlet: the 0D model's periodic aortic-valve flow ``Q(t)`` times the inlet's developed
  (parabolic) or plug profile; the cycle starts at LV activation onset (valve closed);
* outlets: the calibrated systemic Windkessel split per outlet by Murray's law
  (:func:`twindesk.sim.lumped.outlets.outlet_rcr`, on the *base* mesh's outlet areas so a
  lumen change does not change the periphery), draining into the scenario's mean venous
  pressure, integrated with the 3D solve and coupled implicitly
  (:mod:`twindesk.sim.pulsatile.windkessel`); capacitor pressures start from the 0D
  model's arterial pressure at activation onset, so few cycles reach periodicity.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import InputError, SolverError
from twindesk.jobs import ProgressReporter
# blood properties and the low-WSS threshold: those of the steady flow, one definition
from twindesk.sim.flow.case_flow import (
    BLOOD_DENSITY_KG_M3,
    BLOOD_VISCOSITY_PA_S,
    WSS_LOW_THRESHOLD_PA,
)

CHECKPOINT_MESSAGE = "checkpoint saved:"
OSI_HIGH_THRESHOLD = 0.2


@dataclass(frozen=True)
class PulsatileCaseParams:
    """What to run: scenario, resolution, stopping rule, solver, checkpoint files."""

    case_path: str
    scenario: str = "baseline"
    structure: str = "aorta"
    steps_per_cycle: int = 200
    max_cycles: int = 4
    min_cycles: int = 2
    periodicity_tol: float = 0.01
    solver: str = "auto"
    inlet_profile: str = "parabolic"
    checkpoint_dir: str | None = None
    checkpoint_every_steps: int = 0
    resume_path: str | None = None


@dataclass
class Setup:
    """Everything read from the case before solving."""

    points_mm: np.ndarray
    tets: np.ndarray
    boundary_tris: np.ndarray
    region_id: np.ndarray
    regions: list[dict]
    circulation: Any
    waveforms: Any
    haemodynamics_0d: dict
    outlets_rcr: list[dict]
    root_section: tuple
    doc: dict
    notes: list[str] = field(default_factory=list)
    mesh_keys: list[str] = field(default_factory=list)
    geometry_changes: list[dict] = field(default_factory=list)
    fingerprint: str = ""
    domain: Any = None


def stale_lumen_notes(case, key: str) -> list[str]:
    """A note when the scenario lumen ``key`` was built from a placement that has since been
    replaced (``twindesk place`` run again for that device and size)."""
    meta = (case.artifact(key) or {}).get("meta") or {}
    built = meta.get("source_placement_sha256")
    if not built:
        return []
    from twindesk.sim.tavr.place_job import DOC_KEY, key_of

    index = (case.doc.get(DOC_KEY) or {}).get(key_of(meta["device"], float(meta["size_mm"])))
    now = (case.artifact(index["artifacts"]["frame"]) or {}).get("sha256") if index else None
    if now == built:
        return []
    return [f"'{key}' was built from a placement of {meta['device']} {meta['size_mm']:g} mm "
            "that is no longer the case's; rebuild it with 'twindesk scenario lumen CASE "
            f"{meta.get('scenario', 'NAME')}'"]


def scenario_mesh(case, scenario: str, structure: str):
    """The flow mesh of a scenario: its own (deployed-frame lumen) when stored, else the
    nearest base's, with the lineage's lumen changes applied. Returns ``(mesh, base
    regions, applied changes, notes, artefact keys)``."""
    from twindesk.io.flow_mesh import read_flow_mesh
    from twindesk.sim.scenarios.define import device_of, lineage
    from twindesk.sim.scenarios.segments import Centreline, Narrowing, check_tets, morph_points

    names = lineage(case.doc, scenario)
    own = next((i for i, n in enumerate(names)
                if case.artifact(f"mesh:{structure}@{n}") is not None
                and case.artifact(f"mesh_boundary:{structure}@{n}") is not None), None)
    notes = []
    base = read_flow_mesh(case, structure)
    mesh = base if own is None else read_flow_mesh(case, f"{structure}@{names[own]}")
    keys = [f"mesh:{structure}", f"mesh_boundary:{structure}"] if own is None else \
        [f"mesh:{structure}@{names[own]}", f"mesh_boundary:{structure}@{names[own]}"]
    if own is not None:
        notes.extend(stale_lumen_notes(case, f"mesh:{structure}@{names[own]}"))
    if own is None and device_of(case.doc, scenario):
        notes.append("the deployed frame's lumen is not in this case, so the 3D lumen is the "
                     "native one; the device acts through its EOA in the 0D valve "
                     f"(build it with 'twindesk scenario lumen CASE {scenario}')")
    scen = (case.doc.get("physiology") or {}).get("scenarios") or {}
    changes = [c for n in reversed(names[:own] if own is not None else names)
               for c in ((scen.get(n) or {}).get("geometry") or {}).get("narrow") or []]
    if not changes:
        return mesh, base.regions, [], notes, keys
    key = f"centerline:{structure}"
    if case.artifact(key) is None:
        raise InputError(f"scenario '{scenario}' changes the lumen but the case has no '{key}'",
                         "compute the centreline first")
    inlet = next(r for r in mesh.regions if r.get("kind") == "inlet")
    cl = Centreline.from_doc(case.read_json(key), inlet["center_lps_mm"])
    moved, applied = morph_points(mesh.points_lps_mm, cl, mesh.regions,
                                  [Narrowing(c["segment"], c["percent"]) for c in changes])
    check_tets(mesh.points_lps_mm, moved, mesh.tets)
    from twindesk.io.flow_mesh import FlowMeshData
    from twindesk.sim.flow.domain import regions_from_triangles

    geo = {r.id: r for r in regions_from_triangles(moved, mesh.boundary_tris, mesh.region_id)}
    regions = [{**r, "center_lps_mm": list(geo[r["id"]].center_lps_mm),
                "normal_lps": list(geo[r["id"]].normal_lps), "area_mm2": geo[r["id"]].area_mm2}
               for r in mesh.regions]
    keys.append(key)
    return (FlowMeshData(moved, mesh.tets, mesh.boundary_tris, mesh.region_id, regions),
            base.regions, applied, notes, keys)


def prepare(case, params: PulsatileCaseParams) -> Setup:
    """Read mesh, scenario and 0D solution from an open case."""
    from twindesk.sim.lumped.haemodynamics import summarize
    from twindesk.sim.lumped.jobs import periodic_scenario
    from twindesk.sim.lumped.outlets import outlet_rcr_table
    from twindesk.sim.lumped.params import Windkessel, to_clinical

    mesh, base_regions, changes, notes, keys = scenario_mesh(case, params.scenario,
                                                             params.structure)
    c, sol, _info = periodic_scenario(case.doc, params.scenario)
    summary0d = summarize(c, sol.waveforms)
    wk = c.arteries
    venous_pa = summary0d["venous_mean_mmhg"] * 133.322387415
    total = Windkessel(wk.rp_pa_s_per_m3, wk.c_m3_per_pa, wk.rd_pa_s_per_m3, venous_pa)
    base_outlets = [r for r in base_regions if r.get("kind") == "outlet"]
    table = outlet_rcr_table(total, [float(r["area_mm2"]) * 1e-6 for r in base_outlets],
                             [str(r.get("name")) for r in base_outlets])
    for rec, r in zip(table, base_outlets, strict=True):
        rec["region_id"] = int(r["id"])
    from twindesk.sim.flow.case_flow import _root_section
    from twindesk.sim.flow.domain import FlowDomain, Region

    domain = FlowDomain(mesh.points_lps_mm, mesh.tets, mesh.boundary_tris, mesh.region_id,
                        [Region.from_meta(r) for r in mesh.regions])
    root = _root_section(case, domain, params.structure)
    finger = {"mesh": [(case.artifact(k) or {}).get("sha256") for k in keys],
              "changes": changes, "parameters": to_clinical(c), "outlets": table,
              "run": {k: v for k, v in asdict(params).items()
                      if k in ("steps_per_cycle", "solver", "inlet_profile", "structure",
                               "scenario")}}
    digest = hashlib.sha256(json.dumps(finger, sort_keys=True, default=str).encode()).hexdigest()
    setup = Setup(mesh.points_lps_mm, mesh.tets, mesh.boundary_tris, mesh.region_id,
                  mesh.regions, c, sol.waveforms, summary0d, table,
                  (np.asarray(root[0]), np.asarray(root[1]), float(root[2])),
                  {"clinical": case.doc.get("clinical") or {}}, notes, keys, changes, digest,
                  domain)
    return setup


def inflow_function(t_s: np.ndarray, q_m3_s: np.ndarray, period_s: float, dt_s: float):
    """Periodic inflow for a time step ``dt_s``: the 0D valve flow averaged over the window
    ``[t − Δt/2, t + Δt/2]`` (exact integral of its piecewise-linear interpolant).

    The windows of one cycle tile the cycle, so the 3D inflow carries exactly the 0D stroke
    volume at any step size (point samples of the brief ejection miss it by several per
    cent at coarse steps), and the centred window keeps the timing second-order accurate.
    """
    t = np.append(np.asarray(t_s, float), period_s)
    q = np.append(np.asarray(q_m3_s, float), q_m3_s[0])
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (q[1:] + q[:-1]) * np.diff(t))])
    volume = cum[-1]

    def integral(x: float) -> float:  # ∫_0^x Q, periodic continuation
        k, r = divmod(x, period_s)
        i = min(int(np.searchsorted(t, r, side="right")) - 1, len(t) - 2)
        slope = (q[i + 1] - q[i]) / (t[i + 1] - t[i])
        dr = r - t[i]
        return k * volume + cum[i] + q[i] * dr + 0.5 * slope * dr * dr

    return lambda t_now: (integral(t_now + 0.5 * dt_s) - integral(t_now - 0.5 * dt_s)) / dt_s


def run(params: PulsatileCaseParams, progress, cancel) -> dict[str, Any]:
    """Solve and post-process; returns ``{"summary", "fields", "waveforms", "fingerprint"}``."""
    from threadpoolctl import threadpool_limits

    from twindesk.model.case import Case

    rep = ProgressReporter(progress, cancel=cancel)
    t0 = time.perf_counter()
    rep(0.0, "reading the case and solving the 0D model")
    with Case.open(Path(params.case_path), write=False) as case:
        setup = prepare(case, params)
    resume = None
    if params.resume_path:
        with np.load(params.resume_path, allow_pickle=False) as z:
            resume = {k: z[k] for k in z.files}
        if str(resume.pop("fingerprint", "")) != setup.fingerprint:
            raise InputError("the checkpoint was made with another mesh, scenario definition "
                             "or resolution, so the run cannot resume from it",
                             "run again without --resume (starts from the first cycle)")
    # Single-threaded BLAS: see twindesk.sim.flow.steady (oversubscription on 2 cores).
    with threadpool_limits(limits=1, user_api="blas"):
        return _solve(params, setup, resume, rep, cancel, t0)


def build_solver(params: PulsatileCaseParams, setup: Setup):
    """The coupled solver, its monitor and the cycle settings for a prepared case."""
    from twindesk.sim.flow.bc import inlet_velocity
    from twindesk.sim.lumped.params import Windkessel
    from twindesk.sim.pulsatile.cycles import CycleSettings, Monitor
    from twindesk.sim.pulsatile.unsteady import UnsteadyParams, UnsteadySolver
    from twindesk.sim.pulsatile.windkessel import OutletRCR

    domain = setup.domain
    period = setup.circulation.heart.heart_period_s
    settings = CycleSettings(period, params.steps_per_cycle, params.max_cycles,
                             params.min_cycles, params.periodicity_tol,
                             params.checkpoint_every_steps)
    shape = inlet_velocity(domain, 1.0, params.inlet_profile)  # per m³/s
    w = setup.waveforms
    q_of_t = inflow_function(w.t_s, w.q_av_m3_s, period, settings.dt_s)
    outlets = [OutletRCR(r["region_id"], Windkessel(r["rp_pa_s_per_m3"], r["c_m3_per_pa"],
                                                    r["rd_pa_s_per_m3"], r["pd_pa"]))
               for r in setup.outlets_rcr]
    solver = UnsteadySolver(domain, UnsteadyParams(settings.dt_s, BLOOD_DENSITY_KG_M3,
                                                   BLOOD_VISCOSITY_PA_S, solver=params.solver),
                            outlets, lambda t: q_of_t(t) * shape,
                            pc0_pa=float(setup.waveforms.p_c_pa[0]))
    return solver, Monitor(solver, setup.root_section, BLOOD_VISCOSITY_PA_S), settings


def _solve(params, setup: Setup, resume, rep, cancel, t0) -> dict[str, Any]:
    from twindesk.sim.pulsatile.cycles import run_cycles
    from twindesk.sim.pulsatile.outputs import summarize_run

    solver, monitor, settings = build_solver(params, setup)
    rep(0.05, f"solving {params.max_cycles} cycles at most, {params.steps_per_cycle} "
              "steps each")

    def checkpoint(state: dict, info: dict) -> None:
        if not params.checkpoint_dir:
            return
        folder = Path(params.checkpoint_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"checkpoint-{info['step']:07d}.npz"
        path.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
        tmp = folder / f"writing-{info['step']:07d}.npz"
        np.savez(tmp, fingerprint=np.array(setup.fingerprint), **state)
        tmp.replace(path)  # the rename publishes it: the parent only takes complete files
        rep(min(1.0, info["step"] / (settings.max_cycles * settings.steps_per_cycle)),
            f"{CHECKPOINT_MESSAGE} cycle {info['cycle']}, step {info['step']}")

    run = run_cycles(solver, monitor, settings, rep.sub(0.05, 0.95), cancel, checkpoint,
                     resume)
    rep(0.95, "post-processing")
    out = summarize_run(setup, solver, monitor, run, settings, params)
    out["summary"]["seconds"] = time.perf_counter() - t0
    for name, arr in out["fields"].items():
        if np.issubdtype(np.asarray(arr).dtype, np.floating) and not np.all(np.isfinite(arr)):
            raise SolverError(f"pulsatile result field '{name}' holds non-finite values",
                              "use more time steps per cycle or refine the mesh")
    rep(1.0, "done")
    return out
