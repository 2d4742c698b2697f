"""Report blocks for the steady 3D flow results (``twindesk flow``) in the flow section: one
table per stored result (the baseline first, then the other scenarios; mean then peak
flow), with its figure when one was drawn (:func:`figure_key`).

A case without steady results gets nothing here (the pulsatile blocks already say what 3D
flow is missing); a stored summary that cannot be read gets one plain line, never a crash.
"""

from __future__ import annotations

from typing import Any

from twindesk.errors import TwindeskError
from twindesk.report.content import Figure, Paragraph, Table, fmt, is_number
from twindesk.sim.flow.results import SteadyResult, read_summary, steady_results

#: Software the summary names, with the reference to cite for the numerical libraries.
CITATIONS = {
    "scikit-fem": "Gustafsson & McBain, J Open Source Softw 2020;5:2369",
    "pyamg": "Bell, Olson & Schroder, J Open Source Softw 2022;7:4142",
    "scipy": "Virtanen et al., Nat Methods 2020;17:261",
    "numpy": "Harris et al., Nature 2020;585:357",
}


def figure_key(result: SteadyResult) -> str:
    """The name of the result's figure in the report's figures (``Context.figures``)."""
    return f"steady:{result.scenario}:{result.flow}"


def _num(value: Any, unit: str, sig: int = 3) -> str | None:
    return fmt(value, unit, sig) if is_number(value) else None


def _software(software: Any) -> str | None:
    if not isinstance(software, dict) or not software:
        return None
    parts = []
    for name, version in sorted(software.items(), key=lambda kv: (kv[0] != "twindesk", kv[0])):
        cite = CITATIONS.get(name)
        parts.append(f"{name} {version}" + (f" ({cite})" if cite else ""))
    return "; ".join(parts)


def _label(name: Any, default: str) -> str:
    """A stored identifier (``left_subclavian``) as words, whitespace collapsed."""
    return " ".join(str(name or default).replace("_", " ").split())


def rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(quantity, value with unit) of a steady summary; values that are not finite numbers
    are left out (``pressure_drop_root_mmhg`` null says why)."""
    section = summary.get("root_section") or {}
    at = section.get("distance_from_inlet_diameters") if isinstance(section, dict) else None
    root = "Pressure drop across the aortic root" + (
        f" (inlet to the section {fmt(at)} inlet diameters downstream)" if is_number(at) else "")
    desc = _label(summary.get("descending_outlet"), "descending outlet")
    out: list[tuple[str, str | None]] = [
        ("Inflow", _num(summary.get("inflow_l_min"), "L/min")),
        ("Inlet (aortic root) pressure, mean", _num(summary.get("inlet_pressure_mmhg"),
                                                    "mmHg", 4)),
        (root, _num(summary.get("pressure_drop_root_mmhg"), "mmHg")
         if summary.get("pressure_drop_root_mmhg") is not None else
         "not computed (the section does not cut the mesh)"),
        (f"Pressure drop along the aorta (inlet to {desc})",
         _num(summary.get("pressure_drop_aorta_mmhg"), "mmHg")),
    ]
    for o in summary.get("outlets") or []:
        if not isinstance(o, dict):
            continue
        parts = [p for p in (_num(o.get("flow_l_min"), "L/min"),
                             _num(o.get("flow_split_percent"), "%"),
                             _num(o.get("pressure_mmhg"), "mmHg", 4)) if p]
        if len(parts) == 3:
            out.append((f"Outlet {_label(o.get('name'), '?')}: flow, split, pressure",
                        " · ".join(parts)))
    out.append(("Peak velocity", _num(summary.get("peak_velocity_m_s"), "m/s")))
    w = summary.get("wall_shear_stress") or {}
    if isinstance(w, dict):
        out += [("Wall shear stress, mean / max", " / ".join(
                    p for p in (_num(w.get("mean_pa"), "Pa"), _num(w.get("max_pa"), "Pa")) if p)
                 or None),
                (f"Wall area with shear stress below {_num(w.get('threshold_pa'), 'Pa') or '?'}",
                 _num(w.get("area_below_threshold_percent"), "%"))]
    s = summary.get("solver") or {}
    if isinstance(s, dict):
        res = s.get("residuals") or []
        last = res[-1] if isinstance(res, list) and res else None
        if s.get("method"):
            out.append(("Solver method", " ".join(str(s["method"]).split())))
        if is_number(s.get("iterations")) and is_number(last) and is_number(s.get("tolerance")):
            out.append(("Solver: nonlinear iterations, final residual / tolerance, converged",
                        f"{int(s['iterations'])} · {last:.2e} / {s['tolerance']:.0e} (relative) · "
                        f"{'converged' if s.get('converged') else 'NOT converged'}"))
    mesh = summary.get("mesh") or {}
    if isinstance(mesh, dict) and is_number(mesh.get("tetrahedra")):
        out.append(("Mesh", f"{int(mesh['tetrahedra']):,} tetrahedra"))
    out.append(("Boundary values from", " ".join(str(summary.get("boundary_source") or "").split())
                or None))
    out.append(("Software", _software(summary.get("software"))))
    return [(k, v) for k, v in out if v]


def _caption(result: SteadyResult, summary: dict[str, Any]) -> str:
    seconds = summary.get("seconds")
    took = f", solved in {fmt(seconds, 's')}" if is_number(seconds) else ""
    return (f"Steady 3D flow, scenario '{result.scenario}', "
            f"{'mean (cardiac output)' if result.flow == 'mean' else 'peak systolic'} inflow "
            f"(twindesk flow{took}). Pressure drops are the inlet's mean pressure minus the "
            "mean pressure on the named section or outlet. A steady solve has no pulsatility: "
            "the 3D pulsatile run gives echo-comparable gradients.")


def blocks(case, ctx) -> list:
    """Tables (with figures and assumptions) of every stored steady result; [] when none."""
    out: list = []
    for result in steady_results(case.doc):
        try:
            summary = read_summary(case, result)
        except TwindeskError as exc:
            out.append(Paragraph(f"The steady 3D flow result '{result.label}' could not be "
                                 f"read: {exc.message}" + (f" (what to do: {exc.hint})" if exc.hint
                                                          else ""), "warning"))
            continue
        table_rows = rows(summary)
        if not any(k == "Inflow" for k, _ in table_rows):
            out.append(Paragraph(f"The steady 3D flow result '{result.label}' could not be "
                                 "read: its summary has no inflow (a damaged or foreign file); "
                                 "run twindesk flow again.", "warning"))
            continue
        out.append(Table(("Quantity", "Value"), tuple(table_rows), _caption(result, summary),
                         (0.45, 0.55)))
        for a in summary.get("assumptions") or []:
            if str(a).strip():
                out.append(Paragraph(f"Assumed ({result.label}): {' '.join(str(a).split())}.",
                                     "note"))
        png = ctx.figures.get(figure_key(result))
        if png:
            out.append(Figure(png, f"{result.label}: streamlines from the inlet coloured by "
                                   "speed, and wall shear stress on the visible side of the "
                                   "wall (view onto the vessel's own plane; colour ranges "
                                   "2nd–98th percentile).", 0.95))
    return out
