"""Pulsatile 3D flow: outlet Windkessels, the BDF2 solver against the steady solver, wall
shear measures, cycles, checkpoints and resume, the case job end to end."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from twindesk.errors import Cancelled
from twindesk.jobs import CancelToken
from twindesk.model.case import Case
from twindesk.sim.lumped.params import Windkessel
from twindesk.sim.pulsatile.windkessel import OutletRCR, RCRBank

from .conftest import LENGTH_MM, RADIUS_MM, make_tube_case, tube_mesh

WK = Windkessel(rp_pa_s_per_m3=8e6, c_m3_per_pa=5.0e-9, rd_pa_s_per_m3=1.2e8, pd_pa=600.0)


# ----------------------------------------------------------------------------- Windkessel
def _rcr_error(steps_per_period: int) -> float:
    """BDF2 RCR driven by a two-harmonic inflow against the exact periodic solution."""
    from twindesk.sim.lumped.rcr_analytic import fourier_flow, rcr_pressure_harmonics

    T = 0.8
    args = (80e-6, [60e-6, -20e-6], [90e-6, 15e-6])
    q = fourier_flow(*args, T)
    dt = T / steps_per_period
    bank = RCRBank([OutletRCR(1, WK)], pc0_pa=600.0 + 1.28e8 * 80e-6)
    t, p = [], []
    for n in range(12 * steps_per_period):  # 12 periods = 16 RdC: the start is forgotten
        tn = (n + 1) * dt
        p.append(bank.advance(np.array([q(tn)]), dt, 1 if n == 0 else 2)[0])
        t.append(tn)
    t, p = np.array(t[-steps_per_period:]), np.array(p[-steps_per_period:])
    exact = rcr_pressure_harmonics(WK, *args, T, t)
    return float(np.abs(p - exact).max() / np.ptp(exact))


def test_windkessel_bdf2_matches_the_analytic_periodic_pressure():
    e100, e200 = _rcr_error(100), _rcr_error(200)
    assert e100 < 2e-3  # 0.2 % of the pulse pressure at 100 steps per cycle
    assert 3.0 < e100 / e200 < 5.0  # second order


def test_implicit_coupling_is_exact():
    bank = RCRBank([OutletRCR(1, WK), OutletRCR(2)], pc0_pa=[9000.0, 0.0])
    bank.advance(np.array([1e-4, 0.0]), 0.01, 1)
    r_eff, p_ref = bank.coefficients(0.01, 2)
    pc_prev = bank.pc.copy()
    q = np.array([2e-4, 5e-5])
    p = bank.advance(q, 0.01, 2)
    np.testing.assert_allclose(p, r_eff * q + p_ref)
    assert p[1] == 0.0  # no Windkessel: traction-free
    # the capacitor equation holds at the new level with BDF2
    pc = p[0] - WK.rp_pa_s_per_m3 * q[0]
    dpc = (1.5 * pc - 2.0 * pc_prev[0] + 0.5 * 9000.0) / 0.01
    assert WK.c_m3_per_pa * dpc == pytest.approx(q[0] - (pc - WK.pd_pa) / WK.rd_pa_s_per_m3,
                                                 rel=1e-9)
    with pytest.raises(Exception, match="not usable"):
        OutletRCR(3, Windkessel(1.0, -1.0, 1.0))


# ----------------------------------------------------------------------------- solver
def _domain(n_core=2, layer_mm=7.5):
    from twindesk.sim.flow.domain import FlowDomain, Region

    mesh, region, regions = tube_mesh(n_core, layer_mm)
    return FlowDomain(mesh.points_mm, mesh.tets, mesh.boundary_tris, region,
                      [Region.from_meta(r) for r in regions])


def test_bdf2_reaches_the_steady_solution():
    """Constant inflow, resistive outlets (tiny compliance): the time-stepping solution
    settles on the steady solver's."""
    from twindesk.sim.flow.bc import inlet_velocity
    from twindesk.sim.flow.steady import OutletBC, SteadyFlowParams, solve_steady
    from twindesk.sim.pulsatile.unsteady import UnsteadyParams, UnsteadySolver

    d = _domain()
    q = 2e-5  # Re ≈ 70 in the 20 mm tube
    rcr = {2: Windkessel(1e6, 1e-13, 2e7, 300.0), 3: Windkessel(3e6, 1e-13, 5e7, 300.0)}
    shape = inlet_velocity(d, q, "parabolic")
    solver = UnsteadySolver(d, UnsteadyParams(dt_s=4.0), [OutletRCR(i, w) for i, w in rcr.items()],
                            lambda t: shape, pc0_pa=300.0)
    for _ in range(25):
        solver.step()
    steady = solve_steady(d, SteadyFlowParams(q, tuple(
        OutletBC(i, w.rp_pa_s_per_m3 + w.rd_pa_s_per_m3, w.pd_pa) for i, w in rcr.items())))
    flows = solver.outlet_flows()
    np.testing.assert_allclose(flows, [steady.outlet_flow_m3_s[2], steady.outlet_flow_m3_s[3]],
                               rtol=2e-3)
    assert flows.sum() == pytest.approx(q, rel=1e-6)  # mass conservation
    np.testing.assert_allclose(solver.p, steady.pressure_pa, rtol=0, atol=2e-3 * np.ptp(
        steady.pressure_pa) + 1e-3 * abs(steady.pressure_pa).max())


