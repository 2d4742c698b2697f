"""Arch branch stubs: the supra-aortic vessels kept for a short length beyond the wall.

Bright vessels leaving the aortic envelope at the top of the arch are grown back into the
mask and cut perpendicular to their own axis ``stub_length_mm`` past the point where that
axis leaves the aortic lumen (the convention of the demo phantom's ground truth).
"""

from __future__ import annotations

import numpy as np

from twindesk.imaging import blood, tubemask
from twindesk.imaging.grid import Grid
from twindesk.imaging.reslice import unit


def arch_stubs(core: np.ndarray, lumen: np.ndarray, region: np.ndarray, g: Grid,
               params, arch_lps_mm: np.ndarray | None, backbone_lps_mm: np.ndarray,
               backbone_radius_mm: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """Arch branches leaving the envelope ``region``, grown from the ``lumen`` through the
    bright blood ``core`` and trimmed perpendicular to each branch's axis.

    ``params`` carries ``stub_length_mm`` and ``min_branch_radius_mm``
    (:class:`twindesk.imaging.aorta.AortaParams`). The stub runs ``stub_length_mm`` past the
    point where its axis leaves the aortic lumen (``backbone_radius_mm`` around
    ``backbone_lps_mm``). A stub is kept only where a vessel leaves the top of the arch
    (ostium next to ``arch_lps_mm``, axis pointing upwards) with a neck between
    ``min_branch_radius_mm`` and 80 % of the aortic radius. Thin vessels and partial-volume
    contacts with neighbours (pulmonary artery, atrium, caval vein) do not survive the
    opening or fail those tests. Returns the stubs' mask and, per stub, its ostium, tip,
    axis (LPS) and neck radius.
    """
    from scipy import ndimage as ndi
    from scipy.spatial import cKDTree

    out = np.zeros_like(lumen)
    infos: list[dict] = []
    if arch_lps_mm is None or len(arch_lps_mm) < 2:
        return out, infos
    reach = params.stub_length_mm + 2 * params.min_branch_radius_mm
    sl = blood.bbox_slices(lumen, pad=int(np.ceil(reach / g.spacing_zyx.min())) + 1)
    outside = core[sl] & ~region[sl]
    st = blood.ball(params.min_branch_radius_mm, g.spacing_zyx)
    opened = ndi.binary_opening(outside, structure=st)
    lum = lumen[sl]
    steps = int(np.ceil(reach / g.spacing_zyx.min()))
    grown = tubemask.geodesic_dilate(lum, opened, steps) & ~lum
    lab, n = ndi.label(grown, structure=np.ones((3, 3, 3), bool))
    if n == 0:
        return out, infos
    touching = ndi.binary_dilation(lum, structure=np.ones((3, 3, 3), bool)) & grown
    lo = np.array([s.start for s in sl])
    arch_tree = cKDTree(arch_lps_mm)
    lumen_tree = cKDTree(backbone_lps_mm)
    lumen_radius = np.asarray(backbone_radius_mm, float)
    px_area = float(np.prod(g.spacing_zyx[1:]))
    for i in range(1, n + 1):
        comp = lab == i
        ostium = np.argwhere(comp & touching)
        neck_r = np.sqrt(len(ostium) * px_area / np.pi)
        if neck_r < params.min_branch_radius_mm:
            continue
        p_ost = g.zyx_to_lps(ostium.mean(axis=0) + lo)[0]
        vox = np.argwhere(comp)
        p_vox = g.zyx_to_lps(vox + lo)
        if np.linalg.norm(p_vox.mean(axis=0) - p_ost) < 1e-3:
            continue  # a one-voxel-thick fringe, not a branch
        axis = unit(p_vox.mean(axis=0) - p_ost)
        aortic_r, _ = arch_tree.query(p_ost)  # the ostium sits on the aortic wall
        if axis[2] < 0.5 or neck_r > 0.8 * aortic_r:
            continue  # not an upward arch branch, or too wide to be one
        proj = (p_vox - p_ost) @ axis
        # The stub is measured from where the branch's axis leaves the aortic lumen (the
        # ostium voxels sit at the envelope, a few mm beyond the wall).
        t = np.arange(-25.0, 0.01, 0.25)
        line = p_ost + t[:, None] * axis
        d, k = lumen_tree.query(line)
        inside = d <= lumen_radius[k]
        t_wall = float(t[np.flatnonzero(inside)[-1]]) if inside.any() else 0.0
        keep = proj <= t_wall + params.stub_length_mm
        part = np.zeros_like(comp)
        part[tuple(vox[keep].T)] = True
        part = tubemask.component_touching(part, ostium)
        if not part.any():
            continue
        out[sl] |= part
        kept = part[tuple(vox.T)]
        top = kept & (proj >= proj[kept].max() - 1.5)  # the cut face of the stub
        tip = p_vox[top].mean(axis=0)
        infos.append({"ostium_lps_mm": [round(float(v), 2) for v in p_ost],
                      "tip_lps_mm": [round(float(v), 2) for v in tip],
                      "axis_lps": [round(float(v), 4) for v in axis],
                      "neck_radius_mm": round(float(neck_r), 2)})
    return out, infos
