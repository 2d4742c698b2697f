"""A demo-phantom case ready for placement: the truth's aorta and LV labels stored as the
segmentation, height and weight attached, the root measured from the true hinge points,
coronary ostia and membranous-septum point (shared by the CLI and GUI tests)."""

from __future__ import annotations

import shutil
from pathlib import Path


def measured_demo_case(demo_phantom, dest: Path) -> tuple[Path, dict]:
    import SimpleITK as sitk

    from twindesk.geometry.measure_job import MeasureParams, run
    from twindesk.imaging import labels
    from twindesk.model.case import Case

    truth = demo_phantom.truth
    shutil.copytree(demo_phantom.case_path, dest)
    lab = sitk.GetArrayFromImage(sitk.ReadImage(str(demo_phantom.labels_path)))
    with Case.open(dest, require_write=True) as case:
        for name in ("aorta", "lv"):
            labels.store(case, name, lab == truth["labels"][name], f"truth {name}")
        case.doc["clinical"] = {"vitals": [{"time_utc": "2024-01-01T00:00:00Z",
                                            "height_cm": 170.0, "weight_kg": 70.0}]}
        case.save("test setup")
    h = truth["annulus"]["hinge_points_lps_mm"]
    o = truth["coronary_ostia"]
    run(MeasureParams(dest, hinges_lps_mm=(h["right"], h["left"], h["non"]),
                      ostia_lps_mm=(o["left"]["lower_edge_lps_mm"],
                                    o["right"]["lower_edge_lps_mm"]),
                      septum_lps_mm=tuple(truth["membranous_septum"]["point_lps_mm"])))
    return dest, truth
