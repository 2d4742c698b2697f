"""Report blocks for the 3D pulsatile results of the twin's scenarios (the flow section's
3D part): echo-comparable values, predicted against measured echo, aortic pressures, wall
shear stress, waveforms, and pre/post side by side."""

from __future__ import annotations

from typing import Any

from twindesk.report.content import Figure, Missing, Paragraph, Table, fmt, is_number

#: (label, path in the stored summary, unit)
ROWS = (
    ("Doppler peak velocity (Q/EOA)", "echo.peak_velocity_m_s", "m/s"),
    ("Peak gradient, 4v²", "echo.peak_gradient_mmhg", "mmHg"),
    ("Mean gradient (mean of 4v² over ejection)", "echo.mean_gradient_mmhg", "mmHg"),
    ("Net pressure drop after recovery, mean", "echo.net_pressure_drop_mean_mmhg", "mmHg"),
    ("Net pressure drop after recovery, at peak flow", "echo.net_pressure_drop_peak_mmhg",
     "mmHg"),
    ("Effective orifice area (0D valve)", "echo.eoa_cm2", "cm²"),
    ("Aortic root pressure, systolic", "aortic_pressure.systolic_mmhg", "mmHg"),
    ("Aortic root pressure, diastolic", "aortic_pressure.diastolic_mmhg", "mmHg"),
    ("Cardiac output (3D inflow)", "inflow.cardiac_output_l_min", "L/min"),
    ("Largest 3D velocity", "peak_velocity_3d_m_s", "m/s"),
    ("Time-averaged wall shear stress, mean", "wall_shear_stress.tawss_mean_pa", "Pa"),
    ("Wall area with time-averaged WSS below 0.4 Pa",
     "wall_shear_stress.low_tawss_area_percent", "%"),
    ("Oscillatory shear index, mean", "wall_shear_stress.osi_mean", None),
    ("Wall shear stress at peak systole, max", "wall_shear_stress.peak_systole_wss_max_pa", "Pa"),
)


def _get(d: dict, path: str):
    for part in path.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(part)
    return d


def _order(names) -> list[str]:
    return sorted(names, key=lambda n: (n != "baseline", n))


def _scenario_table(name: str, rec: dict[str, Any]) -> Table | None:
    s = rec.get("summary") or {}
    rows = tuple((label, fmt(_get(s, path), unit)) for label, path, unit in ROWS
                 if is_number(_get(s, path)))
    if not rows:
        return None
    cyc = s.get("cycles") or {}
    periodic = "periodic" if cyc.get("periodic") else "NOT periodic"
    return Table(("Quantity", "Value"), rows,
                 f"3D pulsatile flow, scenario '{name}': last of {cyc.get('completed', '?')} "
                 f"cycles ({periodic}), {(s.get('mesh') or {}).get('tetrahedra', '?')} "
                 "tetrahedra. Doppler values use the 0D valve's EOA (the orifice is not in the "
                 "3D mesh).", (0.62, 0.38))


def _echo_table(name: str, rec: dict[str, Any]) -> Table | None:
    rows = []
    for r in (rec.get("summary") or {}).get("echo_comparison") or []:
        unit = "m/s" if r["quantity"].endswith("_m_s") else "mmHg"
        if is_number(r.get("predicted")) and is_number(r.get("measured")):
            rows.append((r["quantity"].replace("_mmhg", "").replace("_m_s", "").replace("_", " "),
                         fmt(r["predicted"], unit), fmt(r["measured"], unit),
                         fmt(r["difference"], unit), str(r.get("measured_time_utc", ""))[:10]
                         or "unknown"))
    if not rows:
        return None
    return Table(("Echo quantity", "Predicted", "Measured", "Difference", "Measured on"),
                 tuple(rows), f"Scenario '{name}' against the twin's latest echo values.",
                 (0.3, 0.17, 0.17, 0.17, 0.19))


def _side_by_side(names: list[str], block: dict[str, Any]) -> Table | None:
    rows = []
    for label, path, unit in ROWS:
        vals = [_get(block[n].get("summary") or {}, path) for n in names]
        if all(is_number(v) for v in vals):
            rows.append((label, *(fmt(v, unit) for v in vals)))
    if not rows:
        return None
    width = 0.5 / len(names)
    return Table(("Quantity", *names), tuple(rows),
                 "Pre/post: 3D pulsatile results of each scenario side by side "
                 "(twindesk compare CASE A B gives the differences with intervals).",
                 (0.5, *([width] * len(names))))


def blocks(case, ctx) -> list:
    """The 3D pulsatile blocks of the flow section (a :class:`Missing` when none exist)."""
    block = case.doc.get("pulsatile") or {}
    if not block:
        return [Missing("3D pulsatile flow (echo-comparable gradients with pressure recovery, "
                        "wall shear stress, waveforms) has not been computed",
                        "run twindesk scenario run CASE baseline --3d (and the post-procedure "
                        "scenario)")]
    out: list = []
    names = _order(block)
    for name in names:
        rec = block[name]
        for b in (_scenario_table(name, rec), _echo_table(name, rec)):
            if b is not None:
                out.append(b)
        for note in (rec.get("summary") or {}).get("notes") or []:
            out.append(Paragraph(f"Scenario '{name}': {note}.", "note"))
        key = (rec.get("artifacts") or {}).get("plot")
        if key and case.artifact(key) is not None:
            out.append(Figure(case.artifact_path(key).read_bytes(),
                              f"3D pulsatile waveforms over the last cycle, scenario '{name}'.",
                              0.95))
    if len(names) > 1:
        table = _side_by_side(names, block)
        if table is not None:
            out.append(table)
    else:
        out.append(Missing("Only one scenario has 3D pulsatile results, so there is no 3D "
                           "pre/post comparison", "run the post-procedure scenario with --3d"))
    return out


def measurement_rows(case) -> list:
    """Rows of the measurement table (CSV export) for every 3D pulsatile result."""
    from twindesk.report.measurements import _row

    rows = []
    for name in _order((case.doc.get("pulsatile") or {})):
        rec = case.doc["pulsatile"][name]
        s = rec.get("summary") or {}
        for label, path, unit in ROWS:
            value = _get(s, path)
            if is_number(value):
                rows.append(_row(f"3D pulsatile: {name}", label, value, unit or "1",
                                 f"scenario run {name} --3d", time_utc=rec.get("time_utc", "")))
    return [r for r in rows if r]
