"""Structured tube meshes: conformity, orientation, volumes, labels."""

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.geometry.tube_mesh import (ArchParams, aortic_arch, axisymmetric_duct,
                                         boundary_faces, ring_disk, straight_tube)
from twindesk.sim.flow import fda_nozzle as fn


def volumes(m):
    p = m.points_mm[m.tets]
    return np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]),
                     p[:, 3] - p[:, 0]) / 6


def polygon_area(r, n):
    return 0.5 * n * r * r * np.sin(2 * np.pi / n)


@pytest.mark.parametrize("n_core,n_ann", [(1, 0), (3, 0), (4, 2)])
def test_ring_disk_counts(n_core, n_ann):
    d = ring_disk(n_core, n_ann)
    assert len(d.ring) == 1 + 3 * n_core * (n_core + 1) + 6 * n_core * n_ann
    assert len(d.triangles) == 6 * n_core**2 + 12 * n_core * n_ann
    assert len(np.unique(np.sort(d.triangles, axis=1), axis=0)) == len(d.triangles)


def test_straight_tube_volume_orientation_and_conformity():
    m = straight_tube(5.0, 30.0, n_core=4, layer_mm=2.0)
    v = volumes(m)
    assert v.min() > 0
    assert v.sum() == pytest.approx(polygon_area(5.0, 24) * 30.0, rel=1e-12)
    # Every face is shared by two tets except the labelled boundary: a conforming mesh.
    assert len(boundary_faces(m.points_mm, m.tets)) == len(m.boundary_tris)
    p = m.points_mm[m.boundary_tris]
    n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    area = 0.5 * np.linalg.norm(n, axis=1)
    assert area[m.region_id == 1].sum() == pytest.approx(polygon_area(5.0, 24), rel=1e-12)
    assert np.allclose(n[m.region_id == 1][:, :2], 0) and (n[m.region_id == 1][:, 2] < 0).all()
    assert (n[m.region_id == 2][:, 2] > 0).all()
    wall = m.region_id == 0
    radial = p[wall].mean(axis=1)[:, :2]
    assert (np.einsum("ij,ij->i", n[wall][:, :2], radial) > 0).all()


def test_axisymmetric_duct_follows_radius():
    z = np.linspace(0, 20, 21)
    m = axisymmetric_duct(lambda z: 3 + 0.1 * z, z, 4)
    r_wall = np.linalg.norm(m.points_mm[:, :2], axis=1)
    top = np.isclose(m.points_mm[:, 2], 20)
    assert r_wall[top].max() == pytest.approx(5.0)
    with pytest.raises(InputError):
        axisymmetric_duct(lambda z: 1 - z, z, 2)


def test_nozzle_mesh_has_step_wall_and_exact_throat():
    m = fn.nozzle_mesh(fn.NozzleMeshParams(n_core=2, n_annulus=2, z_outlet_mm=20.0,
                                           dz_pipe_mm=8, dz_throat_mm=4, dz_jet_mm=2,
                                           dz_outlet_mm=4))
    assert volumes(m).min() > 0
    assert len(boundary_faces(m.points_mm, m.tets)) == len(m.boundary_tris)
    p = m.points_mm[m.boundary_tris]
    c = p.mean(axis=1)
    n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    step = (m.region_id == 0) & np.isclose(c[:, 2], 0.0) & (np.abs(n[:, 2]) > 0)
    area = 0.5 * np.linalg.norm(n[step], axis=1).sum()
    # Annulus between the 12-gon throat (2 rings -> 12 points) and the 12-gon pipe wall.
    f = fn.polygon_area_radius_factor(12)  # equal-area sections (the default)
    assert area == pytest.approx(polygon_area(6 * f, 12) - polygon_area(2 * f, 12), rel=1e-9)
    assert (n[step][:, 2] < 0).all()  # the step faces the flow: outward normal is -z
    r = np.linalg.norm(m.points_mm[:, :2], axis=1)
    throat = (m.points_mm[:, 2] > -39) & (m.points_mm[:, 2] < -1)
    f = fn.polygon_area_radius_factor(12)
    assert r[throat].max() == pytest.approx(fn.THROAT_RADIUS_MM * f)


def test_nozzle_mesh_equal_area_sections():
    """Each polygonal cross-section has the area of the benchmark's circle (throat and pipe);
    without the correction a 12-gon is 4.5 % too small."""
    kw = dict(n_core=2, n_annulus=2, z_outlet_mm=20.0, dz_pipe_mm=8, dz_throat_mm=4,
              dz_jet_mm=2, dz_outlet_mm=4)
    for eq, expect in ((True, 1.0), (False, polygon_area(1, 12) / np.pi)):
        m = fn.nozzle_mesh(fn.NozzleMeshParams(**kw, equal_area=eq))
        r = np.linalg.norm(m.points_mm[:, :2], axis=1)
        z = m.points_mm[:, 2]
        for z0, radius in ((-20.0, fn.THROAT_RADIUS_MM), (10.0, fn.PIPE_RADIUS_MM)):
            layer = np.isclose(z, z[np.argmin(np.abs(z - z0))])
            assert polygon_area(r[layer].max(), 12) == pytest.approx(
                expect * np.pi * radius**2, rel=1e-9)
    assert 1 - polygon_area(1, 12) / np.pi == pytest.approx(0.045, abs=5e-4)


def test_arch_regions_and_branch_patches():
    m, names = aortic_arch(ArchParams(n_core=3))
    assert set(np.unique(m.region_id)) == {0, 1, 2, 3, 4, 5}
    assert names[2] == "descending_aorta"
    assert volumes(m).min() > 0
    # Branch patches sit on the outer curvature (top of the arch: z above the ascending end).
    c = m.points_mm[m.boundary_tris].mean(axis=1)
    for rid in (3, 4, 5):
        assert c[m.region_id == rid][:, 2].min() > ArchParams().ascending_mm
    with pytest.raises(InputError):
        aortic_arch(ArchParams(bend_radius_mm=10.0))
