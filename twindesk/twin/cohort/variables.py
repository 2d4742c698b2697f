"""What a cohort may vary, and reproducible Latin-hypercube sampling of it.

Three kinds of variable (``--vary NAME=LOW..HIGH``):

* ``geometry``: ``annulus_scale`` — an isotropic scale of the twin's anatomy about the
  annulus centre (measurements, surfaces, meshes, centerlines, landmarks; the aorta area of
  the 0D model scales by its square);
* ``target``: a clinical measurement the twin's 0D model is fitted to (``co_l_min``,
  ``sbp_mmhg``, ``dbp_mmhg``, ``hr_bpm``, ``mean_gradient_mmhg``); ``co_l_min`` alone becomes
  the baseline scenario's cardiac-output target, the others the twin's vitals for a
  ``calibrate`` step;
* ``parameter``: a 0D model parameter in clinical units (``c_ml_per_mmhg``,
  ``aortic_eoa_cm2``, ``lv_emax_mmhg_per_ml`` …, see
  :data:`twindesk.sim.lumped.params.DEFAULTS_CLINICAL`), set directly.

Sampling is a Latin hypercube (McKay, Beckman & Conover, Technometrics 1979;21:239–245):
each variable's range is cut into ``n`` equal strata and every stratum is used once, so a
small cohort still covers each range evenly. The same seed gives the same cohort.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError

GEOMETRY = ("annulus_scale",)
TARGETS = ("co_l_min", "sbp_mmhg", "dbp_mmhg", "hr_bpm", "mean_gradient_mmhg")
GEOMETRY_RANGE = (0.5, 2.0)
_VARY = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*=\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\s*$")


def parameter_names() -> tuple[str, ...]:
    """0D parameters a cohort may set (numeric clinical keys of the circulation)."""
    from twindesk.sim.lumped.params import DEFAULTS_CLINICAL

    return tuple(k for k, v in DEFAULTS_CLINICAL.items()
                 if isinstance(v, float) and k != "blood_density_kg_per_m3")


def kind_of(name: str) -> str:
    if name in GEOMETRY:
        return "geometry"
    if name in TARGETS:
        return "target"
    if name in parameter_names():
        return "parameter"
    raise InputError(f"--vary: unknown variable '{name}'",
                     f"use one of: {', '.join((*GEOMETRY, *TARGETS, *parameter_names()))}")


@dataclass(frozen=True)
class Vary:
    """One varied quantity: uniform between ``low`` and ``high`` (its own unit)."""

    name: str
    low: float
    high: float

    @property
    def kind(self) -> str:
        return kind_of(self.name)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "low": self.low, "high": self.high}


def parse_vary(text: str) -> Vary:
    """``"annulus_scale=0.9..1.1"`` → :class:`Vary` (InputError naming the flag otherwise)."""
    m = _VARY.match(text)
    if m is None:
        raise InputError(f"--vary '{text}': expected NAME=LOW..HIGH",
                         "e.g. --vary annulus_scale=0.9..1.1 --vary co_l_min=4..6")
    name = m.group(1)
    try:
        low, high = float(m.group(2)), float(m.group(3))
    except ValueError:
        raise InputError(f"--vary '{text}': LOW and HIGH must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise InputError(f"--vary '{text}': need finite LOW ≤ HIGH")
    kind = kind_of(name)
    if kind == "geometry" and not (GEOMETRY_RANGE[0] <= low and high <= GEOMETRY_RANGE[1]):
        raise InputError(f"--vary '{text}': a scale must stay within "
                         f"{GEOMETRY_RANGE[0]}..{GEOMETRY_RANGE[1]}")
    return Vary(name, low, high)


def check_distinct(varies: list[Vary]) -> None:
    names = [v.name for v in varies]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"--vary given twice for {', '.join(dup)}", "give each variable once")


def latin_hypercube(varies: list[Vary], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` samples, one dict ``{name: value}`` per twin (reproducible from ``seed``)."""
    if n < 1:
        raise InputError(f"--n {n}: a cohort needs at least one twin")
    check_distinct(varies)
    if not varies:
        return [{} for _ in range(n)]
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(varies), rng=np.random.default_rng(seed)).random(n)
    lows = np.array([v.low for v in varies])
    highs = np.array([v.high for v in varies])
    values = lows + unit * (highs - lows)
    return [{v.name: float(row[i]) for i, v in enumerate(varies)} for row in values]
