"""A small source case for cohort tests: an elliptical annulus with known perimeter and area
(root measurement in the measure room's layout), the mechanics room's synthetic aortic-root
lumen with the same annulus (axis +S, non-coronary sinus toward -L, hinges at the cusp
nadirs), landmarks and a centerline, all in LPS mm around a known annulus centre."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

CENTER = np.array([12.0, -30.0, 150.0])   # annulus centre, LPS mm
A_MM, B_MM = 13.0, 11.0                    # annulus semi-axes


def ellipse_perimeter_mm(a: float, b: float) -> float:
    """Ramanujan's second approximation (relative error < 1e-9 here)."""
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))


# cusp nadirs of twindesk.sim.mechanics.synthetic.aortic_root_surface (sinus centres)
CUSP_ANGLE_DEG = {"right": 300.0, "left": 60.0, "non": 180.0}


def hinge(angle_deg: float) -> np.ndarray:
    """The annulus ellipse point at ``angle_deg`` (major axis along L), LPS mm."""
    t = math.radians(angle_deg)
    r = A_MM * B_MM / math.hypot(B_MM * math.cos(t), A_MM * math.sin(t))
    return CENTER + r * np.array([math.cos(t), math.sin(t), 0.0])


def iv(value: float, unit: str, half: float = 0.5) -> dict:
    return {"value": value, "low": value - half, "high": value + half, "unit": unit}


def root_result() -> dict:
    per, area = ellipse_perimeter_mm(A_MM, B_MM), math.pi * A_MM * B_MM
    hinges = {k: hinge(deg).tolist() for k, deg in CUSP_ANGLE_DEG.items()}
    return {
        "annulus": {"perimeter_mm": iv(per, "mm"), "area_mm2": iv(area, "mm²", 5.0),
                    "min_diameter_mm": iv(2 * B_MM, "mm"), "max_diameter_mm": iv(2 * A_MM, "mm"),
                    "perimeter_derived_diameter_mm": iv(per / math.pi, "mm"),
                    "area_derived_diameter_mm": iv(2 * math.sqrt(area / math.pi), "mm"),
                    "eccentricity": iv(1 - B_MM / A_MM, "1", 0.01)},
        "plane": {"center_lps_mm": CENTER.tolist(), "normal_lps": [0.0, 0.0, 1.0]},
        "sinus": {"by_cusp": {k: {"diameter_mm": iv(32.0, "mm"), "height_mm": iv(20.0, "mm")}
                              for k in ("right", "left", "non")}},
        "stj": {"diameter_mm": iv(28.0, "mm"), "height_mm": iv(21.0, "mm")},
        "ascending_aorta": {"diameter_mm": iv(32.0, "mm"), "height_mm": iv(40.0, "mm")},
        "coronary_heights": {"left": {"height_mm": iv(14.0, "mm")},
                             "right": {"height_mm": iv(16.0, "mm")}},
        "hinges_lps_mm": hinges, "levels": {"lumen_hu": 350.0}, "voxel_mm": 0.7,
    }


def make_source_case(path: Path, deidentified: bool = False) -> Path:
    import pyvista as pv

    from twindesk.model.case import Case

    from twindesk.sim.mechanics.synthetic import RootGeometry, aortic_root_surface

    root = aortic_root_surface(RootGeometry(annulus_max_mm=2 * A_MM, annulus_min_mm=2 * B_MM),
                               n_theta=72, n_z=68)
    surface = pv.PolyData(root.points + CENTER,
                          np.hstack([np.full((len(root.faces), 1), 3), root.faces]).ravel())
    with Case.create(path) as case:
        case.put_json("result:measure:root", root_result(), "result")
        case.put_artifact("surface:aorta", lambda p: surface.save(str(p)), ".vtp", "surface",
                          {"area_mm2": float(surface.area)})
        case.put_json("centerline:aorta", {"points_lps_mm": [CENTER.tolist(),
                                                             (CENTER + [0, 0, 60]).tolist()],
                                           "arc_length_mm": [0.0, 60.0],
                                           "radius_mm": [12.0, 12.0],
                                           "tangent_lps": [[0, 0, 1], [0, 0, 1]]}, "centerline")
        case.doc["landmarks"] = {"aortic_root": {"hinges_lps_mm": root_result()["hinges_lps_mm"]}}
        case.doc["patient"] = {"name": "SOURCE^CASE", "id": "SRC-1"}
        case.doc["deidentified"] = deidentified
        case.save("test-setup")
    return path
