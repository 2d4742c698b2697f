"""Uniaxial fibre laws of the beam sections (vectorised return mapping).

Each law maps a fibre's total axial strain and its committed internal state to the stress,
the algorithmic tangent dσ/dε and the trial state. States are plain arrays so the solver can
commit or discard them per load step.

* :class:`ElasticPlasticLaw`: rate-independent J2 plasticity in 1D with linear isotropic
  hardening (Simo & Hughes, *Computational Inelasticity*, 1998, Box 1.4); state columns
  ``(plastic strain, accumulated plastic strain)``.
* :class:`SuperelasticLaw`: 1D superelastic nitinol with linear transformation kinetics
  in stress (the 1D form of Auricchio & Taylor, Comput Methods Appl Mech Eng
  1997;146:281, whose linear kinetic rule yields a martensite fraction proportional to the
  stress excess over the plateau start for a complete transformation). The stress is
  ``σ = E(ξ)(ε − ε_L ξ sign)`` with the modulus mixed linearly between austenite and
  martensite; forward transformation follows ``|σ| = σ_s^AM + (σ_f^AM − σ_s^AM) ξ``, reverse
  transformation ``|σ| = σ_f^MA + (σ_s^MA − σ_f^MA) ξ``; between the two bounds the fibre is
  elastic at fixed ξ. Tension and compression are symmetric. State column: signed ξ.
"""

from __future__ import annotations

import numpy as np

from twindesk.sim.mechanics.params import ElasticPlastic, Material, Superelastic


class ElasticPlasticLaw:
    """Vectorised 1D elastic-plastic law with linear isotropic hardening."""

    n_state = 4       # plastic strain, accumulated plastic strain, last strain, last regime

    def __init__(self, material: ElasticPlastic):
        self.e = float(material.youngs_modulus_mpa)
        self.h = float(material.hardening_modulus_mpa)
        self.sy = float(material.yield_stress_mpa)
        self.shear_modulus_mpa = self.e / (2 * (1 + material.poisson_ratio))

    def initial_state(self, shape) -> np.ndarray:
        return np.zeros(tuple(shape) + (self.n_state,))

    def update(self, eps: np.ndarray, state: np.ndarray):
        eps_p, alpha = state[..., 0], state[..., 1]
        sig = self.e * (eps - eps_p)
        f = np.abs(sig) - (self.sy + self.h * alpha)
        plastic = f > 0
        dgamma = np.where(plastic, f / (self.e + self.h), 0.0)
        sgn = np.sign(sig)
        sig = sig - self.e * dgamma * sgn
        ep_tangent = self.e * self.h / (self.e + self.h)
        tangent = np.where(plastic, ep_tangent, self.e)
        # at an unchanged strain the step direction is unknown: continue the last regime
        # (a plastic fibre keeps yielding under monotonic loading), which makes the first
        # Newton iteration of a load step a good predictor
        same = (np.abs(eps - state[..., 2]) < 1e-14) & (state[..., 3] != 0)
        tangent = np.where(same, ep_tangent, tangent)
        regime = np.where(plastic, 1.0, np.where(same, state[..., 3], 0.0))
        new = np.stack([eps_p + dgamma * sgn, alpha + dgamma, eps, regime], axis=-1)
        return sig, tangent, new


