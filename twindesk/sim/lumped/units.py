"""Unit conversions between SI (used inside the lumped model) and clinical units.

Every quantity inside :mod:`twindesk.sim.lumped` is SI (Pa, m³, m³/s, s, m²); clinical units
(mmHg, ml, L/min, bpm, cm²) appear only at the edges: parameter files in the case, the CLI
and reports. Names always carry the unit (``pressure_pa``, ``eoa_cm2``).
"""

from __future__ import annotations

#: One millimetre of mercury in pascals (conventional, 13.5951 g/cm³ and standard gravity).
PA_PER_MMHG = 133.322387415
#: One millilitre in cubic metres.
M3_PER_ML = 1.0e-6
#: One square centimetre in square metres.
M2_PER_CM2 = 1.0e-4
#: One litre per minute in cubic metres per second.
M3_S_PER_L_MIN = 1.0e-3 / 60.0
#: Resistance: one mmHg·s/ml in Pa·s/m³ (the "peripheral resistance unit", PRU).
PA_S_PER_M3_PER_MMHG_S_PER_ML = PA_PER_MMHG / M3_PER_ML
#: Compliance: one ml/mmHg in m³/Pa.
M3_PER_PA_PER_ML_PER_MMHG = M3_PER_ML / PA_PER_MMHG
#: Elastance: one mmHg/ml in Pa/m³.
PA_PER_M3_PER_MMHG_PER_ML = PA_PER_MMHG / M3_PER_ML


def mmhg_to_pa(p_mmhg: float) -> float:
    return p_mmhg * PA_PER_MMHG


def pa_to_mmhg(p_pa):
    return p_pa / PA_PER_MMHG


def ml_to_m3(v_ml: float) -> float:
    return v_ml * M3_PER_ML


def m3_to_ml(v_m3):
    return v_m3 / M3_PER_ML


def l_min_to_m3_s(q_l_min: float) -> float:
    return q_l_min * M3_S_PER_L_MIN


def m3_s_to_l_min(q_m3_s):
    return q_m3_s / M3_S_PER_L_MIN


def cm2_to_m2(a_cm2: float) -> float:
    return a_cm2 * M2_PER_CM2


def m2_to_cm2(a_m2):
    return a_m2 / M2_PER_CM2


def bpm_to_period_s(hr_bpm: float) -> float:
    return 60.0 / hr_bpm
