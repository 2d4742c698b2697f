"""Job adapters of the flow panel. This module imports no Qt: the compare job runs in a
spawned child, and the others run on the window's lent case (:mod:`twindesk.ui.case_jobs`).

Each adapter only calls the Qt-free core (``twindesk.sim.lumped``, ``twindesk.sim.pulsatile``,
``twindesk.sim.flow.store``, ``twindesk.sim.scenarios``, ``twindesk.geometry.jobs``); nothing
here computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


def simulate0d_job(case, scenario: str, progress, cancel) -> dict[str, Any]:
    """The scenario's periodic 0D solution, stored in the (lent) case."""
    from twindesk.sim.lumped.jobs import simulate_case

    return simulate_case(case, scenario, progress=progress, cancel=cancel)


def pulsatile_job(case, request: tuple, progress, cancel) -> dict[str, Any]:
    """``request = (PulsatileCaseParams, resume)``: the 3D run in its child process, with
    checkpoints stored in the (lent) case as they come (a cancelled run keeps the last)."""
    from twindesk.sim.pulsatile.store import run_pulsatile

    params, resume = request
    return run_pulsatile(case, params, progress, cancel, resume=resume)


def steady_job(case, request: tuple[str, str, str], progress, cancel) -> dict[str, Any]:
    """``request = (structure, scenario, flow)``, flow "mean" or "peak": the steady 3D solve
    in its child process (Cancel ends it at once), stored in the (lent) case as
    ``twindesk flow`` stores it; returns ``{"artifact", **summary}``."""
    from twindesk.sim.flow.case_flow import CaseFlowParams
    from twindesk.sim.flow.store import run_steady

    structure, scenario, flow = request
    return run_steady(case, CaseFlowParams(str(case.path), structure, scenario, flow),
                      progress, cancel)


def mesh_job(case, structure: str, progress, cancel) -> dict[str, Any]:
    """The flow mesh (``mesh:<s>``, ``mesh_boundary:<s>``) from the stored ``labels:<s>``."""
    from twindesk.geometry.jobs import MeshJob, mesh_case

    return mesh_case(case, MeshJob(case.path, structure, "flow"), progress, cancel)


@dataclass(frozen=True)
class CompareParams:
    """Two scenarios of a saved case to put side by side; the figure goes to ``out_png``."""

    case_path: Path
    a: str
    b: str
    field: str
    out_png: Path


def compare_job(params: CompareParams, progress, cancel) -> dict[str, Any]:
    """``{"compare": twindesk compare's object, "figure": what the pre/post figure shows
    (None when a scenario has no 3D result), "figure_missing": why not}``.

    Runs in a child process: the figure renders offscreen with its own VTK context, apart
    from the window's.
    """
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.sim.pulsatile.figure import render
    from twindesk.sim.scenarios.compare import compare_scenarios

    with Case.open(params.case_path, write=False) as case:
        progress(0.05, "comparing the 0D model")
        result = compare_scenarios(case, params.a, params.b)
        cancel.check()
        missing = [n for n in (params.a, params.b)
                   if n not in (case.doc.get("pulsatile") or {})]
        figure, why = None, None
        if missing:
            why = (f"no 3D pulsatile result for {' and '.join(missing)}: run it to see the "
                   "flow side by side")
        else:
            progress(0.6, "rendering the pre/post figure")
            try:
                figure = render(case, [params.a, params.b], params.field, params.out_png)
            except InputError as exc:
                why = exc.message
    progress(1.0, "done")
    return {"compare": result, "figure": figure, "figure_missing": why}
