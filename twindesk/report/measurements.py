"""The case's measurement table: every number the twin holds, with unit and interval.

One row per quantity, gathered from what the case holds (each source is a small function,
so later rooms add theirs):

* segmentation volumes (``labels:<structure>`` masks → ml);
* centre-line length and diameter range (``centerline:<structure>``);
* measurement results of later rooms: any artefact ``result:measurements:<name>`` holding
  a JSON list of ``{"quantity", "value", "unit", "low", "high", "method"}`` (the aortic
  root analysis writes its table this way);
* hand measurements of the viewer (``case.doc["annotations"]["measurements"]``);
* the latest 0D calibration: fitted parameters and predictions with 95 % intervals;
* the latest 0D result of every physiology scenario.

``twindesk export CASE OUT.csv --what measurements`` writes the table as CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from twindesk.errors import InputError
from twindesk.report.content import is_number, label_of, unit_of

CSV_COLUMNS = ("group", "quantity", "value", "unit", "low_95", "high_95", "source",
               "time_utc")


@dataclass(frozen=True)
class Row:
    """One measured or computed quantity. ``low``/``high``: 95 % interval, when known."""

    group: str
    quantity: str
    value: float
    unit: str
    source: str
    low: float | None = None
    high: float | None = None
    time_utc: str = ""


def _row(group, quantity, value, unit, source, low=None, high=None, time_utc="") -> Row | None:
    if not is_number(value) or not unit:
        return None  # never a row without a number and its unit
    low, high = (low, high) if is_number(low) and is_number(high) else (None, None)
    return Row(group, quantity, float(value), unit, source, low, high, time_utc or "")


def segmentation_rows(case) -> list[Row]:
    import numpy as np
    import SimpleITK as sitk

    rows = []
    for name, rec in sorted(case.doc["artifacts"].items()):
        if not name.startswith("labels:"):
            continue
        image = sitk.ReadImage(str(case.artifact_path(name)))
        voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
        count = int((sitk.GetArrayViewFromImage(image) > 0).sum())
        rows.append(_row("segmentation", f"{name[7:]} volume", count * voxel_ml, "ml", name,
                         time_utc=rec.get("created_utc", "")))
    return [r for r in rows if r]


def centerline_rows(case) -> list[Row]:
    rows = []
    for name, rec in sorted(case.doc["artifacts"].items()):
        if not name.startswith("centerline:"):
            continue
        line = case.read_json(name)
        structure = name.split(":", 1)[1]
        arc = [v for v in line.get("arc_length_mm", []) if is_number(v)]
        dia = [v for v in line.get("diameter_area_mm", []) if is_number(v)]
        t = rec.get("created_utc", "")
        if arc:
            rows.append(_row("centre line", f"{structure} length", max(arc), "mm", name,
                             time_utc=t))
        if dia:
            rows.append(_row("centre line", f"{structure} largest diameter (area-equivalent)",
                             max(dia), "mm", name, time_utc=t))
            rows.append(_row("centre line", f"{structure} smallest diameter (area-equivalent)",
                             min(dia), "mm", name, time_utc=t))
    return [r for r in rows if r]


def result_rows(case) -> list[Row]:
    rows = []
    for name, rec in sorted(case.doc["artifacts"].items()):
        if not name.startswith("result:measurements:"):
            continue
        for item in case.read_json(name):
            rows.append(_row(name.split(":", 2)[2], str(item.get("quantity", "")),
                             item.get("value"), item.get("unit"),
                             item.get("method") or name, item.get("low"), item.get("high"),
                             rec.get("created_utc", "")))
    return [r for r in rows if r]


def annotation_rows(case) -> list[Row]:
    items = (case.doc.get("annotations") or {}).get("measurements", [])
    return [r for r in (_row("hand measurement", f"{m.get('kind', 'measurement')} "
                             f"#{m.get('id', '?')}" + (f" ({m['view']})" if m.get("view") else ""),
                             m.get("value"), m.get("unit"), "viewer", time_utc=m.get(
                                 "created_utc", "")) for m in items) if r]


def calibration_rows(case) -> list[Row]:
    calibrations = (case.doc.get("physiology") or {}).get("calibrations") or []
    if not calibrations:
        return []
    cal = calibrations[-1]
    rows = []
    for group, block in (("0D calibration: parameters", cal.get("fitted") or {}),
                         ("0D calibration: predictions", cal.get("predictions") or {})):
        for key, entry in block.items():
            unit = entry.get("unit") or unit_of(key)
            source = f"{cal.get('id', 'calibration')} ({entry.get('source', 'model')})"
            rows.append(_row(group, label_of(key), entry.get("value"), unit, source,
                             entry.get("low"), entry.get("high"), cal.get("time_utc", "")))
    return [r for r in rows if r]


def scenario_rows(case) -> list[Row]:
    results = (case.doc.get("physiology") or {}).get("results") or {}
    rows = []
    for scenario in sorted(results):
        res = results[scenario]
        for key, value in (res.get("haemodynamics") or {}).items():
            rows.append(_row(f"0D result: {scenario}", label_of(key), value, unit_of(key),
                             f"simulate0d {scenario}", time_utc=res.get("time_utc", "")))
    return [r for r in rows if r]


#: Sources of rows, in table order (later rooms append theirs).
SOURCES = [segmentation_rows, centerline_rows, result_rows, annotation_rows,
           calibration_rows, scenario_rows]


def measurement_rows(case) -> list[Row]:
    """Every row of the case's measurement table, in :data:`SOURCES` order."""
    return [row for source in SOURCES for row in source(case)]


def _number(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        d = asdict(r)
        writer.writerow([d["group"], d["quantity"], _number(r.value), d["unit"],
                         _number(r.low), _number(r.high), d["source"], d["time_utc"]])
    return buf.getvalue()


def export_measurements_csv(case, out: Path, arg: str | None = None) -> dict[str, Any]:
    """``twindesk export CASE OUT.csv --what measurements``: the table as UTF-8 CSV (with a
    byte-order mark so spreadsheet programs read the unit symbols right)."""
    from twindesk.io.atomic import atomic_write_bytes

    if arg:
        raise InputError(f"--what measurements:{arg}: the table has no name part",
                         "use --what measurements")
    if Path(out).suffix.lower() != ".csv":
        raise InputError(f"{out}: the measurement table is written as CSV",
                         "give OUT a .csv extension")
    rows = measurement_rows(case)
    if not rows:
        raise InputError(f"case {case.path} holds no measurements yet",
                         "segment, measure or calibrate the case first")
    atomic_write_bytes(Path(out), to_csv(rows).encode("utf-8-sig"))
    return {"format": "csv", "rows": len(rows),
            "groups": sorted({r.group for r in rows})}
