"""Vitals, echo and labs from CSV, in one of two layouts.

Wide layout (one row per time point)
    A time column named ``time_utc``, ``time``, ``datetime`` or ``date`` (ISO 8601; a time
    without zone is taken as UTC and a warning says so) and one column per quantity named
    ``<quantity>_<unit>``, e.g.::

        time_utc,sbp_mmhg,dbp_mmhg,hr_bpm,co_l_min,height_cm,weight_kg
        2024-03-01T08:30:00Z,142,78,68,4.9,172,81

    The unit suffix says the unit: ``sbp_mmhg`` is mm[Hg], ``sbp_kpa`` kPa (converted),
    ``height_in`` inches, ``weight_lb`` pounds, ``co_ml_min`` mL/min … (every quantity,
    its canonical column and the accepted alternatives are listed in the README table and
    in :data:`twindesk.io.clinical.units.QUANTITIES`). Empty cells are skipped. Columns
    that name no known quantity are reported as unknown, not read.

Long layout (one row per value)
    Columns ``time,quantity,value,unit`` (optionally ``code`` for a LOINC code and
    ``note``), the unit as a UCUM code::

        time,quantity,value,unit
        2024-03-01T08:30:00Z,sbp,142,mm[Hg]
        2024-03-01T08:30:00Z,height,67.7,[in_i]

    ``quantity`` is the base name (``sbp``) or the full key (``sbp_mmhg``).

A value in a unit not accepted for its quantity, a non-numeric value or a number outside
the plausible range is refused with a message naming the file, the row (the header is
row 1) and the column. Separators: comma, or semicolon with decimal commas.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from twindesk.errors import InputError
from twindesk.io.clinical.records import ClinicalBatch, Observation, parse_time_utc
from twindesk.io.clinical.units import BY_BASE, QUANTITIES, Quantity, convert, quantity

TIME_COLUMNS = ("time_utc", "time", "datetime", "date", "effective")
LONG_COLUMNS = ("time", "quantity", "value", "unit")
_PASSIVE = {"note", "notes", "comment", "comments", "source", "context"}
_BASES_LONGEST_FIRST = sorted(BY_BASE, key=len, reverse=True)


def looks_like_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    cols = [c.strip().lower() for c in first.replace(";", ",").split(",")]
    return len(cols) >= 2 and (any(c in TIME_COLUMNS for c in cols)
                               or all(c in cols for c in LONG_COLUMNS))


def parse_csv(text: str, name: str, *, complete_lines_only: bool = False,
              skip_rows: int = 0) -> ClinicalBatch:
    """Parse CSV text (see the module doc) into a :class:`ClinicalBatch`.

    Parameters
    ----------
    name
        The file name used in messages.
    complete_lines_only
        Ignore a last line without its newline (a file still being written).
    skip_rows
        Data rows already read (for following a growing file); they are not parsed again.
    """
    text = text.lstrip("\ufeff")
    if complete_lines_only and text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{name}: the file is empty", "export the measurements with a header row")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    batch = ClinicalBatch("csv", meta={"layout": None, "n_rows": len(rows) - 1,
                                        "columns": header})
    decimal_comma = delimiter == ";"
    body = [(i + 1, r) for i, r in enumerate(rows) if i >= 1 + skip_rows and any(c.strip() for c in r)]
    if all(c in lower for c in LONG_COLUMNS):
        batch.meta["layout"] = "long"
        _parse_long(batch, name, lower, body, decimal_comma)
    else:
        batch.meta["layout"] = "wide"
        _parse_wide(batch, name, header, lower, body, decimal_comma)
    return batch


def _number(cell: str, where: str, decimal_comma: bool) -> float:
    s = cell.strip()
    if decimal_comma:
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        raise InputError(f"{where}: '{cell.strip()}' is not a number",
                         "write plain numbers (the unit belongs in the header or unit column)"
                         ) from None


def _where(name: str, row: int, column: str) -> str:
    return f"{name}, row {row}, column '{column}'"


def _wide_column(name: str, column: str) -> tuple[Quantity, str] | None:
    """(quantity, UCUM unit) named by a wide-layout header, ``None`` if no quantity matches;
    refuses a known quantity with an unknown unit suffix."""
    col = column.strip().lower()
    if col in QUANTITIES:
        q = QUANTITIES[col]
        return q, q.unit
    for base in _BASES_LONGEST_FIRST:
        if col.startswith(base + "_"):
            q, suffix = BY_BASE[base], col[len(base) + 1:]
            if suffix in q.suffixes:
                return q, q.suffixes[suffix]
            options = ", ".join(f"{q.base}_{s} ({u})" for s, u in q.suffixes.items())
            raise InputError(f"{name}, row 1, column '{column}': unit '{suffix}' is not "
                             f"accepted for {q.label}", f"name the column one of: {options}")
    return None


def _parse_wide(batch: ClinicalBatch, name: str, header: list[str], lower: list[str],
                body: list[tuple[int, list[str]]], decimal_comma: bool) -> None:
    tcol = next((lower.index(c) for c in TIME_COLUMNS if c in lower), None)
    if tcol is None:
        raise InputError(f"{name}, row 1: no time column",
                         f"add a column named one of {', '.join(TIME_COLUMNS)} "
                         "(ISO 8601 date or date-time)")
    columns: list[tuple[int, Quantity, str]] = []
    for j, col in enumerate(header):
        if j == tcol or lower[j] in _PASSIVE:
            continue
        found = _wide_column(name, col)
        if found is None:
            batch.unknown.append({"column": col, "reason": "names no known quantity"})
        else:
            columns.append((j, *found))
    for row_no, row in body:
        when = parse_time_utc(row[tcol] if tcol < len(row) else "",
                              _where(name, row_no, header[tcol]), batch.warnings)
        for j, q, unit in columns:
            cell = row[j] if j < len(row) else ""
            if not cell.strip():
                continue
            where = _where(name, row_no, header[j])
            raw = _number(cell, where, decimal_comma)
            value = convert(q, raw, unit, where)
            batch.observations.append(Observation(when, q.key, value, q.unit, None, q.label,
                                                  f"row {row_no}, column '{header[j]}'",
                                                  raw, unit, "column"))


def _parse_long(batch: ClinicalBatch, name: str, lower: list[str],
                body: list[tuple[int, list[str]]], decimal_comma: bool) -> None:
    idx: dict[str, Any] = {c: lower.index(c) for c in LONG_COLUMNS}
    code_col = lower.index("code") if "code" in lower else None
    for row_no, row in body:
        cell = {c: (row[j].strip() if j < len(row) else "") for c, j in idx.items()}
        when = parse_time_utc(cell["time"], _where(name, row_no, "time"), batch.warnings)
        q = quantity(cell["quantity"])
        if q is None:
            batch.unknown.append({"row": row_no, "quantity": cell["quantity"],
                                  "reason": "names no known quantity"})
            continue
        where = _where(name, row_no, "unit")
        if not cell["unit"]:
            raise InputError(f"{where}: no unit for {q.label}",
                             f"give the UCUM unit, one of: {', '.join(q.units)}")
        raw = _number(cell["value"], _where(name, row_no, "value"), decimal_comma)
        value = convert(q, raw, cell["unit"], where)
        code = (row[code_col].strip() or None) if code_col is not None and code_col < len(row) \
            else None
        batch.observations.append(Observation(when, q.key, value, q.unit, code, q.label,
                                              f"row {row_no}", raw, cell["unit"], "column"))
