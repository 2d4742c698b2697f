"""Structured tetrahedral meshes of tubes and axisymmetric ducts (no external mesher).

A cross-section is a disk of concentric rings: a *core* of rings ``1..n_core`` with ``6 k``
points on ring ``k`` (nearly equilateral triangles) and an optional *annulus* of rings with
``6 n_core`` points each (an O-grid band of split quads). Stacking cross-sections along an
axis gives triangular prisms; each prism is cut into three tetrahedra by the rule "every
quadrilateral face is split by the diagonal through its lowest-numbered vertex", which makes
neighbouring prisms conform without any bookkeeping (Dompierre et al., *How to subdivide
pyramids, prisms and hexahedra into tetrahedra*, 8th International Meshing Roundtable, 1999).

Each slab between two layers uses either the core only or core plus annulus, so sudden
steps (the FDA nozzle's expansion) are exact: the annulus faces at the step become wall.

Boundary triangles carry region ids following the flow-mesh contract: 0 wall, 1 inlet
(first layer), 2 outlet (last layer). Points are returned in millimetres in whatever frame
the caller's centreline map uses (LPS for patient-like synthetic cases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError

WALL, INLET, OUTLET = 0, 1, 2


@dataclass(frozen=True)
class RingDisk:
    """A unit-free ring triangulation of a disk.

    Attributes
    ----------
    ring : (n,) int
        Ring index of each point (0 is the centre).
    angle : (n,) float
        Polar angle of each point in radians.
    triangles : (m, 3) int
        Point indices, counter-clockwise.
    n_core, n_rings : int
        Rings in the core; total rings (core plus annulus).
    """

    ring: np.ndarray
    angle: np.ndarray
    triangles: np.ndarray
    n_core: int
    n_rings: int

    @property
    def tri_max_ring(self) -> np.ndarray:
        return self.ring[self.triangles].max(axis=1)


def _merge_band(inner: np.ndarray, inner_ang: np.ndarray, outer: np.ndarray,
                outer_ang: np.ndarray) -> list[tuple[int, int, int]]:
    """Triangulate the band between two closed rings by walking both in angle order."""
    na, nb = len(inner), len(outer)
    i = j = 0
    tris = []
    while i < na or j < nb:
        next_a = inner_ang[i + 1] if i + 1 < na else 2 * np.pi + inner_ang[0]
        next_b = outer_ang[j + 1] if j + 1 < nb else 2 * np.pi + outer_ang[0]
        if j < nb and (i >= na or next_b <= next_a + 1e-12):
            tris.append((inner[i % na], outer[j % nb], outer[(j + 1) % nb]))
            j += 1
        else:
            if na > 1:  # a one-point inner ring (the centre) closes with the fan alone
                tris.append((inner[i % na], outer[j % nb], inner[(i + 1) % na]))
            i += 1
    return tris


def ring_disk(n_core: int, n_annulus: int = 0) -> RingDisk:
    """Build the ring triangulation with ``n_core`` core rings and ``n_annulus`` O-grid rings."""
    if n_core < 1 or n_annulus < 0:
        raise InputError(f"ring_disk: n_core={n_core}, n_annulus={n_annulus} out of range",
                         "use n_core >= 1 and n_annulus >= 0")
    counts = [1] + [6 * k for k in range(1, n_core + 1)] + [6 * n_core] * n_annulus
    ring, angle, starts = [], [], []
    for k, n in enumerate(counts):
        starts.append(len(ring))
        ring += [k] * n
        # Half-step twist on alternate annulus rings keeps the O-grid triangles symmetric.
        shift = 0.5 if (k > n_core and (k - n_core) % 2 == 1) else 0.0
        angle += list(2 * np.pi * (np.arange(n) + shift) / n) if n > 1 else [0.0]
    ring, angle = np.array(ring), np.array(angle)
    tris: list[tuple[int, int, int]] = []
    for k in range(1, len(counts)):
        a = np.arange(starts[k - 1], starts[k - 1] + counts[k - 1])
        b = np.arange(starts[k], starts[k] + counts[k])
        tris += _merge_band(a, angle[a], b, angle[b])
    t = np.array(tris, dtype=np.int64)
    # Make every triangle counter-clockwise on the unit disk.
    r = ring / max(len(counts) - 1, 1)
    xy = np.c_[r * np.cos(angle), r * np.sin(angle)]
    e1, e2 = xy[t[:, 1]] - xy[t[:, 0]], xy[t[:, 2]] - xy[t[:, 0]]
    flip = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] < 0
    t[flip] = t[flip][:, [0, 2, 1]]
    return RingDisk(ring, angle, t, n_core, len(counts) - 1)


@dataclass(frozen=True)
class TetMesh:
    """A linear tetrahedral mesh with labelled boundary triangles.

    Attributes
    ----------
    points_mm : (n, 3) float
        Vertex coordinates in millimetres.
    tets : (m, 4) int
        Positively oriented tetrahedra.
    boundary_tris : (k, 3) int
        Boundary triangles, vertices ordered so the normal points out of the domain.
    region_id : (k,) int
        0 wall, 1 inlet, 2.. outlets.
    """

    points_mm: np.ndarray
    tets: np.ndarray
    boundary_tris: np.ndarray
    region_id: np.ndarray


def _prism_tets(bottom: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Cut prisms (bottom triangle a,b,c; top a',b',c' with all top ids > bottom ids) into
    3 tets each, splitting every side quad through its lowest vertex."""
    order = np.argsort(bottom, axis=1)
    a, b, c = (np.take_along_axis(bottom, order[:, [k]], 1)[:, 0] for k in range(3))
    at, bt, ct = (np.take_along_axis(top, order[:, [k]], 1)[:, 0] for k in range(3))
    return np.concatenate([np.c_[a, b, c, ct], np.c_[a, b, bt, ct], np.c_[a, at, bt, ct]])


