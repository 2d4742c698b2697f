"""Quasi-static Newton solver with adaptive load stepping for the beam network.

Unknowns: 6 per node (translation, spatial spin). The residual is internal beam forces
plus linear penalty constraints (the delivery catheter) minus wall contact forces; the
tangent is assembled into a fixed sparse pattern and factorised by SuperLU (it is not
symmetric away from equilibrium because rotations are updated multiplicatively).
Loads (tool radii, constraint stiffnesses) are driven by a pseudo-time λ ∈ [0, 1]; a
step that does not converge is halved, and fibre states are committed only on converged
steps, so path-dependent materials (plasticity, transformation) follow the load path.

Load control cannot pass a limit point of the equilibrium path (the tangent turns
indefinite, e.g. an oversized frame gripped only at its inflow tips over as the catheter's
centring springs are released, or pops through to another contact state). When halving
the step no longer helps, the step is finished by pseudo-transient continuation
(:meth:`_NewtonSolver.relax`): a node-wise viscous term ``c (x − x_prev)`` makes every
pseudo-time step well posed and is switched off as the residual falls (switched
evolution relaxation, Kelley & Keyes, SIAM J Numer Anal 1998;35:508–523), so the frame
moves along a damped path to the equilibrium beyond the instability and ends in true
static equilibrium (undamped residual within tolerance).

:class:`FrameProblem` solves the whole frame; :class:`CyclicProblem` solves one
rotational sector of an axisymmetric load case (crimping, free release, bench cylinders)
exactly, using the frame's ``cells_per_row``-fold symmetry, and expands its state to the
whole frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from twindesk.errors import SolverError
from twindesk.jobs.core import CancelToken
from twindesk.sim.mechanics.beam import BeamNetwork
from twindesk.sim.mechanics.contact import ContactResult, Wall
from twindesk.sim.mechanics.frame import FrameMesh
from twindesk.sim.mechanics.params import Material, SolverOptions
from twindesk.sim.mechanics.rotations import expm, logm, orthonormalize
from twindesk.sim.mechanics.symmetry import CyclicMap


@dataclass
class FrameState:
    """Node positions (n, 3) mm, node rotations (n, 3, 3), committed fibre states."""

    x: np.ndarray
    rot: np.ndarray
    fibre: np.ndarray

    def copy(self) -> FrameState:
        return FrameState(self.x.copy(), self.rot.copy(), self.fibre.copy())


@dataclass
class LinearConstraint:
    """Penalty on ``g = Σ_i weights_i · x_i − target`` with energy ½ k g²."""

    nodes: np.ndarray
    weights: np.ndarray          # (k, 3)
    target: float
    stiffness_n_per_mm: float
    name: str = ""

    def value(self, x: np.ndarray) -> float:
        return float(np.sum(self.weights * x[self.nodes]) - self.target)


@dataclass
class SolveStats:
    steps: int = 0
    newton_iterations: int = 0
    cutbacks: int = 0
    residual_norm_n: float = 0.0
    history: list = field(default_factory=list)


@dataclass
class Evaluation:
    residual: np.ndarray
    tangent: sp.csc_matrix | None
    fibre: np.ndarray
    contacts: dict[str, ContactResult]
    constraint_forces: np.ndarray   # (n, 3)
    max_strain: np.ndarray
    force_scale: float


class _Assembler:
    """Scatter of dense blocks into a fixed CSC pattern.

    ``groups`` holds ``(row_dofs (G, r), col_dofs (G, c))`` per block family; negative row
    dofs are dropped (rows owned by rotated copies in the sector model).
    """

    def __init__(self, n_dof, groups):
        self.n_dof = n_dof
        rows, cols, sizes = [], [], []
        for rd, cd in groups:
            rd, cd = np.asarray(rd), np.asarray(cd)
            rows.append(np.repeat(rd, cd.shape[1], axis=1).ravel())
            cols.append(np.tile(cd, (1, rd.shape[1])).ravel())
            sizes.append(rows[-1].size)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        keep = rows >= 0
        pat = sp.csc_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])),
                            shape=(n_dof, n_dof))
        pat.sum_duplicates()
        pat.sort_indices()
        self.indptr, self.indices, self.nnz = pat.indptr, pat.indices, pat.nnz
        col_of = np.repeat(np.arange(n_dof), np.diff(pat.indptr)).astype(np.int64)
        keys = col_of * n_dof + pat.indices
        pos = np.searchsorted(keys, cols.astype(np.int64) * n_dof + np.maximum(rows, 0))
        pos[~keep] = self.nnz                      # dropped rows go to a dump slot
        bounds = np.cumsum([0] + sizes)
        self.maps = [pos[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def matrix(self, parts) -> sp.csc_matrix:
        data = np.zeros(self.nnz + 1)
        for idx, values in parts:
            data += np.bincount(self.maps[idx], values.ravel(), minlength=self.nnz + 1)
        return sp.csc_matrix((data[:-1], self.indices, self.indptr), shape=(self.n_dof,) * 2)


def _sample_dofs(mesh: FrameMesh, node_pos=None) -> np.ndarray:
    """Translational dofs (P, 6) of the two nodes of every contact sample."""
    a, b = mesh.sample_a, mesh.sample_b
    if node_pos is not None:
        a, b = node_pos[a], node_pos[b]
    return np.concatenate([6 * a[:, None] + np.arange(3), 6 * b[:, None] + np.arange(3)], 1)


def wall_contacts(mesh: FrameMesh, walls, x_full: np.ndarray, offset_mm: float,
                  smoothing_mm: float):
    """Contact of all samples with all walls: per-wall results (at the samples), node
    forces (n, 3) and the samples' 6 × 6 stiffness blocks (P, 6, 6)."""
    s = mesh.sample_s[:, None]
    pts = (1 - s) * x_full[mesh.sample_a] + s * x_full[mesh.sample_b]
    n_pts = len(pts)
    kp = np.zeros((n_pts, 3, 3))
    fp = np.zeros((n_pts, 3))
    results = {}
    for wall in walls:
        res = wall.contact(pts, mesh.sample_area_mm2, offset_mm, smoothing_mm)
        res.points = pts
        results[wall.name] = res
        fp += res.force
        kp += res.stiffness
    w = np.column_stack([1 - mesh.sample_s, mesh.sample_s])
    fn = np.zeros((len(x_full), 3))
    np.add.at(fn, mesh.sample_a, w[:, :1] * fp)
    np.add.at(fn, mesh.sample_b, w[:, 1:] * fp)
    blocks = np.einsum("pi,pj,pab->piajb", w, w, kp).reshape(n_pts, 6, 6)
    return results, fn, blocks


