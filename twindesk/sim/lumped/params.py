"""Parameters of the lumped (0D) circulation: frozen dataclasses in SI units.

The model (see :mod:`twindesk.sim.lumped.model`) has four parts, each with its own record:

* :class:`Heart` — left ventricle as a time-varying elastance, mitral inflow resistance.
* :class:`AorticValve` — an orifice of effective area ``eoa_m2`` with a Bernoulli loss,
  optionally corrected for pressure recovery in an aorta of area ``aorta_area_m2``.
* :class:`Windkessel` — the systemic arteries as a three-element Windkessel (RCR).
* :class:`Venous` — one venous/atrial compartment that closes the loop.

:class:`Circulation` bundles them with the stressed blood volume. Case files and the CLI use
clinical units; :func:`to_clinical` / :func:`from_clinical` convert with the unit in every
key name (``lv_emax_mmhg_per_ml``, ``c_ml_per_mmhg`` ...).

Population defaults (:func:`default_circulation`) describe an adult at rest; they are used
for whatever a patient's data cannot identify, and every output says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from twindesk.errors import InputError
from twindesk.sim.lumped import units as u

BLOOD_DENSITY_KG_PER_M3 = 1060.0


@dataclass(frozen=True)
class Windkessel:
    """Three-element Windkessel: proximal resistance, compliance, distal resistance.

    ``pd_pa`` is the distal (venous) pressure the distal resistance drains into; in the
    closed loop the venous compartment pressure replaces it.
    """

    rp_pa_s_per_m3: float
    c_m3_per_pa: float
    rd_pa_s_per_m3: float
    pd_pa: float = 0.0

    @property
    def total_resistance_pa_s_per_m3(self) -> float:
        return self.rp_pa_s_per_m3 + self.rd_pa_s_per_m3

    @property
    def time_constant_s(self) -> float:
        """Diastolic decay time constant ``Rd·C`` (s)."""
        return self.rd_pa_s_per_m3 * self.c_m3_per_pa


@dataclass(frozen=True)
class Heart:
    """Left ventricle as a time-varying elastance ``P = E(t)·(V − V0)``.

    ``E(t) = Emin + (Emax − Emin)·a(t)`` with the normalised two-Hill activation ``a(t)``
    (:func:`twindesk.sim.lumped.model.activation`).
    """

    heart_period_s: float
    emax_pa_per_m3: float
    emin_pa_per_m3: float
    v0_m3: float
    mitral_resistance_pa_s_per_m3: float

    @property
    def heart_rate_bpm(self) -> float:
        return 60.0 / self.heart_period_s


@dataclass(frozen=True)
class AorticValve:
    """Aortic valve as an orifice: the loss is ``ΔP = ρ/(2·A²)·Q·|Q|``.

    ``A`` is the effective orifice area ``eoa_m2`` (vena contracta, what Doppler echo
    measures) or, with ``pressure_recovery``, the energy-loss coefficient
    ``EOA·Aa/(Aa − EOA)`` of Garcia et al. (Circulation 2000;101:765–771) with ``Aa`` the
    aortic cross-section ``aorta_area_m2`` downstream of the valve.
    """

    eoa_m2: float
    aorta_area_m2: float
    pressure_recovery: bool = True
    blood_density_kg_per_m3: float = BLOOD_DENSITY_KG_PER_M3

    @property
    def loss_area_m2(self) -> float:
        """The area in the loss coefficient: EOA, or Garcia's energy-loss coefficient."""
        if not self.pressure_recovery:
            return self.eoa_m2
        return self.eoa_m2 * self.aorta_area_m2 / (self.aorta_area_m2 - self.eoa_m2)

    @property
    def loss_coefficient_pa_s2_per_m6(self) -> float:
        """``B`` in ``ΔP = B·Q|Q|`` (Pa·s²/m⁶)."""
        return self.blood_density_kg_per_m3 / (2.0 * self.loss_area_m2 ** 2)


@dataclass(frozen=True)
class Venous:
    """The venous/atrial compartment that feeds the mitral valve: ``P = V_stressed / C``."""

    compliance_m3_per_pa: float


