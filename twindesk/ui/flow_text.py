"""What the flow panel says about a scenario, as text (Qt-free): numbers never show NaN."""

from __future__ import annotations

import math

NOTHING = ("Nothing computed yet for '{name}'. Run 0D for pressures and flows of the lumped "
           "model; Run 3D pulsatile for colour maps, streamlines and waveforms.")


def num(value, fmt: str = ".1f", unit: str = "") -> str:
    """A number for the user; "—" when missing or not finite (never NaN)."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value:{fmt}}{' ' + unit if unit else ''}"


def range_text(lo, hi, unit: str) -> str:
    """``"92.998 to 93.006 mmHg"``: as many significant digits (3 to 8) as it takes to tell
    the ends of a narrow colour range apart."""
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (lo, hi))
    for sig in range(3, 9):
        a, b = num(lo, f".{sig}g"), num(hi, f".{sig}g")
        # each end printed within 5 % of the range's span of its value
        if not ok or max(abs(float(a) - lo), abs(float(b) - hi)) <= 0.05 * abs(hi - lo):
            break
    return f"{a} to {b} {unit}".rstrip()


def describe(s: dict) -> str:
    """One line saying what a scenario changes (short form, for a table cell)."""
    from twindesk.sim.scenarios.define import describe_scenario

    return describe_scenario(s)


def zero_d_text(doc: dict, name: str, ck: dict | None) -> str:
    from twindesk.sim.lumped.store import physiology

    res = physiology(doc)["results"].get(name)
    lines = []
    if res:
        h = res["haemodynamics"]
        lines.append(f"<b>{name}</b>, 0D model: aorta {num(h.get('aortic_systolic_mmhg'), '.0f')}"
                     f"/{num(h.get('aortic_diastolic_mmhg'), '.0f')} mmHg, CO "
                     f"{num(h.get('cardiac_output_l_min'), '.2f', 'L/min')}, valve mean "
                     f"gradient {num(h.get('mean_gradient_mmhg'), '.1f', 'mmHg')}.")
        lines.append("No 3D pulsatile result yet: Run 3D pulsatile for colour maps.")
    else:
        lines.append(NOTHING.format(name=name))
    if ck:
        lines.append(f"A cancelled 3D run left a checkpoint at cycle {ck['cycle']}, step "
                     f"{ck['step']}: Run 3D pulsatile with Resume continues it.")
    return "<br>".join(lines)

def three_d_text(name: str, s: dict, shown: dict) -> str:
    e, w = s.get("echo") or {}, s.get("wall_shear_stress") or {}
    a, c = s.get("aortic_pressure") or {}, s.get("cycles") or {}
    periodic = "periodic" if c.get("periodic") else "<b>not periodic</b>"
    lo, hi = shown["range"]
    lines = [f"<b>{name}</b>: {c.get('completed', '—')} cycles, {periodic}",
             f"Echo: peak {num(e.get('peak_velocity_m_s'), '.2f', 'm/s')}, gradient peak "
             f"{num(e.get('peak_gradient_mmhg'))} / mean {num(e.get('mean_gradient_mmhg'))} "
             f"mmHg; net drop {num(e.get('net_pressure_drop_mean_mmhg'))} mmHg",
             f"Aorta {num(a.get('systolic_mmhg'), '.0f')}/{num(a.get('diastolic_mmhg'), '.0f')}"
             f" mmHg; TAWSS mean {num(w.get('tawss_mean_pa'), '.2f', 'Pa')}, "
             f"{num(w.get('low_tawss_area_percent'))} % of the wall below "
             f"{num(w.get('low_tawss_threshold_pa'), 'g', 'Pa')}",
             f"Colour: {shown['label']}, {range_text(lo, hi, shown['unit'])} "
             "(2nd–98th percentile)"]
    lines += [f"⚠ {n}" for n in s.get("notes") or []]
    return "<br>".join(lines)


def steady_text(label: str, s: dict, shown: dict) -> str:
    """The key numbers of a steady 3D result (``twindesk flow``'s summary) for the panel."""
    w, sol = s.get("wall_shear_stress") or {}, s.get("solver") or {}
    res = sol.get("residuals") or [None]
    converged = "converged" if sol.get("converged") else "<b>not converged</b>"
    lo, hi = shown["range"]
    outlets = ", ".join(f"{str(o.get('name', '?')).replace('_', ' ')} "
                        f"{num(o.get('flow_split_percent'))} %"
                        for o in s.get("outlets") or [] if isinstance(o, dict))
    lines = [f"<b>{label}</b>: inflow {num(s.get('inflow_l_min'), '.2f', 'L/min')}; "
             f"{num(sol.get('iterations'), 'd')} nonlinear iterations, residual "
             f"{num(res[-1], '.1e')}, {converged}",
             f"Pressure drop: root {num(s.get('pressure_drop_root_mmhg'), '.3g', 'mmHg')}, "
             f"along the aorta {num(s.get('pressure_drop_aorta_mmhg'), '.3g', 'mmHg')}; peak "
             f"velocity {num(s.get('peak_velocity_m_s'), '.3g', 'm/s')}",
             f"WSS mean {num(w.get('mean_pa'), '.3g', 'Pa')}, max "
             f"{num(w.get('max_pa'), '.3g', 'Pa')}, {num(w.get('area_below_threshold_percent'))}"
             f" % of the wall below {num(w.get('threshold_pa'), 'g', 'Pa')}",
             f"Split: {outlets or '—'}",
             f"Colour: {shown['label']}, {range_text(lo, hi, shown['unit'])} "
             "(2nd–98th percentile)"]
    return "<br>".join(lines)
