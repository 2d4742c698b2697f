"""The TAVR deployment job: one device size in the patient's root, its measures and risks.

``run(DeployParams, progress, cancel) -> DeployOutcome`` is a pure computation (no case
I/O, picklable input and output) so the desktop window can run the full model in a child
process (:func:`twindesk.jobs.subprocess_runner.run_in_subprocess`) and Cancel it at once; the
case-level job :mod:`twindesk.sim.tavr.place_job` prepares its input and stores its output.

Every number carries an interval from tissue-stiffness (× 0.5, × 2) and implant-depth
(± 2 mm) perturbations, computed with the fast model
(:func:`twindesk.sim.mechanics.api.uncertainty`); for a full-model deployment the fast
model's deviations are applied around the full model's value. Intervals are
``{"value", "low", "high", "unit"}`` as in the root measurements.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twindesk.geometry.uncertainty import interval
from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.sim.mechanics import api
from twindesk.sim.mechanics.params import Device, Placement, TissueModel
from twindesk.sim.mechanics.results import DeployedFrame
from twindesk.sim.mechanics.surface import TriangleSurface
from twindesk.sim.tavr import risks
from twindesk.sim.tavr.anatomy import RootAnatomy

UNITS = (("_kpa", "kPa"), ("_mm2", "mm²"), ("_mm", "mm"), ("_pct", "%"), ("_deg", "°"),
         ("_n", "N"), ("eccentricity", "1"))
LEVEL_KEYS = {"min_mm": "min_diameter_mm", "max_mm": "max_diameter_mm",
              "mean_mm": "mean_diameter_mm", "perimeter_mm": "perimeter_mm",
              "eccentricity": "eccentricity", "expansion_pct": "expansion_pct"}
UNCERTAINTY = {"stiffness_factors": (0.5, 2.0), "depth_offsets_mm": (-2.0, 2.0)}


@dataclass(frozen=True)
class DeviceInfo:
    """What the report needs from the library entry (EOA by size, names, defaults)."""

    family_id: str
    name: str
    kind: str
    size_mm: float
    nominal_diameter_mm: float
    frame_height_mm: float
    eoa_cm2: float | None
    eoa_sd_cm2: float | None
    default_depth_mm: float
    recommended_depth_mm: tuple[float, float]
    rotation_zero: str
    eoa_source: str = ""


@dataclass(frozen=True)
class BodySize:
    """Body surface area (m²) and BMI (kg/m²) of the patient, and where they came from."""

    bsa_m2: float | None = None
    bmi_kg_per_m2: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    source: str = "not in the twin"


@dataclass(frozen=True)
class DeployParams:
    """One deployment: device, tissue surface (LPS mm), anatomy, pose, fidelity."""

    device: Device
    info: DeviceInfo
    tissue_points_lps_mm: np.ndarray = field(compare=False)
    tissue_faces: np.ndarray = field(compare=False)
    anatomy: RootAnatomy
    depth_mm: float
    rotation_deg: float = 0.0
    model: str = "fast"
    body: BodySize = BodySize()
    with_uncertainty: bool = True
    tissue_model: TissueModel = TissueModel()

    def placement(self) -> Placement:
        a = self.anatomy
        return Placement(a.annulus_center_lps_mm, a.annulus_normal_lps, self.depth_mm,
                         self.rotation_deg, a.commissure_direction_lps,
                         a.noncoronary_direction_lps)

    def tissue(self) -> TriangleSurface:
        return TriangleSurface(np.asarray(self.tissue_points_lps_mm, float),
                               np.asarray(self.tissue_faces, np.int64))


@dataclass
class DeployOutcome:
    """The result: the JSON-ready measures and the geometry to store and show (LPS mm)."""

    result: dict[str, Any]
    frame_points_lps_mm: np.ndarray
    frame_lines: np.ndarray             # (m, 2) beams
    frame_level: np.ndarray             # lattice level per point
    tissue_points_lps_mm: np.ndarray
    tissue_faces: np.ndarray
    contact_pressure_kpa: np.ndarray    # per tissue point
    leaflet_points_lps_mm: np.ndarray   # displaced-leaflet surface samples


def unit_of(key: str) -> str:
    for suffix, unit in UNITS:
        if key.endswith(suffix):
            return unit
    return "1"


def evaluate(df: DeployedFrame, anatomy: RootAnatomy) -> dict[str, float]:
    """Every scalar measure of a deployment, flat (``levels.annulus.min_mm``,
    ``coronary.left.vtc_mm`` …)."""
    flat = api.scalar_metrics(api.report(df))
    leaflet = risks.leaflet_surface(df, anatomy.commissure_height_mm)
    for ostium in anatomy.ostia:
        m = risks.coronary_measures(df, ostium.lower_edge_lps_mm,
                                    anatomy.commissure_height_mm, leaflet)
        for k, v in m.items():
            flat[f"coronary.{ostium.side}.{k}"] = float(v)
    return flat


def _iv(key: str, value: float, low: float, high: float) -> dict[str, Any] | None:
    return interval(value, value - min(low, value), max(high, value) - value, unit_of(key))


def intervals(nominal: dict[str, float], unc: dict | None) -> dict[str, dict]:
    """Intervals around ``nominal`` from the fast model's perturbation spread."""
    out = {}
    for key, value in nominal.items():
        if unc is None or key not in unc["low"]:
            out[key] = _iv(key, value, value, value)
            continue
        ref = unc["nominal"][key]
        out[key] = _iv(key, value, value + unc["low"][key] - ref,
                       value + unc["high"][key] - ref)
    return out


