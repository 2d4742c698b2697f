"""The ``fda_nozzle`` verification check: 3D steady solve of the sudden-expansion nozzle,
centreline velocity against the measured min–max band at every station, wall pressure plot.

Derived from the FDA "Round Robin 1" data sets (Hariharan & Malinauskas, doi:10.17917/C78G69).

Orientation modelled: the sudden expansion (flow +z through the 20° cone, the throat, then the
step at z = 0), the orientation of the ``sudden_expansion`` data.

Measured 2026-11-25, "full" mesh (53,280 tetrahedra, equal-area sections; 75–81 CPU-s, 1.5 GB),
centreline velocity against the min–max band of the five datasets:

* measured inlet flow (default, 94.9 % of nominal): 9 of 15 stations in the band; below it
  -48 mm −3.9 %, -42 mm −5.7 %, -20 mm −1.8 %, -8 mm −0.9 %, 40 mm −1.5 %, 48 mm −4.2 %.
* nominal flow (``inlet="nominal"``): 11 of 15 in; -64 mm +4.2 % above, -42 mm −1.1 % below,
  24 / 32 / 40 mm +2.0 / +1.7 / +0.2 % above.

No single inflow can put every station in the band: the -64 mm band (developed Poiseuille
flow in the inlet pipe) needs Q ≤ 0.96 Q_nominal, the -42 mm band (0.9 % wide, three datasets
only) needs Q ≥ about 1.01 Q_nominal, and the cone values are mesh-converged (3 → 5 rings across the
radius with half the axial size change them by < 1 %). The datasets' own profiles show the
inconsistency: integrated over the section, the PIV profiles at -48 mm (cone) and -20 mm
(throat) carry 2–10 % more flow than the inlet-pipe profiles of the same dataset (one outlier,
+37 %, at -48 mm in dataset 999; the -8 / 0 mm profiles, few points across 4 mm, differ by
−5 … +3 %). Packing the
annulus rings towards the jet's shear layer changed no station by more than 0.05 %.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from twindesk.errors import InputError, SolverError
from twindesk.sim.flow import fda_nozzle as fn
from twindesk.sim.flow import post
from twindesk.sim.flow.domain import FlowDomain
from twindesk.sim.flow.steady import OutletBC, SteadyFlowParams, solve_steady

#: Mesh sizes: "full" for ``twindesk verify`` (53k tetrahedra: what this 2-core machine
#: solves in minutes; ``fn.NozzleMeshParams()`` is a 157k-tetrahedron mesh for a longer run);
#: "reduced" for the tests (10.9k tetrahedra, stations up to the step).
MESHES = {
    "full": fn.NozzleMeshParams(n_core=4, n_annulus=4, z_outlet_mm=100.0, dz_pipe_mm=3.0,
                                dz_throat_mm=1.2, dz_jet_mm=1.0, dz_outlet_mm=4.0),
    "reduced": fn.NozzleMeshParams(n_core=3, n_annulus=3, z_outlet_mm=40.0, dz_pipe_mm=6.0,
                                   dz_throat_mm=2.0, dz_jet_mm=1.6, dz_outlet_mm=8.0),
}


def _stations(datasets) -> list[dict]:
    if datasets:
        return fn.station_table(datasets)
    return [{"z_mm": z, "measured_mean_m_s": None, "measured_min_m_s": None,
             "measured_max_m_s": None, "n_datasets": 0} for z in fn.STATIONS_MM]


def _wall_pressure(domain, p, z_mm: np.ndarray) -> np.ndarray:
    """Pressure (Pa) just inside the wall (95 % of the radius) at axial positions."""
    r = 0.95 * fn.wall_radius_mm(z_mm)
    pts = np.c_[r, np.zeros_like(r), z_mm]
    _, vals, inside = post.sample(domain, np.zeros((3, domain.basis_u.N)), p, pts)
    out = np.full(len(z_mm), np.nan)
    out[inside] = vals
    return out


def _plot(path: Path, z_sim, p_sim, datasets, re) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ok = np.isfinite(p_sim)
    ax.plot(z_sim[ok], p_sim[ok], "-", color="C0", lw=2, label="twindesk 3D (laminar)")
    for i, ds in enumerate(d for d in datasets if d.wall_pressure is not None):
        zw, pw = ds.wall_pressure[:, 0] * 1000, ds.wall_pressure[:, 1]
        ref = np.interp(0.0, zw, pw)
        ax.plot(zw, pw - ref, "o", ms=4, color=f"C{i + 1}", label=f"PIV/taps {ds.code}")
    ax.set_xlabel("z (mm), flow →, z = 0 at the sudden expansion")
    ax.set_ylabel("wall pressure − p(z=0) (Pa)")
    ax.set_title(f"FDA nozzle, sudden expansion, throat Re {re:g}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


INLETS = ("measured", "nominal")


def check_fda_nozzle(size: str = "full", re: float = 500.0, out_dir=None, progress=None,
                     cancel=None, inlet: str = "measured") -> dict:
    """Run the nozzle at throat Reynolds number ``re`` (one of the benchmark's).

    ``inlet``: the inflow is a developed parabolic (Poiseuille) profile at the inlet plane
    (z = ``z_inlet_mm``) carrying

    * ``"measured"`` (default when the PIV data are present): the flow the experiments
      actually delivered, integrated from the measured axial-velocity profiles in the inlet
      pipe (:func:`fda_nozzle.measured_inlet_flow`: 94.9 % of the nominal flow over the five
      datasets, i.e. an effective throat Reynolds number of 474; the measured profiles are
      developed parabolas, centre/mean velocity 2.00). The benchmark's fluid data are
      rescaled from a blood analogue whose flow each laboratory set to match Re_t, so a few
      per cent between nominal and delivered flow is within the experiments' uncertainty;
      the centreline velocities are compared with what the experiment measured, so the
      model is driven by the flow the experiment had.
    * ``"nominal"``: the specification's flow Q = Re π μ D_t / (4 ρ).
    """
    from twindesk.paths import shared_data_dir
    from twindesk.sim.flow.verify import _result

    t0 = time.perf_counter()
    if re not in fn.BENCHMARK_RE:
        raise InputError(f"--re {re:g}: not a benchmark flow rate",
                         f"choose one of {', '.join(str(r) for r in fn.BENCHMARK_RE)}")
    warnings = []
    if re >= fn.TRANSITIONAL_RE:
        warnings.append(f"throat Re {re:g} ≥ {fn.TRANSITIONAL_RE}: the benchmark flow is "
                        "transitional; a laminar model is only trusted upstream of the sudden "
                        "expansion (z < 0)")
    if size not in MESHES:
        raise InputError(f"size '{size}' unknown", "use full or reduced")
    if inlet not in INLETS:
        raise InputError(f"inlet '{inlet}' unknown", f"use one of {', '.join(INLETS)}")
    mp = MESHES[size]
    mesh = fn.nozzle_mesh(mp)
    domain = FlowDomain(mesh.points_mm, mesh.tets, mesh.boundary_tris, mesh.region_id)
    root = shared_data_dir()
    datasets = fn.load_measured(root / "fda_nozzle" if root else None) if re == 500 else []
    q_nominal = fn.flow_rate_m3_s(re)
    measured = fn.measured_inlet_flow(datasets) if inlet == "measured" else {}
    if inlet == "measured" and not measured:
        warnings.append("no measured inlet profiles at this Re: the nominal flow is used")
    q = measured.get("flow_m3_s", q_nominal)
    inlet_info = {"source": "measured" if measured else "nominal", "flow_m3_s": q,
                  "flow_nominal_m3_s": q_nominal, "flow_fraction_of_nominal": q / q_nominal,
                  "reynolds_throat_effective": re * q / q_nominal,
                  "profile": "developed parabolic (Poiseuille) at the inlet plane",
                  "z_inlet_mm": mp.z_inlet_mm, "measured": measured or None}
    try:
        res = solve_steady(domain, SteadyFlowParams(q, (OutletBC(2),), fn.DENSITY_KG_M3,
                                                    fn.VISCOSITY_PA_S, max_iterations=80),
                           progress, cancel)
    except SolverError as exc:
        if re < fn.TRANSITIONAL_RE:
            raise
        # Expected for transitional flow: report it as the check's outcome, not a crash.
        return _result("fda_nozzle", False, 0.0, 0.0, "no steady laminar solution",
                       {"orientation": "sudden_expansion", "reynolds_throat": re,
                        "flow_m3_s": q, "inlet": inlet_info, "stations": [],
                        "solver_error": exc.message, "mesh": domain.describe()}, t0, warnings + [exc.message])
    stations = _stations(datasets)
    # Reduced runs stop the domain early: judge only stations inside it, upstream of the jet.
    z_max = 0.0 if size == "reduced" else mp.z_outlet_mm
    pts = np.array([[0.0, 0.0, s["z_mm"]] for s in stations])
    u, _, inside = post.sample(domain, res.velocity_m_s, res.pressure_pa, pts)
    uz = np.full(len(stations), np.nan)
    uz[inside] = u[2]
    rows, worst = [], 0.0
    for s, v in zip(stations, uz):
        judged = bool(np.isfinite(v) and s["n_datasets"] > 0 and s["z_mm"] <= z_max)
        if judged:
            lo, hi = s["measured_min_m_s"], s["measured_max_m_s"]
            miss = max(lo - v, v - hi, 0.0)
            worst = max(worst, miss)
        rows.append({**s, "predicted_m_s": float(v) if np.isfinite(v) else None,
                     "within": bool(s["measured_min_m_s"] <= v <= s["measured_max_m_s"])
                     if judged else None, "judged": judged})
    judged = [r for r in rows if r["judged"]]
    passed = bool(judged) and all(r["within"] for r in judged)
    if not datasets:
        warnings.append("no measured data available at this Re (or the shared data folder is "
                        "absent): predictions are listed without a verdict")
        passed = False
    z_plot = np.linspace(mp.z_inlet_mm + 1, mp.z_outlet_mm - 1, 400)
    p_wall = _wall_pressure(domain, res.pressure_pa, z_plot)
    p0 = np.interp(0.0, z_plot[np.isfinite(p_wall)], p_wall[np.isfinite(p_wall)])
    png = None
    if out_dir is not None:
        png = Path(out_dir) / f"fda_nozzle_re{re:g}_wall_pressure.png"
        _plot(png, z_plot, p_wall - p0, datasets, re)
    taps = []
    for ds in datasets:
        if ds.wall_pressure is None:
            continue
        ref = np.interp(0.0, ds.wall_pressure[:, 0] * 1000, ds.wall_pressure[:, 1])
        for z, pw in ds.wall_pressure:
            taps.append((round(z * 1000, 3), pw - ref))
    wall = []
    for z in sorted({t[0] for t in taps}):
        vals = [v for zz, v in taps if zz == z]
        pred = np.interp(z, z_plot[np.isfinite(p_wall)], p_wall[np.isfinite(p_wall)] - p0) \
            if z_plot[0] <= z <= z_plot[-1] else None
        wall.append({"z_mm": z, "predicted_pa": None if pred is None else float(pred),
                     "measured_mean_pa": float(np.mean(vals)), "measured_min_pa": min(vals),
                     "measured_max_pa": max(vals)})
    details = {"orientation": "sudden_expansion", "reynolds_throat": re, "flow_m3_s": q,
               "inlet": inlet_info, "stations": rows, "wall_pressure_relative_to_z0": wall,
               "wall_pressure_png": None if png is None else str(png),
               "datasets": [d.code for d in datasets], "mesh": domain.describe(),
               "mesh_params": mp.__dict__, "picard_iterations": res.iterations,
               "linear_iterations": res.linear_iterations,
               "data_citation": "Hariharan P., Malinauskas R.A., FDA Round Robin 1 Data Sets "
                                "v2.0, doi:10.17917/C78G69 (derived results)"}
    return _result("fda_nozzle", passed, worst, 0.0,
                   "largest distance (m/s) of the predicted centreline velocity outside the "
                   "measured min–max band over the judged stations", details, t0, warnings)
