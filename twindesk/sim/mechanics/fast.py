"""Fast (reduced-order) deployment model for dragging and size sweeps.

The reduced model keeps the full model's lattice and co-rotational beams but only the
lattice vertices (one cubic beam element per strut, 4 × 2 fibres: ~1/6 of the unknowns)
and replaces the path-dependent material by a path-independent elastic law, so the
deployed state is found in one continuation from the free shape instead of crimping and
releasing:

* self-expanding frames and occluders: the superelastic *unloading branch*
  (:class:`~twindesk.sim.mechanics.materials.UnloadingBranchLaw`) with a stress scale fitted
  so the reduced model's radial force equals the target chronic-outward-force curve — the
  full model's (crimp, then release in a closing/opening rigid cylinder) or a published
  bench curve;
* balloon-expandable frames: linear elastic fibres on the full model's recoiled free shape
  (balloon expansion to nominal and deflation without tissue), so the tissue acts on the
  frame's elastic unloading stiffness.

The deployed state is reached by closing the lumen onto the free frame: the walls are
scaled radially about the axis from just outside the frame to their true size (the elastic
law makes the end state independent of the path), with the same walls, catheter hold and
depth correction as the full model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.jobs.core import CancelToken
from twindesk.sim.mechanics.contact import CylinderWall, Wall
from twindesk.sim.mechanics.deploy import (HOLD_N_PER_MM, RIGID_N_PER_MM3, CrimpedFrame,
                                           FullResult, _catheter, _finish, _hold_reaction,
                                           _nc_crown, _total_radial, crimp, deploy_full,
                                           outer_radius, settle)
from twindesk.sim.mechanics.frame import FrameMesh, Profile, build_frame
from twindesk.sim.mechanics.materials import LinearElasticLaw, UnloadingBranchLaw
from twindesk.sim.mechanics.params import Device, SolverOptions, Superelastic
from twindesk.sim.mechanics.solver import CyclicProblem, FrameProblem, SolveStats

FAST_OPTIONS = SolverOptions(elements_per_strut=1, fibres_width=4, fibres_thickness=2,
                             contact_smoothing_mm=0.005)


@dataclass
class FastCalibration:
    """What the reduced model was fitted to."""

    scale: float                        # stress scale of the fibre law
    target_curve: np.ndarray            # (k, 2) diameter mm, force N
    fitted_curve: np.ndarray            # (k, 2) reduced model at the same diameters
    source: str                         # "full model" or "bench curve"
    reference_profile: Profile | None   # balloon-expandable: recoiled free profile

    def to_json(self) -> dict:
        prof = self.reference_profile
        return {"scale": self.scale, "target_curve": self.target_curve.tolist(),
                "fitted_curve": self.fitted_curve.tolist(), "source": self.source,
                "reference_profile": None if prof is None else [list(prof.z_mm),
                                                                list(prof.r_mm)]}

    @classmethod
    def from_json(cls, data: dict) -> FastCalibration:
        prof = data["reference_profile"]
        return cls(float(data["scale"]), np.array(data["target_curve"]).reshape(-1, 2),
                   np.array(data["fitted_curve"]).reshape(-1, 2), str(data["source"]),
                   None if prof is None else Profile(tuple(prof[0]), tuple(prof[1])))

    @property
    def max_relative_error(self) -> float:
        t, f = self.target_curve[:, 1], self.fitted_curve[:, 1]
        ok = t > 0.05 * t.max()
        return float(np.max(np.abs(f[ok] - t[ok]) / t[ok])) if np.any(ok) else 0.0


def fit_scale(model_n: np.ndarray, target_n: np.ndarray) -> float:
    """Force scale α minimising Σ ((α m − t)/t)² (least squares in relative error)."""
    r = np.asarray(model_n, float) / np.asarray(target_n, float)
    return float(r.sum() / (r * r).sum())


def cof_curve(crimped: CrimpedFrame, progress=None, cancel=None) -> np.ndarray:
    """Full model chronic outward force: release in a rigid cylinder opening from the
    crimped diameter to beyond nominal; rows (outer diameter mm, total radial force N)."""
    res = deploy_full(crimped, [], progress=progress, cancel=cancel)
    return res.release_curve


def _free_recoil_profile(crimped: CrimpedFrame, cancel=None) -> tuple[Profile, FullResult]:
    res = deploy_full(crimped, [], cancel=cancel)
    mesh, x = res.mesh, res.state.x
    z, r = [], []
    for level in range(mesh.levels):
        ring = mesh.ring(level)
        z.append(float(x[ring, 2].mean()))
        r.append(float(np.hypot(x[ring, 0], x[ring, 1]).mean()))
    z = np.asarray(z) - z[0]
    return Profile(tuple(z), tuple(r)), res


class FastModel:
    """Reduced-order frame model (see module docstring)."""

    def __init__(self, device: Device, calibration: FastCalibration,
                 options: SolverOptions = FAST_OPTIONS):
        self.device = device
        self.calibration = calibration
        self.options = options
        self.mesh = self._mesh()
        self.law = self._law(calibration.scale)

    # ------------------------------------------------------------------ construction
    def _mesh(self) -> FrameMesh:
        dev = self.device
        if dev.kind != "balloon-expandable":
            return build_frame(dev, self.options.elements_per_strut)
        # the recoiled free frame as the stress-free shape of the elastic fast model
        prof = self.calibration.reference_profile
        mesh = build_frame(dev, self.options.elements_per_strut, at_nominal=True)
        return _reshape(mesh, prof)

    def _law(self, scale: float):
        mat = self.device.material
        if isinstance(mat, Superelastic):
            return UnloadingBranchLaw(mat, scale)
        return LinearElasticLaw(mat.youngs_modulus_mpa * scale, mat.poisson_ratio)

    @classmethod
    def calibrate(cls, device: Device, bench_curve: np.ndarray | None = None,
                  full_options: SolverOptions = SolverOptions(contact_smoothing_mm=0.005),
                  crimped: CrimpedFrame | None = None, options: SolverOptions = FAST_OPTIONS,
                  cancel: CancelToken | None = None) -> FastModel:
        """Fit the reduced model to ``bench_curve`` (rows diameter mm, COF N) when given,
        otherwise to the full model's chronic-outward-force curve."""
        if device.kind == "balloon-expandable":
            crimped = crimped or crimp(device, full_options, cancel=cancel)
            prof, _ = _free_recoil_profile(crimped, cancel)
            cal = FastCalibration(1.0, np.zeros((0, 2)), np.zeros((0, 2)), "full model", prof)
            return cls(device, cal, options)
        if bench_curve is not None and len(bench_curve):
            target, source = np.asarray(bench_curve, float)[:, :2], "bench curve"
        else:
            crimped = crimped or crimp(device, full_options, cancel=cancel)
            full = cof_curve(crimped, cancel=cancel)
            d_hi = _nominal_outer_max(crimped.mesh) - 1.0
            d_lo = max(full[:, 0].min(), 0.7 * d_hi)
            grid = np.linspace(d_lo, d_hi, 6)
            target = np.column_stack([grid, np.interp(grid, full[:, 0], full[:, 1])])
            source = "full model"
        model = cls(device, FastCalibration(1.0, target, target * 0, source, None), options)
        unit = model.radial_force(target[:, 0], cancel=cancel)
        ok = target[:, 1] > 0.05 * target[:, 1].max()
        if not np.any(ok) or np.any(unit[ok] <= 0):
            raise InputError("radial-force curve: no diameter below the frame's free size",
                             hint="give radial_force rows at diameters smaller than nominal")
        scale = fit_scale(unit[ok], target[ok, 1])
        cal = FastCalibration(scale, target, np.column_stack([target[:, 0], scale * unit]),
                              source, None)
        return cls(device, cal, options)

    # ------------------------------------------------------------------ bench
    def radial_force(self, diameters_mm: np.ndarray, cancel=None) -> np.ndarray:
        """Total radial force (N) in a rigid cylinder of each outer diameter (cyclic)."""
        diameters_mm = np.asarray(diameters_mm, float)
        prob = CyclicProblem(self.mesh, self.law, self.options, HOLD_N_PER_MM)
        state = prob.initial_state()
        r0 = outer_radius(self.mesh, self.mesh.nodes_mm).max()
        wall = CylinderWall(r0, True, RIGID_N_PER_MM3, "bench")
        prob.walls = [wall]
        out = np.zeros(len(diameters_mm))
        order = np.argsort(-diameters_mm)
        stats, r_prev = SolveStats(), r0
        for i in order:
            r_t = 0.5 * diameters_mm[i]
            if r_t >= r0:
                continue

            def setter(lam, a=r_prev, b=r_t):
                wall.radius_mm = a + lam * (b - a)

            state = prob.run_stage(state, setter, 4, stats, None, cancel, None, "bench")
            ev = prob.evaluate(state, tangent=False)
            out[i] = _total_radial(ev, "bench")
            r_prev = r_t
        return out

    # ------------------------------------------------------------------ deployment
    def deploy(self, walls: list[Wall], *, nc_azimuth_rad: float = np.pi, steps: int = 8,
               progress=None, cancel: CancelToken | None = None) -> FullResult:
        """Deployed state against ``walls`` (frame coordinates), as the full model's."""
        mesh, opts = self.mesh, self.options
        prob = FrameProblem(mesh, self.law, opts)
        state = prob.initial_state()
        cons = _catheter(mesh, state.x, opts.catheter_stiffness_n_per_mm)
        prob.constraints = cons
        prob.walls = list(walls)
        stats = SolveStats()
        s0 = _opening_scale(mesh, walls)

        def close(lam):
            for w in walls:
                w.set_radial_scale(s0 + lam * (1.0 - s0))

        try:
            close(0.0)
            state = prob.run_stage(state, close, steps, stats, None, cancel, progress,
                                   "lumen closing")
        finally:
            close(1.0)
        state = settle(prob, state, _nc_crown(mesh, nc_azimuth_rad), stats, cancel)
        ev = prob.evaluate(state)
        return _finish(mesh, state, ev.contacts, stats, [], False, 0.0, mesh.thickness_mm,
                       _hold_reaction(prob, state), ev, symmetric=False)


