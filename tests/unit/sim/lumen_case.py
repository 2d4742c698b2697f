"""A small placed case for the scenario-lumen CLI test: a synthetic CT of a straight tube
(the 'aorta', radius 10 mm along +S), its mask as the aorta segmentation, and a synthetic
deployed frame (rings of radius 7 mm) stored through the placement job's own ``store``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

TUBE_R_MM, FRAME_R_MM = 10.0, 7.0
ANNULUS_Z_MM, FRAME_Z_MM, COMMISSURE_H_MM = 8.0, (6.0, 30.0), 16.0
DEVICE, SIZE_MM = "be-valve-s3like", 26.0


def make_placed_tube_case(folder: Path) -> Path:
    import SimpleITK as sitk

    from twindesk.imaging import labels
    from twindesk.model.case import Case
    from twindesk.model.ingest import import_source
    n_xy, n_z, sp = 32, 56, 1.0
    z, y, x = np.indices((n_z, n_xy, n_xy)).astype(float)
    x, y = x * sp - 15.5, y * sp - 15.5
    inside = np.hypot(x, y) <= TUBE_R_MM
    img = sitk.GetImageFromArray(np.where(inside, 350, -50).astype(np.int16))
    img.SetOrigin((-15.5, -15.5, 0.0))
    img.SetSpacing((sp, sp, sp))
    vol = folder / "tube.mha"
    sitk.WriteImage(img, str(vol))
    path = folder / "tube.twin"
    case = import_source(vol, path)
    try:
        labels.store(case, "aorta", inside, "synthetic tube")
        _store_frame(case, FRAME_R_MM)
        case.save("test setup", {})
    finally:
        case.close()
    return path


def replace_placement(path: Path, radius_mm: float) -> None:
    """Store the placement again with another frame radius (as a new ``twindesk place``)."""
    from twindesk.model.case import Case

    with Case.open(path, require_write=True) as case:
        _store_frame(case, radius_mm)
        case.save("test placement again", {})


def _store_frame(case, radius_mm: float) -> None:
    from twindesk.sim.tavr.place_job import store

    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    zs = np.linspace(*FRAME_Z_MM, 5)
    pts = np.vstack([np.c_[radius_mm * np.cos(t), radius_mm * np.sin(t), np.full(12, zz)]
                     for zz in zs])
    ring = np.arange(12)
    lines = np.vstack([np.c_[i * 12 + ring, i * 12 + np.roll(ring, -1)] for i in range(5)])
    out = SimpleNamespace(frame_points_lps_mm=pts, frame_lines=lines,
                          frame_level=np.repeat(np.arange(5), 12),
                          tissue_points_lps_mm=np.eye(3), tissue_faces=np.array([[0, 1, 2]]),
                          contact_pressure_kpa=np.zeros(3))
    record = {"device": {"id": DEVICE, "size_mm": SIZE_MM}, "model": "fast",
              "placement": {"depth_mm": 2.0, "rotation_deg": 0.0,
                            "axis_point_lps_mm": [0.0, 0.0, ANNULUS_Z_MM],
                            "axis_direction_lps": [0.0, 0.0, 1.0]},
              "anatomy": {"commissure_height_mm": COMMISSURE_H_MM}}
    store(case, record, out)
