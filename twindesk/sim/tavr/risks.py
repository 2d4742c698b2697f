"""Clinical risk measures of a deployed TAVR frame (frame coordinates, millimetres).

Definitions
-----------
* **Displaced native leaflet.** The leaflets are pushed against the frame: their surface is
  the frame's outer envelope (the virtual valve cylinder below) from the annulus plane up to the leaflet free-edge height (the
  commissure height), continued as a cylinder of the frame's top section where the frame is
  shorter — the "leaflet cylinder" of native-valve coronary-obstruction planning (Khan JM,
  et al. JACC Cardiovasc Interv 2023;16:415-425; the displaced-leaflet construction of
  Blanke P, et al. J Cardiovasc Comput Tomogr 2016;10:491-499). The distance from an ostium
  to it is the nearest distance to that surface, negative when the ostium lies inside the
  cylinder below the free edge.
* **VTC** (virtual transcatheter valve to coronary distance): the horizontal distance, at
  the ostium's height, from the ostium to the virtual valve cylinder — the deployed frame's
  outer envelope at that height, the ellipse fitted to the strut crossings (at the nearest
  frame section when the ostium is above or below the frame). VTC below :data:`load_table` ``coronary.vtc_high_risk_below_mm``
  (4 mm) flags a high risk of coronary obstruction (Blanke 2016; Khan 2023).
* **MSID**: membranous-septum length minus implant depth (Hamdan A, et al. JACC Cardiovasc
  Interv 2015;8:1218-1228); graded as in Jørgensen TH, et al. EuroIntervention
  2022;17:1061-1069: the valve stays above the septum's lower border (MSID > 0, lower
  risk), overlaps it by less than 2.5 mm (intermediate) or by 2.5 mm or more (high).
* **Indexed EOA** = projected EOA (device library, by size) / body surface area (Mosteller
  RD. N Engl J Med 1987;317:1098); prosthesis–patient mismatch graded by VARC-3 (Généreux
  P, et al. J Am Coll Cardiol 2021;77:2717-2746): moderate ≤ 0.85 and severe ≤ 0.65
  cm²/m² (≤ 0.70 and ≤ 0.55 when BMI ≥ 30 kg/m²). Thresholds live in
  ``resources/guidelines/tavr_risks.toml``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import ResourceError
from twindesk.sim.mechanics import metrics
from twindesk.sim.mechanics.results import DeployedFrame

LEAFLET_STEP_MM = 0.5
_VERIFIED = {"abstract", "secondary", "recalled"}


def table_path() -> Path:
    from twindesk.paths import resources_dir

    return resources_dir() / "guidelines" / "tavr_risks.toml"


@lru_cache(maxsize=2)
def load_table(path: Path | None = None) -> dict[str, Any]:
    """The risk thresholds (checked: every rule cites a defined citation, says how it was
    verified, and its numbers are positive and ordered)."""
    from twindesk.model.guidelines import read_table

    path = Path(path or table_path())
    table = read_table(path, "risk table")
    cites = table.get("citations", {})
    rules = {"coronary": table.get("coronary"), "conduction": table.get("conduction"),
             **{f"ppm.{k}": v for k, v in (table.get("ppm") or {}).items()}}
    for name in ("coronary", "conduction", "ppm.bmi_below_30", "ppm.bmi_30_or_more"):
        rule = rules.get(name)
        if not isinstance(rule, dict):
            raise ResourceError(f"{path}: missing [{name}]", "restore the file")
        if rule.get("citation") not in cites or rule.get("verified") not in _VERIFIED:
            raise ResourceError(f"{path}: [{name}] needs a defined citation and verified = "
                                f"one of {sorted(_VERIFIED)}", "fix the rule")
        for key, value in rule.items():
            if key.endswith(("_mm", "_cm2_per_m2")) and not (
                    isinstance(value, (int, float)) and value > 0):
                raise ResourceError(f"{path}: [{name}] {key} must be a positive number",
                                    "fix the value")
    for name in ("ppm.bmi_below_30", "ppm.bmi_30_or_more"):
        r = rules[name]
        if not r["severe_max_cm2_per_m2"] < r["moderate_max_cm2_per_m2"]:
            raise ResourceError(f"{path}: [{name}] severe_max must be below moderate_max",
                                "fix the thresholds")
    return table


def citation(key: str) -> str:
    """Full text of a citation id of the table."""
    return load_table()["citations"][key]["text"]


# ------------------------------------------------------------------ frame contour
class Cylinder:
    """The virtual valve cylinder at one height: the least-squares ellipse through the
    struts' crossing points (as frame diameters are read on CT, see
    :mod:`twindesk.sim.mechanics.metrics`), grown by half the strut thickness to the outer
    surface. A smooth envelope: the polygon through the crossings sags between struts by
    tenths of a millimetre where crowns leave wide gaps."""

    def __init__(self, df: DeployedFrame, z_mm: float):
        h = metrics.level_heights(df)
        z = float(np.clip(z_mm, h["inflow"] + 0.05, h["outflow"] - 0.05))
        pts = metrics.section_points(df, z)
        if pts is None:                                 # at a crown ring: use its nodes
            pts = df.nodes_frame_mm[df.ring(df.levels - 1), :2]
        fit = metrics.fit_ellipse(pts)
        t = 0.5 * df.thickness_mm
        if fit is None:
            c = pts.mean(axis=0)
            r = float(np.mean(np.linalg.norm(pts - c, axis=1)))
            fit = (c, r, r, 0.0)
        self.center_mm = np.asarray(fit[0], float)
        self.a_mm, self.b_mm, self.angle_rad = fit[1] + t, fit[2] + t, fit[3]

    def radius(self, angle_rad) -> np.ndarray:
        """Outer radius (mm) along directions ``angle_rad`` from the centre."""
        phi = np.asarray(angle_rad, float) - self.angle_rad
        a, b = self.a_mm, self.b_mm
        return a * b / np.sqrt((b * np.cos(phi)) ** 2 + (a * np.sin(phi)) ** 2)


def vtc_mm(df: DeployedFrame, point_frame_mm) -> float:
    """Horizontal distance from a point (frame coordinates) to the virtual valve cylinder
    at the point's height (see module docstring)."""
    p = np.asarray(point_frame_mm, float)
    cyl = Cylinder(df, p[2])
    rel = p[:2] - cyl.center_mm
    return float(np.hypot(*rel) - cyl.radius(np.arctan2(rel[1], rel[0])))


