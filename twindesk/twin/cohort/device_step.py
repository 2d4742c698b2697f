"""The ``place`` plan step: size a TAVR device for the twin and deploy it in the twin's lumen.

Per twin: the family's size is chosen from the twin's (scaled) root measurement by the
device library's sizing (:mod:`twindesk.geometry.tavr_sizing`, the rule of the ``size``
step), turned into a mechanics :class:`~twindesk.sim.mechanics.params.Device` by
:func:`twindesk.sim.mechanics.library.device_from_library`, and deployed by
:func:`twindesk.sim.mechanics.api.place` (fast reduced model by default, the full beam
model on request) in the lumen surface artefact at the annulus plane:

* axis point: the annulus plane centre (``plane.center_lps_mm``), axis direction: the plane
  normal (from the LVOT into the aorta), as the measurement stores them;
* the implant depth is measured on the non-coronary side: toward the non-coronary hinge
  (``hinges_lps_mm.non``); rotation 0 puts the frame's commissure post on the left–right
  commissure, taken opposite the non-coronary cusp.

The numbers are the device report (:func:`twindesk.sim.mechanics.api.report`: frame
diameters and expansion per level, implant depth, contact pressure, paravalvular gap, hold
force) flattened to ``place.<name>`` columns, plus the chosen size and its oversizing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.errors import InputError

ROOT_RESULT = "result:measure:root"
DEFAULT_SURFACE = "surface:aorta"
KEYS = {"run", "device", "size_mm", "model", "depth_mm", "surface",
        "foundation_stiffness_n_per_mm3"}


def best_fitting(fitting: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of a family's fitting sizes, the one closest to zero perimeter oversizing (the rule
    of the ``size`` step, so ``size`` and ``place`` agree)."""
    if not fitting:
        return None
    return min(fitting, key=lambda s: abs(s["oversizing_perimeter_pct"] or 0.0))


def placement_from_root(root: dict[str, Any], depth_mm: float):
    """The :class:`~twindesk.sim.mechanics.params.Placement` at the measured annulus."""
    from twindesk.sim.mechanics.params import Placement

    plane = root.get("plane") or {}
    center, normal = plane.get("center_lps_mm"), plane.get("normal_lps")
    if center is None or normal is None:
        raise InputError("the root measurement has no annulus plane (center_lps_mm, "
                         "normal_lps)", "measure the source case again ('twindesk measure')")
    center = np.asarray(center, float)
    axis = np.asarray(normal, float)
    axis = axis / np.linalg.norm(axis)
    non = (root.get("hinges_lps_mm") or {}).get("non")
    nc_dir = comm_dir = None
    if non is not None:
        v = np.asarray(non, float) - center
        v = v - v.dot(axis) * axis
        if np.linalg.norm(v) > 1e-6:
            nc_dir = tuple(float(x) for x in v / np.linalg.norm(v))
            comm_dir = tuple(-x for x in nc_dir)
    return Placement(tuple(float(x) for x in center), tuple(float(x) for x in axis),
                     depth_mm=float(depth_mm), commissure_direction_lps=comm_dir,
                     noncoronary_direction_lps=nc_dir)


def _choose_size(case, family, library, step: dict[str, Any]) -> dict[str, Any]:
    from twindesk.geometry.tavr_sizing import size

    sized = next(f for f in size(case.read_json(ROOT_RESULT), library)["families"]
                 if f["device_id"] == family.id)
    if step.get("size_mm") is not None:
        wanted = float(step["size_mm"])
        entry = next((s for s in sized["sizes"] if s["size_mm"] == wanted), None)
        if entry is None:
            raise InputError(f"plan step place: device '{family.id}' has no size "
                             f"{wanted:g} mm", f"use one of {list(family.sizes_mm)}")
        return entry
    best = best_fitting(sized["fitting"])
    if best is None:
        raise InputError(f"twin {case.path.name}: the annulus fits no size of "
                         f"'{family.id}' ({sized.get('status')})",
                         "give size_mm in the plan step to place a size anyway")
    return best


def check_step(step: dict[str, Any], where: str = "plan step place") -> None:
    """Refuse a ``place`` step the runs could only fail on (checked when the plan is read,
    so a typo does not fail every twin)."""
    unknown = set(step) - KEYS
    if unknown:
        raise InputError(f"{where}: unknown key(s) {sorted(unknown)}",
                         f"use {sorted(KEYS - {'run'})}")
    if not step.get("device"):
        raise InputError(f"{where}: no device", 'add device = "<family id>" (see '
                         "'twindesk devices')")
    if step.get("model", "fast") not in ("fast", "full"):
        raise InputError(f"{where}: model = {step['model']!r}", 'use "fast" or "full"')
    for key in ("size_mm", "depth_mm", "foundation_stiffness_n_per_mm3"):
        if key in step and (isinstance(step[key], bool)
                            or not isinstance(step[key], (int, float))):
            raise InputError(f"{where}: {key} = {step[key]!r} is not a number")


def step_place(case, step: dict[str, Any]) -> dict[str, Any]:
    """Plan step ``place`` (see the module docstring); returns the numbers of the twin."""
    from twindesk.model.devices import load_library
    from twindesk.sim.mechanics.api import place, report, scalar_metrics
    from twindesk.sim.mechanics.library import device_from_library
    from twindesk.sim.mechanics.params import TissueModel
    from twindesk.sim.mechanics.surface import TriangleSurface

    check_step(step)
    model = step.get("model", "fast")
    if case.artifact(ROOT_RESULT) is None:
        raise InputError(f"twin {case.path.name} has no root measurement",
                         "measure the source case ('twindesk measure') before making the "
                         "cohort")
    surface_key = step.get("surface", DEFAULT_SURFACE)
    if case.artifact(surface_key) is None:
        raise InputError(f"twin {case.path.name} has no {surface_key}",
                         "segment and make the lumen surface of the source case before "
                         "making the cohort")
    library = load_library()
    family = library.family(step["device"], option="plan step place: device")
    if family.kind == "laao":
        raise InputError(f"plan step place: '{family.id}' is an LAA occluder",
                         "the cohort places TAVR devices; choose a valve family")
    chosen = _choose_size(case, family, library, step)
    device = device_from_library(library, family, chosen["size_mm"])
    depth = float(step.get("depth_mm", family.placement.default_depth_mm))
    placement = placement_from_root(case.read_json(ROOT_RESULT), depth)
    tissue = TriangleSurface.from_polydata(_read_surface(case.artifact_path(surface_key)))
    tissue_model = TissueModel(**({"foundation_stiffness_n_per_mm3": float(
        step["foundation_stiffness_n_per_mm3"])} if "foundation_stiffness_n_per_mm3" in step
        else {}))
    deployed = place(device, tissue, placement, tissue_model=tissue_model, model=model)
    out: dict[str, Any] = {"size_mm": chosen["size_mm"],
                           "oversizing_perimeter_pct": chosen.get("oversizing_perimeter_pct"),
                           "oversizing_area_pct": chosen.get("oversizing_area_pct"),
                           "depth_target_mm": depth}
    out.update(scalar_metrics(report(deployed)))
    out["converged"] = float(bool(deployed.convergence.get("converged")))
    out["solver_seconds"] = float(deployed.convergence.get("seconds", 0.0))
    return out


def _read_surface(path):
    from twindesk.geometry.surface import read_polydata

    return read_polydata(path)
