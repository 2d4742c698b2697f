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
    """Reduced 3D mesh (10.9k tets, equal-area polygonal sections), stations from the inlet
    pipe to the step, driven by the flow the experiments delivered (integrated from the
    measured inlet-pipe profiles).

    Asserted: the inlet-pipe stations z = -88, -64 mm and the step z = 0 lie inside the
    measured min–max band, the throat stations -20 / -8 mm within 3 % below its floor, and
    every judged station within 10 % of the measured mean. Measured on this mesh
    (2026-11-25): -20 / -8 mm read 1.9 % / 1.0 % below the floor, the cone stations -48 / -42
    mm 3.3 % / 6.1 % below it (mesh-converged: 5 rings and half the axial size change them by
    < 1 %; the PIV cone and throat profiles integrate to ~5 % more flow than the inlet-pipe
    profiles the inflow is taken from); those misses are what ``twindesk verify`` reports as
    not passed.
    """
    shared_data("fda_nozzle", "re500")
    from twindesk.sim.flow.nozzle_check import check_fda_nozzle

    c = check_fda_nozzle("reduced", 500, tmp_path)
    assert c["details"]["inlet"]["source"] == "measured"
    judged = {s["z_mm"]: s for s in c["details"]["stations"] if s["judged"]}
    assert set(judged) >= {-88.0, -64.0, -48.0, -20.0, 0.0}
    for z in (-88.0, -64.0, 0.0):
        s = judged[z]
        assert s["measured_min_m_s"] <= s["predicted_m_s"] <= s["measured_max_m_s"], s
    for z in (-20.0, -8.0):
        s = judged[z]
        assert 0.97 * s["measured_min_m_s"] <= s["predicted_m_s"] <= s["measured_max_m_s"], s
    for s in judged.values():
        assert abs(s["predicted_m_s"] / s["measured_mean_m_s"] - 1) < 0.10, s
    assert c["passed"] == all(s["within"] for s in judged.values())
    assert (tmp_path / "fda_nozzle_re500_wall_pressure.png").stat().st_size > 10_000