def test_wall_shear_operator_on_poiseuille_and_cycle_measures():
    from twindesk.sim.flow import post
    from twindesk.sim.pulsatile.wss import CycleShear, WallShearOperator

    d = _domain(n_core=6, layer_mm=5.0)
    R, mu, q = 0.01, 0.0035, 2e-5
    x, y, _ = d.basis_u.doflocs
    u = np.zeros((3, d.basis_u.N))
    u[2] = 2 * q / (np.pi * R ** 2) * np.clip(1 - (x ** 2 + y ** 2) / R ** 2, 0, None)
    u[:, d.wall_dofs] = 0.0
    op = WallShearOperator(d, mu)
    tau = op(u)
    z = op.centroid_m[:, 2]
    r_c = np.hypot(op.centroid_m[:, 0], op.centroid_m[:, 1])
    side = (z > 0.01) & (z < 0.05) & (np.abs(op.centroid_m[:, 0] - R) > 0.004)  # off the branch
    exact = 4 * mu * q / (np.pi * R ** 3)
    mean_z = (tau[side, 2] * op.area_m2[side]).sum() / op.area_m2[side].sum()
    # Forward flow drags the wall forward. The 36-gon wall's mid-edge nodes lie on chords,
    # inside the circle where the parabola is not zero: holding them at zero steepens the
    # interpolated wall gradient by a few per cent at this resolution.
    assert mean_z == pytest.approx(exact, rel=0.06)
    assert np.abs(tau[side, :2]).max() < 0.05 * exact  # tangential, along the axis
    ref = post.wall_shear_stress(d, u, mu, op.facets)
    np.testing.assert_allclose(np.linalg.norm(tau, axis=1)[side], ref.facet_pa[side], rtol=0.05)
    assert r_c[side].min() > 0.95 * R
    cyc = CycleShear(len(op.facets))
    for s in np.sin(2 * np.pi * np.arange(20) / 20):
        cyc.add(s * tau)
    assert np.allclose(cyc.osi()[side], 0.5, atol=1e-9)  # purely oscillatory
    cyc2 = CycleShear(len(op.facets))
    for s in 1.5 + np.sin(2 * np.pi * np.arange(20) / 20):
        cyc2.add(s * tau)
    assert np.allclose(cyc2.osi()[side], 0.0, atol=1e-12)  # one direction only
    np.testing.assert_allclose(cyc2.tawss_pa()[side], 1.5 * np.linalg.norm(tau[side], axis=1))


def test_periodicity_change():
    from twindesk.sim.pulsatile.cycles import periodicity_change

    a = {"outlet_pressure_pa": np.array([[100.0, 50.0], [120.0, 60.0]]),
         "outlet_flow_m3_s": np.array([[1.0, 0.5], [2.0, 0.5]])}
    b = {"outlet_pressure_pa": a["outlet_pressure_pa"] * [1.0, 1.0] + [[0, 0], [1.2, 0]],
         "outlet_flow_m3_s": a["outlet_flow_m3_s"] + [[0, 0.005], [0, 0]]}
    assert periodicity_change(a, b) == pytest.approx(0.005 / 0.505)  # and 1.2 / 121.2


