"""The flow panel's text for a steady 3D result (Qt-free)."""

import math

from twindesk.ui.flow_text import range_text, steady_text


def test_range_text_tells_narrow_ends_apart():
    assert range_text(92.998, 93.006, "mmHg") == "92.998 to 93.006 mmHg"
    assert range_text(0.1, 2.5, "Pa") == "0.1 to 2.5 Pa"
    assert range_text(math.nan, 1.0, "m/s") == "— to 1 m/s"


def test_steady_text_has_the_key_numbers(steady_flow_case):
    s = steady_flow_case.outputs["mean"]
    text = steady_text("baseline – steady mean flow", s,
                       {"range": (92.998, 93.006), "unit": "mmHg", "label": "Pressure"})
    w = s["wall_shear_stress"]
    for part in (f"inflow {s['inflow_l_min']:.2f} L/min",
                 f"{s['solver']['iterations']} nonlinear iterations",
                 f"along the aorta {s['pressure_drop_aorta_mmhg']:.3g} mmHg",
                 f"peak velocity {s['peak_velocity_m_s']:.3g} m/s",
                 f"WSS mean {w['mean_pa']:.3g} Pa", f"max {w['max_pa']:.3g} Pa",
                 f"descending aorta {s['outlets'][0]['flow_split_percent']:.1f} %",
                 "converged", "92.998 to 93.006 mmHg"):
        assert part in text, part
    broken = steady_text("x", {"inflow_l_min": float("nan"), "solver": {"converged": False}},
                         {"range": (0.0, 1.0), "unit": "Pa", "label": "WSS"})
    assert "nan" not in broken.lower() and "not converged" in broken
