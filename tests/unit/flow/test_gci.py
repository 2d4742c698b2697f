"""Observed order and grid convergence index (Celik et al. 2008) on manufactured data."""

import pytest

from twindesk.sim.flow.verify import observed_order


@pytest.mark.parametrize("h", [[1.0, 1.5, 2.25], [1.0, 1.5, 2.0]])
def test_second_order_data_give_p2(h):
    f = [3.0 + 0.2 * hi**2 for hi in h]
    out = observed_order(f, h)
    assert out["observed_order"] == pytest.approx(2.0, abs=1e-6)
    assert out["extrapolated"] == pytest.approx(3.0, abs=1e-9)
    assert out["monotone"]
    # GCI_fine = 1.25 |f2 - f1| / f1 / (r^p - 1)
    r = h[1] / h[0]
    assert out["gci_fine"] == pytest.approx(1.25 * abs(f[1] - f[0]) / f[0] / (r**2 - 1))


def test_oscillating_data_are_not_monotone():
    assert not observed_order([1.0, 1.1, 1.05], [1, 1.5, 2.25])["monotone"]
