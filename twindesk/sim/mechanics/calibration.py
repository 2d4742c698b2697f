"""Fit a frame's material to a bench radial-force curve.

The generic frame patterns of the device library are not the manufacturers' (those are
not public), so the full model is anchored to the published chronic-outward-force (COF)
curve instead: all stresses and moduli of the fibre law are multiplied by one factor α.
In a displacement-controlled bench test (rigid crimping head) the kinematics do not
depend on α and every force scales with it, so α follows from one crimp-and-release run
by least squares on the relative error. The fast model is fitted to the same curve
(:meth:`twindesk.sim.mechanics.fast.FastModel.calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.mechanics.deploy import crimp
from twindesk.sim.mechanics.fast import cof_curve, fit_scale
from twindesk.sim.mechanics.params import Device, SolverOptions


@dataclass(frozen=True)
class MaterialFit:
    scale: float
    diameters_mm: tuple[float, ...]
    target_n: tuple[float, ...]
    model_n: tuple[float, ...]          # calibrated model at the same diameters

    @property
    def max_relative_error(self) -> float:
        t, m = np.array(self.target_n), np.array(self.model_n)
        return float(np.max(np.abs(m - t) / t))


def calibrate_to_cof(device: Device, curve: np.ndarray,
                     options: SolverOptions = SolverOptions(contact_smoothing_mm=0.005),
                     cancel=None) -> tuple[Device, MaterialFit]:
    """Scale the device's material so its full-model COF matches ``curve`` (rows
    diameter mm, COF N; points at or above the free diameter are ignored)."""
    if device.kind == "balloon-expandable":
        raise InputError("radial-force calibration applies to self-expanding frames")
    curve = np.asarray(curve, float)[:, :2]
    curve = curve[curve[:, 1] > 0]
    if len(curve) == 0:
        raise InputError("radial_force: no positive chronic outward force values",
                         hint="give [diameter_mm, cof_n, rrf_n] rows below nominal")
    model = cof_curve(crimp(device, options, cancel=cancel), cancel=cancel)
    order = np.argsort(model[:, 0])
    m = np.interp(curve[:, 0], model[order, 0], model[order, 1])
    ok = m > 0
    if not np.any(ok):
        raise InputError("radial_force: every diameter lies above the frame's free size")
    alpha = fit_scale(m[ok], curve[ok, 1])
    fit = MaterialFit(alpha, tuple(curve[ok, 0]), tuple(curve[ok, 1]), tuple(alpha * m[ok]))
    return device.with_material(device.material.scaled(alpha)), fit
