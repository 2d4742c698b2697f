"""Full-model deployment: crimp, position, release (or balloon-expand and deflate).

Self-expanding frames (and LAA occluders) are crimped from their heat-set shape into a
rigid capsule of ``crimped_diameter_mm`` and released by opening the capsule radially;
balloon-expandable frames start stress-free at the crimped diameter, are expanded by a
rigid balloon (prescribed radial displacement) to ``nominal_diameter_mm`` outer diameter
and recoil when it deflates. While the tools are axisymmetric and the tissue is not yet
reached, one symmetric sector is solved (exact); from then on the whole frame. The
delivery catheter keeps the inflow ring's height and azimuth (the implant depth and
rotation) and centres the inflow and outflow rings with a soft spring that is removed at
the end, when only the tissue holds the frame.

Everything is solved in frame coordinates (z = device axis from the inflow edge, x the
azimuth of the reference crown); the tissue surface is mapped into them by the placement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.jobs.core import CancelToken, ProgressReporter
from twindesk.sim.mechanics.contact import CylinderWall, SurfaceWall, Wall
from twindesk.sim.mechanics.frame import FrameMesh, build_frame
from twindesk.sim.mechanics.params import Device, SolverOptions
from twindesk.sim.mechanics.solver import (CyclicProblem, FrameProblem, FrameState,
                                           LinearConstraint, SolveStats)

RIGID_N_PER_MM3 = 5.0          # penalty of rigid tools: < 0.02 mm penetration at bench forces
HOLD_N_PER_MM = 1.0e3          # catheter hold of the inflow ring's mean height and azimuth


@dataclass
class CrimpedFrame:
    """A frame in its delivery state (sector of the cyclic model) plus the crimp curve."""

    device: Device
    mesh: FrameMesh
    options: SolverOptions
    state: FrameState                         # sector state
    crimp_curve: np.ndarray                   # (k, 2): capsule diameter mm, total force N
    stats: SolveStats


@dataclass
class FullResult:
    """Deployed state of the full model in frame coordinates."""

    mesh: FrameMesh
    state: FrameState
    contacts: dict
    stats: SolveStats
    release_curve: np.ndarray                 # (k, 2): tool diameter mm, total force N
    balloon_diameter_mm: float | None
    hold_force_n: np.ndarray                  # (3,) catheter reaction on the frame
    max_strain: float
    residual_norm_n: float
    force_balance: float                      # |Σ f_contact + Σ f_hold| / Σ |f_contact|
    symmetric: bool
    extras: dict = field(default_factory=dict)


def outer_radius(mesh: FrameMesh, x: np.ndarray) -> np.ndarray:
    return np.hypot(x[:, 0], x[:, 1]) + 0.5 * mesh.thickness_mm


def crimp(device: Device, options: SolverOptions = SolverOptions(),
          progress=None, cancel: CancelToken | None = None) -> CrimpedFrame:
    """Crimp a self-expanding frame/occluder into its capsule (balloon-expandable frames
    are returned in their stress-free crimped cut state)."""
    mesh = build_frame(device, options.elements_per_strut)
    prob = CyclicProblem(mesh, device.material, options, HOLD_N_PER_MM)
    state = prob.initial_state()
    stats = SolveStats()
    if device.kind == "balloon-expandable":
        return CrimpedFrame(device, mesh, options, state, np.zeros((0, 2)), stats)
    r0 = outer_radius(mesh, mesh.nodes_mm).max()
    rc = 0.5 * device.frame.crimped_diameter_mm
    cap = CylinderWall(r0, True, RIGID_N_PER_MM3, "capsule")
    prob.walls = [cap]
    curve = []

    def setter(lam):
        cap.radius_mm = r0 + lam * (rc - r0)

    def record(lam, st, ev):
        curve.append((2 * cap.radius_mm, _total_radial(ev, "capsule")))

    state = prob.run_stage(state, setter, options.crimp_steps, stats, record, cancel,
                           progress, "crimp")
    return CrimpedFrame(device, mesh, options, state, np.array(curve), stats)


def _total_radial(ev, name) -> float:
    """Total radial force (N) a wall exerts on the whole frame."""
    res = ev.contacts.get(name)
    if res is None:
        return 0.0
    radial = res.points[:, :2] / np.maximum(np.linalg.norm(res.points[:, :2], axis=1),
                                           1e-12)[:, None]
    return float(np.abs(np.sum(res.force[:, :2] * radial, axis=1)).sum())


def tissue_clearance_mm(walls: list[Wall], z_range_mm: tuple[float, float]) -> float:
    """Smallest distance from the axis to any non-axisymmetric wall within a height range."""
    r = np.inf
    for w in walls:
        if isinstance(w, SurfaceWall):
            p = w.surface.points
            sel = (p[:, 2] > z_range_mm[0]) & (p[:, 2] < z_range_mm[1])
            if np.any(sel):
                r = min(r, float(np.hypot(p[sel, 0], p[sel, 1]).min()))
        elif isinstance(w, CylinderWall) and w.inside:
            r = min(r, w.radius_mm)
    return r


def deploy_full(crimped: CrimpedFrame, walls: list[Wall], *,
                nc_azimuth_rad: float = np.pi, progress=None,
                cancel: CancelToken | None = None) -> FullResult:
    """Release (or balloon-deploy) a crimped frame against ``walls`` (frame coordinates).

    Walls that are all :class:`CylinderWall` keep the problem axisymmetric and the whole
    deployment runs on one sector. Depth is held at the inflow crown nearest to
    ``nc_azimuth_rad`` (frame azimuth of the non-coronary side): it ends at z = 0.
    """
    device, mesh, opts = crimped.device, crimped.mesh, crimped.options
    rep = ProgressReporter(progress, cancel=cancel)
    stats = SolveStats()
    symmetric = all(isinstance(w, CylinderWall) for w in walls)
    sector = CyclicProblem(mesh, device.material, opts, HOLD_N_PER_MM)
    state = crimped.state
    balloon = device.kind == "balloon-expandable"
    t = mesh.thickness_mm
    nominal_outer = outer_radius(mesh, np.column_stack(
        [mesh.nominal.radius(mesh.level_z_nominal_mm), 0 * mesh.level_z_nominal_mm,
         mesh.level_z_nominal_mm])).max()
    x_now = sector.expand(state).x
    z_span = (x_now[:, 2].min() - 3.0, x_now[:, 2].max() + 3.0)
    clearance = tissue_clearance_mm(walls, z_span) - 1.0      # stay 1 mm off the tissue
    curve = []

    if balloon:
        r_start = float(np.hypot(x_now[:, 0], x_now[:, 1]).min()) - 0.5 * t
        r_end = 0.5 * device.size.nominal_diameter_mm - t
        tool = CylinderWall(r_start, False, RIGID_N_PER_MM3, "balloon")
        outer_offset = t                       # frame outer radius = balloon radius + t
    else:
        r_start = 0.5 * device.frame.crimped_diameter_mm
        r_end = nominal_outer + 0.5
        tool = CylinderWall(r_start, True, RIGID_N_PER_MM3, "capsule")
        outer_offset = 0.0

    # the symmetric part of the opening: the frame cannot touch the tissue yet
    r_sym = r_end if symmetric else min(r_end, max(r_start, clearance - outer_offset))
    tool_name = tool.name

    def record_sym(lam, st, ev):
        curve.append((2 * (tool.radius_mm + outer_offset), _total_radial(ev, tool_name)))

    def opener(a, b):
        def setter(lam):
            tool.radius_mm = a + lam * (b - a)
        return setter

    sector.walls = [tool] + (list(walls) if symmetric else [])
    frac_sym = (r_sym - r_start) / max(r_end - r_start, 1e-9)
    if r_sym > r_start + 1e-6:
        steps = max(2, int(np.ceil(opts.release_steps * frac_sym)))
        state = sector.run_stage(state, opener(r_start, r_sym), steps, stats, record_sym,
                                 cancel, rep.sub(0.0, 0.4), "open (symmetric)")
    if symmetric:
        cur = state
        if r_sym < r_end:
            cur = sector.run_stage(cur, opener(r_sym, r_end), opts.release_steps, stats,
                                   record_sym, cancel, rep.sub(0.4, 0.7), "open")
        if balloon:
            cur = sector.run_stage(cur, opener(r_end, r_start), opts.release_steps, stats,
                                   record_sym, cancel, rep.sub(0.7, 0.9), "deflate")
        sector.walls = list(walls)
        cur = sector.run_stage(cur, lambda lam: None, 1, stats, None, cancel,
                               rep.sub(0.9, 1.0), "settle")
        ev = sector.evaluate(cur)
        full_state = sector.expand(cur)
        contacts = ev.contacts
        # the sector's hold acts on one inflow node; its copies' lateral parts cancel
        hold = np.array([0.0, 0.0, mesh.cells_per_row * _hold_reaction(sector, cur)[2]])
        return _finish(mesh, full_state, contacts, stats, curve, balloon, r_end, t, hold,
                       ev, symmetric=True)

    # whole frame from here on
    prob = FrameProblem(mesh, device.material, opts)
    full_state = sector.expand(state)
    nc_node = _nc_crown(mesh, nc_azimuth_rad)
    cons = _catheter(mesh, full_state.x, opts.catheter_stiffness_n_per_mm)
    prob.constraints = cons
    prob.walls = [tool] + list(walls)

    def record_full(lam, st, ev):
        curve.append((2 * (tool.radius_mm + outer_offset), _total_radial(ev, tool_name)))

    cur = prob.run_stage(full_state, opener(r_sym, r_end), opts.release_steps, stats,
                         record_full, cancel, rep.sub(0.4, 0.75), "open")
    if balloon:
        cur = prob.run_stage(cur, opener(r_end, r_start), opts.release_steps, stats,
                             record_full, cancel, rep.sub(0.75, 0.85), "deflate")
    prob.walls = list(walls)
    cur = settle(prob, cur, nc_node, stats, cancel, rep.sub(0.85, 1.0))
    ev = prob.evaluate(cur)
    hold = _hold_reaction(prob, cur)
    return _finish(mesh, cur, ev.contacts, stats, curve, balloon, r_end, t, hold, ev,
                   symmetric=False)


CATHETER_RESIDUAL = 0.05       # fraction of the centring spring left after detaching
DEPTH_TOLERANCE_MM = 0.02      # implant depth is set to within this
DEPTH_ITERATIONS = 6


def settle(prob: FrameProblem, state: FrameState, nc_node: int, stats: SolveStats,
           cancel=None, progress=None) -> FrameState:
    """Detach the catheter's centring springs and set the implant depth.

    The centring springs are relaxed to ``CATHETER_RESIDUAL`` of their stiffness (0.05
    N/mm by default: a millimetre of shift costs 0.05 N against wall forces of several
    newtons, and it keeps a frame that touches the wall only at one end from tilting
    freely, which would make Newton cycle between contact states).
    Depth is defined at the non-coronary inflow crown, while the hold acts on the inflow
    ring's mean height: the hold is shifted until that crown sits at z = 0 (secant
    iterations on the crown's height against the hold's target).
    """
    lateral = [c for c in prob.constraints if c.name.startswith("centre")]
    k0 = [c.stiffness_n_per_mm for c in lateral]

    def unhook(lam):
        for c, k in zip(lateral, k0):
            c.stiffness_n_per_mm = k * (1 - lam * (1 - CATHETER_RESIDUAL))

    state = prob.run_stage(state, unhook, 2, stats, None, cancel, progress, "detach")
    axial = next(c for c in prob.constraints if c.name == "axial")
    slope, last = 1.0, None
    for _ in range(DEPTH_ITERATIONS):
        z_nc = float(state.x[nc_node, 2])
        if abs(z_nc) < DEPTH_TOLERANCE_MM:
            break
        t0 = axial.target
        if last is not None and abs(t0 - last[0]) > 1e-6:
            # secant on the crown's response to the hold: a frame that tilts as it is
            # moved (gripped off-centre) answers by more or less than a rigid shift
            slope = float(np.clip((z_nc - last[1]) / (t0 - last[0]), 0.25, 4.0))
        last = (t0, z_nc)
        dz = z_nc / slope
        # move the frame rigidly (the wall only reacts to the change) and re-balance
        axial.target = t0 - dz
        jumped = state.copy()
        jumped.x[:, 2] -= dz
        if cancel is not None:
            cancel.check()
        moved = prob.equilibrate(jumped, stats, "depth")
        if moved is not None:
            state = moved
        else:
            # a frame squeezed onto its plateau (an occluder in a tapering neck) or gripped
            # off-centre may not take the jump: slide it there by moving the hold's target
            # gradually (a quasi-static path; a jump released out of balance could tip
            # the frame into another equilibrium)
            def slide(lam, t0=t0, dz=dz):
                axial.target = t0 - lam * dz

            state = prob.run_stage(state, slide, 4, stats, None, cancel, None, "depth")
    return state


def _nc_crown(mesh: FrameMesh, azimuth: float) -> int:
    ring = mesh.inflow_ring
    x = mesh.nodes_mm[ring]
    d = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - azimuth)))
    return int(ring[np.argmin(np.abs(d))])


def _catheter(mesh: FrameMesh, x: np.ndarray, k_lateral: float) -> list[LinearConstraint]:
    """Hold of the inflow ring's mean height and azimuth; soft centring of both rings."""
    cons = []
    for ring, name in ((mesh.inflow_ring, "inflow"), (mesh.outflow_ring, "outflow")):
        n = len(ring)
        for axis in (0, 1):
            w = np.zeros((n, 3))
            w[:, axis] = 1.0 / n
            cons.append(LinearConstraint(ring, w, 0.0, k_lateral, f"centre-{name}-{axis}"))
    ring = mesh.inflow_ring
    n = len(ring)
    w = np.zeros((n, 3))
    w[:, 2] = 1.0 / n
    cons.append(LinearConstraint(ring, w, float(x[ring, 2].mean()), HOLD_N_PER_MM, "axial"))
    az = np.arctan2(x[ring, 1], x[ring, 0])
    tw = np.column_stack([-np.sin(az), np.cos(az), np.zeros(n)]) / n
    cons.append(LinearConstraint(ring, tw, float(np.sum(tw * x[ring])), HOLD_N_PER_MM,
                                 "twist"))
    return cons


def _hold_reaction(prob, state) -> np.ndarray:
    """Total force the catheter (hold and residual centring) exerts on the frame (N)."""
    total = np.zeros(3)
    for c in prob.constraints:
        total -= c.stiffness_n_per_mm * c.value(state.x) * c.weights.sum(axis=0)
    return total


def _finish(mesh, state, contacts, stats, curve, balloon, r_end, t, hold, ev, symmetric):
    f_contact = np.concatenate([c.force for c in contacts.values()] + [np.zeros((0, 3))])
    total_abs = float(np.linalg.norm(f_contact, axis=1).sum())
    balance = float(np.linalg.norm(f_contact.sum(axis=0) + hold)) / max(total_abs, 1e-12)
    return FullResult(mesh=mesh, state=state, contacts=contacts, stats=stats,
                      release_curve=np.array(curve).reshape(-1, 2),
                      balloon_diameter_mm=2 * (r_end + t) if balloon else None,
                      hold_force_n=hold, max_strain=float(np.max(ev.max_strain)),
                      residual_norm_n=float(np.linalg.norm(ev.residual)),
                      force_balance=balance, symmetric=symmetric)