class _NewtonSolver:
    """Newton iterations and adaptive load stepping shared by the full and sector models."""

    options: SolverOptions
    walls: list[Wall]
    constraints: list[LinearConstraint]

    def evaluate(self, state: FrameState, tangent: bool = True) -> Evaluation:
        raise NotImplementedError

    def newton(self, state: FrameState, max_step_mm: float = 0.3, max_spin_rad: float = 0.15,
               damping_n_per_mm: float = 0.0, anchor: np.ndarray | None = None):
        """Equilibrium from ``state`` (a modified copy) or None if not converged.

        Converged when the residual norm is below :meth:`tolerance`. With
        ``damping_n_per_mm`` > 0 the equations solved are those of one pseudo-time step:
        every node also feels ``−c (x − anchor)`` (``anchor`` (n, 3) mm, the previous
        pseudo-time state), which adds ``c`` to the translational diagonal of the tangent.
        """
        opts = self.options
        trial = state.copy()
        history = []
        for it in range(1, opts.max_newton_iterations + 1):
            ev = self.evaluate(trial)
            if damping_n_per_mm > 0:
                ev = _damped(ev, trial.x - anchor, damping_n_per_mm)
            rnorm = float(np.linalg.norm(ev.residual))
            if not np.isfinite(rnorm):
                return None, it, rnorm, ev
            history.append(rnorm)
            tol = self.tolerance(ev)
            if rnorm < tol and it > 1:
                trial.fibre = ev.fibre
                return trial, it, rnorm, ev
            # diverging or stalled: give up early so the caller cuts the load step
            if len(history) >= 8 and rnorm > 10 * max(history[0], min(history[:-1])):
                return None, it, rnorm, ev
            if len(history) >= 12 and min(history[-8:]) > 0.5 * min(history[:-8]):
                return None, it, rnorm, ev
            try:
                du = splu(ev.tangent, permc_spec="MMD_AT_PLUS_A").solve(-ev.residual)
            except RuntimeError:
                return None, it, rnorm, ev
            if not np.all(np.isfinite(du)):
                return None, it, rnorm, ev
            du = du.reshape(-1, 6)
            big_t = np.abs(du[:, :3]).max()
            big_r = np.abs(du[:, 3:]).max()
            s = min(1.0, max_step_mm / max(big_t, 1e-300), max_spin_rad / max(big_r, 1e-300))
            trial = _advance(trial, s * du)
        return None, opts.max_newton_iterations, rnorm, ev

    def tolerance(self, ev: Evaluation) -> float:
        """Residual tolerance (N): the larger of the absolute tolerance, 1e-8 of the largest
        element force and 1e-4 of the total wall and catheter force (a residual of 1e-4 of
        the load moves the frame by micrometres)."""
        return max(self.options.residual_tolerance_n, 1e-8 * ev.force_scale,
                   1e-4 * _external_total(ev))

    def relax(self, state: FrameState, stats: SolveStats, cancel: CancelToken | None = None,
              label: str = "") -> FrameState | None:
        """Static equilibrium reached from ``state`` by pseudo-transient continuation, or
        None if it is not reached within ``RELAX_MAX_STEPS`` pseudo-time steps.

        Each pseudo-time step solves ``R(x) + c (x − x_prev) = 0`` by Newton and commits the
        fibre states (a viscous path for path-dependent materials). The damping starts at
        ``|R| / RELAX_START_MM`` (the first step moves the out-of-balance frame by about
        ``RELAX_START_MM``) and follows the residual (switched evolution relaxation:
        ``c_k = c_{k−1} |R_k| / |R_{k−1}|``, at least halved after a pseudo-step that Newton
        solved in a few iterations), so it fades as equilibrium nears and the last steps
        are plain Newton steps; a pseudo-step that does not converge is retried with four
        times the damping. It ends when the undamped residual is within tolerance.
        """
        ev = self.evaluate(state, tangent=False)
        r_prev = float(np.linalg.norm(ev.residual))
        if not np.isfinite(r_prev):
            return None
        c = max(r_prev / RELAX_START_MM, RELAX_MIN_N_PER_MM)
        c_max = c * RELAX_MAX_GROWTH
        for _ in range(RELAX_MAX_STEPS):
            if cancel is not None:
                cancel.check()
            new, iters, _, ev = self.newton(state, damping_n_per_mm=c, anchor=state.x)
            stats.newton_iterations += iters
            if new is None:
                stats.cutbacks += 1
                c *= 4.0
                if c > c_max:
                    return None
                continue
            static = _damped(replace(ev, tangent=None), new.x - state.x, -c)  # undamped
            r_new = float(np.linalg.norm(static.residual))
            state = new
            if r_new < self.tolerance(static):
                return state
            # SER, but a pseudo-step Newton solved easily halves the damping at least:
            # along a soft or unstable mode the residual hardly changes while the frame
            # creeps, and plain SER would keep the steps small
            ratio = r_new / r_prev
            if iters <= RELAX_EASY_ITERATIONS:
                ratio = min(ratio, 0.5)
            c = min(max(c * ratio, RELAX_MIN_N_PER_MM), c_max)
            r_prev = r_new
            if c <= RELAX_MIN_N_PER_MM:
                # the damping has faded: finish with plain Newton when it converges
                done, iters, _, _ = self.newton(state)
                stats.newton_iterations += iters
                if done is not None:
                    return done
        return None

    def equilibrate(self, state: FrameState, stats: SolveStats, label: str = ""
                    ) -> FrameState | None:
        """Equilibrium under the current loads by Newton from an out-of-balance ``state``
        (e.g. the frame moved rigidly), or None (cutting a load step is no help when
        nothing is being loaded; the caller chooses a gentler path)."""
        new, iters, rnorm, _ = self.newton(state)
        stats.newton_iterations += iters
        if new is None:
            stats.cutbacks += 1
            return None
        stats.steps += 1
        stats.residual_norm_n = rnorm
        stats.history.append((label, 1.0, iters, rnorm))
        return new

    def run_stage(self, state: FrameState, setter: Callable[[float], None], steps: int,
                  stats: SolveStats, on_step: Callable | None = None,
                  cancel: CancelToken | None = None, progress=None,
                  label: str = "") -> FrameState:
        """Drive λ from 0 to 1 in adaptive steps; returns the converged end state.

        A step that does not converge is halved; once it is down to a quarter of the
        nominal step (and from then on at the first failure) the step is finished by
        :meth:`relax`; if that fails too, halving goes on down to 1/512 of the nominal step
        before the stage gives up with a :class:`~twindesk.errors.SolverError`.
        """
        lam, dlam = 0.0, 1.0 / steps
        min_dlam = dlam / 512
        # below this step, try pseudo-transient continuation; once the stage needed it
        # (its path is unstable), at the first failure
        relax_dlam = dlam / 4
        relaxed_at = None
        prev, prev_dlam = None, 0.0
        use_predictor = True
        while lam < 1.0 - 1e-12:
            if cancel is not None:
                cancel.check()
            target = min(1.0, lam + dlam)
            setter(target)
            new = None
            # secant predictor from the previous step (keeps penalty contacts from
            # opening and closing in the first iteration), then the plain start
            starts = ([_extrapolate(prev, state, (target - lam) / prev_dlam)]
                      if prev is not None and use_predictor else [])
            for k, start in enumerate(starts + [state]):
                new, iters, rnorm, ev = self.newton(start)
                stats.newton_iterations += iters
                if new is not None:
                    break
                if starts and k == 0:
                    use_predictor = False      # e.g. plastic hinges: plain starts work
            if new is None and dlam <= relax_dlam and relaxed_at != lam:
                # a limit point (or a contact switch Newton cannot resolve): let the
                # frame move through it on a damped path to the equilibrium beyond
                relaxed_at = lam
                new = self.relax(state, stats, cancel, label)
                if new is not None:
                    relax_dlam = np.inf
                    iters = 0
                    ev = self.evaluate(new)
                    rnorm = float(np.linalg.norm(ev.residual))
                    prev = None                 # the secant predictor spans the jump
            if new is None:
                stats.cutbacks += 1
                dlam *= 0.5
                if dlam < min_dlam:
                    setter(lam)
                    raise SolverError(
                        f"the frame mechanics did not converge in stage '{label}' at "
                        f"{100 * lam:.0f}% (residual {rnorm:.3g} N)",
                        hint="try the fast model, a different depth, or more load steps")
                continue
            if stats.steps % 10 == 9:
                new.rot = orthonormalize(new.rot)
            if iters > 0:
                prev, prev_dlam = state, target - lam
            state = new
            lam = target
            stats.steps += 1
            stats.residual_norm_n = rnorm
            stats.history.append((label, lam, iters, rnorm))
            if on_step is not None:
                on_step(lam, state, ev)
            if progress is not None:
                progress(lam, label)
            if iters <= 6:
                dlam = min(1.5 * dlam, 2.0 / steps)
        return state