def _orient(points: np.ndarray, tets: np.ndarray) -> np.ndarray:
    p = points[tets]
    vol = np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), p[:, 3] - p[:, 0])
    if np.any(np.abs(vol) < 1e-12 * np.abs(vol).max()):
        raise InputError("tube mesh: degenerate tetrahedra", "use fewer rings or layers")
    tets = tets.copy()
    tets[vol < 0] = tets[vol < 0][:, [0, 2, 1, 3]]
    return tets


def boundary_faces(points: np.ndarray, tets: np.ndarray) -> np.ndarray:
    """Faces used by one tetrahedron only, ordered with outward normals."""
    faces = np.concatenate([tets[:, [1, 2, 3]], tets[:, [0, 3, 2]], tets[:, [0, 1, 3]],
                            tets[:, [0, 2, 1]]])
    key = np.sort(faces, axis=1)
    _, idx, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    out = faces[idx[counts == 1]]
    # With positive tets the face opposite vertex i listed above is outward; check anyway.
    return out


def stacked_mesh(disk: RingDisk, radii_mm: np.ndarray, axial_mm: np.ndarray,
                 slab_rings: np.ndarray,
                 place: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> TetMesh:
    """Stack ``disk`` cross-sections into a tetrahedral mesh.

    Parameters
    ----------
    disk
        The cross-section triangulation.
    radii_mm : (n_layers, disk.n_rings + 1)
        Radius of every ring at every layer (ring 0 is 0).
    axial_mm : (n_layers,)
        Axial coordinate (or arc length) of each layer, increasing.
    slab_rings : (n_layers - 1,)
        Outermost ring used by each slab (``disk.n_core`` or ``disk.n_rings``).
    place
        ``place(axial_mm, local_xy_mm, layer_index) -> points_mm`` maps in-plane offsets at
        an axial position to 3D points (straight axis, or a frame along a centreline).
    """
    n_layers, n_pts = len(axial_mm), len(disk.ring)
    if radii_mm.shape != (n_layers, disk.n_rings + 1) or len(slab_rings) != n_layers - 1:
        raise InputError("tube mesh: radii/slab arrays do not match the layers",
                         "pass one radius row per layer and one ring count per slab")
    tri_ring = disk.tri_max_ring
    tets = []
    for s, m in enumerate(slab_rings):
        tri = disk.triangles[tri_ring <= m]
        tets.append(_prism_tets(tri + s * n_pts, tri + (s + 1) * n_pts))
    tets = np.concatenate(tets)
    layer = np.repeat(np.arange(n_layers), n_pts)
    local_r = radii_mm[layer, np.tile(disk.ring, n_layers)]
    ang = np.tile(disk.angle, n_layers)
    xy = np.c_[local_r * np.cos(ang), local_r * np.sin(ang)]
    points = place(axial_mm[layer], xy, layer)
    used, tets = np.unique(tets, return_inverse=True)  # keeps order: the split rule still holds
    tets = tets.reshape(-1, 4)
    points, layer = points[used], layer[used]
    tets = _orient(points, tets)
    faces = boundary_faces(points, tets)
    fl = layer[faces]
    region = np.full(len(faces), WALL)
    region[(fl == 0).all(axis=1)] = INLET
    region[(fl == n_layers - 1).all(axis=1)] = OUTLET
    return TetMesh(points, tets, faces, region)


def graded_axis(breaks_mm: list[float], sizes_mm: list[float]) -> np.ndarray:
    """Axial layer positions between ``breaks_mm`` with element size varying linearly
    between the ``sizes_mm`` given at each break (one size per break)."""
    z = [breaks_mm[0]]
    for (z0, z1), (h0, h1) in zip(zip(breaks_mm[:-1], breaks_mm[1:]),
                                  zip(sizes_mm[:-1], sizes_mm[1:])):
        if z1 <= z0:
            continue
        # Choose n so the linearly varying size integrates to the segment length.
        n = max(1, int(round((z1 - z0) / (0.5 * (h0 + h1)))))
        t = np.linspace(0, 1, n + 1)[1:]
        w = h0 * t + 0.5 * (h1 - h0) * t**2
        z += list(z0 + (z1 - z0) * w / w[-1])
    return np.array(z)


def straight_tube(radius_mm: float, length_mm: float, n_core: int = 6,
                  layer_mm: float | None = None) -> TetMesh:
    """A straight circular tube along +z from z=0 (inlet) to ``length_mm`` (outlet)."""
    disk = ring_disk(n_core)
    h = layer_mm or radius_mm / n_core * 1.5
    z = np.linspace(0.0, length_mm, max(2, int(round(length_mm / h))) + 1)
    radii = np.tile(radius_mm * np.arange(n_core + 1) / n_core, (len(z), 1))
    return stacked_mesh(disk, radii, z, np.full(len(z) - 1, n_core), _straight_place)


def _straight_place(axial: np.ndarray, xy: np.ndarray, layer: np.ndarray) -> np.ndarray:
    return np.c_[xy, axial]


def axisymmetric_duct(radius_mm: Callable[[np.ndarray], np.ndarray], axial_mm: np.ndarray,
                      n_core: int) -> TetMesh:
    """A duct along +z whose radius varies smoothly, ``radius_mm(z_mm)``; inlet at
    ``axial_mm[0]``, outlet at ``axial_mm[-1]``."""
    disk = ring_disk(n_core)
    rz = np.asarray(radius_mm(axial_mm), dtype=float)
    if np.any(rz <= 0):
        raise InputError("axisymmetric duct: the radius must stay positive",
                         "check the radius profile")
    radii = rz[:, None] * (np.arange(n_core + 1) / n_core)[None, :]
    return stacked_mesh(disk, radii, axial_mm, np.full(len(axial_mm) - 1, n_core),
                        _straight_place)


@dataclass(frozen=True)
class ArchParams:
    """A synthetic aortic arch: ascending straight segment along +S (LPS z), a 180° bend
    towards posterior (+P, LPS y), descending segment along −S; radius tapering linearly
    from ``radius_root_mm`` to ``radius_distal_mm``. Branch outlets are wall patches of
    radius ``branch_radius_mm`` on the outer curvature at the given bend angles (degrees)."""

    radius_root_mm: float = 14.0
    radius_distal_mm: float = 11.0
    ascending_mm: float = 50.0
    bend_radius_mm: float = 30.0
    descending_mm: float = 70.0
    branch_angles_deg: tuple[float, ...] = (55.0, 85.0, 115.0)
    branch_radius_mm: float = 5.0
    n_core: int = 8
    layer_to_ring: float = 1.3  # axial layer thickness / radial ring spacing


def _arch_centreline(p: ArchParams, s: np.ndarray):
    """Centre (n,3) and unit tangent (n,3) at arc lengths ``s`` (mm)."""
    L1, Rc = p.ascending_mm, p.bend_radius_mm
    L2 = np.pi * Rc
    c = np.zeros((len(s), 3))
    t = np.zeros((len(s), 3))
    a = s <= L1
    c[a] = np.c_[0 * s[a], 0 * s[a], s[a]]
    t[a] = [0, 0, 1]
    b = (s > L1) & (s <= L1 + L2)
    th = (s[b] - L1) / Rc
    c[b] = np.c_[0 * th, Rc * (1 - np.cos(th)), L1 + Rc * np.sin(th)]
    t[b] = np.c_[0 * th, np.sin(th), np.cos(th)]
    d = s > L1 + L2
    c[d] = np.c_[0 * s[d], 2 * Rc + 0 * s[d], L1 - (s[d] - L1 - L2)]
    t[d] = [0, 0, -1]
    return c, t


def aortic_arch(p: ArchParams = ArchParams()) -> tuple[TetMesh, dict[int, str]]:
    """Curved-tube stand-in for an aorta (points in LPS mm) with region names.

    Regions: 0 wall, 1 inlet (aortic root), 2 descending aorta, 3.. arch branches.
    """
    if p.bend_radius_mm <= 1.2 * p.radius_root_mm:
        raise InputError("aortic arch: the bend radius must exceed the tube radius",
                         "increase bend_radius_mm")
    disk = ring_disk(p.n_core)
    length = p.ascending_mm + np.pi * p.bend_radius_mm + p.descending_mm
    h = p.layer_to_ring * min(p.radius_root_mm, p.radius_distal_mm) / p.n_core
    s = np.linspace(0.0, length, max(2, int(round(length / h))) + 1)
    rad = p.radius_root_mm + (p.radius_distal_mm - p.radius_root_mm) * s / length
    radii = rad[:, None] * (np.arange(p.n_core + 1) / p.n_core)[None, :]

    def place(axial, xy, layer):
        c, t = _arch_centreline(p, axial)
        e1 = np.array([1.0, 0.0, 0.0])  # the arch lies in the y–z plane: x is the binormal
        e2 = np.cross(t, e1)
        return c + xy[:, :1] * e1 + xy[:, 1:2] * e2

    mesh = stacked_mesh(disk, radii, s, np.full(len(s) - 1, p.n_core), place)
    region = mesh.region_id.copy()
    names = {0: "wall", 1: "aortic_root", 2: "descending_aorta"}
    cent = mesh.points_mm[mesh.boundary_tris].mean(axis=1)
    centre = np.array([0.0, p.bend_radius_mm, p.ascending_mm])
    for i, ang in enumerate(p.branch_angles_deg):
        th = np.radians(ang)
        arc_s = np.array([p.ascending_mm + p.bend_radius_mm * th])
        c, _ = _arch_centreline(p, arc_s)
        outward = (c[0] - centre) / np.linalg.norm(c[0] - centre)
        r_here = p.radius_root_mm + (p.radius_distal_mm - p.radius_root_mm) * arc_s[0] / length
        spot = c[0] + r_here * outward
        sel = (region == WALL) & (np.linalg.norm(cent - spot, axis=1) < p.branch_radius_mm)
        if not sel.any():
            raise InputError(f"aortic arch: branch {i + 1} patch is empty",
                             "increase branch_radius_mm or n_core")
        region[sel] = 3 + i
        names[3 + i] = ("brachiocephalic", "left_common_carotid", "left_subclavian")[i] \
            if i < 3 else f"branch{i + 1}"
    return TetMesh(mesh.points_mm, mesh.tets, mesh.boundary_tris, region), names
