"""Weak-form terms of steady incompressible Navier–Stokes, one small scikit-fem form each.

All forms are *scalar*: with the Laplace form of the viscous term and a Picard (Oseen)
linearisation, the momentum block is ``diag(K, K, K)`` with one scalar P2 matrix ``K`` for
all three velocity components, so only one scalar matrix is assembled and one AMG hierarchy
serves every component (see :mod:`twindesk.sim.flow.linear`). SI units throughout: metres,
m/s, Pa, kg/m³, Pa·s.

The weak form (test functions v, q; advecting velocity w from the previous iterate)::

    ∫ μ ∇u:∇v + ρ (w·∇u)·v + τ ρ (w·∇u)(w·∇v) − p ∇·v − q ∇·u
      + Σ_outlets [ P_i ∫ v·n + (β ρ / 2) ∫ |min(w·n, 0)| u·v ] = 0

The Laplace form μ∇u:∇v equals the symmetric-gradient form for divergence-free fields with
constant μ and has the "do-nothing" natural condition μ ∂u/∂n − p n = −P n, which a fully
developed (Poiseuille) profile satisfies exactly. The streamline-diffusion term (Brooks &
Hughes, Comput Methods Appl Mech Eng 1982;32:199–259) with the element parameter of
Tezduyar (Adv Appl Mech 1992;28:1–44) is the convective part of SUPG; it vanishes wherever
w·∇u = 0, e.g. for developed pipe flow. The outlet backflow term is the velocity-penalty
stabilisation of Moghadam et al. (Comput Mech 2011;48:277–291), β = 1 by default.
"""

from __future__ import annotations

import numpy as np
from skfem import BilinearForm, LinearForm
from skfem.helpers import dot, grad


def _wdotgrad(w, g):
    """(w·∇) applied to a scalar field's gradient ``g``; ``w`` holds the three components."""
    return w["w0"] * g[0] + w["w1"] * g[1] + w["w2"] * g[2]


@BilinearForm
def viscous(u, v, w):
    """μ ∇u·∇v (per velocity component; ``w["mu"]`` in Pa·s)."""
    return w["mu"] * dot(grad(u), grad(v))


@BilinearForm
def convection(u, v, w):
    """ρ (w·∇u) v, the Oseen term of one velocity component."""
    return w["rho"] * _wdotgrad(w, grad(u)) * v


def element_tau(w):
    """Streamline-diffusion parameter τ (s) at quadrature points: Tezduyar's
    ``τ = ((2|w|/h)² + 9 (4ν/h²)²)^(-1/2)`` with h the element size (m)."""
    speed2 = w["w0"] ** 2 + w["w1"] ** 2 + w["w2"] ** 2
    h = w["h"]
    nu = w["mu"] / w["rho"]
    return 1.0 / np.sqrt(4.0 * speed2 / h**2 + 9.0 * (4.0 * nu / h**2) ** 2)


@BilinearForm
def streamline_diffusion(u, v, w):
    """τ ρ (w·∇u)(w·∇v), scaled by ``w["sd"]`` (0 switches it off)."""
    return w["sd"] * element_tau(w) * w["rho"] * _wdotgrad(w, grad(u)) * _wdotgrad(w, grad(v))


@BilinearForm
def divergence_component(u, q, w):
    """−q ∂u/∂x_k for component ``k = w["k"]`` (trial P2 velocity, test P1 pressure)."""
    return -q * grad(u)[w["k"]]


@BilinearForm
def mass(u, v, w):
    """∫ u v (a mass matrix: BDF time derivative, pressure mass)."""
    return u * v


@BilinearForm
def laplace(u, v, w):
    """∫ ∇u·∇v (inlet-profile Poisson problem)."""
    return dot(grad(u), grad(v))


@BilinearForm
def backflow(u, v, w):
    """(β ρ / 2) |min(w·n, 0)| u v on an outlet facet set."""
    wn = w["w0"] * w.n[0] + w["w1"] * w.n[1] + w["w2"] * w.n[2]
    return 0.5 * w["beta"] * w["rho"] * np.abs(np.minimum(wn, 0.0)) * u * v


@LinearForm
def normal_component(v, w):
    """∫ n_k v ds for ``k = w["k"]``: one column block of the outlet-flux functional."""
    return w.n[w["k"]] * v


@LinearForm
def unit_load(v, w):
    """∫ v (right-hand side of the inlet-profile Poisson problem)."""
    return 1.0 * v


@BilinearForm
def oseen(u, v, w):
    """The scalar momentum operator of one Picard step: viscous + convection + streamline
    diffusion (the three terms above, summed so that one assembly pass builds ``K``)."""
    return viscous.form(u, v, w) + convection.form(u, v, w) + streamline_diffusion.form(u, v, w)


@BilinearForm
def newton_coupling(u, v, w):
    """ρ (∂w_k/∂x_j) u v: block (k, j) of the Newton term ρ (u·∇)w, with ``w["g"]`` the
    gradient component ∂w_k/∂x_j at the quadrature points."""
    return w["rho"] * w["g"] * u * v


@BilinearForm
def backflow_newton(u, v, w):
    """Block (k, j) of the derivative of :data:`backflow` with respect to the advecting
    velocity: −(β ρ / 2) [w·n < 0] n_j w_k u v (``k = w["k"]``, ``j = w["j"]``)."""
    wn = w["w0"] * w.n[0] + w["w1"] * w.n[1] + w["w2"] * w.n[2]
    wk = (w["w0"], w["w1"], w["w2"])[w["k"]]
    return -0.5 * w["beta"] * w["rho"] * (wn < 0) * w.n[w["j"]] * wk * u * v