@dataclass(frozen=True)
class Circulation:
    """All parameters of the closed loop.

    ``stressed_volume_m3`` is the blood volume above the unstressed volumes of the vessels
    (``V_lv + C_art·P_c + C_ven·P_v``); it sets the filling (preload) of the ventricle.
    """

    heart: Heart
    valve: AorticValve
    arteries: Windkessel
    venous: Venous
    stressed_volume_m3: float
    notes: tuple[str, ...] = field(default=(), compare=False)

    def with_(self, **changes: Any) -> Circulation:
        """A copy with clinical-unit changes, e.g. ``with_(aortic_eoa_cm2=0.8)``."""
        d = to_clinical(self)
        unknown = sorted(set(changes) - set(d))
        if unknown:
            raise InputError(f"unknown physiology parameter(s): {', '.join(unknown)}",
                             f"use one of: {', '.join(sorted(d))}")
        d.update(changes)
        return from_clinical(d)


# (clinical key, unit factor to SI) for every scalar; the heart rate converts by 60/x.
_FIELDS: dict[str, tuple[str, str, float]] = {
    "lv_emax_mmhg_per_ml": ("heart", "emax_pa_per_m3", u.PA_PER_M3_PER_MMHG_PER_ML),
    "lv_emin_mmhg_per_ml": ("heart", "emin_pa_per_m3", u.PA_PER_M3_PER_MMHG_PER_ML),
    "lv_v0_ml": ("heart", "v0_m3", u.M3_PER_ML),
    "mitral_resistance_mmhg_s_per_ml": ("heart", "mitral_resistance_pa_s_per_m3",
                                        u.PA_S_PER_M3_PER_MMHG_S_PER_ML),
    "aortic_eoa_cm2": ("valve", "eoa_m2", u.M2_PER_CM2),
    "aorta_area_cm2": ("valve", "aorta_area_m2", u.M2_PER_CM2),
    "blood_density_kg_per_m3": ("valve", "blood_density_kg_per_m3", 1.0),
    "rp_mmhg_s_per_ml": ("arteries", "rp_pa_s_per_m3", u.PA_S_PER_M3_PER_MMHG_S_PER_ML),
    "c_ml_per_mmhg": ("arteries", "c_m3_per_pa", u.M3_PER_PA_PER_ML_PER_MMHG),
    "rd_mmhg_s_per_ml": ("arteries", "rd_pa_s_per_m3", u.PA_S_PER_M3_PER_MMHG_S_PER_ML),
    "venous_compliance_ml_per_mmhg": ("venous", "compliance_m3_per_pa",
                                      u.M3_PER_PA_PER_ML_PER_MMHG),
    "stressed_volume_ml": ("", "stressed_volume_m3", u.M3_PER_ML),
}
#: Plausible ranges (clinical units) that catch typing errors and unit mix-ups.
_RANGES: dict[str, tuple[float, float]] = {
    "heart_rate_bpm": (20.0, 220.0),
    "lv_emax_mmhg_per_ml": (0.1, 20.0),
    "lv_emin_mmhg_per_ml": (0.005, 2.0),
    "lv_v0_ml": (-100.0, 300.0),
    "mitral_resistance_mmhg_s_per_ml": (1e-4, 1.0),
    "aortic_eoa_cm2": (0.1, 8.0),
    "aorta_area_cm2": (0.5, 40.0),
    "blood_density_kg_per_m3": (900.0, 1200.0),
    "rp_mmhg_s_per_ml": (1e-4, 5.0),
    "c_ml_per_mmhg": (0.05, 20.0),
    "rd_mmhg_s_per_ml": (0.05, 20.0),
    "venous_compliance_ml_per_mmhg": (1.0, 1000.0),
    "stressed_volume_ml": (50.0, 5000.0),
}


def to_clinical(c: Circulation) -> dict[str, Any]:
    """Clinical-unit dict of all parameters (what a case stores under ``parameters``)."""
    parts = {"heart": c.heart, "valve": c.valve, "arteries": c.arteries, "venous": c.venous,
             "": c}
    d: dict[str, Any] = {"heart_rate_bpm": c.heart.heart_rate_bpm}
    for key, (part, name, factor) in _FIELDS.items():
        d[key] = getattr(parts[part], name) / factor
    d["pressure_recovery"] = c.valve.pressure_recovery
    return d