def test_inflow_windows_carry_the_stroke_volume():
    from twindesk.sim.pulsatile.case_job import inflow_function

    T = 0.8
    t = np.linspace(0, T, 800, endpoint=False)
    q = np.where(t < 0.3, np.sin(np.pi * t / 0.3), 0.0) * 4e-4  # half-sine ejection
    sv = np.trapezoid(np.append(q, q[0]), np.append(t, T))
    for n in (12, 16, 50, 200):
        f = inflow_function(t, q, T, T / n)
        steps = (np.arange(3 * n) + 1) * T / n  # three cycles
        assert sum(f(x) for x in steps) * T / n == pytest.approx(3 * sv, rel=1e-12)
    f = inflow_function(t, q, T, T / 400)
    assert f(0.15) == pytest.approx(4e-4, rel=1e-4) and f(0.5) == 0.0
    assert f(0.15 + 5 * T) == pytest.approx(f(0.15), rel=1e-9)  # periodic


# ----------------------------------------------------------------------------- case job
PARAMS = dict(steps_per_cycle=16, max_cycles=2, min_cycles=2)
ECHO = {"mean_gradient_mmhg": 3.0, "peak_velocity_m_s": 1.4}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One uninterrupted run (in process), stored in its case."""
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
    from twindesk.sim.pulsatile.store import run_pulsatile

    path = make_tube_case(tmp_path_factory.mktemp("p") / "run.twin", echo=ECHO)
    messages = []
    with Case.open(path) as case:
        record = run_pulsatile(case, PulsatileCaseParams("", **PARAMS),
                               lambda f, m="": messages.append((f, m)), in_process=True)
    return path, record, messages


def test_case_run_is_stored_with_a_version(finished):
    from twindesk.schemas import validate
    from twindesk.sim.pulsatile.store import keys

    path, record, messages = finished
    assert any(m.startswith("checkpoint saved: cycle 1") for _, m in messages)
    with Case.open(path, write=False) as case:
        k = keys("baseline")
        for name in ("fields", "summary", "waveforms", "plot"):
            assert case.artifact(k[name]) is not None
        assert case.artifact(k["checkpoint"]) is None  # finished runs drop their checkpoint
        assert case.doc["pulsatile"]["baseline"]["artifacts"]["fields"] == k["fields"]
        version = case.doc["twin"]["versions"][-1]
        assert version["kind"] == "simulation" and version["params"]["scenario"] == "baseline"
        import pyvista as pv

        grid = pv.read(str(case.artifact_path(k["fields"])))
        for name in ("velocity_m_s", "pressure_mmhg", "wss_pa", "tawss_pa", "osi",
                     "pressure_mean_mmhg", "velocity_mean_m_s"):
            assert np.all(np.isfinite(grid.point_data[name]))
        header = case.artifact_path(k["waveforms"]).read_text().splitlines()[0]
        assert "flow_ml_s:descending_aorta" in header and "doppler_velocity_m_s" in header
    validate("scenario-run", {"case": str(path), "scenario": "baseline",
                              "zero_d": {"haemodynamics": {"mean_gradient_mmhg": 1.0,
                                                           "cardiac_output_l_min": 5.0},
                                         "parameters_source": "x", "periodicity": {},
                                         "artifacts": {}},
                              "three_d": record})


def test_case_run_physics(finished):
    _, record, _ = finished
    s = record["summary"]
    z = s["zero_d"]
    # inflow = the 0D valve flow (sampled at 16 steps): same cardiac output
    assert s["inflow"]["cardiac_output_l_min"] == pytest.approx(z["cardiac_output_l_min"],
                                                                rel=0.03)
    # rigid walls: the outlets carry the inflow
    assert sum(o["flow_split_percent"] for o in s["outlets"]) == pytest.approx(100.0, abs=0.01)
    # Murray split of the RCRs: the larger outlet takes more
    split = {o["name"]: o["flow_split_percent"] for o in s["outlets"]}
    assert split["descending_aorta"] > split["branch"] > 0
    # the short tube adds little: aortic pressures close to the 0D model's
    assert s["aortic_pressure"]["mean_mmhg"] == pytest.approx(z["aortic_mean_mmhg"], abs=3.0)
    e = s["echo"]
    assert e["peak_gradient_mmhg"] == pytest.approx(4.0 * e["peak_velocity_m_s"] ** 2)
    assert e["mean_gradient_mmhg"] == pytest.approx(z["mean_gradient_mmhg"], rel=0.1)
    assert e["eoa_cm2"] == pytest.approx(z["aortic_eoa_cm2"])
    assert 0 <= s["wall_shear_stress"]["osi_mean"] <= 0.5
    rows = {r["quantity"]: r for r in s["echo_comparison"]}
    assert set(rows) == set(ECHO)
    assert rows["peak_velocity_m_s"]["measured"] == 1.4
    assert rows["peak_velocity_m_s"]["difference"] == pytest.approx(e["peak_velocity_m_s"] - 1.4)
    assert s["cycles"]["completed"] == 2 and len(s["cycles"]["changes"]) == 1


def test_cancel_keeps_the_checkpoint_and_resume_matches(finished, tmp_path):
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
    from twindesk.sim.pulsatile.store import keys, run_pulsatile

    path = make_tube_case(tmp_path / "cancel.twin", echo=ECHO)
    token = CancelToken()

    def progress(f, m=""):
        if m.startswith("checkpoint saved"):
            token.cancel()
    with Case.open(path) as case, pytest.raises(Cancelled, match="cycle 1, step 16 is kept"):
        run_pulsatile(case, PulsatileCaseParams("", **PARAMS), progress, token, in_process=True)
    with Case.open(path) as case:
        meta = case.artifact(keys("baseline")["checkpoint"])["meta"]
        assert (meta["cycle"], meta["step"]) == (1, 16)
        assert "pulsatile" not in case.doc
        record = run_pulsatile(case, PulsatileCaseParams("", **PARAMS), resume=True,
                               in_process=True)
    ref = finished[1]["summary"]
    got = record["summary"]
    for key in ("peak_gradient_mmhg", "mean_gradient_mmhg", "net_pressure_drop_mean_mmhg"):
        assert got["echo"][key] == pytest.approx(ref["echo"][key], rel=1e-6)
    assert got["wall_shear_stress"]["tawss_mean_pa"] == pytest.approx(
        ref["wall_shear_stress"]["tawss_mean_pa"], rel=1e-5)
    assert got["cycles"]["changes"] == pytest.approx(ref["cycles"]["changes"], rel=1e-4)


def test_resume_refuses_a_changed_scenario(finished, tmp_path):
    from twindesk.errors import InputError
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
    from twindesk.sim.pulsatile.store import run_pulsatile

    path = tmp_path / "r.twin"
    shutil.copytree(finished[0], path)
    with Case.open(path) as case, pytest.raises(InputError, match="no checkpoint"):
        run_pulsatile(case, PulsatileCaseParams("", **PARAMS), resume=True, in_process=True)
    token = CancelToken()
    with Case.open(path) as case, pytest.raises(Cancelled):
        run_pulsatile(case, PulsatileCaseParams("", **PARAMS),
                      lambda f, m="": token.cancel() if "checkpoint" in m else None, token,
                      in_process=True)
    with Case.open(path) as case, pytest.raises(InputError, match="another mesh, scenario"):
        run_pulsatile(case, PulsatileCaseParams("", steps_per_cycle=20, max_cycles=2),
                      resume=True, in_process=True)


def test_report_flow_section_shows_the_3d_results(finished, tmp_path, run_cli):
    import re

    from twindesk.report.build import build_sections
    from twindesk.report.content import Figure, Missing, Table

    path = tmp_path / "rep.twin"
    shutil.copytree(finished[0], path)
    with Case.open(path, write=False) as case:
        flow = next(s for s in build_sections(case, {}, None) if s.id == "flow")
    tables = [b for b in flow.blocks if isinstance(b, Table)]
    main = next(t for t in tables if "3D pulsatile flow, scenario 'baseline'" in t.caption)
    rows = dict(main.rows)
    e = finished[1]["summary"]["echo"]
    value, unit = rows["Peak gradient, 4v²"].split()
    assert unit == "mmHg" and float(value) == pytest.approx(e["peak_gradient_mmhg"], rel=5e-3)
    echo = next(t for t in tables if t.header[0] == "Echo quantity")
    assert {r[0] for r in echo.rows} == {"mean gradient", "peak velocity"}
    assert any(isinstance(b, Figure) and "3D pulsatile waveforms" in b.caption
               for b in flow.blocks)
    assert any(isinstance(b, Missing) and "no 3D pre/post" in b.what for b in flow.blocks)
    out = tmp_path / "plan.pdf"
    r = run_cli("report", path, "--out", out, "--json")
    assert r.code == 0, r.err
    assert out.read_bytes()[:5] == b"%PDF-"
    assert not re.search(r"\bnan\b", out.read_bytes().decode("latin-1"), re.I)


def test_view_logic_and_figure(finished, tmp_path, run_cli):
    from twindesk.sim.pulsatile import views

    path = finished[0]
    with Case.open(path, write=False) as case:
        grid = views.load_fields(case, "baseline")
        surf = views.surface_field(grid, "tawss")
        assert surf.n_points and np.all(surf.point_data["value"] >= 0)
        cut = views.plane_field(grid, "pressure", [0, 0, 30.0], [0, 0, 1])
        assert cut.n_points and np.allclose(cut.points[:, 2], 30.0)
        speed = views.plane_field(grid, "velocity", [0, 0, 30.0], [0, 0, 1]).point_data["value"]
        assert speed.max() > 0
        centre, normal, radius = views.inlet_of(case)
        assert radius == pytest.approx(10.0, rel=0.03)  # a 12-gon inlet
        assert normal[2] == pytest.approx(-1.0)
        lines = views.streamlines(grid, centre, normal, radius, n_seeds=20)
        assert lines.n_points > 20 and lines.points[:, 2].max() > 40.0  # down the tube
        w = views.waveforms(case, "baseline")
        assert len(w["t_s"]) == 16 and "pressure_mmhg:branch" in w
        with pytest.raises(Exception, match="no 3D pulsatile result"):
            views.load_fields(case, "other")
    assert views.shared_range([np.arange(101.0), np.arange(101.0)]) == pytest.approx((2.0, 98.0))
    assert views.shared_range([np.arange(5.0), np.arange(50.0, 60.0)], robust=False) == (0, 59)
    look, up = views.view_direction(np.c_[np.random.default_rng(1).normal(size=(500, 2)) *
                                          [20, 5], np.zeros(500)])
    assert abs(look[2]) == pytest.approx(1.0) and abs(up[1]) == pytest.approx(1.0)
    out = tmp_path / "f.png"
    r = run_cli("scenario", "figure", path, "baseline", "--field", "osi", "--out", out,
                "--json", schema="scenario-figure")
    assert r.code == 0, r.err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and r.json["range"][1] <= 0.5


def test_child_process_run_cancel_and_resume(tmp_path):
    """The GUI path: a child process, polled; cancel after the first checkpoint kills the
    child at once and keeps the checkpoint; the run then resumes to the end."""
    import time

    from twindesk.jobs.subprocess_runner import wait_for
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
    from twindesk.sim.pulsatile.store import PulsatileRun, keys

    path = make_tube_case(tmp_path / "child.twin")
    with Case.open(path) as case:
        run = PulsatileRun(case, PulsatileCaseParams("", **PARAMS)).start()
        end = time.monotonic() + 600
        while run.sink.saved is None and not run.done and time.monotonic() < end:
            run.poll(0.1)
        assert run.sink.saved is not None and not run.done
        t0 = time.monotonic()
        run.cancel()
        assert time.monotonic() - t0 < 10 and not run.job._proc.is_alive()
        with pytest.raises(Cancelled, match="is kept in the case"):
            run.finish()
        assert case.artifact(keys("baseline")["checkpoint"])["meta"]["step"] == 16
        resumed = PulsatileRun(case, PulsatileCaseParams("", **PARAMS), resume=True).start()
        assert wait_for(resumed.job, 600)
        record = resumed.finish()
    assert record["summary"]["cycles"]["completed"] == 2


def test_periodic_restart_is_the_fixed_point_of_a_cycle():
    T, n = 0.8, 80
    dt = T / n
    t = (np.arange(n) + 1) * dt
    q = (np.maximum(np.sin(2 * np.pi * t / T), 0) * 3e-4)[:, None]
    bank = RCRBank([OutletRCR(1, WK)], pc0_pa=5000.0)
    bank.advance(q[0], dt, 1)
    for qn in q[1:]:
        bank.advance(qn, dt, 2)
    change = bank.periodic_restart(q, dt)
    assert abs(change[0]) > 10.0  # one cycle from a poor start is far from periodic
    start = bank.state()
    for qn in q:
        bank.advance(qn, dt, 2)
    np.testing.assert_allclose(bank.pc, start["pc"], rtol=1e-10)
    np.testing.assert_allclose(bank.pc_prev, start["pc_prev"], rtol=1e-10)


def test_plane_samples_on_a_view_pixel_grid():
    """The field sampled on an axial and a coronal view's pixels: a field linear in x, y, z is
    reproduced exactly by the linear tetrahedra inside the tube, NaN outside it."""
    import pyvista as pv

    from twindesk.geometry.tube_mesh import straight_tube
    from twindesk.sim.pulsatile import views

    m = straight_tube(RADIUS_MM, LENGTH_MM, n_core=4)
    grid = pv.UnstructuredGrid({pv.CellType.TETRA: m.tets}, m.points_mm)
    p = m.points_mm
    grid.point_data["pressure_mmhg"] = 100.0 - 0.5 * p[:, 2] + 0.1 * p[:, 0] - 0.2 * p[:, 1]
    grid.point_data["velocity_m_s"] = np.c_[np.zeros(len(p)), np.zeros(len(p)), p[:, 0]]
    # axial view: 1 mm pixels from (-30, -30) on z = 25 mm, 61 × 61 pixels
    origin, cu, rv = [-30.0, -30.0, 25.0], [1.0, 0, 0], [0, 1.0, 0]
    vals = views.plane_samples(grid, "pressure", origin, cu, rv, (61, 61))
    row, col = np.mgrid[0:61, 0:61]
    x, y = col - 30.0, row - 30.0
    r = np.hypot(x, y)
    # inside the polygonal tube (inscribed in the 10 mm circle) every pixel is probed
    inside = r < 0.95 * RADIUS_MM
    assert np.all(np.isfinite(vals[inside])) and np.all(np.isnan(vals[r > RADIUS_MM + 0.5]))
    expected = 100.0 - 0.5 * 25.0 + 0.1 * x - 0.2 * y
    assert np.allclose(vals[inside], expected[inside], atol=1e-6)
    # vectors by magnitude; a coarse probe (max_samples 16) fills every pixel of the box
    speed = views.plane_samples(grid, "velocity", origin, cu, rv, (61, 61), max_samples=16)
    ok = r < 0.8 * RADIUS_MM
    assert np.all(np.isfinite(speed[ok]))
    assert np.allclose(speed[ok], np.abs(x[ok]), atol=1.4)  # nearest probe ≤ ~1.4 mm away
    # coronal view (rows run inferior): the tube's length shows, along the rows
    cor = views.plane_samples(grid, "pressure", [-30.0, 0.0, 80.0], [1.0, 0, 0],
                              [0, 0, -1.0], (100, 61))
    zrow = 80.0 - np.arange(100)
    has = np.isfinite(cor).any(axis=1)
    assert has[(zrow > 1) & (zrow < LENGTH_MM - 1)].all() and not has[zrow > LENGTH_MM + 1].any()
    # a plane that misses the tube: all NaN
    assert np.isnan(views.plane_samples(grid, "pressure", [-30.0, -30.0, 90.0], cu, rv,
                                        (61, 61))).all()
