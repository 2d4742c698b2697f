"""Per-outlet three-element Windkessels for the 3D flow model.

Rule (documented, not fitted): outlet ``i`` receives the flow fraction

    f_i = A_i^(k/2) / Σ_j A_j^(k/2)

from its cross-section ``A_i`` with Murray's exponent ``k = 3`` on the diameter (flow ∝ d³;
Murray CD, Proc Natl Acad Sci USA 1926;12:207–214). Then ``R_i = R_total / f_i`` and
``C_i = f_i·C_total``, and each ``R_i`` is split with the same proximal fraction as the total.
Every outlet then has the same time constant and proximal fraction, so the outlets in
parallel have exactly the input impedance of the total RCR (checked in the tests): the 0D
model with lumped arteries and the 3D model with these outlets see the same load.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.lumped.params import Windkessel

#: Murray's exponent on the diameter.
MURRAY_EXPONENT = 3.0


def flow_fractions(outlet_areas_m2: Sequence[float], exponent: float = MURRAY_EXPONENT
                   ) -> np.ndarray:
    """Flow fraction of each outlet from its area (sums to 1)."""
    areas = np.asarray(outlet_areas_m2, float)
    if areas.ndim != 1 or areas.size == 0 or not np.all(np.isfinite(areas)) or np.any(areas <= 0):
        raise InputError(f"outlet areas must be positive numbers, got {list(areas)!r}",
                         "check the outlet regions of the flow mesh")
    weights = areas ** (exponent / 2.0)
    return weights / weights.sum()


def outlet_rcr(total: Windkessel, outlet_areas_m2: Sequence[float],
               exponent: float = MURRAY_EXPONENT) -> list[Windkessel]:
    """Per-outlet RCR (SI units) from the calibrated total Windkessel and the outlet areas.

    Parameters
    ----------
    total
        The calibrated systemic Windkessel (``rp_pa_s_per_m3``, ``c_m3_per_pa``,
        ``rd_pa_s_per_m3``, ``pd_pa``), e.g. from :func:`calibrated_windkessel`.
    outlet_areas_m2
        Cross-section of each outlet (m²), in the order of the mesh's outlet regions.
    exponent
        Diameter exponent of the flow split (Murray: 3).

    Returns
    -------
    list of Windkessel
        One per outlet, same order, with the total's distal pressure ``pd_pa``.
    """
    r_total = total.total_resistance_pa_s_per_m3
    rp_fraction = total.rp_pa_s_per_m3 / r_total
    out = []
    for f in flow_fractions(outlet_areas_m2, exponent):
        r_i = r_total / f
        out.append(Windkessel(rp_pa_s_per_m3=rp_fraction * r_i, c_m3_per_pa=f * total.c_m3_per_pa,
                              rd_pa_s_per_m3=(1.0 - rp_fraction) * r_i, pd_pa=total.pd_pa))
    return out


def outlet_rcr_table(total: Windkessel, outlet_areas_m2: Sequence[float],
                     names: Sequence[str] | None = None,
                     exponent: float = MURRAY_EXPONENT) -> list[dict[str, float | str]]:
    """:func:`outlet_rcr` as JSON-ready records (SI names, plus the flow fraction)."""
    fractions = flow_fractions(outlet_areas_m2, exponent)
    names = list(names) if names is not None else [f"outlet_{i + 1}" for i in range(len(fractions))]
    return [{"name": n, "area_m2": float(a), "flow_fraction": float(f),
             "rp_pa_s_per_m3": wk.rp_pa_s_per_m3, "c_m3_per_pa": wk.c_m3_per_pa,
             "rd_pa_s_per_m3": wk.rd_pa_s_per_m3, "pd_pa": wk.pd_pa}
            for n, a, f, wk in zip(names, outlet_areas_m2, fractions,
                                   outlet_rcr(total, outlet_areas_m2, exponent), strict=True)]