def _opening_scale(mesh: FrameMesh, walls: list[Wall], margin: float = 1.03) -> float:
    """Radial scale that puts every wall just outside the free frame."""
    x = mesh.nodes_mm
    r_frame = np.hypot(x[:, 0], x[:, 1]) + mesh.thickness_mm
    z_lo, z_hi = x[:, 2].min() - 5.0, x[:, 2].max() + 5.0
    zs = np.linspace(z_lo, z_hi, 60)
    r_env = np.array([r_frame[np.abs(x[:, 2] - z) < 4.0].max(initial=0.0) for z in zs])
    scale = 1.0
    for w in walls:
        z, r = w.radius_samples((z_lo, z_hi))
        if len(z):
            need = np.interp(z, zs, r_env) / np.maximum(r, 1e-6)
            scale = max(scale, float(need.max()) * margin)
    return scale


def _nominal_outer_max(mesh: FrameMesh) -> float:
    z = np.linspace(0, mesh.nominal.height_mm, 50)
    return float(2 * mesh.nominal.radius(z).max() + mesh.thickness_mm)


def _reshape(mesh: FrameMesh, profile: Profile) -> FrameMesh:
    """Map a nominal lattice onto another profile (level by level, struts linearly)."""
    from dataclasses import replace

    x = mesh.nodes_mm.copy()
    h_old = mesh.nominal.height_mm
    zf = x[:, 2] / h_old
    z_new = np.interp(zf, np.linspace(0, 1, len(profile.z_mm)),
                      np.asarray(profile.z_mm))
    r_new = np.interp(z_new, np.asarray(profile.z_mm), np.asarray(profile.r_mm))
    r_old = np.hypot(x[:, 0], x[:, 1])
    x[:, 0] *= r_new / r_old
    x[:, 1] *= r_new / r_old
    x[:, 2] = z_new
    length = np.linalg.norm(x[mesh.elements[:, 1]] - x[mesh.elements[:, 0]], axis=1)
    node_len = np.bincount(mesh.elements.ravel(), weights=np.repeat(0.5 * length, 2),
                           minlength=len(x))
    area = node_len * profile.lateral_area_mm2() / node_len.sum()
    from twindesk.sim.mechanics.frame import _element_frames

    frames = _element_frames(x, mesh.elements, lambda z: np.zeros_like(z), 1.0)
    ratio = profile.lateral_area_mm2() / mesh.sample_area_mm2.sum()
    return replace(mesh, nodes_mm=x, element_frames=frames, node_area_mm2=area,
                   sample_area_mm2=mesh.sample_area_mm2 * ratio,
                   nominal=profile, level_z_nominal_mm=np.asarray(profile.z_mm))
