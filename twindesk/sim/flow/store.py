"""Running the steady 3D flow solve for a case and storing what it produces (parent side).

:func:`twindesk.sim.flow.case_flow.run` solves in a child process
(:mod:`twindesk.jobs.subprocess_runner`: Cancel terminates it at once, even inside a sparse
factorisation) and never writes the case; :func:`run_steady`, in the process that holds the
case open for writing, stores the result — the same artefacts for ``twindesk flow`` and the
GUI's "Run steady 3D":

* ``result:flow:<scenario>:<flow>`` — VTU of the flow mesh (points in LPS mm) with point data
  ``velocity_m_s``, ``pressure_mmhg``, ``wss_pa`` (wall points; 0 inside) and ``on_wall``;
  its meta holds the headline numbers (see :data:`META_KEYS`) and the point-data units;
* ``result:flow:<scenario>:<flow>:summary`` — the JSON summary
  (``twindesk/schemas/flow.schema.json`` without ``case``);

then commits with ``case.save("flow", {"scenario", "flow", "artifact", "software"})``. A
cancelled or failed solve stores nothing and leaves the case as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twindesk.sim.flow.results import SteadyResult

TARGET = "twindesk.sim.flow.case_flow:run"
#: Summary entries copied into the fields artefact's meta.
META_KEYS = ("scenario", "flow", "inflow_l_min", "pressure_drop_root_mmhg",
             "pressure_drop_aorta_mmhg", "peak_velocity_m_s", "software", "boundary_source")
POINT_DATA_UNITS = {"velocity_m_s": "m/s", "pressure_mmhg": "mmHg",
                    "wss_pa": "Pa (wall points; 0 inside)", "on_wall": "0/1"}


def _write_fields(fields: dict[str, Any]):
    from twindesk.io.flow_mesh import write_tet_vtu

    def writer(path: Path) -> None:
        write_tet_vtu(path, fields["points_lps_mm"], fields["tets"],
                      {name: fields[name] for name in POINT_DATA_UNITS})
    return writer


def run_steady(case, params, progress=None, cancel=None, *,
               in_process: bool = False) -> dict[str, Any]:
    """Solve the steady flow of ``params`` (a
    :class:`~twindesk.sim.flow.case_flow.CaseFlowParams` whose ``case_path`` is ``case``'s
    folder) and store it in ``case`` (open, writable, nothing unsaved).

    Parameters
    ----------
    case : twindesk.model.case.Case
        The open case; it is committed (``case.save("flow", …)``) on success only.
    params : CaseFlowParams
        Scenario, inflow (``"mean"`` or ``"peak"``), structure, linear solver.
    progress, cancel
        Job protocol callback and :class:`~twindesk.jobs.CancelToken`.
    in_process : bool
        Solve in this process (debugging) instead of a cancellable child process.

    Returns
    -------
    dict
        ``{"artifact": "result:flow:<scenario>:<flow>", **summary}``.

    Raises
    ------
    SolverError
        No steady state (the case is unchanged).
    Cancelled
        Cancel was pressed (the child is terminated; the case is unchanged).
    """
    from twindesk.jobs import run_job
    from twindesk.jobs.subprocess_runner import run_in_subprocess

    if in_process:
        from twindesk.sim.flow.case_flow import run

        out = run_job(run, params, progress, cancel)
    else:
        out = run_in_subprocess(TARGET, params, progress, cancel)
    summary = out["summary"]
    result = SteadyResult(params.scenario, params.flow)
    meta = {k: summary[k] for k in META_KEYS}
    meta["point_data"] = dict(POINT_DATA_UNITS)
    case.put_artifact(result.key, _write_fields(out["fields"]), ".vtu", "result", meta)
    case.put_json(result.summary_key, summary, "result", {"of": result.key})
    case.save("flow", {"scenario": params.scenario, "flow": params.flow,
                       "artifact": result.key, "software": summary["software"]})
    return {"artifact": result.key, **summary}
