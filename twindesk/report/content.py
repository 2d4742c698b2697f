"""What a report section holds: text, tables and figures, with numbers formatted once.

Sections are built as plain data (no PDF library here) so they can be tested, shown in the
GUI or written as JSON. Every number goes through :func:`fmt`, which refuses NaN, infinity
and missing values: a section that lacks a number says in words what has not been computed
(:class:`Missing`), it never prints an empty cell or a placeholder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from twindesk.errors import TwindeskError

#: Unit of a quantity from the suffix of its key (house rule: units in names). Longest first.
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_mmhg_s_per_ml", "mmHg·s/ml"), ("_ml_per_mmhg", "ml/mmHg"), ("_mmhg_per_ml", "mmHg/ml"),
    ("_cm2_per_m2", "cm²/m²"), ("_kg_per_m3", "kg/m³"), ("_l_min", "L/min"),
    ("_ml_s", "ml/s"), ("_m_s", "m/s"), ("_mmhg", "mmHg"), ("_pa", "Pa"), ("_ml", "ml"),
    ("_mm3", "mm³"), ("_mm2", "mm²"), ("_mm", "mm"), ("_cm2", "cm²"), ("_cm", "cm"),
    ("_m2", "m²"), ("_pct", "%"), ("_bpm", "bpm"), ("_ms", "ms"), ("_s", "s"),
    ("_deg", "°"), ("_kg", "kg"), ("_n", "N"), ("_mpa", "MPa"),
)


def unit_of(key: str) -> str | None:
    """The unit named by ``key``'s suffix (``"cardiac_output_l_min"`` → ``"L/min"``)."""
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return unit
    return None


def label_of(key: str) -> str:
    """A readable label: the key without its unit suffix, words spaced, first letter capital."""
    for suffix, _ in UNIT_SUFFIXES:
        if key.endswith(suffix):
            key = key[: -len(suffix)]
            break
    text = key.replace("_", " ").strip()
    for short in ("lv", "la", "eoa", "co", "sv", "ef", "hr", "bsa", "stj", "laa", "ct", "rv"):
        text = " ".join(w.upper() if w == short else w for w in text.split(" "))
    return text[:1].upper() + text[1:]


def is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def fmt(value: Any, unit: str | None = None, sig: int = 3) -> str:
    """A finite number to ``sig`` significant digits (no exponent for usual sizes) + unit.

    Trailing zeros after the decimal point are dropped on purpose (1.0035 L/min prints as
    "1 L/min", not "1.00 L/min"): clinical documents avoid them because "1.0" is misread as
    "10" (The Joint Commission, "Do Not Use" list of abbreviations, 2004; ISMP list of
    error-prone abbreviations).

    Raises
    ------
    TwindeskError
        For NaN, infinity or a non-number: a bug in the caller, which must have checked.
    """
    if not is_number(value):
        raise TwindeskError(f"report: cannot print {value!r} as a number",
                            "report this to the developers")
    v = float(value)
    if v == 0:
        text = "0"
    else:
        digits = max(sig - 1 - int(math.floor(math.log10(abs(v)))), 0)
        text = f"{v:.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
    text = text.replace("-", "−")
    if not unit:
        return text
    return f"{text} {unit}" if unit not in ("%", "°") else f"{text}{unit}" if unit == "°" \
        else f"{text} %"


def fmt_interval(low: Any, high: Any, unit: str | None, sig: int = 3) -> str | None:
    """``"117 – 132 mmHg"``, or ``None`` when either end is missing."""
    if not (is_number(low) and is_number(high)):
        return None
    return f"{fmt(low, None, sig)} – {fmt(high, unit, sig)}"


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | small | note | warning | statement


@dataclass(frozen=True)
class Missing:
    """A plain statement of what has not been computed yet and how to get it."""

    what: str
    how: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    widths: tuple[float, ...] | None = None  # fractions of the text width

    def __post_init__(self) -> None:
        if not self.rows:
            raise TwindeskError("report: a table without rows", "report this to the developers")
        for row in self.rows:
            if len(row) != len(self.header) or any(not str(c).strip() for c in row):
                raise TwindeskError(f"report: table row {row!r} has empty or missing cells",
                                    "report this to the developers")


@dataclass(frozen=True)
class Figure:
    png: bytes
    caption: str
    width_fraction: float = 1.0


Block = Paragraph | Missing | Table | Figure


@dataclass
class Section:
    """One report section: an id, a title, blocks, and how complete it is."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def status(self) -> str:
        has_data = any(isinstance(b, (Table, Figure)) for b in self.blocks)
        has_missing = any(isinstance(b, Missing) for b in self.blocks)
        if has_data and has_missing:
            return "partial"
        return "computed" if has_data or not has_missing else "not computed"

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "tables": sum(isinstance(b, Table) for b in self.blocks),
                "figures": sum(isinstance(b, Figure) for b in self.blocks),
                "not_computed": [b.what for b in self.blocks if isinstance(b, Missing)]}