RELAX_START_MM = 0.05        # first pseudo-time step moves the unbalanced frame ~this far
RELAX_MIN_N_PER_MM = 1e-6    # damping below this is switched off (plain Newton)
RELAX_MAX_GROWTH = 1e4       # give up when a pseudo-step needs this much more damping
RELAX_MAX_STEPS = 400
RELAX_EASY_ITERATIONS = 4    # a pseudo-step solved in so few iterations allows less damping


def _damped(ev: Evaluation, dx: np.ndarray, c: float) -> Evaluation:
    """``ev`` plus the viscous force ``c dx`` (dx (n, 3) mm) on every node and ``c`` on the
    translational diagonal of its tangent (``c`` < 0 removes a damping added before)."""
    r = ev.residual.copy()
    r.reshape(-1, 6)[:, :3] += c * dx
    k = ev.tangent
    if k is not None:
        diag = np.zeros((len(dx), 6))
        diag[:, :3] = c
        k = (k + sp.diags(diag.ravel(), format="csc")).tocsc()
    return Evaluation(r, k, ev.fibre, ev.contacts, ev.constraint_forces, ev.max_strain,
                      ev.force_scale)


def _advance(state: FrameState, du: np.ndarray) -> FrameState:
    """``state`` moved by ``du`` (n, 6): translations added, spins applied."""
    return FrameState(state.x + du[:, :3], expm(du[:, 3:]) @ state.rot, state.fibre)


