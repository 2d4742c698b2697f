"""The steady 3D flow results stored in a case (Qt-free).

``twindesk flow CASE --scenario NAME --flow mean|peak`` and the Flow panel's "Run steady 3D"
store, through :func:`twindesk.sim.flow.store.run_steady`, two artefacts:

* ``result:flow:<scenario>:<flow>`` — a VTU of the flow mesh (points in LPS mm) with point
  data ``velocity_m_s`` (3-vector, m/s), ``pressure_mmhg``, ``wss_pa`` (wall points; 0
  inside) and ``on_wall`` (0/1);
* ``result:flow:<scenario>:<flow>:summary`` — the command's JSON summary
  (``twindesk/schemas/flow.schema.json``).

The report and the GUI's flow panel list them with :func:`steady_results` and read them with
:func:`read_summary` / :func:`load_fields`, so both show the same results in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twindesk.errors import CaseError

PREFIX = "result:flow"
#: Inflow of a steady solve: the mean (cardiac output) or the peak systolic flow.
FLOWS = ("mean", "peak")
FLOW_LABELS = {"mean": "steady mean flow", "peak": "steady peak flow"}


@dataclass(frozen=True)
class SteadyResult:
    """One stored steady solve: its scenario and inflow (``mean`` or ``peak``)."""

    scenario: str
    flow: str

    @property
    def key(self) -> str:
        """The fields artefact (VTU)."""
        return f"{PREFIX}:{self.scenario}:{self.flow}"

    @property
    def summary_key(self) -> str:
        """The JSON summary artefact."""
        return f"{self.key}:summary"

    @property
    def label(self) -> str:
        """``"baseline – steady mean flow"``."""
        return f"{self.scenario} – {FLOW_LABELS[self.flow]}"


def _parse(key: str) -> SteadyResult | None:
    if not key.startswith(PREFIX + ":") or key.endswith(":summary"):
        return None
    scenario, _, flow = key[len(PREFIX) + 1:].rpartition(":")
    return SteadyResult(scenario, flow) if scenario and flow in FLOWS else None


def steady_results(doc: dict[str, Any], scenario: str | None = None) -> list[SteadyResult]:
    """The steady results whose fields artefact the case indexes: the baseline first, then
    the other scenarios by name; mean before peak. ``scenario`` keeps that one only."""
    found = [r for r in map(_parse, doc.get("artifacts") or {}) if r is not None]
    found = [r for r in found if scenario is None or r.scenario == scenario]
    return sorted(found, key=lambda r: (r.scenario != "baseline", r.scenario,
                                        FLOWS.index(r.flow)))


def read_summary(case, result: SteadyResult) -> dict[str, Any]:
    """The stored JSON summary of ``result``.

    Raises
    ------
    CaseError
        When the summary is not stored, its file is missing, or it is not a JSON object.
    """
    again = f"run twindesk flow CASE --scenario {result.scenario} --flow {result.flow} again"
    if case.artifact(result.summary_key) is None:
        raise CaseError(f"'{result.summary_key}' is not stored in the case", again)
    try:
        summary = case.read_json(result.summary_key)
    except ValueError as exc:  # JSON that does not parse (json.JSONDecodeError)
        raise CaseError(f"'{result.summary_key}' is not valid JSON ({exc})", again) from exc
    if not isinstance(summary, dict):
        raise CaseError(f"'{result.summary_key}' holds {type(summary).__name__}, not a "
                        "summary object", again)
    return summary


def load_fields(case, result: SteadyResult):
    """The result's point fields on the flow mesh (pyvista UnstructuredGrid, LPS mm)."""
    import pyvista as pv

    return pv.read(str(case.artifact_path(result.key)))