class SuperelasticLaw:
    """Vectorised 1D superelastic law (see module docstring)."""

    n_state = 3       # signed martensite fraction, last strain, last regime (0, ±1)

    def __init__(self, material: Superelastic):
        self.ea = float(material.austenite_modulus_mpa)
        self.de = float(material.martensite_modulus_mpa) - self.ea
        self.el = float(material.transformation_strain)
        self.fwd = (float(material.loading_start_mpa),
                    float(material.loading_end_mpa) - float(material.loading_start_mpa))
        self.rev = (float(material.unloading_end_mpa),
                    float(material.unloading_start_mpa) - float(material.unloading_end_mpa))
        self.shear_modulus_mpa = self.ea / (2 * (1 + material.poisson_ratio))

    def initial_state(self, shape) -> np.ndarray:
        return np.zeros(tuple(shape) + (self.n_state,))

    def _modulus(self, a):
        return self.ea + self.de * a

    def _solve(self, e, c0, c1):
        """Fraction a with E(a)(e − ε_L a) = c0 + c1 a (the root continuous in ΔE → 0)."""
        a2 = -self.de * self.el
        a1 = self.de * e - self.ea * self.el - c1
        a0 = self.ea * e - c0
        disc = np.sqrt(np.maximum(a1 * a1 - 4 * a2 * a0, 0.0))
        return 2 * a0 / (-a1 + disc)

    def _tangent(self, a, e, c1):
        ea = self._modulus(a)
        return c1 * ea / (c1 + ea * self.el - self.de * (e - self.el * a))

    def update(self, eps: np.ndarray, state: np.ndarray):
        eta_n = state[..., 0]
        a = np.abs(eta_n)
        s = np.where(a > 0, np.sign(eta_n), np.sign(eps))
        s = np.where(s == 0, 1.0, s)
        e = s * eps                                   # strain along the martensite direction
        tangent = self._modulus(a)
        # reverse transformation: stress along s below the reverse bound
        sig_dir = self._modulus(a) * (e - self.el * a)
        rev = (a > 0) & (sig_dir < self.rev[0] + self.rev[1] * a)
        a_rev = np.clip(self._solve(e, *self.rev), 0.0, a)
        a = np.where(rev, a_rev, a)
        transforming = rev & (a > 0)
        tangent = np.where(transforming, self._tangent(a, e, self.rev[1]), self._modulus(a))
        # a fibre that went back to austenite may load the other way
        flip = (a == 0)
        s = np.where(flip, np.where(eps >= 0, 1.0, -1.0), s)
        e = s * eps
        # forward transformation: stress along s above the forward bound
        sig_dir = self._modulus(a) * (e - self.el * a)
        fwd = (a < 1) & (sig_dir > self.fwd[0] + self.fwd[1] * a)
        a_fwd = np.clip(self._solve(e, *self.fwd), a, 1.0)
        partial = fwd & (a_fwd < 1)
        a = np.where(fwd, a_fwd, a)
        tangent = np.where(partial, self._tangent(a, e, self.fwd[1]),
                           np.where(fwd, self._modulus(a), tangent))
        sig = s * self._modulus(a) * (e - self.el * a)
        regime = np.where(partial, 1.0, np.where(transforming & ~fwd, -1.0, 0.0))
        # at an unchanged strain continue the last regime's tangent (see ElasticPlasticLaw)
        same = (np.abs(eps - state[..., 1]) < 1e-14) & (state[..., 2] != 0) & (a > 0) & (a < 1)
        a_s, e_s = np.abs(eta_n), np.sign(eta_n) * eps
        cont = np.where(state[..., 2] > 0, self._tangent(a_s, e_s, self.fwd[1]),
                        self._tangent(a_s, e_s, self.rev[1]))
        tangent = np.where(same, cont, tangent)
        regime = np.where(same, state[..., 2], regime)
        return sig, tangent, np.stack([s * a, eps, regime], axis=-1)


def law_for(material: Material):
    """The fibre law object of a material record."""
    if isinstance(material, ElasticPlastic):
        return ElasticPlasticLaw(material)
    return SuperelasticLaw(material)


class UnloadingBranchLaw:
    """Path-independent nitinol law for the fast model: the superelastic unloading branch.

    A deployed self-expanding frame acts on the tissue with its chronic outward force, i.e.
    on the stress-strain branch followed when unloading from the crimped (transformed)
    state. This law is that branch as a nonlinear elastic curve: martensite elastic line,
    reverse plateau (as :class:`SuperelasticLaw`), austenite elastic line; stresses times
    ``scale`` (the fast model's calibration factor).
    """

    n_state = 1

    def __init__(self, material: Superelastic, scale: float = 1.0):
        self._se = SuperelasticLaw(material)
        self.scale = float(scale)
        self.shear_modulus_mpa = self._se.shear_modulus_mpa * self.scale

    def initial_state(self, shape) -> np.ndarray:
        return np.zeros(tuple(shape) + (1,))

    def update(self, eps: np.ndarray, state: np.ndarray):
        se = self._se
        e = np.abs(eps)
        a = np.clip(se._solve(e, *se.rev), 0.0, 1.0)
        mod = se._modulus(a)
        sig = np.sign(eps) * mod * (e - se.el * a)
        plateau = (a > 0) & (a < 1)
        tangent = np.where(plateau, se._tangent(a, e, se.rev[1]), mod)
        return self.scale * sig, self.scale * tangent, state


class LinearElasticLaw:
    """Linear elastic fibres (the fast model of a deployed balloon-expandable frame)."""

    n_state = 1

    def __init__(self, youngs_modulus_mpa: float, poisson_ratio: float):
        self.e = float(youngs_modulus_mpa)
        self.shear_modulus_mpa = self.e / (2 * (1 + poisson_ratio))

    def initial_state(self, shape) -> np.ndarray:
        return np.zeros(tuple(shape) + (1,))

    def update(self, eps, state):
        return self.e * eps, np.full_like(eps, self.e), state
