"""``twindesk verify``: reduced checks that still assert numbers."""

import pytest

from tests.conftest import shared_data


def test_poiseuille_within_one_percent(run_cli, tmp_path):
    r = run_cli("verify", "--check", "poiseuille", "--size", "reduced", "--out", tmp_path,
                "--json", "--in-process")
    assert r.code == 0, r.err
    c = r.json["checks"][0]
    assert c["passed"] and c["tolerance"] == 0.01
    assert c["details"]["pressure_drop_error"] < 0.01
    assert c["details"]["wss_error"] < 0.01
    assert (tmp_path / "verify.json").is_file()
    assert r.json["software"]["scikit-fem"]


@pytest.mark.slow
def test_mesh_convergence_observed_order():
    from twindesk.sim.flow.verify import check_mesh_convergence

    c = check_mesh_convergence("reduced")
    d = c["details"]
    assert d["monotone"]
    assert 1.0 < d["observed_order"] < 4.0
    assert c["passed"], d


@pytest.mark.slow
@pytest.mark.realdata
def test_fda_nozzle_reduced_upstream_of_the_step(tmp_path):
    """Reduced 3D mesh (10.9k tets), stations from the inlet pipe to the step.

    Asserted: the cone and throat stations z = -48, -20 mm lie inside the measured min–max
    band; every judged station is within 10 % of the measured mean. (The coarse mesh
    over-predicts the throat exit by ~5 %; the developed laminar inlet profile sits at or
    just above the band's top at -88 mm and ~6 % above it at -64 mm, on the 53k-tet mesh of
    ``twindesk verify`` too.)
    """
    shared_data("fda_nozzle", "re500")
    from twindesk.sim.flow.nozzle_check import check_fda_nozzle

    c = check_fda_nozzle("reduced", 500, tmp_path)
    judged = {s["z_mm"]: s for s in c["details"]["stations"] if s["judged"]}
    assert set(judged) >= {-88.0, -64.0, -48.0, -20.0, 0.0}
    for z in (-48.0, -20.0):
        s = judged[z]
        assert s["measured_min_m_s"] <= s["predicted_m_s"] <= s["measured_max_m_s"], s
    for s in judged.values():
        assert abs(s["predicted_m_s"] / s["measured_mean_m_s"] - 1) < 0.10, s
    assert c["passed"] == all(s["within"] for s in judged.values())
    assert (tmp_path / "fda_nozzle_re500_wall_pressure.png").stat().st_size > 10_000
