"""Aorta segmentation of the real CTA, and surface extraction against bare VTK.

Usage::

    python benchmarks/bench_segment.py [--repeat 5]

Prints one JSON line with medians over ``--repeat`` runs:

* ``segment_aorta_s``: the whole ``twindesk segment --structure aorta`` computation on the
  shared real CTA (233 x 167 x 191 voxels at 1.5 mm), from the loaded image to the mask on
  the image grid (target: <= 20 s on a 2-core machine); wall and CPU seconds.
* ``surface_s`` versus ``bare_surface_s``: our surface from that mask
  (``twindesk.geometry.surface.mask_surface``: bounding-box crop, flying edges, windowed-sinc
  smoothing, LPS mapping) against a bare ``vtkFlyingEdges3D`` +
  ``vtkWindowedSincPolyDataFilter`` on the same full-size mask with the same smoothing;
  ``surface_ratio`` = ours / bare (target: <= 1.5).
* ``decimated_surface_s``: the stored display surface (the above plus topology-preserving
  quadric decimation of 60 % of the triangles and the largest-piece filter), reported with
  its own ratio to the bare pipeline; decimation is extra work the bare pipeline does not do.

Needs the developers' shared data (``TWINDESK_SHARED_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def bare_surface(mask, grid, params):
    """What a VTK user writes: flying edges on the whole mask, then windowed sinc."""
    import vtk

    from twindesk.geometry.surface import image_data

    fe = vtk.vtkFlyingEdges3D()
    fe.SetInputData(image_data(mask.astype("uint8"), grid))
    fe.SetValue(0, 0.5)
    sinc = vtk.vtkWindowedSincPolyDataFilter()
    sinc.SetInputConnection(fe.GetOutputPort())
    sinc.SetNumberOfIterations(params.smoothing_iterations)
    sinc.SetPassBand(params.pass_band)
    sinc.NormalizeCoordinatesOn()
    sinc.Update()
    return sinc.GetOutput()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    import SimpleITK as sitk

    from twindesk.geometry import surface as surf
    from twindesk.imaging.aorta import native_mask, segment_aorta
    from twindesk.imaging.grid import Grid
    from twindesk.paths import shared_data_dir

    root = shared_data_dir()
    src = root / "ct_chest_cta" / "example_ct.nii.gz" if root else None
    if src is None or not src.exists():
        print(json.dumps({"skipped": "shared data ct_chest_cta not present"}))
        return 0
    image = sitk.ReadImage(str(src))
    grid = Grid.of(image)
    seg_w, seg_c, ours, bare = [], [], [], []
    mask = None
    for _ in range(args.repeat):
        mask, w, c = timed(lambda: native_mask(segment_aorta(image), image))
        seg_w.append(w)
        seg_c.append(c)
    params = surf.PRESETS["view"]
    decimated = []
    for _ in range(args.repeat):
        # interleaved, so all see the same machine load
        _, w, _ = timed(lambda: bare_surface(mask, grid, params))
        bare.append(w)
        poly, w, _ = timed(lambda: surf.mask_surface(mask, grid, params))
        ours.append(w)
        dpoly, w, _ = timed(lambda: surf.vessel_surface(mask, grid, params))
        decimated.append(w)
    chk = surf.check(poly)
    dchk = surf.check(dpoly)
    med = statistics.median
    out = {
        "benchmark": "segment",
        "repeat": args.repeat,
        "image_size": list(image.GetSize()),
        "segment_aorta_s": round(med(seg_w), 3),
        "segment_aorta_cpu_s": round(med(seg_c), 3),
        "segment_aorta_target_s": 20.0,
        "aorta_volume_ml": round(float(mask.sum()) * grid.voxel_volume_mm3 / 1000.0, 2),
        "surface_s": round(med(ours), 4),
        "bare_surface_s": round(med(bare), 4),
        "surface_ratio": round(med(ours) / med(bare), 3),
        "surface_ratio_target": 1.5,
        "surface_triangles": chk.triangles,
        "surface_watertight": chk.watertight,
        "decimated_surface_s": round(med(decimated), 4),
        "decimated_surface_ratio": round(med(decimated) / med(bare), 3),
        "decimated_triangles": dchk.triangles,
        "decimated_watertight": dchk.watertight,
        "decimated_volume_change_percent": round(
            100.0 * (dchk.volume_mm3 / (float(mask.sum()) * grid.voxel_volume_mm3) - 1.0), 3),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
