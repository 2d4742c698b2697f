"""Fibre laws: analytic plateau and hardening values, consistent tangents."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.materials import (ElasticPlasticLaw, SuperelasticLaw,
                                              UnloadingBranchLaw)
from twindesk.sim.mechanics.params import Superelastic


def _path(law, strains):
    st = law.initial_state((1,))
    out = []
    for e in strains:
        sig, tan, st = law.update(np.array([e]), st)
        out.append((sig[0], tan[0]))
    return np.array(out)


def test_superelastic_loop_follows_plateaus():
    m = generic.NITINOL
    law = SuperelasticLaw(m)
    up = np.linspace(0, 0.08, 81)
    down = np.linspace(0.08, 0.0, 81)
    res = _path(law, np.concatenate([up, down]))
    # onset of the loading plateau at σ_s^AM / E_A
    eps_s = m.loading_start_mpa / m.austenite_modulus_mpa
    k = int(np.searchsorted(up, eps_s)) + 1
    assert res[k - 2, 0] == pytest.approx(m.austenite_modulus_mpa * up[k - 2])
    # loading plateau: mid-way through the transformation the stress lies on the bound
    sig_up = np.interp(0.03, up, res[:81, 0])
    assert m.loading_start_mpa < sig_up < m.loading_end_mpa
    # fully transformed: martensite elastic line σ = E_M (ε − ε_L)
    assert res[80, 0] == pytest.approx(m.martensite_modulus_mpa * (0.08 - 0.05))
    # unloading plateau below the loading plateau (hysteresis) and full recovery
    sig_down = np.interp(0.03, down[::-1], res[81:, 0][::-1])
    assert m.unloading_end_mpa < sig_down < m.unloading_start_mpa
    assert res[-1, 0] == pytest.approx(0.0, abs=1e-9)


def test_superelastic_tangent_is_consistent():
    law = SuperelasticLaw(generic.NITINOL)
    st = law.initial_state((1,))
    h = 1e-8
    for e in np.concatenate([np.linspace(0, 0.07, 15), np.linspace(0.07, -0.07, 29)]):
        sig, tan, new = law.update(np.array([e]), st)
        sig2, _, _ = law.update(np.array([e + h]), st)
        assert tan[0] == pytest.approx((sig2[0] - sig[0]) / h, rel=1e-4, abs=1.0)
        st = new


def test_elastic_plastic_yield_hardening_and_unloading():
    law = ElasticPlasticLaw(generic.COBALT_CHROMIUM)
    m = generic.COBALT_CHROMIUM
    res = _path(law, [0.001, 0.05, 0.049])
    assert res[0, 0] == pytest.approx(m.youngs_modulus_mpa * 0.001)
    # σ = σ_y + H α with α = ε − σ/E (uniaxial plastic loading)
    e_pl = (0.05 - m.yield_stress_mpa / m.youngs_modulus_mpa) * m.youngs_modulus_mpa / (
        m.youngs_modulus_mpa + m.hardening_modulus_mpa)
    assert res[1, 0] == pytest.approx(m.yield_stress_mpa + m.hardening_modulus_mpa * e_pl)
    assert res[1, 1] == pytest.approx(m.youngs_modulus_mpa * m.hardening_modulus_mpa
                                      / (m.youngs_modulus_mpa + m.hardening_modulus_mpa))
    # elastic unloading with E
    assert res[1, 0] - res[2, 0] == pytest.approx(m.youngs_modulus_mpa * 0.001)


def test_unloading_branch_equals_superelastic_unloading_from_full_martensite():
    law_se, law_u = SuperelasticLaw(generic.NITINOL), UnloadingBranchLaw(generic.NITINOL)
    strains = np.linspace(0.09, 0.0, 46)
    st = law_se.initial_state((1,))
    st = law_se.update(np.array([0.09]), st)[2]
    for e in strains:
        sig, _, st = law_se.update(np.array([e]), st)
        assert law_u.update(np.array([e]), np.zeros((1, 1)))[0][0] == pytest.approx(sig[0])


def test_scaling_multiplies_stresses():
    law = SuperelasticLaw(generic.NITINOL.scaled(0.5))
    ref = SuperelasticLaw(generic.NITINOL)
    e = np.linspace(-0.06, 0.06, 13)
    st = np.zeros((13, 3))
    assert np.allclose(law.update(e, st)[0], 0.5 * ref.update(e, st)[0])


def test_invalid_plateaus_are_rejected():
    with pytest.raises(InputError, match="plateaus"):
        Superelastic(50000, 25000, 0.3, 200, 550, 250, 150, 0.05)
