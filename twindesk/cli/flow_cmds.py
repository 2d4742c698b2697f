"""``twindesk flow``: steady 3D blood flow in a case's aorta; ``twindesk verify``: the flow
solver's verification and validation suite."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("flow", parents=[common],
                       help="steady 3D blood flow in the aorta (pressure, velocity, WSS)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--scenario", default="baseline", metavar="NAME",
                   help="scenario to solve (default baseline)")
    p.add_argument("--flow", choices=("mean", "peak"), default="mean",
                   help="inflow: mean (cardiac output) or peak systolic flow")
    p.add_argument("--structure", default="aorta", help=argparse.SUPPRESS)
    p.add_argument("--solver", choices=("auto", "direct", "krylov"), default="auto",
                   help="linear solver (auto: direct below 1,500 tetrahedra)")
    p.add_argument("--in-process", action="store_true",
                   help="solve in this process instead of a child process (debugging)")
    p.set_defaults(handler=cmd_flow)


def _human(d: dict[str, Any]) -> str:
    lines = [f"Flow {d['scenario']} / {d['flow']}: inflow {d['inflow_l_min']:.2f} L/min "
             f"({d['boundary_source']})"]
    for a in d["assumptions"]:
        lines.append(f"  assumed: {a}")
    root = d["pressure_drop_root_mmhg"]
    lines.append(f"Pressure drop: root {'-' if root is None else f'{root:.3f}'} mmHg, "
                 f"along the aorta {d['pressure_drop_aorta_mmhg']:.3f} mmHg")
    for o in d["outlets"]:
        lines.append(f"  {o['name']:<22} {o['flow_split_percent']:5.1f} %  "
                     f"{o['flow_l_min']:.2f} L/min  {o['pressure_mmhg']:.1f} mmHg")
    w = d["wall_shear_stress"]
    lines.append(f"Peak velocity {d['peak_velocity_m_s']:.2f} m/s; WSS mean {w['mean_pa']:.2f} "
                 f"Pa, max {w['max_pa']:.2f} Pa, {w['area_below_threshold_percent']:.1f} % of "
                 f"the wall below {w['threshold_pa']} Pa")
    s = d["solver"]
    lines.append(f"Solver: {s['iterations']} nonlinear iterations, residual "
                 f"{s['residuals'][-1]:.1e}; mesh {d['mesh']['tetrahedra']} tetrahedra; "
                 f"{d['seconds']:.1f} s")
    lines.append(f"Stored as {d['artifact']}")
    return "\n".join(lines)


def cmd_flow(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.sim.flow.case_flow import CaseFlowParams
    from twindesk.sim.flow.store import run_steady

    with Case.open(args.case, write=True, require_write=True) as case:
        params = CaseFlowParams(str(case.path), args.structure, args.scenario, args.flow,
                                args.solver)
        bar = ProgressBar(args, "flow")
        try:
            stored = run_steady(case, params, bar, bar.cancel, in_process=args.in_process)
        finally:
            bar.done()
    result = {"case": str(args.case), **stored}
    return CommandResult(result, _human)
