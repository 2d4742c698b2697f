"""RCR Windkessel: our analytic and time-integrated solutions against svZeroDSolver.

Measures in one run, for the same RCR and the same prescribed inflow, the error of each
numerical solution against the analytic (Fourier) one — max |ΔP| / pulse pressure — and the
median time of each (repeat ≥ 5). Also times the closed-loop periodic solve and a full
calibration. Prints one JSON line.

    python benchmarks/bench_lumped_rcr.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.validation.test_lumped_rcr import (PERIOD_S, Q_COS, Q_MEAN, Q_SIN, WK,  # noqa: E402
                                              rel_error, svzerod_rcr_config)
from twindesk.sim.lumped.calibration import calibrate  # noqa: E402
from twindesk.sim.lumped.clinical import ClinicalData  # noqa: E402
from twindesk.sim.lumped.params import default_circulation  # noqa: E402
from twindesk.sim.lumped.periodic import periodic_rcr, solve_periodic  # noqa: E402
from twindesk.sim.lumped.rcr_analytic import fourier_flow, rcr_pressure_harmonics  # noqa: E402


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    n = 1001
    q = fourier_flow(Q_MEAN, Q_COS, Q_SIN, PERIOD_S)
    t = np.linspace(0.0, PERIOD_S, n)
    result: dict = {"benchmark": "lumped_rcr", "repeat": args.repeat, "samples_per_cycle": n}

    t_an, ref = timed(lambda: rcr_pressure_harmonics(WK, Q_MEAN, Q_COS, Q_SIN, PERIOD_S, t),
                      args.repeat)
    t_ode, (t_num, p_num) = timed(lambda: periodic_rcr(WK, q, PERIOD_S, n_samples=n),
                                  args.repeat)
    result["analytic_s"] = t_an
    result["twindesk_ode_s"] = t_ode
    result["twindesk_ode_error_of_pp"] = rel_error(
        p_num, rcr_pressure_harmonics(WK, Q_MEAN, Q_COS, Q_SIN, PERIOD_S, t_num))
    try:
        import svzerod
    except ImportError:
        result["svzerod"] = "not installed (pip install svzerod)"
    else:
        config = svzerod_rcr_config(WK, t, [q(x) for x in t], cycles=30)
        t_sv, df = timed(lambda: svzerod.simulate(config), args.repeat)
        p_sv = df["pressure_in"].to_numpy()
        ref_sv = rcr_pressure_harmonics(WK, Q_MEAN, Q_COS, Q_SIN, PERIOD_S, df["time"].to_numpy())
        result["svzerod_s"] = t_sv
        result["svzerod_error_of_pp"] = rel_error(p_sv, ref_sv)
        result["svzerod_version"] = getattr(svzerod, "__version__", "?")
        result["ratio_twindesk_ode_over_svzerod"] = t_ode / t_sv
        result["ratio_analytic_over_svzerod"] = t_an / t_sv
    result["tolerance_of_pp"] = 0.005

    c = default_circulation()
    solve_periodic(c)  # warm-up (activation peak, imports)
    t_cl, sol = timed(lambda: solve_periodic(c), args.repeat)
    result["closed_loop_periodic_s"] = t_cl
    result["closed_loop_cycle_to_cycle_change"] = sol.cycle_to_cycle_change
    data = ClinicalData(sbp_mmhg=150, dbp_mmhg=80, hr_bpm=72, co_l_min=4.5, mean_gradient_mmhg=42)
    t_cal, _ = timed(lambda: calibrate(data, c), args.repeat)
    result["calibration_s"] = t_cal
    print(json.dumps(result))


if __name__ == "__main__":
    main()