def _external_total(ev: Evaluation) -> float:
    """Sum of the magnitudes of wall and catheter forces (N)."""
    total = float(np.linalg.norm(ev.constraint_forces, axis=1).sum())
    for res in ev.contacts.values():
        total += float(np.linalg.norm(res.force, axis=1).sum())
    return total


def _extrapolate(prev: FrameState, cur: FrameState, ratio: float) -> FrameState:
    """Linear extrapolation of positions and rotations by ``ratio`` of the last step."""
    ratio = min(ratio, 2.0)
    spin = logm(cur.rot @ np.swapaxes(prev.rot, 1, 2))
    return FrameState(cur.x + ratio * (cur.x - prev.x), expm(ratio * spin) @ cur.rot,
                      cur.fibre.copy())


class FrameProblem(_NewtonSolver):
    """The whole frame: its material, the walls it touches, the catheter constraints."""

    def __init__(self, mesh: FrameMesh, material: Material,
                 options: SolverOptions = SolverOptions()):
        self.mesh = mesh
        self.options = options
        self.net = BeamNetwork(mesh, material, options.fibres_width, options.fibres_thickness)
        self.walls = []
        self.constraints = []
        self.offset_mm = 0.5 * mesh.thickness_mm
        self.n_dof = 6 * mesh.n_nodes
        self._edofs = (6 * mesh.elements[:, :, None] + np.arange(6)).reshape(-1, 12)
        self._asm_key, self._asm = None, None

    def initial_state(self) -> FrameState:
        n = self.mesh.n_nodes
        return FrameState(self.mesh.nodes_mm.copy(), np.tile(np.eye(3), (n, 1, 1)),
                          self.net.initial_state())

    def _assembler(self) -> _Assembler:
        key = tuple(tuple(c.nodes) for c in self.constraints)
        if key != self._asm_key:
            sdofs = _sample_dofs(self.mesh)
            groups = [(self._edofs, self._edofs), (sdofs, sdofs)]
            for c in self.constraints:
                d = (6 * np.asarray(c.nodes)[:, None] + np.arange(3)).reshape(1, -1)
                groups.append((d, d))
            self._asm = _Assembler(self.n_dof, groups)
            self._asm_key = key
        return self._asm

    def evaluate(self, state: FrameState, tangent: bool = True) -> Evaluation:
        """Residual (and tangent) at ``state`` from its committed fibre states."""
        asm = self._assembler()
        fe, ke, fibre, max_strain = self.net.evaluate(state.x, state.rot, state.fibre, tangent)
        r = np.bincount(self._edofs.ravel(), fe.ravel(), minlength=self.n_dof)
        contacts, fn, blocks = wall_contacts(self.mesh, self.walls, state.x, self.offset_mm,
                                             self.options.contact_smoothing_mm)
        r.reshape(-1, 6)[:, :3] -= fn
        parts = [(0, ke), (1, blocks)] if tangent else []
        fc = np.zeros((self.mesh.n_nodes, 3))
        for i, c in enumerate(self.constraints):
            np.add.at(fc, c.nodes, c.stiffness_n_per_mm * c.value(state.x) * c.weights)
            w = c.weights.ravel()
            parts.append((2 + i, c.stiffness_n_per_mm * np.outer(w, w)))
        r.reshape(-1, 6)[:, :3] += fc
        k = asm.matrix(parts) if tangent else None
        scale = float(np.abs(fe).max()) if len(fe) else 1.0
        return Evaluation(r, k, fibre, contacts, fc, max_strain, scale)


