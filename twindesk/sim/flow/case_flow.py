"""The ``flow`` job on a case: steady 3D flow in the aorta at mean or peak flow.

:func:`run` follows the job protocol and runs in a child process
(:mod:`twindesk.jobs.subprocess_runner`); it reads the case read-only and returns the
summary plus the point fields, which the caller stores (the child never writes the case).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twindesk.errors import SolverError
from twindesk.jobs import ProgressReporter
from twindesk.sim.flow import post
from twindesk.sim.flow.boundary_values import M3S_PER_LMIN, boundary_values
from twindesk.sim.flow.domain import FlowDomain, Region
from twindesk.sim.flow.post import PA_PER_MMHG
from twindesk.sim.flow.provenance import software_versions
from twindesk.sim.flow.steady import OutletBC, SteadyFlowParams, solve_steady

#: Blood (Newtonian): density and viscosity used for patient flow.
BLOOD_DENSITY_KG_M3 = 1060.0
BLOOD_VISCOSITY_PA_S = 0.0035
#: The root section lies this many inlet diameters downstream of the inlet.
ROOT_SECTION_DIAMETERS = 1.5
WSS_LOW_THRESHOLD_PA = 0.4


@dataclass(frozen=True)
class CaseFlowParams:
    case_path: str
    structure: str = "aorta"
    scenario: str = "baseline"
    flow: str = "mean"
    solver: str = "auto"
    max_iterations: int = 60


def _descending(outlets: list[Region]) -> Region:
    for r in outlets:
        if "desc" in r.name.lower():
            return r
    return max(outlets, key=lambda r: r.area_mm2)


def _root_section(case, domain: FlowDomain, structure: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Centre (mm), unit normal and radius (mm) of the section closing the aortic root."""
    inlet = domain.inlet
    d_in = 2.0 * np.sqrt(inlet.area_mm2 / np.pi)
    dist = ROOT_SECTION_DIAMETERS * d_in
    key = f"centerline:{structure}"
    if case.artifact(key) is not None:
        cl = case.read_json(key)
        pts = np.asarray(cl["points_lps_mm"], float)
        s = np.asarray(cl["arc_length_mm"], float)
        start = int(np.argmin(np.linalg.norm(pts - np.asarray(inlet.center_lps_mm), axis=1)))
        target = s[start] + dist if start < len(s) // 2 else s[start] - dist
        i = int(np.argmin(np.abs(s - target)))
        t = np.asarray(cl["tangent_lps"], float)[i]
        r = 0.5 * float(np.asarray(cl["diameter_max_mm"], float)[i]) * 1.2
        return pts[i], t / np.linalg.norm(t), r
    n_in = -np.asarray(inlet.normal_lps, float)
    return np.asarray(inlet.center_lps_mm) + dist * n_in, n_in, 0.6 * d_in


def run(params: CaseFlowParams, progress, cancel) -> dict:
    """Solve and post-process; returns ``{"summary": dict, "fields": dict of arrays}``."""
    from twindesk.io.flow_mesh import read_flow_mesh
    from twindesk.model.case import Case

    t0 = time.perf_counter()
    rep = ProgressReporter(progress, cancel=cancel)
    rep(0.0, "reading the flow mesh")
    with Case.open(Path(params.case_path), write=False) as case:
        data = read_flow_mesh(case, params.structure)
        regions = [Region.from_meta(r) for r in data.regions]
        domain = FlowDomain(data.points_lps_mm, data.tets, data.boundary_tris, data.region_id,
                            regions)
        bv = boundary_values(case.doc, domain.outlets, params.flow, params.scenario)
        root = _root_section(case, domain, params.structure)
    prm = SteadyFlowParams(bv.inflow_m3_per_s,
                           tuple(OutletBC(i, r, bv.reference_pressure_pa.get(i, 0.0))
                                 for i, r in bv.resistances_pa_s_per_m3.items()),
                           BLOOD_DENSITY_KG_M3, BLOOD_VISCOSITY_PA_S, solver=params.solver,
                           max_iterations=params.max_iterations)
    res = solve_steady(domain, prm, rep.sub(0.05, 0.9), cancel)
    rep(0.9, "post-processing")
    u, p = res.velocity_m_s, res.pressure_pa
    p_in = post.region_mean_pressure(domain, p, domain.inlet.id)
    desc = _descending(domain.outlets)
    p_desc = post.region_mean_pressure(domain, p, desc.id)
    p_root = post.section_mean_pressure(domain, p, root[0], root[1], root[2])
    wss = post.wall_shear_stress(domain, u, BLOOD_VISCOSITY_PA_S)
    stats = wss.stats(WSS_LOW_THRESHOLD_PA)
    stats["area_below_threshold_percent"] = 100.0 * stats["area_below_threshold_mm2"] / \
        stats["wall_area_mm2"]
    q_in = res.inflow_m3_s
    outlets = [{"region_id": r.id, "name": r.name,
                "flow_l_min": res.outlet_flow_m3_s[r.id] / M3S_PER_LMIN,
                "flow_split_percent": 100.0 * res.outlet_flow_m3_s[r.id] / q_in,
                "pressure_mmhg": res.outlet_pressure_pa[r.id] / PA_PER_MMHG,
                "mean_pressure_mmhg": post.region_mean_pressure(domain, p, r.id) / PA_PER_MMHG,
                "resistance_pa_s_per_m3": bv.resistances_pa_s_per_m3[r.id]}
               for r in domain.outlets]
    summary = {
        "structure": params.structure, "scenario": params.scenario, "flow": params.flow,
        "inflow_l_min": q_in / M3S_PER_LMIN, "boundary_source": bv.source,
        "assumptions": bv.assumptions,
        "inlet_pressure_mmhg": p_in / PA_PER_MMHG,
        "pressure_drop_root_mmhg": None if p_root is None else (p_in - p_root) / PA_PER_MMHG,
        "pressure_drop_aorta_mmhg": (p_in - p_desc) / PA_PER_MMHG,
        "root_section": {"center_lps_mm": [float(v) for v in root[0]],
                         "normal_lps": [float(v) for v in root[1]],
                         "distance_from_inlet_diameters": ROOT_SECTION_DIAMETERS},
        "descending_outlet": desc.name,
        "outlets": outlets,
        "peak_velocity_m_s": post.peak_speed(u),
        "wall_shear_stress": stats,
        "solver": {"method": f"Picard then Newton, Taylor-Hood P2/P1, {res.solver} linear solver",
                   "iterations": res.iterations, "converged": res.converged,
                   "residuals": res.residuals, "linear_iterations": res.linear_iterations,
                   "tolerance": prm.tol, "timings_s": res.timings_s},
        "mesh": domain.describe(),
        "fluid": {"density_kg_m3": BLOOD_DENSITY_KG_M3, "viscosity_pa_s": BLOOD_VISCOSITY_PA_S},
        "seconds": time.perf_counter() - t0,
        "software": software_versions(),
    }
    fields = {"points_lps_mm": domain.points_mm, "tets": data.tets,
              "velocity_m_s": u[:, domain.vertex_dofs].T.copy(),
              "pressure_mmhg": p / PA_PER_MMHG, "wss_pa": wss.vertex_pa,
              "on_wall": wss.on_wall.astype(np.uint8)}
    for name, arr in fields.items():
        if np.issubdtype(np.asarray(arr).dtype, np.floating) and not np.all(np.isfinite(arr)):
            raise SolverError(f"flow result field '{name}' holds non-finite values",
                              "the solve went wrong; refine the mesh or lower the flow")
    rep(1.0, "done")
    return {"summary": summary, "fields": fields}
