"""Pulsatile 3D flow on a ~30k-tetrahedron aorta: time per step, projected time per cycle,
peak memory, and ratios against the raw libraries in the same run.

The case is the synthetic aortic arch of :mod:`twindesk.geometry.tube_mesh` (four outlets)
driven exactly as a patient case: 0D-model inflow and calibrated-default RCR outlets, set up
by the case job. It steps through early systole (the hardest part: the flow accelerates
from rest) and prints one JSON line with:

* ``step_s_median`` over the measured steps (each a repeat), the projected
  ``cycle_s_projected`` at ``--steps-per-cycle``; the same in process CPU time
  (``step_cpu_s_median``, ``cycle_cpu_s_projected``): BLAS runs single-threaded, so on a
  shared machine CPU time is what the step would take alone;
* ``raw_assembly_s``: scikit-fem alone assembling the step's convective operator (the
  part re-assembled every step) once; ``raw_amg_s``: pyamg alone building a smoothed-
  aggregation hierarchy for the step's scalar momentum block and running 3 V-cycles per
  Krylov iteration of the step (the velocity part of the preconditioner, nothing else);
  the ratios ``step_over_raw_assembly`` and ``step_over_raw_amg`` say how far a full
  coupled step (pressure Schur complement, outlets, Krylov, monitors, WSS) is from those
  library floors;
* ``peak_rss_mb`` of this process.

    python benchmarks/bench_pulsatile.py [--n-core 5] [--steps 24] [--steps-per-cycle 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_case(path: Path, n_core: int) -> int:
    from twindesk.geometry.tube_mesh import ArchParams, _arch_centreline, aortic_arch
    from twindesk.io.flow_mesh import put_flow_mesh
    from twindesk.model.case import Case
    from twindesk.sim.flow.domain import regions_from_triangles

    p = ArchParams(n_core=n_core)
    mesh, names = aortic_arch(p)
    case = Case.create(path)
    regions = regions_from_triangles(mesh.points_mm, mesh.boundary_tris, mesh.region_id, names)
    put_flow_mesh(case, "aorta", mesh.points_mm, mesh.tets, mesh.boundary_tris, mesh.region_id,
                  [r.to_meta() for r in regions])
    length = p.ascending_mm + np.pi * p.bend_radius_mm + p.descending_mm
    s = np.linspace(0.0, length, 300)
    c, t = _arch_centreline(p, s)
    r = p.radius_root_mm + (p.radius_distal_mm - p.radius_root_mm) * s / length
    case.put_json("centerline:aorta", {
        "points_lps_mm": c.tolist(), "arc_length_mm": s.tolist(), "radius_mm": r.tolist(),
        "diameter_area_mm": (2 * r).tolist(), "diameter_min_mm": (2 * r).tolist(),
        "diameter_max_mm": (2 * r).tolist(), "tangent_lps": t.tolist()}, "centerline")
    case.save("benchmark", {})
    case.close()
    return len(mesh.tets)


def raw_floors(solver, system, v_cycles: int) -> tuple[float, float]:
    """scikit-fem assembling the step's momentum operator once (the same weak form); pyamg
    building a smoothed-aggregation hierarchy for its scalar block and running
    ``v_cycles`` V-cycles (3 components × the step's median Krylov iterations)."""
    import pyamg
    from skfem import asm

    from twindesk.sim.pulsatile.unsteady import _convective, tau_unsteady

    d = solver.d
    w = 2.0 * solver.u - (solver.u_prev if solver.u_prev is not None else solver.u)
    t0 = time.perf_counter()
    adv = {f"w{k}": d.basis_u.interpolate(w[k]) for k in range(3)}
    tau = tau_unsteady({**{k: np.asarray(v) for k, v in adv.items()}, "h": solver.h,
                        "mu": 0.0035, "rho": 1060.0}, solver.prm.dt_s)
    asm(_convective, d.basis_u, rho=1060.0, tau=tau, **adv)
    t_asm = time.perf_counter() - t0
    b = np.random.default_rng(0).random(system.K.shape[0])
    t0 = time.perf_counter()
    ml = pyamg.smoothed_aggregation_solver(system.K, symmetry="nonsymmetric", max_coarse=500)
    apply = ml.aspreconditioner(cycle="V")
    for _ in range(v_cycles):
        apply(b)
    return t_asm, time.perf_counter() - t0


def main() -> None:
    from threadpoolctl import threadpool_limits

    from twindesk.model.case import Case
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams, build_solver, prepare

    ap = argparse.ArgumentParser()
    ap.add_argument("--n-core", type=int, default=5, help="rings per cross-section (5: ~34k tets)")
    ap.add_argument("--steps", type=int, default=24, help="measured steps (≥ 5)")
    ap.add_argument("--steps-per-cycle", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arch.twin"
        n_tets = make_case(path, args.n_core)
        params = PulsatileCaseParams(str(path), steps_per_cycle=args.steps_per_cycle)
        t0 = time.perf_counter()
        with Case.open(path, write=False) as case:
            setup = prepare(case, params)
        with threadpool_limits(limits=1, user_api="blas"):
            solver, monitor, settings = build_solver(params, setup)
            t_setup = time.perf_counter() - t0
            # Start at the opening of the valve: skip the closed-valve steps before ejection.
            w = setup.waveforms
            opening = float(w.t_s[np.argmax(w.q_av_m3_s > 0)])
            skip = max(int(opening / settings.dt_s) - 1, 0)
            solver.t = skip * settings.dt_s
            captured = {}
            solve = solver._solve

            def capture(system, b):  # keep the last step's operator for the raw floors
                captured["system"] = system
                return solve(system, b)
            solver._solve = capture
            times, cpu, iters = [], [], []
            for i in range(args.steps):
                t1, c1 = time.perf_counter(), time.process_time()
                st = solver.step()
                monitor.measure(st)
                monitor.wss(solver.u)
                times.append(time.perf_counter() - t1)
                cpu.append(time.process_time() - c1)
                iters.append(st.linear_iterations)
                print(f"step {i + 1}/{args.steps}: {times[-1]:.1f} s, "
                      f"{st.linear_iterations} iterations", file=sys.stderr, flush=True)
            t_asm, t_amg = raw_floors(solver, captured["system"],
                                      3 * int(statistics.median(iters)))
    step = statistics.median(times)
    result = {
        "benchmark": "pulsatile", "tetrahedra": n_tets, "mesh": solver.d.describe(),
        "linear_solver": "krylov" if solver.krylov else "direct",
        "steps_measured": len(times), "t_start_s": skip * settings.dt_s,
        "t_end_s": solver.t, "step_s_median": step, "step_s_max": max(times),
        "step_cpu_s_median": statistics.median(cpu),
        "cycle_cpu_s_projected": statistics.median(cpu) * args.steps_per_cycle,
        "linear_iterations_median": statistics.median(iters),
        "steps_per_cycle": args.steps_per_cycle,
        "cycle_s_projected": step * args.steps_per_cycle,
        "setup_s": t_setup, "raw_assembly_s": t_asm, "raw_amg_s": t_amg,
        "step_over_raw_assembly": step / t_asm, "step_over_raw_amg": step / t_amg,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "peak_inflow_ml_s": float(np.max(w.q_av_m3_s) * 1e6),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