def from_clinical(d: dict[str, Any], where: str = "physiology parameters") -> Circulation:
    """Build a :class:`Circulation` from a clinical-unit dict; missing keys take defaults.

    Raises :class:`~twindesk.errors.InputError` naming the field for a non-number or an
    implausible value.
    """
    base = DEFAULTS_CLINICAL
    unknown = sorted(set(d) - set(base))
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}",
                         f"use only: {', '.join(sorted(base))}")
    merged = {**base, **d}
    for key, (lo, hi) in _RANGES.items():
        value = merged[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise InputError(f"{where}: '{key}' must be a number, got {value!r}")
        if not lo <= value <= hi:
            raise InputError(f"{where}: '{key}' = {value:g} is outside the plausible range "
                             f"{lo:g}–{hi:g}", "check the value and its unit (the key names it)")
    if merged["aortic_eoa_cm2"] >= merged["aorta_area_cm2"]:
        raise InputError(f"{where}: aortic_eoa_cm2 ({merged['aortic_eoa_cm2']:g}) must be "
                         f"smaller than aorta_area_cm2 ({merged['aorta_area_cm2']:g})",
                         "the orifice cannot be wider than the aorta downstream of it")
    si: dict[str, dict[str, float]] = {"heart": {}, "valve": {}, "arteries": {}, "venous": {},
                                       "": {}}
    for key, (part, name, factor) in _FIELDS.items():
        si[part][name] = float(merged[key]) * factor
    si["heart"]["heart_period_s"] = u.bpm_to_period_s(float(merged["heart_rate_bpm"]))
    si["valve"]["pressure_recovery"] = bool(merged["pressure_recovery"])
    return Circulation(heart=Heart(**si["heart"]), valve=AorticValve(**si["valve"]),
                       arteries=Windkessel(**si["arteries"]),
                       venous=Venous(**si["venous"]), **si[""])

#: Population values for an adult at rest (clinical units). Sources: LV elastances and V0
#: in the range reported by Suga & Sagawa (Circ Res 1974;35:117–126) and Stergiopulos et al.
#: (Am J Physiol 1996;270:H2050–H2059); total systemic resistance ≈ 1 mmHg·s/ml and
#: total arterial compliance ≈ 1.3 ml/mmHg (older adults) with the proximal resistance 6 %
#: of the total (Westerhof et al., Med Biol Eng Comput 2009;47:131–141); normal native EOA
#: 3 cm²; aorta (sinotubular junction) 6 cm². The stressed volume is set so that these give a
#: cardiac output near 5 L/min.
DEFAULTS_CLINICAL: dict[str, Any] = {
    "heart_rate_bpm": 70.0,
    "lv_emax_mmhg_per_ml": 2.3,
    "lv_emin_mmhg_per_ml": 0.08,
    "lv_v0_ml": 10.0,
    "mitral_resistance_mmhg_s_per_ml": 0.005,
    "aortic_eoa_cm2": 3.0,
    "aorta_area_cm2": 6.0,
    "blood_density_kg_per_m3": BLOOD_DENSITY_KG_PER_M3,
    "pressure_recovery": True,
    "rp_mmhg_s_per_ml": 0.06,
    "c_ml_per_mmhg": 1.3,
    "rd_mmhg_s_per_ml": 0.94,
    "venous_compliance_ml_per_mmhg": 40.0,
    "stressed_volume_ml": 600.0,
}


def default_circulation() -> Circulation:
    """The population-default :class:`Circulation` (see :data:`DEFAULTS_CLINICAL`)."""
    return from_clinical(DEFAULTS_CLINICAL, "population defaults")


def as_dict(obj: Any) -> dict[str, Any]:
    """Plain dict of any parameter record (SI names)."""
    return asdict(obj)


__all__ = ["AorticValve", "Circulation", "Heart", "Venous", "Windkessel", "as_dict",
           "default_circulation", "from_clinical", "replace", "to_clinical"]
