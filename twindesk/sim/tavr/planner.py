"""Interactive placement for the desktop window (Qt-free): pose from dragging, an instant
rigid preview of the last deformed frame, overlay geometry and the size-table rows.

Dragging semantics (LPS millimetres, the annulus frame of :class:`RootAnatomy`):

* in a view looking along the device axis (the en-face annulus view, ``|n·axis| > 0.7``) a
  drag turns the frame about the axis by the change of the pointer's azimuth;
* in any other view a drag moves the frame along the axis: moving toward the aorta by
  ``Δh`` millimetres reduces the implant depth by ``Δh``;
* the 3D handle sits on the frame's reference crown (outflow crown of commissure post C1):
  its height sets the depth and its azimuth the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.sim.tavr.anatomy import RootAnatomy

DEPTH_RANGE_MM = (-10.0, 20.0)      # as ``twindesk place --depth-mm``
EN_FACE_COS = 0.7


@dataclass(frozen=True)
class Pose:
    """Implant depth (mm, + into the LVOT) and rotation (deg, about the LV→aorta axis)."""

    depth_mm: float
    rotation_deg: float

    def clamped(self) -> Pose:
        rot = (self.rotation_deg + 180.0) % 360.0 - 180.0
        return Pose(float(np.clip(self.depth_mm, *DEPTH_RANGE_MM)), float(rot))


def _frame(a: RootAnatomy):
    c = np.asarray(a.annulus_center_lps_mm, float)
    n = np.asarray(a.annulus_normal_lps, float)
    x = np.asarray(a.commissure_direction_lps, float)
    return c, n, x, np.cross(n, x)


def height_and_azimuth(a: RootAnatomy, p_lps) -> tuple[float, float]:
    """Height above the annulus plane (mm) and azimuth from the commissure direction,
    counter-clockwise about the axis (deg), of a point."""
    c, n, x, y = _frame(a)
    v = np.asarray(p_lps, float) - c
    return float(v @ n), float(np.degrees(np.arctan2(v @ y, v @ x)))


def pose_after_drag(a: RootAnatomy, start: Pose, p0_lps, p1_lps, view_normal_lps) -> Pose:
    """The pose after dragging from ``p0`` to ``p1`` in a view with normal ``view_normal``."""
    h0, az0 = height_and_azimuth(a, p0_lps)
    h1, az1 = height_and_azimuth(a, p1_lps)
    vn = np.asarray(view_normal_lps, float)
    if abs(vn @ np.asarray(a.annulus_normal_lps)) / np.linalg.norm(vn) > EN_FACE_COS:
        turn = (az1 - az0 + 180.0) % 360.0 - 180.0
        return Pose(start.depth_mm, start.rotation_deg + turn).clamped()
    return Pose(start.depth_mm - (h1 - h0), start.rotation_deg).clamped()


def pose_from_handle(a: RootAnatomy, start: Pose, handle0_lps, handle1_lps) -> Pose:
    """The pose after moving the 3D handle from ``handle0`` to ``handle1``."""
    h0, az0 = height_and_azimuth(a, handle0_lps)
    h1, az1 = height_and_azimuth(a, handle1_lps)
    turn = (az1 - az0 + 180.0) % 360.0 - 180.0
    return Pose(start.depth_mm - (h1 - h0), start.rotation_deg + turn).clamped()


def rigid_preview(a: RootAnatomy, points_lps: np.ndarray, old: Pose, new: Pose) -> np.ndarray:
    """The points of a frame deployed at ``old`` moved rigidly to ``new``: shifted along the
    axis by the depth change and turned about the axis by the rotation change."""
    c, n, _, _ = _frame(a)
    v = np.asarray(points_lps, float) - c
    t = np.radians(new.rotation_deg - old.rotation_deg)
    # Rodrigues rotation about n
    v = (v * np.cos(t) + np.cross(n, v) * np.sin(t) + np.outer(v @ n, n) * (1 - np.cos(t)))
    return c + v - (new.depth_mm - old.depth_mm) * n


def handle_point(a: RootAnatomy, points_lps: np.ndarray, level: np.ndarray,
                 pose: Pose) -> np.ndarray:
    """The reference crown: the outflow-ring point nearest the azimuth ``rotation_deg``."""
    top = np.flatnonzero(level == level.max())
    az = np.array([height_and_azimuth(a, p)[1] for p in points_lps[top]])
    d = np.abs((az - pose.rotation_deg + 180.0) % 360.0 - 180.0)
    return np.asarray(points_lps[top[int(np.argmin(d))]], float)


def frame_segments(points_lps: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """(m, 2, 3) strut segments of a frame for the MPR overlay."""
    return np.asarray(points_lps, float)[np.asarray(lines, int)]


def _v(x, digits=1) -> str:
    return "-" if not x else f"{x['value']:.{digits}f}"


def table_row(size_mm: float, result: dict | str) -> tuple[str, ...]:
    """One row of the size-comparison table (strings): size, annulus mean diameter with
    interval, eccentricity, expansion, max pressure, gap area, VTC left/right, MSID,
    indexed EOA and mismatch — or the failure message."""
    if isinstance(result, str):
        return (f"{size_mm:g}", f"failed: {result}") + ("",) * 8
    lv = result["levels"].get("annulus") or result["levels"]["inflow"]
    mean = lv["mean_diameter_mm"]
    cor = result["coronary"]
    vtc = "/".join(_v((cor.get(s) or {}).get("vtc_mm")) for s in ("left", "right"))
    risk = any(c["vtc_high_risk"] for c in cor.values())
    msid = result["conduction"].get("msid_mm")
    e = result["eoa"]
    ieoa = e.get("indexed_eoa_cm2_per_m2")
    return (f"{size_mm:g}", f"{mean['value']:.1f} [{mean['low']:.1f}, {mean['high']:.1f}]",
            _v(lv["eccentricity"], 2), _v(lv["expansion_pct"], 0),
            _v(result["contact_pressure"]["max_kpa"], 0),
            _v(result["paravalvular_gap"]["area_mm2"]),
            vtc + (" !" if risk else ""),
            _v(msid) + (f" ({result['conduction']['risk']})" if msid else ""),
            _v(ieoa, 2), (e.get("ppm") or "-") if ieoa else "no BSA")


TABLE_HEADER = ("Size mm", "Annulus mean D mm", "Ecc", "Exp %", "p max kPa", "Gap mm²",
                "VTC L/R mm", "MSID mm", "iEOA", "PPM")


def stored_results(case, family_id: str) -> dict[float, dict]:
    """The stored placement results of a family in a case, by size (unreadable ones are
    left out)."""
    from twindesk.errors import TwindeskError

    out = {}
    for rec in (case.doc.get("placements") or {}).values():
        if rec.get("device") != family_id:
            continue
        try:
            out[float(rec["size_mm"])] = case.read_json(rec["artifacts"]["metrics"])
        except (TwindeskError, KeyError, ValueError):
            continue
    return dict(sorted(out.items()))


def summary_text(result: dict) -> str:
    """A few lines for the panel: diameters at the annulus, pressure, gap, risks."""
    def iv(x, d=1):
        if not x:
            return "-"
        if abs(x["high"] - x["low"]) < 1e-9:
            return f"{x['value']:.{d}f}"
        return f"{x['value']:.{d}f} [{x['low']:.{d}f}–{x['high']:.{d}f}]"

    name, lv = ("annulus", result["levels"].get("annulus")) if result["levels"].get("annulus") \
        else ("inflow", result["levels"]["inflow"])
    cor = result["coronary"]
    lines = [f"{result['model']} model, implant depth {iv(result['implant_depth_mm'])} mm",
             f"{name}: D {iv(lv['min_diameter_mm'])} / {iv(lv['max_diameter_mm'])} mm, "
             f"ecc {iv(lv['eccentricity'], 2)}, expansion {iv(lv['expansion_pct'], 0)} %",
             f"contact pressure max {iv(result['contact_pressure']['max_kpa'], 0)} kPa; "
             f"gap > 1 mm {iv(result['paravalvular_gap']['area_mm2'])} mm²"]
    for side, c in cor.items():
        lines.append(f"{side} ostium: VTC {iv(c['vtc_mm'])} mm"
                     + ("  HIGH RISK" if c["vtc_high_risk"] else "")
                     + f", to leaflet {iv(c['distance_to_leaflet_mm'])} mm")
    con = result["conduction"]
    if con.get("msid_mm"):
        lines.append(f"MS − depth {iv(con['msid_mm'])} mm ({con['risk']} conduction risk)")
    e = result["eoa"]
    if e.get("indexed_eoa_cm2_per_m2"):
        lines.append(f"iEOA {iv(e['indexed_eoa_cm2_per_m2'], 2)} cm²/m²: PPM {e['ppm']}")
    return "\n".join(lines)


def latest_placement(case) -> dict | None:
    """The index record of the most recent stored placement, or None."""
    recs = list((case.doc.get("placements") or {}).values())
    return max(recs, key=lambda r: r.get("time_utc", "")) if recs else None


def stored_outcome(case, index: dict):
    """A stored placement as a :class:`~twindesk.sim.tavr.deploy_job.DeployOutcome` for
    display (frame and pressure-map artefacts, metrics JSON)."""
    import pyvista as pv

    from twindesk.sim.tavr.deploy_job import DeployOutcome

    keys = index["artifacts"]
    frame = pv.read(case.artifact_path(keys["frame"]))
    tissue = pv.read(case.artifact_path(keys["pressure_map"]))
    lines = np.asarray(frame.lines).reshape(-1, 3)[:, 1:]
    return DeployOutcome(
        result=case.read_json(keys["metrics"]),
        frame_points_lps_mm=np.asarray(frame.points, float), frame_lines=lines,
        frame_level=np.asarray(frame.point_data["lattice_level"], np.int64),
        tissue_points_lps_mm=np.asarray(tissue.points, float),
        tissue_faces=np.asarray(tissue.faces).reshape(-1, 4)[:, 1:],
        contact_pressure_kpa=np.asarray(tissue.point_data["contact_pressure_kpa"], float),
        leaflet_points_lps_mm=np.zeros((0, 3)))
