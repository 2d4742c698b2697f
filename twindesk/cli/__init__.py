"""The ``twindesk`` command line: a public interface.

Conventions for every subcommand:

* ``--json`` prints exactly one JSON object on stdout, described by
  ``twindesk/schemas/<command>.schema.json``; otherwise human text and a progress bar.
* Exit 0 on success, 2 on bad input (message on stderr naming the file/field and what to do),
  1 on internal error (traceback only with ``--debug``), 130 when cancelled.
* Points are ``X,Y,Z`` in LPS millimetres; several points separated by ``;``. Point flags
  end in ``-lps`` and accept values that start with a minus sign
  (:func:`twindesk.cli.args.attach_point_values`).

Command modules are the ``*_cmds.py`` files in this package; each has ``register(subparsers,
common)``. They import heavy libraries only inside their handlers so start-up stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from twindesk import INTENDED_USE, __version__
from twindesk.errors import TwindeskError

def command_modules() -> list[str]:
    """Every ``twindesk/cli/*_cmds.py`` module, sorted (each adds its own subcommands)."""
    import pkgutil

    return sorted(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)
                  if m.name.endswith("_cmds"))


def _common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print exactly one JSON object on stdout")
    common.add_argument("--debug", action="store_true",
                        help="show tracebacks for internal errors")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twindesk",
        description=f"twindesk {__version__}: cardiac digital twin workstation. {INTENDED_USE}",
        epilog="Run without a command to open the desktop window on the demo case.")
    parser.add_argument("--version", action="version", version=f"twindesk {__version__}")
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common_parser()
    for name in command_modules():
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script. Returns the process exit code."""
    from twindesk.cli.args import attach_point_values, point_flags
    from twindesk.cli.output import emit, report_error

    parser = build_parser()
    argv = attach_point_values(list(sys.argv[1:] if argv is None else argv),
                               point_flags(parser))
    if not argv or argv == ["--debug"]:
        argv = ["gui"] + argv if "gui" in _subcommand_names(parser) else ["--help"]
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        result = args.handler(args)
        emit(args, result)
        return 0
    except TwindeskError as exc:
        report_error(args, exc.user_message())
        return exc.exit_code
    except KeyboardInterrupt:
        report_error(args, "interrupted; nothing was saved")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are caught
        if getattr(args, "debug", False):
            traceback.print_exc()
        report_error(args, f"internal error: {type(exc).__name__}: {exc}\n"
                           "  Rerun with --debug for details and report it to the developers.")
        return 1


def _subcommand_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return set(action.choices)
    return set()
