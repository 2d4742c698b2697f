"""The deployed frame as handed to measurements, the CLI and the GUI.

Both fidelities return a :class:`DeployedFrame`: node positions and beam connectivity,
contact samples with the force the tissue puts on the frame, the placement transform
between frame coordinates and patient LPS millimetres, and convergence information.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.sim.mechanics.deploy import FullResult
from twindesk.sim.mechanics.params import Device, Placement
from twindesk.sim.mechanics.surface import TriangleSurface
from twindesk.sim.mechanics.symmetry import rot_z


@dataclass(frozen=True)
class FrameTransform:
    """Rigid map frame coordinates → LPS: ``p_lps = rotation @ p_frame + translation``.

    Frame coordinates: z along the device axis (toward the outflow), the annulus (landing)
    plane at ``z = depth_mm``, the frame's inflow edge on the non-coronary side at z = 0
    once deployed, x toward the frame's reference crown.
    """

    rotation: np.ndarray
    translation: np.ndarray

    @classmethod
    def from_placement(cls, placement: Placement) -> FrameTransform:
        basis = placement.basis()                                  # columns x, y, axis
        rot = basis @ rot_z(np.radians(placement.rotation_deg))
        trans = np.asarray(placement.axis_point_lps_mm, float) - rot @ np.array(
            [0.0, 0.0, placement.depth_mm])
        return cls(rot, trans)

    @classmethod
    def identity(cls) -> FrameTransform:
        return cls(np.eye(3), np.zeros(3))

    def to_lps(self, p: np.ndarray) -> np.ndarray:
        return np.asarray(p, float) @ self.rotation.T + self.translation

    def to_frame(self, p: np.ndarray) -> np.ndarray:
        return (np.asarray(p, float) - self.translation) @ self.rotation

    def vector_to_lps(self, v: np.ndarray) -> np.ndarray:
        return np.asarray(v, float) @ self.rotation.T


@dataclass
class DeployedFrame:
    """A deployed frame (frame coordinates inside, LPS through ``transform``)."""

    model: str                         # "full" or "fast"
    device: Device
    placement: Placement | None
    transform: FrameTransform
    nodes_frame_mm: np.ndarray         # (n, 3)
    beams: np.ndarray                  # (m, 2)
    vertex_level: np.ndarray           # (n,) lattice level, -1 inside struts
    vertex_index: np.ndarray           # (n,)
    levels: int
    thickness_mm: float
    width_mm: float
    annulus_z_mm: float                # annulus / landing plane height (frame coords)
    nc_node: int                       # inflow crown on the non-coronary side
    sample_points_frame_mm: np.ndarray  # (P, 3) contact samples
    sample_area_mm2: np.ndarray        # (P,)
    tissue_force_on_frame_n: np.ndarray  # (P, 3) frame coords
    tissue_frame: TriangleSurface | None
    hold_force_frame_n: np.ndarray     # (3,) catheter reaction (axial = migration tendency)
    convergence: dict
    curves: dict = field(default_factory=dict)
    node_rotations: np.ndarray | None = None   # (n, 3, 3) frame coords, for restarts

    @property
    def nodes_lps_mm(self) -> np.ndarray:
        return self.transform.to_lps(self.nodes_frame_mm)

    def ring(self, level: int) -> np.ndarray:
        idx = np.flatnonzero(self.vertex_level == level)
        return idx[np.argsort(self.vertex_index[idx])]

    @property
    def implant_depth_mm(self) -> float:
        """Annulus plane to the inflow edge on the non-coronary side, + into the LVOT."""
        return float(self.annulus_z_mm - self.nodes_frame_mm[self.nc_node, 2])

    @property
    def axial_hold_force_n(self) -> float:
        """Axial force the delivery system must exert to keep the depth (+ toward the
        outflow): the frame's tendency to migrate, since contact is frictionless."""
        return float(self.hold_force_frame_n[2])

    def to_polydata(self):
        """Beam network as a pyvista PolyData of lines in LPS (point data: level)."""
        import pyvista as pv

        lines = np.column_stack([np.full(len(self.beams), 2), self.beams]).ravel()
        poly = pv.PolyData(self.nodes_lps_mm, lines=lines)
        poly.point_data["lattice_level"] = self.vertex_level
        return poly


def from_result(model: str, device: Device, placement: Placement | None,
                transform: FrameTransform, res: FullResult, annulus_z_mm: float,
                nc_node: int, tissue_frame: TriangleSurface | None, seconds: float,
                tissue_wall: str = "tissue") -> DeployedFrame:
    """Wrap a solver result (full or fast) as a :class:`DeployedFrame`."""
    mesh = res.mesh
    s = mesh.sample_s[:, None]
    pts = (1 - s) * res.state.x[mesh.sample_a] + s * res.state.x[mesh.sample_b]
    contact = res.contacts.get(tissue_wall)
    force = contact.force if contact is not None else np.zeros_like(pts)
    conv = {"converged": True, "load_steps": res.stats.steps,
            "newton_iterations": res.stats.newton_iterations,
            "step_cutbacks": res.stats.cutbacks,
            "residual_norm_n": res.residual_norm_n,
            "force_balance": res.force_balance, "seconds": seconds,
            "max_fibre_strain": res.max_strain, "symmetric": res.symmetric}
    return DeployedFrame(
        model=model, device=device, placement=placement, transform=transform,
        nodes_frame_mm=res.state.x.copy(), beams=mesh.elements.copy(),
        vertex_level=mesh.vertex_level.copy(), vertex_index=mesh.vertex_index.copy(),
        levels=mesh.levels, thickness_mm=mesh.thickness_mm, width_mm=mesh.width_mm,
        annulus_z_mm=float(annulus_z_mm), nc_node=int(nc_node),
        sample_points_frame_mm=pts, sample_area_mm2=mesh.sample_area_mm2.copy(),
        tissue_force_on_frame_n=force, tissue_frame=tissue_frame,
        hold_force_frame_n=np.asarray(res.hold_force_n, float), convergence=conv,
        curves={"release": res.release_curve}, node_rotations=res.state.rot.copy())
