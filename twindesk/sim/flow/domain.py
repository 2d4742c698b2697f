"""The flow domain: a scikit-fem tetrahedral mesh (SI metres) with labelled boundary regions.

Built from the flow-mesh contract (``mesh:<structure>`` VTU of linear tetrahedra in LPS mm
plus ``mesh_boundary:<structure>`` VTP triangles with cell array ``region_id`` and region
metadata), or directly from arrays. Holds the Taylor–Hood spaces (P2 velocity per component,
P1 pressure) and the degree-of-freedom sets the solver needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from twindesk.errors import InputError

MM = 1e-3  # metres per millimetre
INTORDER = 4  # quadrature order: exact for the P2 Oseen term up to degree 4 on affine tets


@dataclass(frozen=True)
class Region:
    """One labelled boundary region (flow-mesh contract).

    ``normal_lps`` is a unit vector pointing out of the domain; ``center_lps_mm`` and
    ``area_mm2`` describe the region in LPS millimetres.
    """

    id: int
    name: str
    kind: str  # "wall" | "inlet" | "outlet"
    center_lps_mm: tuple[float, float, float]
    normal_lps: tuple[float, float, float]
    area_mm2: float

    @classmethod
    def from_meta(cls, d: dict) -> Region:
        try:
            return cls(int(d["id"]), str(d["name"]), str(d["kind"]),
                       tuple(float(v) for v in d["center_lps_mm"]),
                       tuple(float(v) for v in d["normal_lps"]), float(d["area_mm2"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"mesh_boundary meta: region entry {d!r} is incomplete ({exc})",
                             "regenerate the flow mesh; each region needs id, name, kind, "
                             "center_lps_mm, normal_lps and area_mm2") from None

    def to_meta(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "center_lps_mm": list(self.center_lps_mm), "normal_lps": list(self.normal_lps),
                "area_mm2": self.area_mm2}


def regions_from_triangles(points_mm: np.ndarray, tris: np.ndarray, region_id: np.ndarray,
                           names: dict[int, str] | None = None) -> list[Region]:
    """Region metadata (centre, outward unit normal, area) computed from labelled triangles."""
    p = points_mm[tris]
    cross = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    area = 0.5 * np.linalg.norm(cross, axis=1)
    out = []
    for rid in np.unique(region_id):
        sel = region_id == rid
        a = area[sel].sum()
        centre = (p[sel].mean(axis=1) * area[sel, None]).sum(axis=0) / a
        n = cross[sel].sum(axis=0)
        n = n / max(np.linalg.norm(n), 1e-300)
        kind = "wall" if rid == 0 else "inlet" if rid == 1 else "outlet"
        name = (names or {}).get(int(rid), kind if rid < 2 else f"outlet{rid - 1}")
        out.append(Region(int(rid), name, kind, tuple(centre.tolist()), tuple(n.tolist()),
                          float(a)))
    return out


class FlowDomain:
    """Mesh, boundary regions and Taylor–Hood bases.

    Parameters
    ----------
    points_mm : (n, 3)
        Vertex coordinates, LPS millimetres.
    tets : (m, 4)
        Linear tetrahedra.
    boundary_tris : (k, 3), region_id : (k,)
        Boundary triangles and their region ids; they must cover the whole boundary.
    regions
        Region metadata; computed from the triangles when omitted.
    """

    def __init__(self, points_mm, tets, boundary_tris, region_id, regions=None):
        from skfem import MeshTet

        self.points_mm = np.ascontiguousarray(points_mm, dtype=float)
        tets = np.ascontiguousarray(tets, dtype=np.int64)
        boundary_tris = np.asarray(boundary_tris, dtype=np.int64)
        region_id = np.asarray(region_id, dtype=np.int64)
        if tets.ndim != 2 or tets.shape[1] != 4 or len(tets) == 0:
            raise InputError("flow mesh: expected linear tetrahedra (4 points per cell)",
                             "regenerate the flow mesh")
        self.mesh = MeshTet(np.ascontiguousarray(self.points_mm.T * MM),
                            np.ascontiguousarray(tets.T))
        self.regions = list(regions) if regions else regions_from_triangles(
            self.points_mm, boundary_tris, region_id)
        self.facets = self._match_facets(boundary_tris, region_id)
        kinds = {r.kind for r in self.regions}
        if "inlet" not in kinds or "outlet" not in kinds:
            raise InputError("flow mesh boundary: needs one inlet region and at least one "
                             "outlet region", "label the boundary (region_id 1 inlet, 2.. outlets)")

    def _match_facets(self, tris: np.ndarray, region_id: np.ndarray) -> dict[int, np.ndarray]:
        """Map labelled triangles to the mesh's facet indices, per region."""
        n = self.mesh.p.shape[1]
        if tris.size and (tris.min() < 0 or tris.max() >= n):
            raise InputError("mesh_boundary: triangle vertex index outside the volume mesh",
                             "the boundary must use the volume mesh's points")
        def key(a):
            a = np.sort(a, axis=1).astype(np.int64)
            return (a[:, 0] * n + a[:, 1]) * n + a[:, 2]
        fkey = key(self.mesh.facets.T)
        order = np.argsort(fkey)
        tkey = key(tris)
        pos = np.searchsorted(fkey, tkey, sorter=order).clip(0, len(fkey) - 1)
        idx = order[pos]
        if np.any(fkey[idx] != tkey):
            raise InputError("mesh_boundary: some triangles are not faces of the volume mesh",
                             "regenerate the boundary from the same tetrahedral mesh")
        bfac = self.mesh.boundary_facets()
        if len(np.setdiff1d(bfac, idx)):
            raise InputError(f"mesh_boundary: {len(np.setdiff1d(bfac, idx))} boundary faces "
                             "carry no region_id", "label every boundary triangle")
        known = {r.id for r in self.regions}
        out = {}
        for rid in np.unique(region_id):
            if int(rid) not in known:
                raise InputError(f"mesh_boundary: region_id {rid} has no metadata entry",
                                 "list every region in the artefact's meta 'regions'")
            out[int(rid)] = idx[region_id == rid]
        return out

    # ------------------------------------------------------------------ regions
    def region(self, rid: int) -> Region:
        return next(r for r in self.regions if r.id == rid)

    @property
    def inlet(self) -> Region:
        return next(r for r in self.regions if r.kind == "inlet")

    @property
    def outlets(self) -> list[Region]:
        return [r for r in self.regions if r.kind == "outlet"]

    def facets_of(self, kind: str) -> np.ndarray:
        ids = [r.id for r in self.regions if r.kind == kind]
        return np.concatenate([self.facets[i] for i in ids if i in self.facets] or
                              [np.zeros(0, dtype=np.int64)])

    # ------------------------------------------------------------------ spaces
    @cached_property
    def basis_u(self):
        """Scalar P2 basis (one velocity component)."""
        from skfem import Basis, ElementTetP2

        return Basis(self.mesh, ElementTetP2(), intorder=INTORDER)

    @cached_property
    def basis_p(self):
        """P1 pressure basis on the same quadrature."""
        from skfem import Basis, ElementTetP1

        return Basis(self.mesh, ElementTetP1(), intorder=INTORDER)

    def facet_basis(self, facets: np.ndarray, p1: bool = False):
        from skfem import ElementTetP1, ElementTetP2, FacetBasis

        return FacetBasis(self.mesh, ElementTetP1() if p1 else ElementTetP2(), facets=facets,
                          intorder=INTORDER)

    @cached_property
    def element_size_m(self) -> np.ndarray:
        """Edge length (m) of the regular tetrahedron with each element's volume."""
        vol = np.asarray(self.basis_p.dx.sum(axis=1))
        return np.cbrt(6.0 * np.sqrt(2.0) * vol)

    @cached_property
    def wall_dofs(self) -> np.ndarray:
        return self.basis_u.get_dofs(self.facets_of("wall")).flatten()

    @cached_property
    def inlet_dofs(self) -> np.ndarray:
        """Inlet velocity dofs that are not on the wall (the wall rim stays no-slip)."""
        return np.setdiff1d(self.basis_u.get_dofs(self.facets_of("inlet")).flatten(),
                            self.wall_dofs)

    @cached_property
    def dirichlet_dofs(self) -> np.ndarray:
        return np.union1d(self.wall_dofs, self.inlet_dofs)

    @cached_property
    def free_dofs(self) -> np.ndarray:
        return np.setdiff1d(np.arange(self.basis_u.N), self.dirichlet_dofs)

    @cached_property
    def vertex_dofs(self) -> np.ndarray:
        """P2 dof index of every mesh vertex (velocity output at points)."""
        return self.basis_u.nodal_dofs[0]

    @property
    def n_tets(self) -> int:
        return self.mesh.t.shape[1]

    def describe(self) -> dict:
        return {"tetrahedra": int(self.n_tets), "vertices": int(self.mesh.p.shape[1]),
                "velocity_dofs": int(3 * self.basis_u.N), "pressure_dofs": int(self.basis_p.N)}
