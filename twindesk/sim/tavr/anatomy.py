"""Placement defaults and risk landmarks from the aortic-root measurement.

``twindesk measure`` (:mod:`twindesk.geometry.measure_job`) stores ``result:measure:root``;
this module reads from it what a deployment needs, in LPS millimetres:

* the annulus plane: centre and unit normal (LV → aorta) — the device axis and the plane
  implant depth is measured from;
* the left–right commissure direction (rotation 0 aligns the frame's commissure post C1
  with it): the measured left–right commissure point of the sinus plane (the commissure
  opposite the non-coronary cusp), projected into the annulus plane; without a sinus
  measurement, the direction opposite the non-coronary hinge;
* the non-coronary direction (implant depth is measured on that side): toward the
  non-coronary hinge point;
* the coronary ostia (lower edges) and their heights;
* the leaflet free-edge height used for the displaced-leaflet model: the commissure height,
  taken as the sinotubular-junction height, where the commissures insert (Piazza N, et al.
  Anatomy of the aortic valvar complex and its implications for transcatheter implantation
  of the aortic valve. Circ Cardiovasc Interv 2008;1:74-81) unless the user gives it;
* the membranous-septum length (with its interval) when a septum point was placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import CaseError, InputError

MEASURE_KEY = "result:measure:root"


def _value(x) -> float | None:
    """A number from a plain value or a ``{"value", "low", "high"}`` interval."""
    if x is None:
        return None
    return float(x["value"]) if isinstance(x, dict) else float(x)


def _interval(x) -> tuple[float, float, float] | None:
    if x is None:
        return None
    if isinstance(x, dict):
        return float(x["value"]), float(x.get("low", x["value"])), float(x.get("high",
                                                                               x["value"]))
    return float(x), float(x), float(x)


def _in_plane(v, normal) -> np.ndarray | None:
    v = np.asarray(v, float)
    v = v - v.dot(normal) * normal
    n = np.linalg.norm(v)
    return v / n if n > 1e-6 else None


@dataclass(frozen=True)
class Ostium:
    """A coronary ostium: its lower edge (LPS mm) and height above the annulus plane."""

    side: str                          # "left" | "right"
    lower_edge_lps_mm: tuple[float, float, float]
    height_mm: float
    source: str                        # "auto" | "user"


@dataclass(frozen=True)
class RootAnatomy:
    """What a TAVR deployment needs from the measured root (LPS mm, unit vectors).

    ``commissure_height_mm`` is the leaflet free-edge height above the annulus plane;
    ``membranous_septum_mm`` is ``(value, low, high)`` or None when no septum point was
    placed.
    """

    annulus_center_lps_mm: tuple[float, float, float]
    annulus_normal_lps: tuple[float, float, float]
    commissure_direction_lps: tuple[float, float, float]
    noncoronary_direction_lps: tuple[float, float, float]
    commissure_height_mm: float
    commissure_height_source: str
    ostia: tuple[Ostium, ...] = ()
    membranous_septum_mm: tuple[float, float, float] | None = None
    annulus_perimeter_mm: float | None = None
    annulus_area_mm2: float | None = None
    hinges_source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def height(self, p_lps_mm) -> float:
        """Height (mm) of a point above the annulus plane."""
        c, n = np.asarray(self.annulus_center_lps_mm), np.asarray(self.annulus_normal_lps)
        return float((np.asarray(p_lps_mm, float) - c) @ n)


def from_measurement(res: dict, commissure_height_mm: float | None = None) -> RootAnatomy:
    """:class:`RootAnatomy` from a ``twindesk measure`` result (``result:measure:root``).

    ``commissure_height_mm`` overrides the leaflet free-edge height (else the STJ height).
    """
    try:
        plane = res["plane"]
        center = np.asarray(plane["center_lps_mm"], float)
        normal = np.asarray(plane["normal_lps"], float)
        hinges = {k: np.asarray(v, float) for k, v in res["hinges_lps_mm"].items()}
    except (KeyError, TypeError) as exc:
        raise CaseError(f"{MEASURE_KEY}: missing {exc}", "measure the root again "
                        "(twindesk measure CASE)") from None
    normal = normal / np.linalg.norm(normal)
    notes = []
    nc = _in_plane(hinges["non"] - center, normal)
    comm = None
    by_cusp = ((res.get("sinus") or {}).get("by_cusp") or {})
    rl = (by_cusp.get("non") or {}).get("opposite_commissure_point_lps_mm")
    if rl is not None:
        comm = _in_plane(np.asarray(rl, float) - center, normal)
    if comm is None:
        comm = -nc
        notes.append("no sinus measurement: rotation 0 faces away from the non-coronary "
                     "hinge instead of the measured left-right commissure")
    if commissure_height_mm is not None:
        if not 3.0 <= commissure_height_mm <= 40.0:
            raise InputError(f"--commissure-height-mm {commissure_height_mm:g} is outside "
                             "3-40 mm", "give the leaflet free-edge height above the annulus")
        h_comm, h_src = float(commissure_height_mm), "user"
    elif res.get("stj"):
        h_comm, h_src = _value(res["stj"]["height_mm"]), "sinotubular junction height"
    else:
        raise CaseError(f"{MEASURE_KEY} has no sinotubular junction, so the leaflet "
                        "free-edge (commissure) height is unknown",
                        "give it with --commissure-height-mm")
    ostia = []
    for side in ("left", "right"):
        rec = (res.get("coronary_heights") or {}).get(side)
        if rec:
            p = tuple(float(v) for v in rec["lower_edge_lps_mm"])
            ostia.append(Ostium(side, p, _value(rec["height_mm"]), rec.get("source", "user")))
        else:
            notes.append(f"no {side} coronary ostium in the measurement")
    ms = res.get("membranous_septum")
    ann = res.get("annulus") or {}
    return RootAnatomy(
        annulus_center_lps_mm=tuple(center.tolist()), annulus_normal_lps=tuple(normal.tolist()),
        commissure_direction_lps=tuple(comm.tolist()),
        noncoronary_direction_lps=tuple(nc.tolist()),
        commissure_height_mm=h_comm, commissure_height_source=h_src, ostia=tuple(ostia),
        membranous_septum_mm=_interval(ms["length_mm"]) if ms else None,
        annulus_perimeter_mm=_value(ann.get("perimeter_mm")),
        annulus_area_mm2=_value(ann.get("area_mm2")),
        hinges_source=res.get("hinges_source"), notes=tuple(notes))


def from_case(case, commissure_height_mm: float | None = None) -> RootAnatomy:
    """The anatomy of the case's stored root measurement."""
    if case.artifact(MEASURE_KEY) is None:
        raise CaseError(f"case {case.path} has no aortic root measurement",
                        "measure it first: twindesk measure CASE (with --septum-lps for the "
                        "conduction-risk estimate)")
    return from_measurement(case.read_json(MEASURE_KEY), commissure_height_mm)
