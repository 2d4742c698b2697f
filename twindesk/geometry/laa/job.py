"""The LAA analysis job on a case: ``twindesk laa`` and the LAAO panel.

``run(LAAJobParams, progress, cancel)`` reads the atrium — the mask ``labels:la`` when the
case has one, otherwise the surface ``surface:la`` (a case made by ``twindesk
import-surface``), voxelised at :data:`SURFACE_VOXEL_MM` — analyses its appendage
(:func:`twindesk.geometry.laa.analysis.analyse`) and stores:

* ``case.doc["landmarks"]["laa"]``: the ostium plane (``ostium_center_lps_mm``,
  ``ostium_normal_lps``, ``ostium_source`` ``auto``/``user``) and the optional appendage
  hint point ``laa_point_lps_mm``; a ``user`` plane is kept by later runs until
  ``auto_ostium`` asks for the automatic one again;
* the artefact ``result:laa:analysis`` (the JSON ``twindesk laa`` prints), written with
  the landmarks as one undoable command (:func:`store_analysis`);
* a twin version of kind ``measurement``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk.errors import CaseError
from twindesk.jobs import CancelToken, ProgressReporter

RESULT_KEY = "result:laa:analysis"
LANDMARK_PATH = "/landmarks/laa"
SURFACE_VOXEL_MM = 0.5


@dataclass(frozen=True)
class LAAJobParams:
    """The case and the optional user inputs (LPS mm).

    ``ostium_center_lps_mm`` + ``ostium_normal_lps`` set the ostium plane by hand (the normal
    pointing into the appendage); ``auto_ostium`` drops a stored hand-set plane;
    ``laa_point_lps_mm`` is a point in the appendage when the automatic choice is wrong.
    """

    case_path: Path
    ostium_center_lps_mm: tuple[float, float, float] | None = None
    ostium_normal_lps: tuple[float, float, float] | None = None
    auto_ostium: bool = False
    laa_point_lps_mm: tuple[float, float, float] | None = None
    store: bool = True


@dataclass
class Atrium:
    """The atrium mask the analysis runs on and where it came from."""

    mask: np.ndarray
    grid: object
    open_mask: np.ndarray | None
    source: str
    voxel_mm: float


def atrium_of(case) -> Atrium:
    """The left atrium of a case as a mask (see the module docstring)."""
    from twindesk.imaging import labels
    from twindesk.imaging.grid import Grid

    if labels.has(case, "la"):
        grid = Grid.of(case.image())
        return Atrium(labels.load(case, "la"), grid, None, "labels:la",
                      float(max(grid.spacing_mm)))
    if case.artifact("surface:la") is not None:
        from twindesk.geometry.surface import read_polydata
        from twindesk.geometry.voxelize import surface_mask

        sm = surface_mask(read_polydata(case.artifact_path("surface:la")), SURFACE_VOXEL_MM)
        return Atrium(sm.mask, sm.grid, sm.open_mask, "surface:la", SURFACE_VOXEL_MM)
    raise CaseError(f"case {case.path} has no left atrium",
                    f"segment it (twindesk segment {case.path} --structure la) or import "
                    "a surface model (twindesk import-surface SURFACE CASE --structure la)")


def landing_zone_depths(library=None) -> tuple[tuple[str, float], ...]:
    """``(family id, landing-zone depth mm)`` of every occluder family of the library."""
    from twindesk.model.devices import load_library

    lib = library or load_library()
    out = []
    for fam in lib.families:
        if fam.kind == "laao":
            depth = fam.placement.landing_zone_depth_mm
            out.append((fam.id, float(depth if depth is not None
                                      else fam.placement.default_depth_mm)))
    return tuple(out)


def _plane_from(params: LAAJobParams, stored: dict):
    from twindesk.geometry.laa.ostium import OstiumPlane
    from twindesk.imaging.reslice import unit

    if params.ostium_center_lps_mm is not None:
        if params.ostium_normal_lps is None:
            from twindesk.errors import InputError

            raise InputError("--ostium-lps needs --ostium-normal-lps",
                             "give the plane's normal, pointing into the appendage")
        n = unit(params.ostium_normal_lps)
        return OstiumPlane(tuple(map(float, params.ostium_center_lps_mm)),
                           tuple(float(v) for v in n), "user")
    if not params.auto_ostium and stored.get("ostium_source") == "user":
        return OstiumPlane(tuple(stored["ostium_center_lps_mm"]),
                           tuple(stored["ostium_normal_lps"]), "user")
    return None


@dataclass(frozen=True)
class AnalyseInput:
    """A picklable analysis request (the desktop window runs it in a child process)."""

    atrium: Atrium
    user_plane: object | None = None          # OstiumPlane
    hint_lps_mm: tuple[float, float, float] | None = None
    landing_zones: tuple[tuple[str, float], ...] = ()


def analyse_job(params: AnalyseInput, progress=None, cancel: CancelToken | None = None
                ) -> dict[str, Any]:
    """Analyse an atrium (no case I/O); returns the JSON-ready result."""
    from twindesk.geometry.laa.analysis import LAAParams, analyse
    from twindesk.geometry.laa.region import RegionParams

    a = params.atrium
    lp = LAAParams(region=RegionParams(hint_lps_mm=params.hint_lps_mm),
                   user_plane=params.user_plane, landing_zones=params.landing_zones)
    data = dict(analyse(a.mask, a.grid, lp, a.open_mask, progress, cancel).data)
    data["input"] = {"atrium": a.source, "voxel_mm": a.voxel_mm}
    return data


def store_analysis(case, data: dict[str, Any], hint=None) -> dict[str, Any]:
    """Put the ostium plane and the result into the case as one undoable command (undo
    brings back the previous plane and analysis together) and record a twin version; the
    caller saves. Returns the version record."""
    from twindesk.model import commands
    from twindesk.model.versions import record_version

    o = data["ostium"]
    landmarks = {"ostium_center_lps_mm": o["center_lps_mm"],
                 "ostium_normal_lps": o["normal_lps"], "ostium_source": o["source"]}
    if hint:
        landmarks["laa_point_lps_mm"] = [float(v) for v in hint]
    label = ("LAA ostium plane set by hand" if o["source"] == "user"
             else "LAA analysis (automatic ostium plane)")
    with commands.recording(case, label,
                            [LANDMARK_PATH, commands.pointer("artifacts", RESULT_KEY)]):
        commands.set_value(case.doc, LANDMARK_PATH, landmarks)
        case.put_json(RESULT_KEY, data, "result", {"ostium_source": o["source"]})
    summary = (f"LAA ostium {o['max_diameter_mm']['value']:.1f} x "
               f"{o['min_diameter_mm']['value']:.1f} mm ({o['source']} plane), depth "
               f"{data['depth_mm']['value']:.1f} mm, {data['morphology']}")
    return record_version(case, "measurement", summary, {"ostium_source": o["source"]})


def run(params: LAAJobParams, progress=None, cancel: CancelToken | None = None
        ) -> dict[str, Any]:
    """Analyse the case's appendage; store the plane and the result when ``store``."""
    from twindesk.model.case import Case

    rep = ProgressReporter(progress, cancel=cancel)
    with Case.open(params.case_path, write=params.store, require_write=params.store) as case:
        stored = dict((case.doc.get("landmarks") or {}).get("laa") or {})
        rep(0.0, "reading the left atrium")
        hint = params.laa_point_lps_mm or stored.get("laa_point_lps_mm")
        job = AnalyseInput(atrium_of(case), _plane_from(params, stored),
                           tuple(float(v) for v in hint) if hint else None,
                           landing_zone_depths())
        data = analyse_job(job, rep.sub(0.05, 0.95), cancel)
        if params.store:
            version = store_analysis(case, data, hint)
            case.save("laa", {"ostium_source": data["ostium"]["source"],
                              "version": version["id"]})
            data["artifacts"] = [RESULT_KEY]
            data["version"] = version["id"]
    rep(1.0, "done")
    return data


def stored_analysis(case) -> dict[str, Any]:
    """The last stored analysis; :class:`CaseError` with a hint when there is none."""
    if case.artifact(RESULT_KEY) is None:
        raise CaseError(f"case {case.path} has no LAA analysis",
                        f"run 'twindesk laa {case.path}' first")
    return case.read_json(RESULT_KEY)
