"""Twin lifecycle commands: ``twindesk twin add|timeline|log|diff|revert|predict|accuracy|
follow-up|recalibrate|watch``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    twin = sub.add_parser("twin", help="the twin over time: clinical data, versions, "
                                       "follow-up, predicted vs observed",
                          description="Attach clinical data, list the timeline and versions, "
                                      "revert, import a follow-up CT, compare predictions with "
                                      "what was observed.")
    tsub = twin.add_subparsers(dest="twin_command", metavar="SUBCOMMAND", required=True)

    p = tsub.add_parser("add", parents=[common], help="attach vitals/echo/labs (CSV, FHIR R4 "
                                                      "JSON) or genetics (VCF, FHIR)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("file", type=Path, metavar="FILE",
                   help="recognised by content: CSV with a time column, FHIR R4 JSON, VCF")
    p.add_argument("--recalibrate", action="store_true",
                   help="refit the 0D model to the latest vitals afterwards (new version)")
    p.add_argument("--samples", type=int, default=300, metavar="N",
                   help="uncertainty samples of the recalibration (default 300)")
    p.set_defaults(handler=cmd_add)

    p = tsub.add_parser("timeline", parents=[common], help="everything in time order")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--type", action="append", dest="types", metavar="TYPE",
                   help="only these event types (repeatable): observation, genomic-flag, "
                        "data-attached, version, follow-up, prediction, prediction-observed")
    p.set_defaults(handler=cmd_timeline)

    p = tsub.add_parser("log", parents=[common], help="the versions of the twin")
    p.add_argument("case", type=Path, metavar="CASE")
    p.set_defaults(handler=cmd_log)

    p = tsub.add_parser("diff", parents=[common], help="what changed between two versions")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("a", metavar="A", help="version id, e.g. v1")
    p.add_argument("b", metavar="B", help="version id, e.g. v3")
    p.set_defaults(handler=cmd_diff)

    p = tsub.add_parser("revert", parents=[common],
                        help="restore the state of a version (as a new version)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("version", metavar="V")
    p.set_defaults(handler=cmd_revert)

    p = tsub.add_parser("predict", parents=[common],
                        help="record a prediction with its interval (to compare later)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--from-calibration", action="store_true",
                   help="take the latest 0D calibration's predictions with their intervals")
    p.add_argument("--quantity", help="e.g. mean_gradient_mmhg, device_diameter_mm")
    p.add_argument("--value", type=float)
    p.add_argument("--low", type=float, help="lower end of the prediction interval")
    p.add_argument("--high", type=float, help="upper end of the prediction interval")
    p.add_argument("--unit", help="UCUM unit of the numbers (default: the quantity's own)")
    p.add_argument("--interval", type=float, default=0.95,
                   help="probability the interval is meant to cover (default 0.95)")
    p.add_argument("--source", default="entered by user", help="where the prediction came from")
    p.add_argument("--valid-from", metavar="TIME",
                   help="compare with observations from this ISO 8601 time on (e.g. the "
                        "procedure date); default: now")
    p.set_defaults(handler=cmd_predict)

    p = tsub.add_parser("accuracy", parents=[common], help="predicted vs observed summary")
    p.add_argument("case", type=Path, metavar="CASE", nargs="?")
    p.add_argument("--cohort", type=Path, metavar="DIR",
                   help="summarise every twin in this folder (and pooled)")
    p.set_defaults(handler=cmd_accuracy)

    from twindesk.cli import twin_live

    twin_live.register(tsub, common)


# ------------------------------------------------------------------------------ add
def human_add(d: dict[str, Any]) -> str:
    s = d["source"]
    lines = [f"Attached {s['kind']} file {s['file_name']} as {s['id']} "
             f"({len(d['observations'])} observations, {len(d['genomic_flags'])} genomic flags); "
             f"version {d['version']['id']}"]
    for o in d["observations"]:
        lines.append(f"  {o['time_utc']}  {o['display'][:40]:<40} {o['value']:>9.4g} {o['unit']}")
    for f in d["genomic_flags"]:
        lines.append(f"  genomic flag: {f['gene']} {f['significance'].lower()} ({f['condition']})"
                     f" {f['variant']}")
    for u in d["unknown"]:
        lines.append(f"  not read (unknown): {u}")
    for w in d["warnings"]:
        lines.append(f"  warning: {w}")
    if d.get("thresholds"):
        t = d["thresholds"]
        lines.append(f"Aortic surgery threshold now {t['threshold_mm']:g} mm: {t['reasons'][0]}")
    for p in d["predictions_matched"]:
        o = p["observed"]
        lines.append(f"  prediction {p['id']} {p['quantity']}: predicted {p['value']:.4g}, "
                     f"observed {o['value']:.4g} (error {o['error']:+.3g} {p['unit']})")
    return "\n".join(lines)


def cmd_add(args: argparse.Namespace) -> CommandResult:
    from twindesk.io.clinical import read_clinical
    from twindesk.model.case import Case
    from twindesk.model.guidelines import aortic_thresholds
    from twindesk.model import versions
    from twindesk.twin import accuracy, clinical

    batch, raw = read_clinical(args.file)  # parse fully before touching the case
    with Case.open(args.case, require_write=True) as case:
        versions.ensure_baseline(case)
        source = clinical.attach_batch(case, batch, raw, args.file.name)
        matched = accuracy.match_predictions(case.doc)
        what = (f"{len(batch.observations)} observations" if batch.kind != "vcf"
                else f"{len(batch.genomic_flags)} genomic flags")
        version = versions.record_version(
            case, "clinical-data", f"attached {batch.kind} file ({what})",
            {"source": source["id"], "kind": batch.kind})
        case.save("twin-add", {"source": source["id"], "kind": batch.kind,
                               "file": source["file_name"], "sha256": source["sha256"],
                               "n_observations": len(batch.observations),
                               "n_genomic_flags": len(batch.genomic_flags)})
        flags = clinical.genomic_flags(case.doc)
        result = {"case": str(case.path), "source": {k: source[k] for k in (
                      "id", "kind", "artifact", "file_name", "sha256", "attached_utc")},
                  "observations": [o.to_doc() for o in batch.observations],
                  "genomic_flags": [f.to_doc() for f in batch.genomic_flags],
                  "unknown": batch.unknown, "ignored": batch.ignored,
                  "warnings": batch.warnings, "meta": batch.meta, "version": version,
                  "latest_vitals": clinical.latest_vitals(case.doc),
                  "predictions_matched": matched,
                  "thresholds": _public_thresholds(aortic_thresholds(flags)) if flags else None,
                  "recalibration": None}
        if args.recalibrate:
            from twindesk.twin.recalibration import recalibrate

            result["recalibration"] = recalibrate(case, args.samples)
    return CommandResult(result, human_add)


def _public_thresholds(t: dict[str, Any]) -> dict[str, Any]:
    return {k: t[k] for k in ("threshold_mm", "basis", "cor", "citation", "verified", "reasons",
                              "growth_threshold_mm_per_year", "notes")}


# ------------------------------------------------------------------------- timeline/log
def cmd_timeline(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.twin.timeline import EVENT_TYPES, timeline

    types = set(args.types or [])
    bad = types - set(EVENT_TYPES)
    if bad:
        raise InputError(f"--type: unknown event type(s) {', '.join(sorted(bad))}",
                         f"choose from: {', '.join(EVENT_TYPES)}")
    with Case.open(args.case, write=False) as case:
        events = timeline(case.doc, types or None)
    return CommandResult({"case": str(args.case), "events": events},
                         lambda d: "\n".join(f"{e['time_utc']}  {e['type']:<19} {e['summary']}"
                                             for e in d["events"]) or "no events yet")


def human_log(d: dict[str, Any]) -> str:
    lines = []
    for v in d["versions"]:
        mark = "*" if v["id"] == d["head"] else " "
        lines.append(f"{mark} {v['id']:<5} {v['time_utc']}  {v['kind']:<14} {v['summary']}"
                     f"  (parent {v['parent'] or '-'})")
    return "\n".join(lines) or "no versions yet"


def cmd_log(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.model.versions import versions

    with Case.open(args.case, write=False) as case:
        vs = versions(case.doc)
        head = (case.doc.get("twin") or {}).get("head")
    return CommandResult({"case": str(args.case), "head": head, "versions": vs}, human_log)


def human_diff(d: dict[str, Any]) -> str:
    if d["identical"]:
        return f"{d['a']} and {d['b']} hold the same state"
    lines = [f"{d['a']} → {d['b']}"]
    for c in d["changes"]:
        if c["change"] == "changed":
            lines.append(f"  ~ {c['path']}: {c['a']!s:.60} → {c['b']!s:.60}")
        else:
            lines.append(f"  {'+' if c['change'] == 'added' else '-'} {c['path']}")
    for a in d["artifacts"]:
        lines.append(f"  artefact {a['change']}: {a['name']}")
    return "\n".join(lines)


def cmd_diff(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.model.versions import diff_versions

    with Case.open(args.case, write=False) as case:
        d = diff_versions(case, args.a, args.b)
    return CommandResult({"case": str(args.case), **d}, human_diff)


def cmd_revert(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case
    from twindesk.model.versions import revert

    with Case.open(args.case, require_write=True) as case:
        version = revert(case, args.version)
    return CommandResult({"case": str(args.case), "restored": args.version, "version": version},
                         lambda d: f"Restored the state of {d['restored']} as version "
                                   f"{d['version']['id']} (nothing was deleted)")


# -------------------------------------------------------------------- predict/accuracy
def cmd_predict(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.io.clinical.records import parse_time_utc
    from twindesk.io.clinical.units import QUANTITIES
    from twindesk.model.case import Case
    from twindesk.model import versions
    from twindesk.twin import accuracy

    valid_from = parse_time_utc(args.valid_from, "--valid-from") if args.valid_from else None
    manual = [args.quantity, args.value, args.low, args.high]
    if args.from_calibration == any(v is not None for v in manual):
        raise InputError("give either --from-calibration or --quantity/--value/--low/--high",
                         "e.g. --quantity mean_gradient_mmhg --value 9 --low 6 --high 13")
    if not args.from_calibration and any(v is None for v in manual):
        raise InputError("--quantity, --value, --low and --high are all needed",
                         "a prediction is stored with its interval")
    with Case.open(args.case, require_write=True) as case:
        versions.ensure_baseline(case)
        if args.from_calibration:
            recs = accuracy.predictions_from_calibration(case, valid_from)
        else:
            if args.quantity not in QUANTITIES:
                raise InputError(f"--quantity: unknown quantity '{args.quantity}'",
                                 f"use one of: {', '.join(sorted(QUANTITIES))}")
            unit = args.unit or QUANTITIES[args.quantity].unit
            recs = [accuracy.record_prediction(case, args.quantity, args.value, args.low,
                                               args.high, unit, args.source,
                                               interval=args.interval,
                                               valid_from_utc=valid_from)]
        version = versions.record_version(case, "prediction",
                                          f"recorded {len(recs)} prediction(s)",
                                          {"ids": [r["id"] for r in recs]})
        case.save("twin-predict", {"ids": [r["id"] for r in recs]})
    return CommandResult({"case": str(args.case), "predictions": recs, "version": version},
                         lambda d: "\n".join(
                             f"{p['id']}: {p['quantity']} {p['value']:.4g} [{p['low']:.4g}, "
                             f"{p['high']:.4g}] {p['unit']} ({p['source']})"
                             for p in d["predictions"]))


def human_accuracy(d: dict[str, Any]) -> str:
    head = f"Cohort {d['folder']}: {d['n_cases']} twins" if "folder" in d else f"Twin {d['case']}"
    lines = [f"{head}; {d['n_observed']} of {d['n_predictions']} predictions observed",
             f"{'QUANTITY':<24} {'N':>3} {'BIAS':>9} {'MAE':>9} {'RMSE':>9} {'COVERAGE':>9}"]
    for q, s in d["by_quantity"].items():
        lines.append(f"{q:<24} {s['n']:>3} {s['bias']:>+9.3g} {s['mae']:>9.3g} {s['rmse']:>9.3g} "
                     f"{100 * s['coverage']:>8.0f}%")
    return "\n".join(lines)


def cmd_accuracy(args: argparse.Namespace) -> CommandResult:
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.twin.accuracy import case_accuracy, cohort_accuracy

    if (args.case is None) == (args.cohort is None):
        raise InputError("give CASE or --cohort DIR", "one twin, or a folder of twins")
    if args.cohort is not None:
        return CommandResult(cohort_accuracy(args.cohort), human_accuracy)
    with Case.open(args.case, write=False) as case:
        acc = case_accuracy(case.doc)
    return CommandResult({"case": str(args.case), **acc}, human_accuracy)
