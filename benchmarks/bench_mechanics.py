"""Benchmark: full and fast frame deployment per size (goal: full ≤ 60 s, fast ≤ 2 s).

Each size of the generic self-expanding and balloon-expandable frames is deployed in a
phantom-like aortic root scaled to it (annulus 90 % of the size). Full-model timings
include crimping (caches cleared); fast timings are one placement with the calibrated
reduced model (as when dragging) and, separately, the calibration that a size sweep pays
once per size. The raw-library reference is one SuperLU factorisation + solve of the full
model's tangent at the deployed state (the solver's inner kernel), so the ratio reads
"the whole deployment costs as much as N sparse factorisations".

    python benchmarks/bench_mechanics.py [--repeat 5] [--sizes se:26,be:26]

Prints one JSON line with medians (seconds) and ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from scipy.sparse.linalg import splu

from twindesk.sim.mechanics import api, generic
from twindesk.sim.mechanics.params import Placement
from twindesk.sim.mechanics.solver import FrameProblem, FrameState
from twindesk.sim.mechanics.synthetic import RootGeometry, aortic_root_surface


def root_for(size_mm: float):
    s = size_mm
    geom = RootGeometry(lvot_diameter_mm=0.85 * s, annulus_max_mm=0.95 * s,
                        annulus_min_mm=0.85 * s, sinus_diameter_mm=1.25 * s,
                        stj_diameter_mm=1.05 * s, aorta_diameter_mm=1.12 * s)
    return aortic_root_surface(geom)


def device_for(kind: str, size: float):
    return generic.se_flared(size) if kind == "se" else generic.be_frame(size)


PLACEMENT = Placement((0.0, 0.0, 0.0), (0.0, 0.0, 1.0), depth_mm=4.0,
                      commissure_direction_lps=(1.0, 0.0, 0.0))


def raw_factorisation_seconds(df, device, repeat: int) -> float:
    """Median time of one SuperLU factorisation + solve of the deployed tangent."""
    crimped = api.crimped_frame(device, api.FULL_OPTIONS)
    prob = FrameProblem(crimped.mesh, device.material, api.FULL_OPTIONS)
    state = FrameState(df.nodes_frame_mm.copy(), df.node_rotations.copy(),
                       prob.net.initial_state())
    ev = prob.evaluate(state)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        splu(ev.tangent, permc_spec="MMD_AT_PLUS_A").solve(ev.residual)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench(kind: str, size: float, repeat: int) -> dict:
    device = device_for(kind, size)
    tissue = root_for(size)
    full_t, fast_t, cal_t = [], [], []
    df_full = None
    for _ in range(repeat):
        api.crimped_frame.cache_clear()
        api.fast_model.cache_clear()
        t = time.perf_counter()
        df_full = api.place(device, tissue, PLACEMENT, model="full")
        full_t.append(time.perf_counter() - t)
        api.crimped_frame.cache_clear()
        t = time.perf_counter()
        api.fast_model(device, api.FULL_OPTIONS)
        cal_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        df_fast = api.place(device, tissue, PLACEMENT, model="fast")
        fast_t.append(time.perf_counter() - t)
    lv_full = api.report(df_full)["levels"]
    lv_fast = api.report(df_fast)["levels"]
    diff = max(abs(lv_full[k][m] - lv_fast[k][m]) for k in lv_full if lv_full[k]
               for m in ("min_mm", "max_mm", "mean_mm"))
    raw = raw_factorisation_seconds(df_full, device, max(repeat, 5))
    full_med, fast_med = statistics.median(full_t), statistics.median(fast_t)
    return {"device": kind, "size_mm": size, "full_s": full_med, "fast_s": fast_med,
            "fast_calibration_s": statistics.median(cal_t),
            "newton_iterations_full": df_full.convergence["newton_iterations"],
            "raw_splu_s": raw, "full_over_raw": full_med / raw, "fast_over_raw": fast_med / raw,
            "fast_vs_full_max_diameter_diff_mm": diff}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="se:23,se:26,se:29,se:34,be:20,be:23,be:26,be:29")
    args = ap.parse_args(argv)
    rows = []
    for item in args.sizes.split(","):
        kind, size = item.split(":")
        rows.append(bench(kind, float(size), args.repeat))
    print(json.dumps({"benchmark": "mechanics", "repeat": args.repeat, "results": rows,
                      "max_full_s": max(r["full_s"] for r in rows),
                      "max_fast_s": max(r["fast_s"] for r in rows)}))


if __name__ == "__main__":
    main()
