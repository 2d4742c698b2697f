"""A synthetic aorta case (curved tube with arch-branch outlets) following the flow-mesh
contract, for tests, benchmarks and demos before a patient mesh exists."""

from __future__ import annotations

from pathlib import Path

from twindesk.geometry.tube_mesh import ArchParams, aortic_arch
from twindesk.sim.flow.domain import regions_from_triangles


def make_synthetic_aorta_case(path: Path, arch: ArchParams = ArchParams(),
                              physiology: dict | None = None):
    """Create a case at ``path`` holding ``mesh:aorta`` and ``mesh_boundary:aorta``; returns
    the number of tetrahedra. ``physiology`` (optional) is stored as ``case.doc["physiology"]``."""
    from twindesk.io.flow_mesh import put_flow_mesh
    from twindesk.model.case import Case

    mesh, names = aortic_arch(arch)
    regions = regions_from_triangles(mesh.points_mm, mesh.boundary_tris, mesh.region_id, names)
    with Case.create(Path(path)) as case:
        put_flow_mesh(case, "aorta", mesh.points_mm, mesh.tets, mesh.boundary_tris,
                      mesh.region_id, [r.to_meta() for r in regions])
        if physiology is not None:
            case.doc["physiology"] = physiology
        case.save("synthetic-aorta", {"tetrahedra": int(len(mesh.tets)),
                                      "n_core": arch.n_core})
    return len(mesh.tets)
