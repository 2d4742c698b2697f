"""``twindesk verify``: reduced checks that still assert numbers."""

import pytest

from conftest import shared_data


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
def test_fda_nozzle_upstream_stations_inside_measured_band(tmp_path):
    shared_data("fda_nozzle", "re500")
    from twindesk.sim.flow.nozzle_check import check_fda_nozzle

    c = check_fda_nozzle("reduced", 500, tmp_path)
    judged = [s for s in c["details"]["stations"] if s["judged"]]
    assert len(judged) >= 6  # -88 … 0 mm
    for s in judged:
        assert s["measured_min_m_s"] <= s["predicted_m_s"] <= s["measured_max_m_s"], s
    assert c["passed"]
    assert (tmp_path / "fda_nozzle_re500_wall_pressure.png").stat().st_size > 10_000
