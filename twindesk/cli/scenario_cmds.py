"""Scenarios of the twin: ``twindesk scenario add|list|run`` and ``twindesk compare``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    scen = sub.add_parser("scenario", help="define, list and run scenarios (pre/post, variants)",
                          description="Scenarios are states of the twin: 'baseline' (the "
                                      "calibrated patient) and variants derived from it.")
    ssub = scen.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND", required=True)

    p = ssub.add_parser("add", parents=[common], help="define a scenario from another one")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--from", dest="base", default="baseline", metavar="BASE",
                   help="scenario it derives from (default baseline)")
    p.add_argument("--device", metavar="ID", help="transcatheter valve family (its EOA "
                                                  "replaces the native valve's in the 0D model)")
    p.add_argument("--size", type=float, metavar="MM", help="device size, mm")
    p.add_argument("--co-l-min", type=float, metavar="L", help="cardiac output, L/min")
    p.add_argument("--hr", type=float, metavar="BPM", help="heart rate, beats per minute")
    p.add_argument("--narrow", action="append", default=[], metavar="SEGMENT:PERCENT",
                   help="narrow a segment's diameter by PERCENT (negative: enlarge); SEGMENT "
                        "is ascending, arch, descending or an arc-length range START-END in mm "
                        "from the root (repeatable)")
    p.add_argument("--description", metavar="TEXT", help="a note kept with the scenario")
    p.set_defaults(handler=cmd_add)

    p = ssub.add_parser("list", parents=[common], help="list the scenarios and their results")
    p.add_argument("case", type=Path, metavar="CASE")
    p.set_defaults(handler=cmd_list)

    p = ssub.add_parser("run", parents=[common],
                        help="run a scenario: 0D model, and with --3d pulsatile 3D flow")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--3d", dest="three_d", action="store_true",
                   help="also run pulsatile 3D flow over cardiac cycles (minutes to hours)")
    p.add_argument("--steps-per-cycle", type=int, default=200, metavar="N",
                   help="time steps per cardiac cycle (default 200)")
    p.add_argument("--cycles", type=int, default=4, metavar="N",
                   help="at most this many cycles (default 4)")
    p.add_argument("--min-cycles", type=int, default=2, metavar="N",
                   help="at least this many cycles (default 2)")
    p.add_argument("--periodicity-pct", type=float, default=1.0, metavar="P",
                   help="stop when outlet pressures and flows change less than P %% between "
                        "cycles (default 1)")
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="STEPS",
                   help="also checkpoint every STEPS steps (default: each cycle)")
    p.add_argument("--resume", action="store_true",
                   help="continue the scenario's interrupted run from its last checkpoint")
    p.add_argument("--solver", choices=("auto", "direct", "krylov"), default="auto",
                   help="linear solver (auto: direct below 1,500 tetrahedra)")
    p.add_argument("--inlet-profile", choices=("parabolic", "plug"), default="parabolic",
                   help="inlet velocity profile (default parabolic)")
    p.add_argument("--structure", default="aorta", help=argparse.SUPPRESS)
    p.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_run)

    p = ssub.add_parser("lumen", parents=[common],
                        help="mesh a device scenario's 3D lumen inside the deployed frame")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("name", metavar="NAME", help="scenario with a device (scenario add --device)")
    p.add_argument("--edge-mm", type=float, metavar="MM",
                   help="target tetrahedron edge (default: the flow preset's)")
    p.set_defaults(handler=cmd_lumen)

    p = ssub.add_parser("figure", parents=[common],
                        help="picture of 3D pulsatile results, one or two scenarios side by side")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("names", nargs="+", metavar="NAME", help="one or two scenarios")
    p.add_argument("--field", default="tawss",
                   choices=("pressure", "pressure_mean", "velocity", "velocity_mean", "wss",
                            "tawss", "osi"), help="colour of the lumen (default tawss)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    p.set_defaults(handler=cmd_figure)

    p = sub.add_parser("compare", parents=[common],
                       help="compare two scenarios side by side with intervals")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(handler=cmd_compare)


# ----------------------------------------------------------------------------- add / list
def cmd_add(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    spec = ScenarioSpec(args.name, args.base, args.device, args.size, args.co_l_min, args.hr,
                        tuple(args.narrow), args.description)
    with Case.open(args.case, write=True, require_write=True) as case:
        result = add_scenario(case, spec)
    return CommandResult(result, _human_add)


def _describe(s: dict[str, Any]) -> str:
    from twindesk.sim.scenarios.define import describe_scenario

    return describe_scenario(s, detailed=True)


def _human_add(d: dict[str, Any]) -> str:
    defn = {**d["definition"], "device": d["device"], "geometry_changes": d["geometry_changes"]}
    return (f"Scenario '{d['scenario']}' from '{d['definition']['from']}': {_describe(defn)}\n"
            f"0D parameters: {d['parameters_source']}")


def cmd_list(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.sim.scenarios.define import list_scenarios

    with Case.open(args.case, write=False) as case:
        items = list_scenarios(case.doc)
    return CommandResult({"case": str(args.case), "scenarios": items}, _human_list)


def _human_list(d: dict[str, Any]) -> str:
    lines = []
    for s in d["scenarios"]:
        done = ", ".join(k for k, v in s["results"].items() if v) or "not run"
        base = f" (from {s['from']})" if s["from"] else ""
        lines.append(f"{s['name']:<20}{base:<20} {_describe(s)}  [{done}]")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- lumen
def cmd_lumen(args: argparse.Namespace) -> CommandResult:
    from twindesk.sim.scenarios.lumen import LumenParams, run

    bar = ProgressBar(args, "lumen")
    result = run(LumenParams(args.case, args.name, edge_mm=args.edge_mm), bar, bar.cancel)
    bar.done()
    return CommandResult(result, _human_lumen)


def _human_lumen(d: dict[str, Any]) -> str:
    lum, dev = d["lumen"], d["device"]
    lo, hi = lum["frame_range_mm"]
    return (f"Scenario '{d['scenario']}': lumen inside {dev['id']} {dev['size_mm']:g} mm from "
            f"{lo:g} to {hi:g} mm above the annulus (commissures at "
            f"{d['commissure_height_mm']:g} mm); {lum['removed_voxels']} voxels of pinned "
            f"leaflets/sinus removed ({lum['native_volume_ml']:g} → "
            f"{lum['lumen_volume_ml']:g} ml)\n"
            f"mesh: {d['mesh'].get('tetrahedra')} tetrahedra → {d['artifacts']['mesh']}, "
            f"{d['artifacts']['mesh_boundary']}")


# ----------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.sim.lumped.jobs import simulate_case

    bar = ProgressBar(args, f"scenario {args.name}")
    out: dict[str, Any] = {"case": str(args.case), "scenario": args.name}
    try:
        with Case.open(args.case, write=True, require_write=True) as case:
            zero = simulate_case(case, args.name, progress=bar.__call__ if not args.three_d
                                 else (lambda f, m="": bar(0.02 * f, m)), cancel=bar.cancel)
            out["zero_d"] = {"haemodynamics": zero["haemodynamics"],
                             "parameters_source": zero["parameters_source"],
                             "periodicity": zero["periodicity"], "artifacts": zero["artifacts"]}
            if args.three_d:
                out["three_d"] = _run_3d(args, case, bar)
    finally:
        bar.done()
    return CommandResult(out, _human_run)


def _run_3d(args, case, bar) -> dict[str, Any]:
    from twindesk.errors import InputError
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
    from twindesk.sim.pulsatile.store import run_pulsatile

    if not 0.01 <= args.periodicity_pct <= 20:
        raise InputError(f"--periodicity-pct {args.periodicity_pct:g} is outside 0.01–20",
                         "1 % is the usual tolerance")
    params = PulsatileCaseParams(str(case.path), args.name, args.structure,
                                 args.steps_per_cycle, args.cycles, min(args.min_cycles,
                                                                        args.cycles),
                                 args.periodicity_pct / 100.0, args.solver, args.inlet_profile,
                                 checkpoint_every_steps=args.checkpoint_every)

    def progress(f: float, m: str = "") -> None:
        bar(0.02 + 0.98 * f, m)
    record = run_pulsatile(case, params, progress, bar.cancel, resume=args.resume,
                           in_process=args.in_process)
    return record


def _human_run(d: dict[str, Any]) -> str:
    h = d["zero_d"]["haemodynamics"]
    lines = [f"Scenario '{d['scenario']}' ({d['zero_d']['parameters_source']})",
             f"0D  aorta {h['aortic_systolic_mmhg']:.0f}/{h['aortic_diastolic_mmhg']:.0f} mmHg, "
             f"CO {h['cardiac_output_l_min']:.2f} L/min, valve mean gradient "
             f"{h['mean_gradient_mmhg']:.1f} mmHg (EOA {h['aortic_eoa_cm2']:.2f} cm²)"]
    t = d.get("three_d")
    if t:
        s = t["summary"]
        e, w, c = s["echo"], s["wall_shear_stress"], s["cycles"]
        lines += [f"3D  {c['completed']} cycles, periodic: {'yes' if c['periodic'] else 'NO'} "
                  f"(last change {100 * c['changes'][-1]:.2f} %)" if c["changes"] else
                  f"3D  {c['completed']} cycle(s)",
                  f"    echo: peak velocity {e['peak_velocity_m_s']:.2f} m/s, gradient peak "
                  f"{e['peak_gradient_mmhg']:.1f} / mean {e['mean_gradient_mmhg']:.1f} mmHg, net "
                  f"drop after recovery {e['net_pressure_drop_mean_mmhg']:.1f} mmHg (mean)",
                  f"    WSS: time-averaged mean {w['tawss_mean_pa']:.2f} Pa, "
                  f"{w['low_tawss_area_percent']:.1f} % of the wall below "
                  f"{w['low_tawss_threshold_pa']} Pa; OSI mean {w['osi_mean']:.3f}"]
        for o in s["outlets"]:
            lines.append(f"    {o['name']:<22} {o['flow_split_percent']:5.1f} %  "
                         f"{o['pressure_systolic_mmhg']:.0f}/{o['pressure_diastolic_mmhg']:.0f} "
                         "mmHg")
        for r in s["echo_comparison"]:
            lines.append(f"    {r['quantity']}: predicted {r['predicted']:.2f}, measured "
                         f"{r['measured']:.2f} ({r['measured_time_utc'][:10]})")
        lines += [f"    note: {n}" for n in s["notes"]]
        lines.append(f"    stored as {t['artifacts']['fields']}")
    return "\n".join(lines)


def cmd_figure(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.sim.pulsatile.figure import render

    if len(args.names) > 2:
        raise InputError("scenario figure: give one or two scenarios", "e.g. baseline post")
    if args.out.suffix.lower() != ".png" or not args.out.parent.is_dir():
        raise InputError(f"--out {args.out}: must be a .png file in an existing folder",
                         "e.g. --out prepost.png")
    with Case.open(args.case, write=False) as case:
        result = render(case, list(args.names), args.field, args.out)
        case_path = str(case.path)
    return CommandResult({"case": case_path, **result},
                         lambda d: f"wrote {d['out']} ({d['bytes']} bytes): {d['field']} "
                                   f"{d['range'][0]:.3g}–{d['range'][1]:.3g} {d['unit']}")


# ----------------------------------------------------------------------------- compare
def cmd_compare(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.sim.lumped.store import scenario_names
    from twindesk.sim.scenarios.compare import compare_scenarios

    with Case.open(args.case, write=False) as case:
        for n in (args.a, args.b):
            if n not in scenario_names(case.doc):
                raise InputError(f"unknown scenario '{n}'",
                                 f"choose one of: {', '.join(scenario_names(case.doc))}")
        result = compare_scenarios(case, args.a, args.b)
    return CommandResult(result, _human_compare)


def _cell(e: dict[str, Any]) -> str:
    v = f"{e['value']:.4g}"
    if e.get("low") is not None:
        v += f" [{e['low']:.4g}, {e['high']:.4g}]"
    return v


def _human_compare(d: dict[str, Any]) -> str:
    a, b = d["a"], d["b"]
    lines = [f"{'quantity':<40}{a:>26}{b:>26}{'difference ' + b + ' − ' + a:>30}"]
    for block in ("zero_d", "three_d"):
        rows = d.get(block) or []
        if rows:
            lines.append("— 0D model —" if block == "zero_d" else "— 3D pulsatile flow —")
        for r in rows:
            lines.append(f"{r['quantity']:<40}{_cell(r['a']):>26}{_cell(r['b']):>26}"
                         f"{_cell(r['difference']):>30}")
    if d.get("three_d_missing"):
        lines.append(d["three_d_missing"])
    unc = d["uncertainty"]
    lines.append(f"intervals: {int(100 * unc['interval'])} %, {unc['method']}; "
                 f"{'; '.join(unc['sources']) or 'none'}")
    return "\n".join(lines)