def _pick(iv: dict[str, dict], prefix: str, names: dict[str, str]) -> dict[str, Any]:
    return {out: iv.get(f"{prefix}.{key}") for key, out in names.items()}


def assemble(df: DeployedFrame, params: DeployParams, iv: dict[str, dict],
             unc: dict | None) -> dict[str, Any]:
    """The JSON result of one deployment from the interval table."""
    a, info = params.anatomy, params.info
    levels = {}
    for name in ("inflow", "annulus", "waist", "outflow"):
        if f"levels.{name}.min_mm" not in iv:
            levels[name] = None
            continue
        levels[name] = _pick(iv, f"levels.{name}", LEVEL_KEYS)
        levels[name]["nominal_diameter_mm"] = iv[f"levels.{name}.nominal_mm"]["value"]
        levels[name]["height_above_annulus_mm"] = \
            iv[f"levels.{name}.z_mm"]["value"] - df.annulus_z_mm
    levels_label = "nodal" if info.kind == "balloon-expandable" else "waist"
    depth = iv["implant_depth_mm"]
    pressure = _pick(iv, "contact_pressure", {k: k for k in (
        "max_kpa", "mean_kpa", "p95_kpa", "contact_area_mm2", "total_force_n")})
    gap = _pick(iv, "paravalvular_gap", {"area_mm2": "area_mm2", "max_gap_mm": "max_gap_mm",
                                          "arc_deg": "arc_deg"})
    gap["threshold_mm"] = 1.0
    vtc_limit = float(risks.load_table()["coronary"]["vtc_high_risk_below_mm"])
    coronary = {}
    for o in a.ostia:
        rec = _pick(iv, f"coronary.{o.side}", {k: k for k in (
            "distance_to_frame_mm", "distance_to_leaflet_mm", "vtc_mm")})
        vtc = rec["vtc_mm"]
        coronary[o.side] = {
            "lower_edge_lps_mm": list(o.lower_edge_lps_mm), "height_mm": o.height_mm,
            "ostium_source": o.source, **rec,
            "leaflet_free_edge_height_mm": a.commissure_height_mm,
            "leaflet_reaches_ostium": bool(a.commissure_height_mm > o.height_mm),
            "vtc_high_risk": bool(vtc is not None and vtc["value"] < vtc_limit),
            "vtc_high_risk_at_interval_end": bool(vtc is not None and vtc["low"] < vtc_limit)}
    return {
        "model": df.model,
        "levels": levels, "level_names": {"waist": levels_label},
        "implant_depth_mm": depth,
        "axial_hold_force_n": iv.get("axial_hold_force_n"),
        "contact_pressure": pressure,
        "paravalvular_gap": gap,
        "coronary": coronary,
        "coronary_rule": {"vtc_high_risk_below_mm": vtc_limit,
                          "leaflet_height_mm": a.commissure_height_mm,
                          "leaflet_height_source": a.commissure_height_source,
                          "citation": risks.citation("BLANKE2016") + " " +
                          risks.citation("KHAN2023")},
        "conduction": conduction(a, depth),
        "eoa": eoa(info, params.body),
        "convergence": {k: v for k, v in df.convergence.items()
                        if isinstance(v, (bool, int, float, str))},
        "uncertainty": {"runs": unc["runs"] if unc else 0,
                        "method": "fast-model reruns, one perturbation at a time: wall "
                                  "stiffness x0.5 and x2, implant depth -2 and +2 mm; a "
                                  "full-model value takes the fast model's deviations",
                        **{k: list(v) for k, v in UNCERTAINTY.items()},
                        "failed_runs": unc.get("failed_runs", [])} if unc else None,
    }


def conduction(a: RootAnatomy, depth: dict) -> dict[str, Any]:
    """MSID with its interval (septum-length interval combined with the depth interval)."""
    rule = risks.load_table()["conduction"]
    base = {"overlap_high_mm": rule["overlap_high_mm"],
            "citation": risks.citation(rule["citation"]) + " " + risks.citation(rule["also"])}
    if a.membranous_septum_mm is None:
        return {**base, "membranous_septum_length_mm": None, "msid_mm": None, "risk": None,
                "reason": "no membranous-septum point was placed",
                "hint": "place it: twindesk measure CASE --septum-lps X,Y,Z"}
    ms, ms_lo, ms_hi = a.membranous_septum_mm
    value = ms - depth["value"]
    msid = {"value": value, "low": ms_lo - depth["high"], "high": ms_hi - depth["low"],
            "unit": "mm"}
    return {**base, "membranous_septum_length_mm": interval(ms, ms - ms_lo, ms_hi - ms),
            "msid_mm": msid, "risk": risks.msid_grade(value),
            "risk_at_interval_end": risks.msid_grade(msid["low"])}