def leaflet_surface(df: DeployedFrame, free_edge_height_mm: float,
                    n_angles: int = 360) -> np.ndarray:
    """Points (frame coordinates) of the displaced-leaflet surface from the annulus plane to
    ``free_edge_height_mm`` above it, every :data:`LEAFLET_STEP_MM` and 1°."""
    z0 = df.annulus_z_mm
    zs = np.arange(z0, z0 + free_edge_height_mm + 1e-9, LEAFLET_STEP_MM)
    if zs[-1] < z0 + free_edge_height_mm - 1e-9:
        zs = np.append(zs, z0 + free_edge_height_mm)
    theta = np.linspace(-np.pi, np.pi, n_angles, endpoint=False)
    rows = []
    for z in zs:
        cyl = Cylinder(df, z)
        r = cyl.radius(theta)
        rows.append(np.column_stack([cyl.center_mm[0] + r * np.cos(theta),
                                     cyl.center_mm[1] + r * np.sin(theta),
                                     np.full_like(theta, z)]))
    return np.vstack(rows)


def coronary_measures(df: DeployedFrame, ostium_lps_mm, free_edge_height_mm: float,
                      leaflet_points: np.ndarray | None = None) -> dict[str, float]:
    """Distances (mm) of one ostium to the frame, to the displaced leaflet, and its VTC."""
    p = df.transform.to_frame(np.asarray(ostium_lps_mm, float)[None])[0]
    pts = leaflet_surface(df, free_edge_height_mm) if leaflet_points is None else \
        leaflet_points
    d_leaf = float(np.min(np.linalg.norm(pts - p, axis=1)))
    vtc = vtc_mm(df, p)
    height = float(p[2] - df.annulus_z_mm)
    if height <= free_edge_height_mm and vtc < 0:
        d_leaf = -d_leaf                           # covered by the leaflet cylinder
    frame = metrics.point_distances(df, np.asarray(ostium_lps_mm, float)[None])[0]
    return {"distance_to_frame_mm": frame["distance_mm"], "distance_to_leaflet_mm": d_leaf, "vtc_mm": vtc,
            "height_on_axis_mm": height}


# ------------------------------------------------------------------ conduction
def msid_grade(msid_mm: float | None) -> str | None:
    """``low`` / ``intermediate`` / ``high`` conduction-disturbance risk from MSID."""
    if msid_mm is None:
        return None
    high = float(load_table()["conduction"]["overlap_high_mm"])
    if msid_mm > 0:
        return "low"
    return "intermediate" if msid_mm > -high else "high"


# ------------------------------------------------------------------ EOA, PPM
def bsa_mosteller_m2(height_cm: float, weight_kg: float) -> float:
    """Body surface area (m²): √(height·weight/3600) (Mosteller 1987)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


def ppm_grade(indexed_eoa_cm2_per_m2: float, bmi_kg_per_m2: float | None = None) -> str:
    """VARC-3 prosthesis–patient mismatch: ``none``, ``moderate`` or ``severe``. Without a
    BMI the non-obese thresholds apply."""
    table = load_table()["ppm"]
    rule = table["bmi_30_or_more"] if bmi_kg_per_m2 is not None and bmi_kg_per_m2 >= 30 \
        else table["bmi_below_30"]
    if indexed_eoa_cm2_per_m2 <= rule["severe_max_cm2_per_m2"]:
        return "severe"
    if indexed_eoa_cm2_per_m2 <= rule["moderate_max_cm2_per_m2"]:
        return "moderate"
    return "none"


def ppm_thresholds(bmi_kg_per_m2: float | None) -> dict[str, Any]:
    key = "bmi_30_or_more" if bmi_kg_per_m2 is not None and bmi_kg_per_m2 >= 30 \
        else "bmi_below_30"
    rule = load_table()["ppm"][key]
    return {"rule": key, "moderate_max_cm2_per_m2": rule["moderate_max_cm2_per_m2"],
            "severe_max_cm2_per_m2": rule["severe_max_cm2_per_m2"],
            "citation": citation(rule["citation"])}
