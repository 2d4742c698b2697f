"""Where an occluder goes in the appendage, from the stored LAA analysis.

Conventions (LPS mm)
--------------------
* Implant depth (the device family's ``implant_depth_definition``): distance from the
  ostium plane to the device's *shoulder* — the atrial end of its full-diameter body, its
  plane of maximum diameter — positive into the appendage. The family's default (2 mm for
  the WATCHMAN FLX-like family) follows the release criterion "the plane of maximum device
  diameter at or just distal to the ostium".
* Device axis: delivered through the ostium centre along the ostium normal (into the
  appendage) unless the user gives another direction.
* Landing zone: the analysis' landing zone of the family (perpendicular to the appendage
  axis at the family's landing-zone depth); compression is read there, in the device's
  cross-section through the landing zone's centre.
* Mechanics frame (:class:`~twindesk.sim.mechanics.params.Placement`): the axis points
  from the appendage toward the atrium, ``axis_point`` is the ostium centre and ``depth``
  the distance from there to the device's distal edge (implant depth + shoulder height).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.reslice import unit
from twindesk.sim.mechanics.frame import nominal_profile
from twindesk.sim.mechanics.params import Device, Placement


def shoulder_height_mm(device: Device) -> float:
    """Height of the shoulder above the distal edge on the nominal profile (frame z): the
    last height where the profile still has its full radius."""
    prof = nominal_profile(device)
    z = np.linspace(0.0, prof.height_mm, 401)
    r = prof.radius(z)
    return float(z[np.flatnonzero(r >= r.max() - 1e-3)[-1]])


@dataclass(frozen=True)
class OccluderPlan:
    """A placement with the anatomy it refers to (LPS mm, unit vectors)."""

    placement: Placement
    implant_depth_mm: float
    ostium_center_lps_mm: tuple[float, float, float]
    ostium_normal_lps: tuple[float, float, float]
    landing_center_lps_mm: tuple[float, float, float]
    landing_normal_lps: tuple[float, float, float]
    landing_depth_mm: float
    appendage_axis_lps: tuple[float, float, float]
    device_axis_lps: tuple[float, float, float]       # into the appendage
    axis_source: str

    def moved(self, device: Device, depth_delta_mm: float = 0.0, tilt_axis_lps=None,
              tilt_deg: float = 0.0) -> OccluderPlan:
        """The same plan with the implant depth changed and/or the device axis tilted."""
        a = np.asarray(self.device_axis_lps, float)
        if tilt_axis_lps is not None and tilt_deg:
            k = unit(tilt_axis_lps)
            t = np.radians(tilt_deg)
            a = a * np.cos(t) + np.cross(k, a) * np.sin(t) + k * (k @ a) * (1 - np.cos(t))
        return make_plan(device, self.implant_depth_mm + depth_delta_mm,
                         self.ostium_center_lps_mm, self.ostium_normal_lps,
                         self.landing_center_lps_mm, self.landing_normal_lps,
                         self.landing_depth_mm, self.appendage_axis_lps, a, self.axis_source)


def make_plan(device: Device, implant_depth_mm: float, ostium_center, ostium_normal,
              landing_center, landing_normal, landing_depth_mm: float, appendage_axis,
              device_axis, axis_source: str) -> OccluderPlan:
    a = unit(device_axis)
    n = unit(ostium_normal)
    if a @ n <= 0.2:
        raise InputError("the device axis must point into the appendage (within 78 degrees "
                         "of the ostium normal)", "check --axis-lps")
    depth = float(implant_depth_mm) + shoulder_height_mm(device)
    pl = Placement(tuple(float(v) for v in ostium_center), tuple(float(v) for v in -a),
                   depth_mm=depth)
    t = tuple(float(v) for v in unit(appendage_axis))
    return OccluderPlan(pl, float(implant_depth_mm), tuple(map(float, ostium_center)),
                        tuple(float(v) for v in n), tuple(map(float, landing_center)),
                        tuple(float(v) for v in unit(landing_normal)), float(landing_depth_mm),
                        t, tuple(float(v) for v in a), axis_source)


def plan_from_analysis(analysis: dict, device: Device, device_id: str,
                       implant_depth_mm: float, axis_lps=None) -> OccluderPlan:
    """The plan for one family and size from a ``twindesk laa`` result."""
    ost = analysis["ostium"]
    zones = {z["device_id"]: z for z in analysis.get("landing_zones") or []}
    zone = zones.get(device_id) or analysis.get("landing_zone")
    if zone is None:
        raise InputError(f"the LAA analysis has no landing zone for '{device_id}' (the "
                         "appendage axis is shorter than the landing-zone depth)",
                         "check the ostium plane, or choose another device family")
    return make_plan(device, implant_depth_mm, ost["center_lps_mm"], ost["normal_lps"],
                     zone["center_lps_mm"], zone["normal_lps"], zone["depth_mm"],
                     zone["normal_lps"], ost["normal_lps"] if axis_lps is None else axis_lps,
                     "ostium normal" if axis_lps is None else "user")
