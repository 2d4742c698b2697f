"""Splitting connected contrast blood into chambers by its distance map.

The distance to the blood's edge peaks in the middle of every chamber and vessel and dips at
every narrowing between them (a valve orifice, a vein's ostium, a partial-volume bridge to a
neighbour). A watershed of the negated distance map cuts the blood into *basins* at those
dips; basins whose connection is almost as wide as the narrower of the two are lobes of one
cavity and are merged (:func:`merge_basins`). This is the distance-transform based separation
of touching objects (e.g. Beucher & Meyer, "The morphological approach to segmentation: the
watershed transformation", 1993).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Basins:
    """Watershed basins of a blood mask: ``labels`` (0 outside), the distance peak of each
    basin (mm, index = label) and the saddle (mm) between each adjacent pair."""

    labels: np.ndarray
    peak_mm: np.ndarray
    saddles: dict[tuple[int, int], float]

    def neighbours(self, i: int) -> list[tuple[int, float]]:
        return [(b if a == i else a, s) for (a, b), s in self.saddles.items() if i in (a, b)]


def basins(mask: np.ndarray, dist: np.ndarray, h_mm: float = 1.5) -> Basins:
    """Watershed of ``-dist`` inside ``mask`` with minima of dynamic below ``h_mm`` merged."""
    import SimpleITK as sitk
    from scipy import ndimage as ndi

    neg = sitk.GetImageFromArray(np.where(mask, -dist, 1.0).astype(np.float32))
    ws = sitk.MorphologicalWatershed(neg, level=float(h_mm), markWatershedLine=False,
                                     fullyConnected=True)
    lab = sitk.GetArrayFromImage(ws).astype(np.int32)
    lab[~mask] = 0
    # A basin may span two pieces of the mask that touch only through background: split them.
    lab, _ = _split_disconnected(lab)
    n = int(lab.max()) + 1
    peak = np.zeros(n)
    if n > 1:
        peak[1:] = np.asarray(ndi.maximum(dist, lab, np.arange(1, n)))
    return Basins(lab, peak, _saddles(lab, dist, n))


def _split_disconnected(lab: np.ndarray) -> tuple[np.ndarray, int]:
    from scipy import ndimage as ndi

    comp, _ = ndi.label(lab > 0)
    pair = comp.astype(np.int64) * (int(lab.max()) + 1) + lab
    uniq, inv = np.unique(pair, return_inverse=True)
    out = inv.reshape(lab.shape).astype(np.int32)
    if uniq[0] == 0:  # background stays 0
        return out, len(uniq) - 1
    return out + 1, len(uniq)


def _saddles(lab: np.ndarray, dist: np.ndarray, n: int) -> dict[tuple[int, int], float]:
    """The widest passage between each pair of face-adjacent basins: the maximum over their
    shared boundary of the smaller distance value on either side."""
    codes, vals = [], []
    for ax in range(3):
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, -1), slice(1, None)
        la, lb = lab[tuple(a)], lab[tuple(b)]
        m = (la != lb) & (la > 0) & (lb > 0)
        if not m.any():
            continue
        x, y = la[m].astype(np.int64), lb[m].astype(np.int64)
        codes.append(np.minimum(x, y) * n + np.maximum(x, y))
        vals.append(np.minimum(dist[tuple(a)][m], dist[tuple(b)][m]))
    if not codes:
        return {}
    codes = np.concatenate(codes)
    vals = np.concatenate(vals)
    uniq, inv = np.unique(codes, return_inverse=True)
    best = np.zeros(len(uniq))
    np.maximum.at(best, inv, vals)
    return {(int(c // n), int(c % n)): float(v) for c, v in zip(uniq, best)}


def merge_basins(b: Basins, ratio: float = 0.8) -> np.ndarray:
    """Region labels after merging adjacent basins whose saddle is at least ``ratio`` times
    the smaller of their two peaks (one cavity's lobes). Returns ``lut[basin] -> region``."""
    parent = np.arange(len(b.peak_mm))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (i, j), s in sorted(b.saddles.items(), key=lambda kv: -kv[1]):
        if s >= ratio * min(b.peak_mm[i], b.peak_mm[j]):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(len(parent))])


def region_peak(b: Basins, lut: np.ndarray, region: int) -> float:
    return float(b.peak_mm[lut == region].max())


def split_by_markers(mask: np.ndarray, dist: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """Marker-controlled watershed of ``-dist`` inside ``mask``: every voxel goes to the
    marker whose flood reaches it first, so the borders run through the narrowings."""
    import SimpleITK as sitk

    neg = sitk.GetImageFromArray(np.where(mask, -dist, 1.0).astype(np.float32))
    mk = sitk.GetImageFromArray(markers.astype(np.uint32))
    ws = sitk.MorphologicalWatershedFromMarkers(neg, mk, markWatershedLine=False,
                                                fullyConnected=True)
    out = sitk.GetArrayFromImage(ws).astype(np.int32)
    out[~mask] = 0
    return out
