"""``twindesk selftest``: the installer's end-to-end check of the desktop program."""

from __future__ import annotations

import argparse
from pathlib import Path

from twindesk.cli.output import CommandResult
from twindesk.errors import InputError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "selftest", parents=[common],
        help="open the window on the demo case, segment, screenshot, close (starts Xvfb "
             "when there is no display)",
        description="Starts the main window, opens the demo case (generated on first use), "
                    "segments the aorta on a copy with the Segmentation panel's job, saves a "
                    "screenshot and reports start-up and step times. The demo case itself "
                    "is not changed.")
    p.add_argument("--out", type=Path, metavar="FILE.png",
                   help="where to save the screenshot")
    p.add_argument("--demo-dir", type=Path, metavar="DIR",
                   help="demo folder to use or create (default: the per-user demo)")
    p.add_argument("--startup-only", action="store_true",
                   help="only open the main window, report the start-up time and close")
    p.set_defaults(handler=cmd_selftest)


def human(d: dict) -> str:
    if "segmentation" not in d:
        return (f"Main window after {d['window_shown_s']:.2f} s "
                f"(goal {d['startup_goal_s']:g} s)")
    seg = d["segmentation"]
    return (f"Self-test passed: window after {d['window_shown_s']:.2f} s "
            f"(goal {d['startup_goal_s']:g} s), demo case in {d['demo_s']:.1f} s, "
            f"aorta {seg['volume_ml']:.0f} mL in {seg['seconds']:.1f} s\n"
            f"Screenshot: {d['screenshot']}")


def cmd_selftest(args: argparse.Namespace) -> CommandResult:
    out = args.out.resolve() if args.out else None
    if out is None and not args.startup_only:
        raise InputError("--out is required", "give the screenshot file, e.g. --out shot.png")
    if out is None:
        pass
    elif out.suffix.lower() != ".png":
        raise InputError(f"--out {out}: must end in .png", "choose a .png file name")
    elif not out.parent.is_dir():
        raise InputError(f"--out: folder {out.parent} does not exist", "create it first")
    from twindesk.ui.display import ensure_display, started_virtual_display

    ensure_display(allow_virtual=True)
    from twindesk.ui.screenshot import close_application
    from twindesk.ui.selftest import run_selftest, run_startup

    try:
        result = run_startup() if args.startup_only else run_selftest(out, args.demo_dir)
    finally:
        if started_virtual_display():
            close_application()
    return CommandResult(result, human)
