"""Generic devices for verification, benchmarks and the demo (not real products).

The frame patterns are documented generic diamond lattices (the manufacturers' patterns
are not public); materials carry values typical of the medical alloys:

* nitinol — austenite 50 GPa, martensite 25 GPa, loading plateau 450–550 MPa, unloading
  plateau 250–150 MPa, transformation strain 5 %: the ranges of superelastic stent
  tubing reported in stent modelling studies (e.g. Auricchio & Taylor, CMAME
  1997;146:281; Petrini & Migliavacca, J Metall 2011;501483);
* cobalt–chromium — E 233 GPa, ν 0.35, yield 414 MPa, plastic hardening modulus 1.5 GPa,
  of the order used for L605/MP35N stents in finite-element studies.

``REFERENCE_COF`` is a stand-in bench curve until the device library supplies cited
values: the saturating chronic-outward-force shape of superelastic frames (force rises
from zero at the free diameter and levels off on the unloading plateau, Duerig et al.,
Min Invas Ther Allied Technol 2000;9:235) with a 12 N plateau reached over 1.5 mm,
COF(D) = 12 N · (1 − exp(−(26 − D)/1.5 mm)), for the 26 mm cylindrical frame.
"""

from __future__ import annotations

import numpy as np

from twindesk.sim.mechanics.params import (Device, ElasticPlastic, FrameSize, FrameSpec,
                                           OccluderSize, Superelastic)

NITINOL = Superelastic(austenite_modulus_mpa=50000.0, martensite_modulus_mpa=25000.0,
                       poisson_ratio=0.3, loading_start_mpa=450.0, loading_end_mpa=550.0,
                       unloading_start_mpa=250.0, unloading_end_mpa=150.0,
                       transformation_strain=0.05)
COBALT_CHROMIUM = ElasticPlastic(youngs_modulus_mpa=233000.0, poisson_ratio=0.35,
                                 yield_stress_mpa=414.0, hardening_modulus_mpa=1500.0)

SE_FRAME = FrameSpec(rows_of_cells=5, cells_per_row=15, strut_width_mm=0.25,
                     strut_thickness_mm=0.45, crimped_diameter_mm=6.0)
BE_FRAME = FrameSpec(rows_of_cells=4, cells_per_row=12, strut_width_mm=0.25,
                     strut_thickness_mm=0.45, crimped_diameter_mm=7.0)
LAAO_FRAME = FrameSpec(rows_of_cells=3, cells_per_row=10, strut_width_mm=0.2,
                       strut_thickness_mm=0.25, crimped_diameter_mm=4.5)


def reference_cof(diameters_mm) -> np.ndarray:
    """The stand-in bench COF curve (rows diameter mm, force N) of ``se_cylinder()``."""
    d = np.asarray(diameters_mm, float)
    return np.column_stack([d, 12.0 * (1 - np.exp(-(26.0 - d) / 1.5))])


def se_cylinder(size_mm: float = 26.0, height_mm: float = 30.0) -> Device:
    """Self-expanding frame without flare (bench tests)."""
    return Device("self-expanding", SE_FRAME,
                  FrameSize(size_mm, size_mm, height_mm), NITINOL)


def se_flared(size_mm: float = 26.0) -> Device:
    """Self-expanding frame with an inflow/waist/outflow profile (Evolut-like shape)."""
    scale = size_mm / 26.0
    return Device("self-expanding", SE_FRAME,
                  FrameSize(size_mm, size_mm, 45.0 * min(1.0, scale ** 0.3),
                            size_mm, 23.0 * scale, 32.0 * scale), NITINOL)


def be_frame(size_mm: float = 26.0) -> Device:
    """Balloon-expandable cylinder (SAPIEN-like proportions)."""
    return Device("balloon-expandable", BE_FRAME,
                  FrameSize(size_mm, size_mm, 18.0 * size_mm / 26.0), COBALT_CHROMIUM)


def occluder(diameter_mm: float = 27.0, depth_mm: float = 20.0) -> Device:
    return Device("laao", LAAO_FRAME, OccluderSize(diameter_mm, depth_mm), NITINOL)
