"""Measurements of a deployed occluder (both fidelities).

Definitions (mm, LPS; device frame coordinates: z from the distal edge toward the atrium)
--------------------------------------------------------------------------------------
compression_pct
    At the landing zone: ``(nominal - deployed mean diameter) / nominal * 100`` in the
    device's cross-section through the landing zone's centre (the manufacturers' sizing
    measure, :func:`twindesk.sim.mechanics.metrics.compression_pct`); also at the shoulder.
sealing_gap_mm
    The residual peri-device gap: along rays from the device's section centre, the tissue
    radius minus the device's outer radius, the smallest over the sealing band (landing
    zone ± 2 mm), and of those the largest around the circumference (the widest channel
    that stays open through the whole band; 0 when the device seals all round). A residual
    peri-device jet wider than 5 mm counts as an inadequate seal (PROTECT AF criterion,
    Viles-Gonzalez JF et al., J Am Coll Cardiol 2012;59:923-929).
shoulder_protrusion_mm
    How far the shoulder ring (the atrial end of the full-diameter body) reaches past the
    ostium plane into the atrium, the largest over the ring (negative: recessed inside the
    appendage). ``device_protrusion_mm`` is the same for the whole device (its proximal
    face and hub).
axis_angle_deg
    Angle between the deployed device's axis (line through its lattice rings' centres) and
    the appendage axis at the landing zone; ``ostium_normal_angle_deg`` against the ostium
    normal.
contact pressure
    Statistics and the per-vertex map of :mod:`twindesk.sim.mechanics.metrics`.
"""

from __future__ import annotations

import numpy as np

from twindesk.sim.laao.placement import OccluderPlan, shoulder_height_mm
from twindesk.sim.mechanics import metrics as mm
from twindesk.sim.mechanics.results import DeployedFrame

INADEQUATE_SEAL_MM = 5.0
SEAL_BAND_MM = 2.0


def _outer_radius_profile(df: DeployedFrame, dz: float = 0.5):
    x = df.nodes_frame_mm
    r = np.hypot(x[:, 0], x[:, 1]) + 0.5 * df.thickness_mm
    edges = np.arange(x[:, 2].min(), x[:, 2].max() + dz, dz)
    k = np.clip(np.digitize(x[:, 2], edges) - 1, 0, len(edges) - 1)
    prof = np.zeros(len(edges))
    np.maximum.at(prof, k, r)
    return edges + 0.5 * dz, prof


def shoulder_z_mm(df: DeployedFrame) -> float:
    """Deployed shoulder height (frame z): the atrial end of the body that keeps the body's
    radius within 1 mm."""
    z, r = _outer_radius_profile(df)
    zb = shoulder_height_mm(df.device)
    body = (z > 0.1 * zb) & (z < 0.9 * zb) & (r > 0)
    r_body = float(np.median(r[body])) if np.any(body) else float(r.max())
    ok = np.flatnonzero(r >= r_body - 1.0)
    return float(z[ok[-1]]) if ok.size else zb


def _protrusions(df: DeployedFrame, plan: OccluderPlan, z_shoulder: float):
    c = np.asarray(plan.ostium_center_lps_mm)
    n = np.asarray(plan.ostium_normal_lps)
    x = df.nodes_frame_mm
    near = np.abs(x[:, 2] - z_shoulder) < 0.75
    ring = x[near] if np.any(near) else x[[int(np.argmin(np.abs(x[:, 2] - z_shoulder)))]]
    h_ring = (df.transform.to_lps(ring) - c) @ n
    h_all = (df.nodes_lps_mm - c) @ n
    return float(-h_ring.min()), float(-h_all.min())


def occluder_report(df: DeployedFrame, plan: OccluderPlan) -> dict:
    """The numbers of one deployed occluder (see the module docstring)."""
    z_lz = float(df.transform.to_frame(np.asarray(plan.landing_center_lps_mm))[2])
    z_sh = shoulder_z_mm(df)
    sec = mm.section_at(df, z_lz)
    gap = mm.paravalvular_gap(df, band_mm=SEAL_BAND_MM, threshold_mm=1.0, z_mm=z_lz)
    shoulder, device = _protrusions(df, plan, z_sh)
    axis = mm.device_axis_lps(df)
    pressure = mm.tissue_pressure(df)
    max_gap = gap["max_gap_mm"]
    return {
        "model": df.model,
        "compression_pct": mm.compression_pct(df, z_lz),
        "compression_at_shoulder_pct": mm.compression_pct(df, z_sh - 0.5),
        "landing_zone_device": None if sec is None else sec.as_dict(),
        "sealing_gap_mm": None if max_gap is None else max(0.0, float(max_gap)),
        "gap_area_mm2": gap["area_mm2"],
        "gap_arc_deg": gap["arc_deg"],
        "shoulder_protrusion_mm": shoulder,
        "device_protrusion_mm": device,
        "axis_angle_deg": mm.axis_angle_deg(axis, plan.appendage_axis_lps),
        "ostium_normal_angle_deg": mm.axis_angle_deg(axis, plan.ostium_normal_lps),
        "device_axis_lps": [float(v) for v in axis],
        "implant_depth_mm": plan.implant_depth_mm,
        "axial_hold_force_n": df.axial_hold_force_n,
        "contact_pressure": mm.pressure_stats(df, pressure),
        "convergence": df.convergence,
    }


def node_compression_pct(df: DeployedFrame) -> np.ndarray:
    """Local compression of the device at every node: ``(1 - r / r_nominal) * 100`` with r
    the node's distance from the device axis and r_nominal the heat-set radius at the
    same relative height (for colouring the deployed device)."""
    from twindesk.sim.mechanics.frame import nominal_profile

    x = df.nodes_frame_mm
    c = np.array([x[df.ring(k)].mean(axis=0) for k in range(df.levels)])
    z = x[:, 2]
    cx = np.interp(z, c[:, 2], c[:, 0])
    cy = np.interp(z, c[:, 2], c[:, 1])
    r = np.hypot(x[:, 0] - cx, x[:, 1] - cy)
    prof = nominal_profile(df.device)
    span = max(float(z.max() - z.min()), 1e-9)
    r_nom = prof.radius((z - z.min()) / span * prof.height_mm)
    return 100.0 * (1.0 - r / np.maximum(r_nom, 1e-6))


def scalars(rep: dict) -> dict[str, float]:
    """The report's numeric leaves that get intervals (``a.b`` keys)."""
    keys = ("compression_pct", "compression_at_shoulder_pct", "sealing_gap_mm",
            "gap_area_mm2", "gap_arc_deg", "shoulder_protrusion_mm", "device_protrusion_mm",
            "axis_angle_deg", "ostium_normal_angle_deg", "axial_hold_force_n")
    out = {k: float(rep[k]) for k in keys if rep.get(k) is not None}
    for k, v in (rep.get("contact_pressure") or {}).items():
        out[f"contact_pressure.{k}"] = float(v)
    for k, v in (rep.get("landing_zone_device") or {}).items():
        out[f"landing_zone_device.{k}"] = float(v)
    return out
