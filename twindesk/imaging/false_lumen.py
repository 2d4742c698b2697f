"""The false lumen of a type B aortic dissection: dim lumen alongside the bright one.

In an arterial-phase CTA the false lumen fills later and looks dimmer than the true lumen;
a thickened flap (often several millimetres) separates them. Both belong to the aorta, so
the dim, thick regions running along the descending aorta are added to it together with the
septum between them (a closing through soft tissue only).
"""

from __future__ import annotations

import numpy as np

from twindesk.imaging import blood, tubemask


def dim_lumen(w: blood.Working, lev, lumen: np.ndarray, points: np.ndarray,
               radius: np.ndarray, cut) -> np.ndarray:
    """Dimly opacified lumen alongside the bright one: the false lumen of a (type B)
    dissection, searched along the backbone from the top of the arch onwards.

    ``lev`` carries ``low_hu`` and ``blood_hu``, ``cut`` the root cut (or None)
    (:mod:`twindesk.imaging.aorta`). Candidates are thick (a 2 mm ball fits) regions above
    the low level near the backbone (within twice the local lumen radius + 6 mm, or 1.3
    times the aorta's median radius + 5 mm, whichever is wider: a compressed true lumen is
    much narrower than the aorta) that touch the bright lumen. They are kept when they run
    along the aorta for at least 20 mm and hold almost no voxel as bright as the blood (a
    neighbouring chamber or vessel would). Returns the false lumen and the search region.
    """
    from scipy import ndimage as ndi

    g = w.grid
    reach = np.maximum(2.0 * radius + 6.0, 1.3 * float(np.median(radius)) + 5.0)
    # Only beyond the top of the arch: the dissections we handle are type B (descending); in
    # front of the ascending aorta a dimmer right heart or pulmonary artery would qualify.
    apex = int(np.argmax(points[:, 2]))
    if len(points) - apex < 3:
        return np.zeros_like(lumen), np.zeros_like(lumen)
    wide = tubemask.envelope(g, points[apex:], np.minimum(reach[apex:], 35.0),
                             cap_start=False)
    out = np.zeros_like(lumen)
    if cut is not None:
        wide &= ~tubemask.half_space(g, cut.center_lps_mm, cut.normal_lps, 4 * cut.radius_mm)
    sl = blood.bbox_slices(wide, pad=2)
    hu = w.hu[sl]
    lum = lumen[sl]
    dim = (hu >= lev.low_hu) & ~lum & wide[sl]
    dim = ndi.binary_opening(dim, structure=blood.ball(2.0, g.spacing_zyx))
    near = ndi.binary_dilation(lum, structure=blood.ball(3.0, g.spacing_zyx))
    lab, n = ndi.label(dim)
    if n == 0:
        return out, wide
    ids = np.unique(lab[near & dim])
    ids = ids[ids > 0]
    index = np.arange(1, n + 1)
    bright = np.asarray(ndi.mean(hu >= lev.blood_hu, lab, index))
    boxes = ndi.find_objects(lab)
    length = np.array([(b[0].stop - b[0].start) * g.spacing_zyx[0] for b in boxes])
    keep = [i for i in ids if bright[i - 1] < 0.05 and length[i - 1] >= 20.0]
    # Undo the opening's erosion: grow back over the dim voxels by the ball radius.
    grown = tubemask.geodesic_dilate(np.isin(lab, keep), (hu >= lev.low_hu) & wide[sl] & ~lum,
                                     int(np.ceil(2.0 / g.spacing_zyx.min())))
    out[sl] = grown
    return out, wide


def join_false_lumen(w: blood.Working, lumen: np.ndarray, false_lumen: np.ndarray,
                      wide: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Add the false lumen and the septum between it and the true lumen (a 4 mm closing near
    the false lumen, through soft tissue only: never across fat or lung)."""
    g = w.grid
    near = tubemask.geodesic_dilate(false_lumen, wide, int(np.ceil(6.0 / g.spacing_zyx.min())))
    both = lumen | false_lumen
    both = tubemask.close_within(both, near & (w.hu > 0.0), g, 4.0)
    return tubemask.component_touching(both, g.lps_to_zyx(points))
