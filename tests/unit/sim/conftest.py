"""A small synthetic twin for pulsatile-flow and scenario tests: a straight tube (the
'aorta') along +z with the inlet at z = 0, the main outlet at the far end and a branch
outlet on the side wall, a centreline, and optionally echo observations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twindesk.model.case import Case

RADIUS_MM, LENGTH_MM = 10.0, 60.0
BRANCH_Z_MM, BRANCH_RADIUS_MM = 30.0, 5.0


def tube_mesh(n_core: int = 2, layer_mm: float = 7.5):
    """Tube with region ids 0 wall, 1 inlet, 2 descending outlet, 3 branch outlet."""
    from twindesk.geometry.tube_mesh import straight_tube
    from twindesk.sim.flow.domain import regions_from_triangles

    mesh = straight_tube(RADIUS_MM, LENGTH_MM, n_core=n_core, layer_mm=layer_mm)
    region = mesh.region_id.copy()
    cent = mesh.points_mm[mesh.boundary_tris].mean(axis=1)
    spot = np.array([RADIUS_MM, 0.0, BRANCH_Z_MM])
    region[(region == 0) & (np.linalg.norm(cent - spot, axis=1) < BRANCH_RADIUS_MM + 2.0)] = 3
    names = {0: "wall", 1: "aortic_root", 2: "descending_aorta", 3: "branch"}
    regions = regions_from_triangles(mesh.points_mm, mesh.boundary_tris, region, names)
    return mesh, region, [r.to_meta() for r in regions]


def make_tube_case(path: Path, n_core: int = 2, layer_mm: float = 7.5,
                   echo: dict[str, float] | None = None) -> Path:
    from twindesk.io.flow_mesh import put_flow_mesh

    mesh, region, regions = tube_mesh(n_core, layer_mm)
    case = Case.create(path)
    put_flow_mesh(case, "aorta", mesh.points_mm, mesh.tets, mesh.boundary_tris, region, regions)
    s = np.linspace(0.0, LENGTH_MM, 61)
    n = len(s)
    case.put_json("centerline:aorta", {
        "points_lps_mm": np.c_[np.zeros(n), np.zeros(n), s].tolist(),
        "arc_length_mm": s.tolist(), "radius_mm": [RADIUS_MM] * n,
        "diameter_area_mm": [2 * RADIUS_MM] * n, "diameter_min_mm": [2 * RADIUS_MM] * n,
        "diameter_max_mm": [2 * RADIUS_MM] * n, "tangent_lps": [[0.0, 0.0, 1.0]] * n},
        "centerline")
    if echo:
        case.doc["clinical"] = {"observations": [
            {"time_utc": "2026-01-10T09:00:00Z", "quantity": k, "value": v, "unit": "",
             "source": "src-1"} for k, v in echo.items()]}
    case.save("test-setup", {})
    case.close()
    return path


@pytest.fixture
def tube_case(tmp_path) -> Path:
    return make_tube_case(tmp_path / "tube.twin")
