"""GUI commands: ``gui`` (the desktop window) and ``screenshot`` (render a view to PNG).

Qt is imported only inside the handlers, so other commands start fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from twindesk.cli.output import CommandResult
from twindesk.errors import InputError

VIEWS = ("mpr", "3d", "window")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("gui", parents=[common],
                       help="open the desktop window (on the demo case when no CASE is given)")
    p.add_argument("case", type=Path, nargs="?", metavar="CASE", help="a .twin case folder")
    p.set_defaults(handler=cmd_gui)

    p = sub.add_parser("screenshot", parents=[common],
                       help="render a view of a case to a PNG (starts Xvfb when needed)")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--view", choices=VIEWS, default="window",
                   help="mpr: the three MPR planes; 3d: the 3D view; window: the whole window")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    p.add_argument("--size", default="1200x800", metavar="WxH", help="image size in pixels")
    p.add_argument("--preset", default="cta", help="window preset id (cta, soft_tissue, bone)")
    p.set_defaults(handler=cmd_screenshot)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size: '{text}' is not WIDTHxHEIGHT",
                         "write two whole numbers of pixels, e.g. --size 1200x800") from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise InputError(f"--size: {w}x{h} is out of range", "use 200 to 8000 pixels per side")
    return w, h


def cmd_gui(args: argparse.Namespace) -> CommandResult:
    from twindesk.ui.display import ensure_display

    ensure_display(allow_virtual=False)
    from twindesk.app import run_gui

    code = run_gui(args.case, demo=args.case is None)
    return CommandResult({"case": str(args.case) if args.case else None, "exit_code": code},
                         lambda d: "")


def cmd_screenshot(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import is_case_dir

    size = parse_size(args.size)
    out = args.out.resolve()
    if out.suffix.lower() != ".png":
        raise InputError(f"--out {out}: must end in .png", "choose a .png file name")
    if not out.parent.is_dir():
        raise InputError(f"--out: folder {out.parent} does not exist", "create it first")
    if not is_case_dir(args.case):
        raise InputError(f"{args.case}: not a twindesk case (no case.json)",
                         "give a .twin case folder, e.g. one made by 'twindesk import'")
    from twindesk.ui.display import ensure_display, started_virtual_display

    ensure_display(allow_virtual=True)
    from twindesk.ui.screenshot import close_application, render_case

    try:
        info = render_case(args.case, args.view, out, size, preset=args.preset)
    finally:
        if started_virtual_display():
            close_application()  # before our Xvfb stops at exit, or Qt loses its display
    return CommandResult({"case": str(args.case), "view": args.view, "out": str(out), **info},
                         lambda d: f"Wrote {d['out']} ({d['width']}x{d['height']})")
