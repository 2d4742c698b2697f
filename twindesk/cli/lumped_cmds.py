"""0D circulation commands: ``simulate0d`` and ``calibrate``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("simulate0d", parents=[common],
                       help="run the 0D circulation model of a case to its periodic state")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--scenario", default="baseline", metavar="NAME",
                   help="physiology scenario (default: baseline)")
    p.set_defaults(handler=cmd_simulate0d)

    p = sub.add_parser("calibrate", parents=[common],
                       help="fit the 0D model to measured vitals (cuff pressure is brachial)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--sbp", type=float, metavar="MMHG", help="brachial systolic pressure, mmHg")
    p.add_argument("--dbp", type=float, metavar="MMHG", help="brachial diastolic pressure, mmHg")
    p.add_argument("--hr", type=float, metavar="BPM", help="heart rate, beats per minute")
    p.add_argument("--co-l-min", type=float, metavar="L", help="cardiac output, L/min")
    p.add_argument("--mean-gradient-mmhg", type=float, metavar="G",
                   help="echo (Doppler) mean aortic valve gradient, mmHg")
    p.add_argument("--height-cm", type=float, metavar="H", help="body height, cm")
    p.add_argument("--weight-kg", type=float, metavar="W", help="body weight, kg")
    p.add_argument("--samples", type=int, default=300, metavar="N",
                   help="uncertainty samples (default 300)")
    p.add_argument("--seed", type=int, default=12345, help="random seed of the sampling")
    p.set_defaults(handler=cmd_calibrate)


def cmd_simulate0d(args: argparse.Namespace) -> CommandResult:
    from twindesk.sim.lumped.jobs import Simulate0DParams, run_simulate0d

    bar = ProgressBar(args, "simulate0d")
    result = run_simulate0d(Simulate0DParams(args.case, args.scenario), bar, bar.cancel)
    bar.done()
    return CommandResult(result, human_simulate0d)


def human_simulate0d(d: dict[str, Any]) -> str:
    h = d["haemodynamics"]
    lines = [f"Scenario  {d['scenario']}  ({d['parameters_source']})",
             f"LV        {h['lv_systolic_mmhg']:.0f} / {h['lv_end_diastolic_mmhg']:.0f} mmHg "
             f"(systolic / end-diastolic), EF {h['ejection_fraction_pct']:.0f} %",
             f"Aorta     {h['aortic_systolic_mmhg']:.0f} / {h['aortic_diastolic_mmhg']:.0f} "
             f"mmHg, mean {h['aortic_mean_mmhg']:.0f} mmHg",
             f"Flow      SV {h['stroke_volume_ml']:.0f} ml, CO {h['cardiac_output_l_min']:.2f} "
             f"L/min at {h['heart_rate_bpm']:.0f} bpm",
             f"Valve     EOA {h['aortic_eoa_cm2']:.2f} cm², gradient mean "
             f"{h['mean_gradient_mmhg']:.1f} / peak {h['peak_gradient_mmhg']:.1f} mmHg (Doppler), "
             f"net mean {h['net_mean_gradient_mmhg']:.1f} mmHg",
             f"Periodic  cycle-to-cycle change "
             f"{100 * d['periodicity']['cycle_to_cycle_change']:.1e} %",
             f"Stored    {d['artifacts']['waveforms']}, {d['artifacts']['plot']}"]
    return "\n".join(lines)


def cmd_calibrate(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.sim.lumped.clinical import ClinicalData
    from twindesk.sim.lumped.jobs import CalibrateParams, run_calibrate
    from twindesk.sim.lumped.uq import UQSettings

    if not 10 <= args.samples <= 20000:
        raise InputError(f"--samples {args.samples} is outside 10–20000",
                         "a few hundred samples are enough for 95 % intervals")
    data = ClinicalData(sbp_mmhg=args.sbp, dbp_mmhg=args.dbp, hr_bpm=args.hr,
                        co_l_min=args.co_l_min, mean_gradient_mmhg=args.mean_gradient_mmhg,
                        height_cm=args.height_cm, weight_kg=args.weight_kg)
    bar = ProgressBar(args, "calibrate")
    result = run_calibrate(CalibrateParams(args.case, data,
                                           UQSettings(n_samples=args.samples, seed=args.seed)),
                           bar, bar.cancel)
    bar.done()
    return CommandResult(result, human_calibrate)


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}"


def human_calibrate(d: dict[str, Any]) -> str:
    t = d["targets"]
    lines = [f"Calibration {d['calibration_id']} from {t['source']}",
             f"  cuff is brachial: {t['central_pressure_rule']}", "",
             f"{'target':<28}{'measured/derived':>18}{'model':>12}{'error %':>10}"]
    for name, r in d["reproduced"].items():
        lines.append(f"{name:<28}{r['target']:>14.4g} {r['unit']:<4}{r['model']:>11.4g}"
                     f"{r['error_pct']:>10.3f}")
    lines += ["", f"{'parameter':<34}{'value':>10}{'95 % interval':>22}  source"]
    for name, p in d["parameters"].items():
        interval = f"{_fmt(p['low'])} – {_fmt(p['high'])}" if p["low"] is not None else ""
        note = p["source"] + ("" if p.get("identifiable") else f" ({p.get('reason', '')})")
        lines.append(f"{name:<34}{_fmt(p['value']):>10}{interval:>22}  {note}")
    lines += ["", f"{'prediction':<34}{'value':>10}{'95 % interval':>22}"]
    for name, p in d["predictions"].items():
        lines.append(f"{name:<34}{_fmt(p['value']):>10}"
                     f"{_fmt(p['low']) + ' – ' + _fmt(p['high']):>22}  {p['unit']}")
    return "\n".join(lines)
