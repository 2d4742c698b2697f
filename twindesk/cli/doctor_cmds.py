"""``twindesk doctor``: is this workstation ready?"""

from __future__ import annotations

import argparse

from twindesk.cli.output import CommandResult


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("doctor", parents=[common], help="check this workstation")
    p.add_argument("--port", type=int, default=None,
                   help="DICOM receiver port to check (default 11112)")
    p.add_argument("--no-graphics", action="store_true",
                   help="skip the OpenGL and Qt probes")
    p.set_defaults(handler=cmd_doctor)


def human(d: dict) -> str:
    marks = {"ok": "ok  ", "warning": "WARN", "problem": "FAIL"}
    lines = [f"twindesk {d['twindesk_version']} self-check: "
             f"{'ready' if d['ok'] else 'problems found'}"]
    for c in d["checks"]:
        lines.append(f"  [{marks[c['status']]}] {c['name']}: {c['detail']}")
        if c["advice"]:
            lines.append(f"         what to do: {c['advice']}")
    return "\n".join(lines)


def cmd_doctor(args: argparse.Namespace) -> CommandResult:
    from twindesk.doctor import DEFAULT_DICOM_PORT, run_doctor

    report = run_doctor(port=args.port or DEFAULT_DICOM_PORT, probe_graphics=not args.no_graphics)
    return CommandResult(report, human)
