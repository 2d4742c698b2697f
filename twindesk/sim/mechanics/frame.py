"""Beam-network generator for diamond-cell frames (TAVR frames and LAA occluders).

Frame coordinates: millimetres, z along the device axis from the inflow edge (z = 0) to
the outflow edge, x toward azimuth 0. The lattice has ``rows_of_cells + 2`` node levels
(inflow crowns, ``rows_of_cells`` inner levels, outflow crowns) with ``cells_per_row``
vertices each; consecutive levels are offset by half a cell and joined by straight-in-
section struts (two per vertex and level gap). Struts are split into
``elements_per_strut`` beam elements whose nodes follow the surface of revolution. The
outflow crown with index 0 lies at azimuth 0: it is the frame's reference feature for
rotation (where a commissure post sits on the generic frame).

The stress-free (reference) configuration is the heat-set profile for self-expanding
frames and occluders, and the crimped cut tube for balloon-expandable frames (struts of
the nominal geometry's length, so the height at the crimped diameter follows from
inextensible struts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from twindesk.errors import InputError
from twindesk.sim.mechanics.params import Device, FrameSpec, OccluderSize


@dataclass(frozen=True)
class Profile:
    """Centreline radius r(z) of a surface of revolution, z in [0, height_mm]."""

    z_mm: tuple[float, ...]
    r_mm: tuple[float, ...]

    @property
    def height_mm(self) -> float:
        return float(self.z_mm[-1])

    def _interp(self):
        return PchipInterpolator(np.asarray(self.z_mm), np.asarray(self.r_mm))

    def radius(self, z: np.ndarray) -> np.ndarray:
        return self._interp()(np.clip(z, 0.0, self.height_mm))

    def slope(self, z: np.ndarray) -> np.ndarray:
        return self._interp().derivative()(np.clip(z, 0.0, self.height_mm))

    def lateral_area_mm2(self) -> float:
        z = np.linspace(0.0, self.height_mm, 401)
        integrand = 2 * np.pi * self.radius(z) * np.sqrt(1 + self.slope(z) ** 2)
        return float(np.sum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(z)))


def nominal_profile(device: Device) -> Profile:
    """Heat-set / deployed nominal centreline profile of a device (frame coordinates)."""
    t = device.frame.strut_thickness_mm
    size = device.size
    if isinstance(size, OccluderSize):
        return occluder_profile(size.diameter_mm - t, size.depth_mm)
    h = size.frame_height_mm
    if device.kind == "self-expanding" and size.has_profile:
        zw = size.waist_position_fraction * h
        d = np.array([size.inflow_diameter_mm, size.waist_diameter_mm,
                      size.outflow_diameter_mm]) - t
        return Profile((0.0, zw, h), tuple(0.5 * d))
    r = 0.5 * (size.nominal_diameter_mm - t)
    return Profile((0.0, h), (r, r))


def occluder_profile(diameter_mm: float, depth_mm: float, hub_radius_mm: float = 1.5,
                     body_fraction: float = 0.55) -> Profile:
    """Generic LAA plug: a cylindrical body (distal, z from 0) closing into a rounded
    proximal face that ends at a small hub ring (quarter ellipse), centreline radii."""
    r = 0.5 * diameter_mm
    zb = body_fraction * depth_mm
    phi = np.linspace(0.0, 0.5 * np.pi, 7)[1:]
    z = np.concatenate([[0.0, 0.5 * zb, zb], zb + (depth_mm - zb) * np.sin(phi)])
    rr = np.concatenate([[r, r, r], hub_radius_mm + (r - hub_radius_mm) * np.cos(phi)])
    return Profile(tuple(z), tuple(rr))


@dataclass
class FrameMesh:
    """The beam network of one frame in frame coordinates (see module docstring)."""

    nodes_mm: np.ndarray            # (n, 3) stress-free positions
    elements: np.ndarray            # (m, 2) node indices
    element_frames: np.ndarray      # (m, 3, 3) columns: axis, in-plane, radial
    strut_of_element: np.ndarray    # (m,)
    vertex_level: np.ndarray        # (n,) lattice level of vertex nodes, -1 inside struts
    vertex_index: np.ndarray        # (n,) azimuthal index of vertex nodes, -1 inside struts
    node_area_mm2: np.ndarray       # (n,) smeared wall area per node (diagnostics)
    sample_a: np.ndarray            # contact samples: points (1 − s) x[a] + s x[b] ...
    sample_b: np.ndarray
    sample_s: np.ndarray
    sample_area_mm2: np.ndarray     # ... each pressing on this smeared wall area
    width_mm: float
    thickness_mm: float
    levels: int
    cells_per_row: int
    nominal: Profile                # deployed/heat-set profile
    level_z_nominal_mm: np.ndarray  # (levels,)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes_mm)

    def ring(self, level: int) -> np.ndarray:
        """Vertex node indices of a lattice level ordered by azimuthal index."""
        idx = np.flatnonzero(self.vertex_level == level)
        return idx[np.argsort(self.vertex_index[idx])]

    @property
    def inflow_ring(self) -> np.ndarray:
        return self.ring(0)

    @property
    def outflow_ring(self) -> np.ndarray:
        return self.ring(self.levels - 1)


def build_frame(device: Device, elements_per_strut: int = 4,
                at_nominal: bool = False) -> FrameMesh:
    """Generate the beam network of ``device`` in its stress-free configuration (or, with
    ``at_nominal``, on its nominal deployed profile whatever the kind)."""
    spec: FrameSpec = device.frame
    if elements_per_strut < 1:
        raise InputError("elements_per_strut must be >= 1")
    n = int(spec.cells_per_row)
    levels = int(spec.rows_of_cells) + 2
    nominal = nominal_profile(device)
    z_nom = np.linspace(0.0, nominal.height_mm, levels)
    r_nom = nominal.radius(z_nom)
    parity = (np.arange(levels) - (levels - 1)) % 2
    theta = (2 * np.arange(n)[None, :] + parity[:, None]) * np.pi / n   # (levels, n)

    crimped_ref = device.kind == "balloon-expandable" and not at_nominal
    if crimped_ref:
        # cut tube at the crimped diameter: inextensible struts of the nominal length
        rc = 0.5 * (spec.crimped_diameter_mm - spec.strut_thickness_mm)
        chord_nom = 2 * r_nom[:-1] * np.sin(0.5 * np.pi / n)
        strut_len = np.hypot(np.diff(z_nom), chord_nom)
        chord_c = 2 * rc * np.sin(0.5 * np.pi / n)
        if np.any(strut_len <= chord_c):
            raise InputError("frame: crimped diameter too large for the cell geometry")
        z_ref = np.concatenate([[0.0], np.cumsum(np.sqrt(strut_len ** 2 - chord_c ** 2))])
        cylinder = Profile((0.0, 1.0), (rc, rc))
        r_of, slope_of = cylinder.radius, cylinder.slope
        z_scale = z_ref[-1] / nominal.height_mm
        r_ref = np.full(levels, rc)
    else:
        z_ref, r_ref = z_nom, r_nom
        r_of, slope_of, z_scale = nominal.radius, nominal.slope, 1.0

    # vertex nodes
    nodes = [np.column_stack([np.repeat(r_ref, n) * np.cos(theta.ravel()),
                              np.repeat(r_ref, n) * np.sin(theta.ravel()),
                              np.repeat(z_ref, n)])]
    vertex_level = [np.repeat(np.arange(levels), n)]
    vertex_index = [np.tile(np.arange(n), levels)]
    vid = np.arange(levels * n).reshape(levels, n)

    # struts between level i and i+1: vertex (i, j) to (i+1, j) and (i+1, j -/+ 1)
    a_list, b_list = [], []
    for i in range(levels - 1):
        j = np.arange(n)
        other = (j - 1) % n if parity[i] == 0 else (j + 1) % n
        a_list += [vid[i, j], vid[i, j]]
        b_list += [vid[i + 1, j], vid[i + 1, other]]
    sa, sb = np.concatenate(a_list), np.concatenate(b_list)
    n_struts = len(sa)

    # interior strut nodes on the surface of revolution (linear in z and azimuth)
    ne = elements_per_strut
    pa, pb = nodes[0][sa], nodes[0][sb]
    th_a, th_b = np.arctan2(pa[:, 1], pa[:, 0]), np.arctan2(pb[:, 1], pb[:, 0])
    dth = (th_b - th_a + np.pi) % (2 * np.pi) - np.pi
    s = np.arange(1, ne) / ne
    zz = pa[:, 2:3] + s[None, :] * (pb[:, 2:3] - pa[:, 2:3])
    tt = th_a[:, None] + s[None, :] * dth[:, None]
    rr = r_of(zz) if crimped_ref else r_of(zz / z_scale)
    inner = np.stack([rr * np.cos(tt), rr * np.sin(tt), zz], axis=-1).reshape(-1, 3)
    base = levels * n
    inner_ids = base + np.arange(n_struts * (ne - 1)).reshape(n_struts, ne - 1)
    chain = np.column_stack([sa, inner_ids, sb]) if ne > 1 else np.column_stack([sa, sb])
    elements = np.stack([chain[:, :-1], chain[:, 1:]], axis=-1).reshape(-1, 2)
    strut_of_element = np.repeat(np.arange(n_struts), ne)

    x = np.vstack([nodes[0], inner])
    vlev = np.concatenate([vertex_level[0], np.full(len(inner), -1)])
    vidx = np.concatenate([vertex_index[0], np.full(len(inner), -1)])

    frames = _element_frames(x, elements, slope_of, z_scale)
    length = np.linalg.norm(x[elements[:, 1]] - x[elements[:, 0]], axis=1)
    node_len = np.bincount(elements.ravel(), weights=np.repeat(0.5 * length, 2),
                           minlength=len(x))
    area = node_len * nominal.lateral_area_mm2() / node_len.sum()
    samples = contact_samples(elements, ne, length.reshape(n_struts, ne).sum(1),
                              nominal.lateral_area_mm2())
    return FrameMesh(nodes_mm=x, elements=elements, element_frames=frames,
                     strut_of_element=strut_of_element, vertex_level=vlev,
                     vertex_index=vidx, node_area_mm2=area, sample_a=samples[0],
                     sample_b=samples[1], sample_s=samples[2], sample_area_mm2=samples[3],
                     width_mm=float(spec.strut_width_mm),
                     thickness_mm=float(spec.strut_thickness_mm), levels=levels,
                     cells_per_row=n, nominal=nominal, level_z_nominal_mm=z_nom)


def contact_samples(elements: np.ndarray, elements_per_strut: int, strut_length: np.ndarray,
                    total_area_mm2: float):
    """Points where the frame meets walls: ``max(4, elements_per_strut)`` equal intervals
    per strut (the vertices plus interior points), each with the smeared wall area of its
    share of strut length, so coarse and fine meshes press on the wall alike.

    Returns node a, node b, fraction s (point = (1 − s) x_a + s x_b) and area per sample.
    """
    ne = elements_per_strut
    m = max(4, ne)
    n_struts = len(strut_length)
    chain = elements.reshape(n_struts, ne, 2)
    start, end = chain[:, 0, 0], chain[:, -1, 1]
    verts = np.unique(np.concatenate([start, end]))
    vert_len = np.zeros(elements.max() + 1)
    np.add.at(vert_len, start, 0.5 * strut_length / m)
    np.add.at(vert_len, end, 0.5 * strut_length / m)
    sigma = np.arange(1, m) / m
    j = np.minimum(np.floor(sigma * ne).astype(int), ne - 1)
    s_loc = sigma * ne - j
    a = chain[:, j, 0]                                    # (struts, m-1)
    b = chain[:, j, 1]
    b = np.where(s_loc[None, :] == 0, a, b)
    inner_len = np.repeat((strut_length / m)[:, None], m - 1, axis=1)
    sa = np.concatenate([verts, a.ravel()])
    sb = np.concatenate([verts, b.ravel()])
    ss = np.concatenate([np.zeros(len(verts)), np.tile(s_loc, n_struts)])
    w = np.concatenate([vert_len[verts], inner_len.ravel()])
    return sa, sb, ss, w * total_area_mm2 / w.sum()


def _element_frames(x, elements, slope_of, z_scale) -> np.ndarray:
    """Local frames: e1 along the element, e3 the outward surface normal made orthogonal
    to e1 (radial direction of the section), e2 = e3 × e1 (in-plane width direction)."""
    xa, xb = x[elements[:, 0]], x[elements[:, 1]]
    e1 = xb - xa
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    mid = 0.5 * (xa + xb)
    radial = np.column_stack([mid[:, 0], mid[:, 1], np.zeros(len(mid))])
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    normal = radial - slope_of(mid[:, 2] / z_scale)[:, None] * np.array([0.0, 0.0, 1.0])
    e3 = normal - np.sum(normal * e1, axis=1, keepdims=True) * e1
    e3 /= np.linalg.norm(e3, axis=1, keepdims=True)
    e2 = np.cross(e3, e1)
    return np.stack([e1, e2, e3], axis=-1)
