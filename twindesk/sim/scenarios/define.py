"""Defining and listing the twin's scenarios (``twindesk scenario add`` / ``list``).

A scenario lives in ``case.doc["physiology"]["scenarios"][NAME]`` (layout in
:mod:`twindesk.sim.lumped.store`); the twin's first state is ``baseline``. A variant derives
from another scenario and may add:

``overrides``
    0D parameter changes in clinical units: ``aortic_eoa_cm2`` (from a device) and
    ``heart_rate_bpm``.
``targets``
    ``cardiac_output_l_min``: the 0D model refits its filling volume to deliver it.
``device``
    ``{"id", "name", "kind", "size_mm", "eoa_cm2", "eoa_sd_cm2", "eoa_source"}``: the
    transcatheter valve whose effective orifice area replaces the native valve's in the 0D
    model. The 3D lumen of a device scenario is the deployed frame's lumen when the case
    holds it (artefacts ``mesh:<structure>@<scenario>`` and ``mesh_boundary:...@<scenario>``
    written by ``twindesk scenario lumen`` from the stored placement, see
    :mod:`twindesk.sim.scenarios.lumen`), otherwise the scenario's base lumen, and the run says
    which.
``geometry``
    ``{"narrow": [{"segment", "percent", "diameter_factor", "area_change_percent",
    "arc_mm", "taper_mm"}]}``: lumen changes along the centreline
    (:mod:`twindesk.sim.scenarios.segments`), applied to the 3D mesh on top of those of the
    scenarios it derives from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from twindesk.errors import InputError
from twindesk.sim.lumped.params import to_clinical
from twindesk.sim.lumped.store import BASELINE, physiology, resolve_scenario, scenario_names
from twindesk.sim.scenarios.segments import Centreline, Narrowing, morph_points

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


@dataclass(frozen=True)
class ScenarioSpec:
    """What ``twindesk scenario add`` asks for."""

    name: str
    base: str = BASELINE
    device_id: str | None = None
    size_mm: float | None = None
    co_l_min: float | None = None
    hr_bpm: float | None = None
    narrow: tuple[str, ...] = ()
    description: str | None = None
    structure: str = "aorta"


def _device_record(device_id: str, size_mm: float | None) -> dict[str, Any]:
    from twindesk.model.devices import load_library

    family = load_library().family(device_id)
    if not family.is_tavr:
        raise InputError(f"--device {device_id} is a {family.kind} device, not a "
                         "transcatheter aortic valve", "choose a TAVR device ('twindesk devices')")
    if size_mm is None:
        raise InputError("--device needs --size MM",
                         f"sizes of {device_id}: {', '.join(f'{s:g}' for s in family.sizes_mm)} mm")
    size = family.size(size_mm)
    src = family.source_of(size, "eoa_cm2")
    return {"id": family.id, "name": family.name, "kind": family.kind, "size_mm": size.size_mm,
            "eoa_cm2": size.eoa_cm2, "eoa_sd_cm2": size.eoa_sd_cm2,
            "eoa_source": "; ".join(s.citation for s in src)}


def lineage(doc: dict[str, Any], name: str) -> list[str]:
    """``[name, its base, …, the root]`` following ``from``."""
    scen = physiology(doc)["scenarios"]
    out, cur = [], name
    while cur is not None and cur not in out:
        out.append(cur)
        entry = scen.get(cur) or {}
        cur = entry.get("from") if "parameters" not in entry else None
    return out


def geometry_changes(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Every lumen change of ``name`` and the scenarios it derives from (root first)."""
    scen = physiology(doc)["scenarios"]
    out = []
    for n in reversed(lineage(doc, name)):
        out += list(((scen.get(n) or {}).get("geometry") or {}).get("narrow") or [])
    return out


