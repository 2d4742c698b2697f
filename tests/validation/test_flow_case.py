"""``twindesk flow`` on a synthetic aorta case built to the flow-mesh contract."""

import numpy as np
import pytest

from twindesk.geometry.tube_mesh import ArchParams
from twindesk.sim.flow.synthetic import make_synthetic_aorta_case

MU = 0.0035


@pytest.fixture(scope="module")
def arch_case(tmp_path_factory):
    path = tmp_path_factory.mktemp("flow") / "arch.twin"
    make_synthetic_aorta_case(path, ArchParams(n_core=3), {"cardiac_output_l_min": 0.5})
    return path


@pytest.mark.slow
def test_flow_command_conserves_mass_and_follows_resistances(arch_case, run_cli):
    r = run_cli("flow", arch_case, "--json", "--in-process")
    assert r.code == 0, r.err
    d = r.json
    q_in = d["inflow_l_min"]
    assert q_in == pytest.approx(0.5)
    outs = d["outlets"]
    # Mass: the outlet flows add up to the inflow (P1 pressure test functions contain 1).
    assert sum(o["flow_l_min"] for o in outs) == pytest.approx(q_in, rel=1e-4)
    # Outlet resistances dwarf the 3D resistance, so the split follows 1/R (Murray defaults).
    g = np.array([1 / o["resistance_pa_s_per_m3"] for o in outs])
    expected = 100 * g / g.sum()
    got = np.array([o["flow_split_percent"] for o in outs])
    assert np.abs(got - expected).max() < 0.5
    # Orders of magnitude from Hagen–Poiseuille in a 12.5 mm tube of the same length.
    q = q_in * 1e-3 / 60 * got[0] / 100
    L, R = 0.05 + np.pi * 0.03 + 0.07, 0.0125
    dp_pois = 8 * MU * L * q / (np.pi * R**4) / 133.322
    assert dp_pois < d["pressure_drop_aorta_mmhg"] < 10 * dp_pois
    tau = 4 * MU * q / (np.pi * R**3)
    assert 0.5 * tau < d["wall_shear_stress"]["mean_pa"] < 3 * tau
    assert d["solver"]["converged"] and d["solver"]["residuals"][-1] < 1e-5
    assert d["assumptions"] and d["boundary_source"] == "physiology+default"
    assert d["mesh"]["tetrahedra"] == 7290
    assert {"numpy", "scipy", "scikit-fem", "pyamg"} <= set(d["software"])

    import pyvista as pv

    from twindesk.model.case import Case

    with Case.open(arch_case, write=False) as case:
        grid = pv.read(str(case.artifact_path("result:flow:baseline:mean")))
        summary = case.read_json("result:flow:baseline:mean:summary")
    assert summary["pressure_drop_aorta_mmhg"] == pytest.approx(d["pressure_drop_aorta_mmhg"])
    for name in ("velocity_m_s", "pressure_mmhg", "wss_pa", "on_wall"):
        assert np.all(np.isfinite(grid.point_data[name]))
    speed = np.linalg.norm(grid.point_data["velocity_m_s"], axis=1)
    # The VTU holds vertex values; the reported peak also sees P2 edge-midpoint values.
    assert 0.85 * d["peak_velocity_m_s"] <= speed.max() <= d["peak_velocity_m_s"]
    assert grid.point_data["wss_pa"][grid.point_data["on_wall"] == 0].max() == 0


def test_flow_without_mesh_is_a_clear_error(tmp_path, run_cli):
    from twindesk.model.case import Case

    with Case.create(tmp_path / "empty.twin") as case:
        case.save("create", {})
    r = run_cli("flow", tmp_path / "empty.twin", "--json", "--in-process")
    assert r.code == 2
    assert "mesh:aorta" in r.err and "What to do" in r.err