def eoa(info: DeviceInfo, body: BodySize) -> dict[str, Any]:
    """Projected and indexed EOA with the VARC-3 mismatch grade."""
    if info.eoa_cm2 is None:
        return {"projected_eoa_cm2": None, "indexed_eoa_cm2_per_m2": None, "ppm": None,
                "reason": f"the device library gives no EOA for {info.family_id}"}
    sd = info.eoa_sd_cm2 or 0.0
    out: dict[str, Any] = {
        "projected_eoa_cm2": interval(info.eoa_cm2, sd, sd, "cm²"),
        "eoa_interval": "mean ± 1 SD of the published normal values (device library)",
        "eoa_source": info.eoa_source, "bsa_m2": body.bsa_m2, "bmi_kg_per_m2":
            body.bmi_kg_per_m2, "body_size_source": body.source,
        "ppm_thresholds": risks.ppm_thresholds(body.bmi_kg_per_m2)}
    if body.bsa_m2 is None:
        return {**out, "indexed_eoa_cm2_per_m2": None, "ppm": None,
                "reason": "no body surface area: the twin has neither physiology.bsa_m2 "
                          "nor a height and weight",
                "hint": "attach height and weight (twindesk twin add) or calibrate the "
                        "0D model"}
    ieoa = interval(info.eoa_cm2 / body.bsa_m2, sd / body.bsa_m2, sd / body.bsa_m2, "cm²/m²")
    return {**out, "indexed_eoa_cm2_per_m2": ieoa,
            "ppm": risks.ppm_grade(ieoa["value"], body.bmi_kg_per_m2),
            "ppm_at_interval_low": risks.ppm_grade(ieoa["low"], body.bmi_kg_per_m2)}


def run(params: DeployParams, progress=None, cancel: CancelToken | None = None
        ) -> DeployOutcome:
    """Deploy, measure, and (``with_uncertainty``) add the intervals."""
    t0 = time.perf_counter()
    cancel = cancel or CancelToken()
    rep = ProgressReporter(progress, cancel=cancel)
    tissue, placement = params.tissue(), params.placement()
    share = 0.75 if params.model == "full" else 0.2
    rep(0.0, f"deploying ({params.model} model)")
    df = api.place(params.device, tissue, placement, tissue_model=params.tissue_model,
                   model=params.model, progress=rep.sub(0.0, share), cancel=cancel)
    nominal = evaluate(df, params.anatomy)
    unc = None
    if params.with_uncertainty:
        unc = api.uncertainty(params.device, tissue, placement,
                              tissue_model=params.tissue_model,
                              evaluate=lambda d: evaluate(d, params.anatomy),
                              nominal=df if df.model == "fast" else None,
                              progress=rep.sub(share, 0.97), cancel=cancel,
                              **UNCERTAINTY)
    result = assemble(df, params, intervals(nominal, unc), unc)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["deploy_seconds"] = round(float(df.convergence.get("seconds", 0.0)), 2)
    pressure = api.pressure_map_polydata(df)
    poly = df.to_polydata()
    leaflet = df.transform.to_lps(risks.leaflet_surface(df, params.anatomy.commissure_height_mm,
                                                        n_angles=72))
    rep(1.0, "done")
    return DeployOutcome(
        result=result, frame_points_lps_mm=np.asarray(poly.points, float),
        frame_lines=np.asarray(df.beams, np.int64),
        frame_level=np.asarray(df.vertex_level, np.int64),
        tissue_points_lps_mm=np.asarray(pressure.points, float),
        tissue_faces=np.asarray(pressure.faces.reshape(-1, 4)[:, 1:], np.int64),
        contact_pressure_kpa=np.asarray(pressure.point_data["contact_pressure_kpa"], float),
        leaflet_points_lps_mm=leaflet)


@dataclass(frozen=True)
class SweepParams:
    """Several deployments run one after the other (the size comparison)."""

    deployments: tuple[DeployParams, ...]


def run_sweep(params: SweepParams, progress=None, cancel: CancelToken | None = None
              ) -> list[tuple[float, DeployOutcome | str]]:
    """Each deployment's outcome, or the solver's message when it did not converge."""
    from twindesk.errors import SolverError

    cancel = cancel or CancelToken()
    rep = ProgressReporter(progress, cancel=cancel)
    n = len(params.deployments)
    out: list[tuple[float, DeployOutcome | str]] = []
    for i, dp in enumerate(params.deployments):
        sub = rep.sub(i / n, (i + 1) / n)
        sub(0.0, f"size {dp.info.size_mm:g} mm")
        try:
            out.append((dp.info.size_mm, run(dp, sub, cancel)))
        except SolverError as exc:
            out.append((dp.info.size_mm, exc.message))
    rep(1.0, "done")
    return out
