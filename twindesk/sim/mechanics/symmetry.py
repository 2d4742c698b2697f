"""Cyclic (rotational) symmetry of a frame about its axis.

A frame with ``cells_per_row`` = N cells is invariant under rotation by 2π/N about z. Each
node orbit (N nodes) is represented by one node of a sector; node ``i`` equals its
representative turned ``turns[i]`` times. Under an axisymmetric load the solution keeps
the symmetry, so positions are ``Q^k x_rep`` and rotations ``Q^k R_rep Q^-k``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from twindesk.errors import SolverError
from twindesk.sim.mechanics.frame import FrameMesh


def rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class CyclicMap:
    """Representatives, turns and the sector's elements of a frame mesh."""

    def __init__(self, mesh: FrameMesh):
        n = mesh.cells_per_row
        self.n_sectors = n
        alpha = 2 * np.pi / n
        x = mesh.nodes_mm
        # sector window start chosen off every lattice and strut-node azimuth
        start = -0.5 * alpha + 0.3183 * alpha
        az = np.arctan2(x[:, 1], x[:, 0])
        turns = np.floor((az - start) / alpha).astype(int) % n
        self.rotations = np.stack([rot_z(k * alpha) for k in range(n)])
        back = np.einsum("nij,nj->ni", self.rotations[(-turns) % n], x)
        tree = cKDTree(x)
        dist, rep_of = tree.query(back)
        scale = max(1.0, np.abs(x).max())
        if np.any(dist > 1e-7 * scale) or np.any(turns[rep_of] != 0):
            raise SolverError("the frame mesh is not cyclically symmetric",
                              hint="check cells_per_row and the generated lattice")
        self.reps = np.flatnonzero(turns == 0)
        if len(self.reps) * n != len(x):
            raise SolverError("the frame's node orbits are incomplete")
        pos = np.full(len(x), -1)
        pos[self.reps] = np.arange(len(self.reps))
        self.rep_pos = pos[rep_of]
        self.turns = turns
        self.n_rep = len(self.reps)
        conn = mesh.elements
        touches = (turns[conn] == 0).any(axis=1)
        self.sector_elements = np.flatnonzero(touches)
        # every element's orbit member inside the sector: turn it back by its first node
        key = {(int(a), int(b)): i for i, (a, b) in enumerate(conn[self.sector_elements])}
        node_at = {}
        rep_nodes = self.reps[self.rep_pos]          # representative node id of each node
        for node in range(len(x)):
            node_at[(int(rep_nodes[node]), int(turns[node]))] = node
        source = np.empty(len(conn), int)
        for e, (a, b) in enumerate(conn):
            k = turns[a]
            a0 = rep_nodes[a]
            b0 = node_at[(int(rep_nodes[b]), int((turns[b] - k) % n))]
            source[e] = key[(int(a0), int(b0))]
        self.element_source = source

    def expand(self, x_rep: np.ndarray, rot_rep: np.ndarray):
        """Full positions and rotations from the representatives'."""
        q = self.rotations[self.turns]
        x = np.einsum("nij,nj->ni", q, x_rep[self.rep_pos])
        rot = q @ rot_rep[self.rep_pos] @ np.swapaxes(q, 1, 2)
        return x, rot
