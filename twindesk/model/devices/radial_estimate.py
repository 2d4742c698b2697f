"""Engineering estimate of a self-expanding frame's radial force versus diameter.

Used to fill ``radial_force`` (``[diameter_mm, cof_n, rrf_n]``) of a family whose bench curve
is not available, and by the tests that check the shipped table equals this estimate. It is
*not* a bench measurement; the family file labels it ``engineering-estimate``.

Model (closed form, stated so it can be checked by hand)
--------------------------------------------------------
* The frame is idealised as ``rows_of_cells`` identical zig-zag rings, each of
  ``2 * cells_per_row`` straight struts, all held at one diameter ``D`` (a cylindrical
  constraint, as in an iris-type radial-force tester, ASTM F3067).
* Strut geometry comes from the nominal frame: axial projection ``a = H / (2 rows)``,
  circumferential projection ``c0 = pi D0 / (2 N)``; length ``L = hypot(a, c0)``; strut angle
  to the axis ``theta`` with ``sin(theta) = pi D / (2 N L)``.
* Each strut bends as a guided beam (both ends clamped against rotation, S-shape): the chord
  rotation ``dtheta = theta0 - theta`` gives end curvature ``kappa = 6 dtheta / L`` (in-plane
  bending, section ``strut_width_mm`` in the bending plane × ``strut_thickness_mm``).
* Moment-curvature of a rectangular section of an elastic-plateau material (the elastic /
  perfectly-plastic formula with the transformation plateau in place of yield):
  ``M = E I kappa`` below ``kappa_y = 2 sigma / (E w)``, else
  ``M = M_p (1 - (kappa_y / kappa)^2 / 3)`` with ``M_p = sigma w^2 t / 4``.
  Chronic outward force (COF) uses the mean unloading plateau, radial resistive force (RRF)
  the mean loading plateau; ``E`` is the austenite modulus.
* Strut equilibrium: hoop force ``T = 2 M / (L cos(theta))``; total radial force per ring
  ``2 pi T`` (uniform pressure ``p`` on a band of length ``h``: ``F = p pi D h`` and
  ``T = p D h / 2``); the frame's force is the sum over its rings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from twindesk.model.devices.schema import (FrameGeometry, RadialForcePoint,
                                           SuperelasticMaterial)


def _moment_n_mm(kappa_per_mm: float, sigma_mpa: float, e_mpa: float, w_mm: float,
                 t_mm: float) -> float:
    inertia = t_mm * w_mm ** 3 / 12.0
    kappa_y = 2.0 * sigma_mpa / (e_mpa * w_mm)
    if kappa_per_mm <= kappa_y:
        return e_mpa * inertia * kappa_per_mm
    m_p = sigma_mpa * w_mm ** 2 * t_mm / 4.0
    return m_p * (1.0 - (kappa_y / kappa_per_mm) ** 2 / 3.0)


def strut_geometry(frame: FrameGeometry, nominal_diameter_mm: float,
                   frame_height_mm: float) -> tuple[float, float]:
    """Strut length (mm) and nominal angle to the frame axis (rad) of the idealised frame."""
    axial = frame_height_mm / (2.0 * frame.rows_of_cells)
    circ = math.pi * nominal_diameter_mm / (2.0 * frame.cells_per_row)
    return math.hypot(axial, circ), math.atan2(circ, axial)


def surface_strain(frame: FrameGeometry, nominal_diameter_mm: float, frame_height_mm: float,
                   diameter_mm: float) -> float:
    """Peak bending strain at the strut surface when held at ``diameter_mm`` (dimensionless)."""
    length, theta0 = strut_geometry(frame, nominal_diameter_mm, frame_height_mm)
    theta = math.asin(min(1.0, math.pi * diameter_mm / (2.0 * frame.cells_per_row * length)))
    kappa = 6.0 * abs(theta0 - theta) / length
    return kappa * frame.strut_width_mm / 2.0


def estimate_radial_force(frame: FrameGeometry, material: SuperelasticMaterial,
                          nominal_diameter_mm: float, frame_height_mm: float,
                          diameters_mm: Sequence[float]) -> tuple[RadialForcePoint, ...]:
    """COF and RRF (N) of the idealised frame held at each of ``diameters_mm``.

    Parameters
    ----------
    frame
        Generic frame (rows, cells per row, strut width and thickness, mm).
    material
        Superelastic nitinol; the plateau means are used (see module docstring).
    nominal_diameter_mm, frame_height_mm
        Free (shape-set) diameter of the constrained section and frame height, mm.
    diameters_mm
        Constraining diameters, each in ``(0, nominal_diameter_mm]``.

    Returns
    -------
    tuple of RadialForcePoint
        In the order given; zero force at the nominal diameter.
    """
    length, theta0 = strut_geometry(frame, nominal_diameter_mm, frame_height_mm)
    sigma_unload = 0.5 * (material.unloading_start_mpa + material.unloading_end_mpa)
    sigma_load = 0.5 * (material.loading_start_mpa + material.loading_end_mpa)
    out = []
    for d in diameters_mm:
        if not 0.0 < d <= nominal_diameter_mm + 1e-9:
            raise ValueError(f"diameter {d} mm outside (0, {nominal_diameter_mm}] mm")
        theta = math.asin(math.pi * d / (2.0 * frame.cells_per_row * length))
        kappa = 6.0 * (theta0 - theta) / length
        arm = length * math.cos(theta)
        forces = []
        for sigma in (sigma_unload, sigma_load):
            moment = _moment_n_mm(kappa, sigma, material.austenite_modulus_mpa,
                                  frame.strut_width_mm, frame.strut_thickness_mm)
            hoop_n = 2.0 * moment / arm
            forces.append(2.0 * math.pi * hoop_n * frame.rows_of_cells)
        out.append(RadialForcePoint(diameter_mm=float(d), cof_n=forces[0], rrf_n=forces[1]))
    return tuple(out)