def device_of(doc: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The device of ``name`` or of the nearest scenario it derives from."""
    scen = physiology(doc)["scenarios"]
    for n in lineage(doc, name):
        dev = (scen.get(n) or {}).get("device")
        if dev:
            return dev
    return None


def _validate_narrowing(case, spec: ScenarioSpec, changes: list[Narrowing]) -> list[dict]:
    """Resolve the segments on the case's centreline and flow mesh (and check the morph
    keeps every element valid)."""
    from twindesk.io.flow_mesh import read_flow_mesh
    from twindesk.sim.scenarios.segments import check_tets

    key = f"centerline:{spec.structure}"
    if case.artifact(key) is None:
        raise InputError(f"--narrow needs the centreline '{key}', which this case does not have",
                         "compute the centreline first (anatomy step)")
    mesh = read_flow_mesh(case, spec.structure)
    inlet = next(r for r in mesh.regions if r.get("kind") == "inlet")
    cl = Centreline.from_doc(case.read_json(key), inlet["center_lps_mm"])
    prior = [Narrowing(c["segment"], c["percent"])
             for c in geometry_changes(case.doc, spec.base)]
    moved, applied = morph_points(mesh.points_lps_mm, cl, mesh.regions, prior + changes)
    check_tets(mesh.points_lps_mm, moved, mesh.tets)
    return applied[len(prior):]


def add_scenario(case, spec: ScenarioSpec) -> dict[str, Any]:
    """Add scenario ``spec.name`` to an open, writable case; record a twin version; save."""
    from twindesk.io.artifacts import now_utc
    from twindesk.model.versions import record_version

    name = spec.name
    if not NAME_RE.fullmatch(name or ""):
        raise InputError(f"scenario name '{name}' is not usable",
                         "use up to 40 letters, digits, '.', '_' or '-', starting with a letter "
                         "or digit")
    phys = physiology(case.doc)
    if name == BASELINE or name in phys["scenarios"]:
        raise InputError(f"scenario '{name}' already exists",
                         "choose another name (scenarios are kept as they were run)")
    if spec.base not in scenario_names(case.doc):
        raise InputError(f"--from {spec.base}: unknown scenario",
                         f"choose one of: {', '.join(scenario_names(case.doc))}")
    if spec.size_mm is not None and spec.device_id is None:
        raise InputError("--size needs --device ID", "name the device family ('twindesk devices')")
    entry: dict[str, Any] = {"from": spec.base, "overrides": {}, "created_utc": now_utc()}
    if spec.description:
        entry["description"] = spec.description
    if spec.device_id is not None:
        dev = _device_record(spec.device_id, spec.size_mm)
        entry["device"] = dev
        entry["overrides"]["aortic_eoa_cm2"] = dev["eoa_cm2"]
    if spec.hr_bpm is not None:
        entry["overrides"]["heart_rate_bpm"] = float(spec.hr_bpm)
    if spec.co_l_min is not None:
        if not 0.5 <= spec.co_l_min <= 20.0:
            raise InputError(f"--co-l-min {spec.co_l_min:g} is outside 0.5–20 L/min",
                             "give the cardiac output in litres per minute")
        entry["targets"] = {"cardiac_output_l_min": float(spec.co_l_min)}
    if spec.narrow:
        changes = [Narrowing.parse(t) for t in spec.narrow]
        entry["geometry"] = {"narrow": _validate_narrowing(case, spec, changes),
                             "structure": spec.structure}
    if not (entry["overrides"] or entry.get("targets") or entry.get("geometry")):
        raise InputError(f"scenario '{name}' would equal '{spec.base}'",
                         "give at least one of --device/--size, --co-l-min, --hr, --narrow")
    phys["scenarios"][name] = entry
    case.doc["physiology"] = phys
    try:
        circulation, info = resolve_scenario(case.doc, name)  # validates the ranges
    except InputError:
        del phys["scenarios"][name]
        raise
    record_version(case, "scenario", f"scenario '{name}' defined from '{spec.base}'",
                   {"scenario": name, "from": spec.base})
    case.save("scenario-add", {"scenario": name, "from": spec.base})
    return {"case": str(case.path), "scenario": name, "definition": entry,
            "parameters": to_clinical(circulation),
            "parameters_source": info["parameters_source"],
            "geometry_changes": geometry_changes(case.doc, name),
            "device": device_of(case.doc, name)}


def list_scenarios(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every scenario with its definition and what has been computed for it."""
    phys = physiology(doc)
    pulsatile = doc.get("pulsatile") or {}
    out = []
    for name in scenario_names(doc):
        entry = phys["scenarios"].get(name) or {}
        try:
            _, info = resolve_scenario(doc, name)
            source, problem = info["parameters_source"], None
        except InputError as exc:
            source, problem = None, exc.message
        out.append({"name": name, "from": entry.get("from") if "parameters" not in entry else None,
                    "description": entry.get("description"),
                    "overrides": entry.get("overrides") or {},
                    "targets": entry.get("targets") or {},
                    "device": device_of(doc, name),
                    "geometry_changes": geometry_changes(doc, name),
                    "parameters_source": source, "problem": problem,
                    "created_utc": entry.get("created_utc") or entry.get("updated_utc"),
                    "results": {"0d": name in phys["results"],
                                "3d_pulsatile": name in pulsatile}})
    return out


def describe_scenario(s: dict[str, Any], detailed: bool = False) -> str:
    """One line saying what a scenario (an entry of :func:`list_scenarios`) changes; the
    ``detailed`` form adds the device's EOA and the narrowed arc (the CLI's listing), the
    short one fits a table cell (the window's scenario list)."""
    parts = []
    if s.get("device"):
        d = s["device"]
        eoa = f" (EOA {d['eoa_cm2']:g} cm²)" if detailed and d.get("eoa_cm2") else ""
        parts.append(f"{d['id']} {d['size_mm']:g} mm{eoa}")
    for k, v in (s.get("overrides") or {}).items():
        if k != "aortic_eoa_cm2" or not s.get("device"):
            parts.append(f"{k} = {v:g}" if detailed else f"{k} {v:g}")
    for k, v in (s.get("targets") or {}).items():
        parts.append(f"{k} → {v:g}")
    for g in s.get("geometry_changes") or []:
        if detailed:
            parts.append(f"{g['segment']} {'narrowed' if g['percent'] > 0 else 'enlarged'} "
                         f"{abs(g['percent']):g} % ({g['arc_mm'][0]:.0f}–"
                         f"{g['arc_mm'][1]:.0f} mm)")
        else:
            parts.append(f"{g['segment']} {g['percent']:+g} %")
    return ", ".join(parts) or (s.get("parameters_source") or "")
