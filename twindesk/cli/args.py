"""Parsing of argument values shared by all commands."""

from __future__ import annotations

import math
import re

from twindesk.errors import InputError

#: A value made of numbers, commas and semicolons that starts with a minus sign.
NEGATIVE_POINTS = re.compile(r"^-(\d|\.\d)[0-9eE+\-.,; ]*$")


def point_flags(parser) -> set[str]:
    """Option strings of every flag taking points: its metavar starts with ``X,Y,Z``
    (``--seed-lps``, ``--hinges-lps``, ``--ostia-lps``, ``--paint`` ...), in ``parser`` and
    its subcommands."""
    import argparse

    out: set[str] = set()
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                out |= point_flags(sub)
        elif str(action.metavar or "").startswith("X,Y,Z"):
            out.update(o for o in action.option_strings if o.startswith("--"))
    return out


def attach_point_values(argv: list[str], flags: set[str]) -> list[str]:
    """``--flag -12,3,4;...`` → ``--flag=-12,3,4;...`` for the point ``flags``.

    argparse takes a value beginning with ``-`` for an option unless it is a single
    number, so the documented form ``--hinges-lps "X,Y,Z;X,Y,Z;X,Y,Z"`` would fail for a
    negative first coordinate; joining flag and value lets every point flag accept it.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags and i + 1 < len(argv) and NEGATIVE_POINTS.match(argv[i + 1]):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def parse_point(text: str, field: str) -> tuple[float, float, float]:
    """``"X,Y,Z"`` in LPS mm → a tuple; bad text names the flag."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise InputError(f"{field}: '{text}' is not a point",
                         "write three numbers in LPS millimetres: X,Y,Z (e.g. 12.5,-180,650)")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError(f"{field}: '{text}' contains a non-number",
                         "write three numbers in LPS millimetres: X,Y,Z") from None
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{field}: '{text}' is not finite", "write finite numbers")
    return values  # type: ignore[return-value]


def parse_points(text: str, field: str, count: int | None = None) -> list[tuple[float, float, float]]:
    """``"X,Y,Z;X,Y,Z"`` → points; ``count`` enforces how many."""
    points = [parse_point(chunk, field) for chunk in text.split(";") if chunk.strip()]
    if count is not None and len(points) != count:
        raise InputError(f"{field}: expected {count} points, got {len(points)}",
                         "separate points with ';', e.g. \"X,Y,Z;X,Y,Z;X,Y,Z\"")
    return points