class CyclicProblem(_NewtonSolver):
    """One rotational sector of an axisymmetric load case (walls must be axisymmetric).

    The state holds the sector's representative nodes; every other node is a rotated copy.
    ``hold_axial`` / ``hold_twist`` keep the inflow node's height and azimuth (the
    catheter), removing the two rigid motions an axisymmetric load leaves free.
    """

    def __init__(self, mesh: FrameMesh, material: Material,
                 options: SolverOptions = SolverOptions(), hold_stiffness_n_per_mm=1e3):
        self.mesh = mesh
        self.options = options
        self.map = CyclicMap(mesh)
        cm = self.map
        self.net = BeamNetwork(mesh, material, options.fibres_width, options.fibres_thickness,
                               elements=cm.sector_elements)
        self.walls = []
        self.constraints = []
        self.offset_mm = 0.5 * mesh.thickness_mm
        self.n_dof = 6 * cm.n_rep
        conn = mesh.elements[cm.sector_elements]
        rep_pos, k = cm.rep_pos[conn], cm.turns[conn]               # (m, 2)
        dofs = (6 * rep_pos[:, :, None] + np.arange(6)).reshape(-1, 12)
        row_dofs = np.where(np.repeat(k == 0, 6, axis=1), dofs, -1)
        self._row_dofs, self._col_dofs = row_dofs, dofs
        self._col_rot = cm.rotations[np.repeat(k, 2, axis=1)]           # (m, 4, 3, 3)
        sk = cm.turns[np.column_stack([mesh.sample_a, mesh.sample_b])]  # (P, 2)
        sdofs = _sample_dofs(mesh, cm.rep_pos)
        self._sample_rows = np.where(np.repeat(sk == 0, 3, axis=1), sdofs, -1)
        self._sample_cols = sdofs
        self._sample_rot = cm.rotations[sk]                              # (P, 2, 3, 3)
        inflow_rep = cm.rep_pos[mesh.inflow_ring[0]]
        x_in = mesh.nodes_mm[cm.reps[inflow_rep]]
        az = np.arctan2(x_in[1], x_in[0])
        self.constraints = [
            LinearConstraint(np.array([inflow_rep]), np.array([[0.0, 0.0, 1.0]]), x_in[2],
                             hold_stiffness_n_per_mm, "axial"),
            LinearConstraint(np.array([inflow_rep]),
                             np.array([[-np.sin(az), np.cos(az), 0.0]]), 0.0,
                             hold_stiffness_n_per_mm, "twist")]
        groups = [(row_dofs, dofs), (self._sample_rows, self._sample_cols)]
        for c in self.constraints:
            d = (6 * np.asarray(c.nodes)[:, None] + np.arange(3)).reshape(1, -1)
            groups.append((d, d))
        self._asm = _Assembler(self.n_dof, groups)

    def initial_state(self) -> FrameState:
        cm = self.map
        return FrameState(self.mesh.nodes_mm[cm.reps].copy(),
                          np.tile(np.eye(3), (cm.n_rep, 1, 1)), self.net.initial_state())

    def from_full(self, state: FrameState) -> FrameState:
        """Sector state of a cyclically symmetric full state."""
        cm = self.map
        return FrameState(state.x[cm.reps].copy(), state.rot[cm.reps].copy(),
                          state.fibre[cm.sector_elements].copy())

    def expand(self, state: FrameState) -> FrameState:
        """The whole frame's state from the sector's."""
        x, rot = self.map.expand(state.x, state.rot)
        return FrameState(x, rot, state.fibre[self.map.element_source])

    def evaluate(self, state: FrameState, tangent: bool = True) -> Evaluation:
        x_full, rot_full = self.map.expand(state.x, state.rot)
        fe, ke, fibre, max_strain = self.net.evaluate(x_full, rot_full, state.fibre, tangent)
        rows = self._row_dofs.ravel()
        keep = rows >= 0
        r = np.bincount(rows[keep], fe.ravel()[keep], minlength=self.n_dof)
        parts = []
        if tangent:
            # columns of rotated copies: K_ab Q^k (spins and translations rotate alike)
            k4 = ke.reshape(len(ke), 12, 4, 3)
            k4 = np.einsum("eiaj,eajk->eiak", k4, self._col_rot)
            parts.append((0, k4.reshape(len(ke), 12, 12)))
        contacts, fn, blocks = wall_contacts(self.mesh, self.walls, x_full, self.offset_mm,
                                             self.options.contact_smoothing_mm)
        r.reshape(-1, 6)[:, :3] -= fn[self.map.reps]
        if tangent:
            b4 = blocks.reshape(len(blocks), 6, 2, 3)
            b4 = np.einsum("piaj,pajk->piak", b4, self._sample_rot)
            parts.append((1, b4.reshape(len(blocks), 6, 6)))
        fc = np.zeros((self.map.n_rep, 3))
        for i, c in enumerate(self.constraints):
            np.add.at(fc, c.nodes, c.stiffness_n_per_mm * c.value(state.x) * c.weights)
            w = c.weights.ravel()
            parts.append((2 + i, c.stiffness_n_per_mm * np.outer(w, w)))
        r.reshape(-1, 6)[:, :3] += fc
        k = self._asm.matrix(parts) if tangent else None
        scale = float(np.abs(fe).max()) if len(fe) else 1.0
        return Evaluation(r, k, fibre, contacts, fc, max_strain, scale)
