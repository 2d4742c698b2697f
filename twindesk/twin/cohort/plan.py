"""A trial plan (``PLAN.toml``) and running it on one twin.

A plan is a list of steps, run in order on every twin::

    [[steps]]
    run = "calibrate"        # fit the 0D model to the twin's targets (sbp/dbp/hr/co/gradient)
    uq_samples = 50          # measurement-error samples for the intervals (default 50)

    [[steps]]
    run = "size"             # TAVR sizing from the twin's (scaled) root measurement
    families = ["..."]       # optional: only these device families

    [[steps]]
    run = "place"            # size a TAVR device for the twin and deploy it (fast model)
    device = "se-valve-evolutlike"   # library family id ('twindesk devices')
    # size_mm = 26           # optional: default the size the sizing picks for the twin
    # model = "fast"         # or "full" (the beam model: minutes per twin)
    # depth_mm = 4.0         # optional: default the family's implant depth
    # surface = "surface:aorta"

    [[steps]]
    run = "simulate0d"       # the 0D model's periodic state
    scenario = "baseline"

Each step returns numbers; the twin's row of the results table holds them as
``<step>.<name>`` columns. :func:`run_twin` is what a Dask worker executes: it never raises
for a problem of the twin (the error is recorded in the twin's result file instead), so one
bad twin does not stop the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twindesk.errors import InputError, TwindeskError
from twindesk.io.atomic import atomic_write_bytes

RESULTS_DIR = "results"
BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Plan:
    """Parsed plan: ordered ``steps`` (each a dict with ``run``) and its content hash."""

    steps: tuple[dict[str, Any], ...]
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [dict(s) for s in self.steps], "sha256": self.sha256}


def read_plan(path: Path) -> Plan:
    """Read and check ``PLAN.toml`` (InputError naming the step and key otherwise)."""
    try:
        raw = Path(path).read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InputError(f"--plan {path}: file not found") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"--plan {path}: not valid TOML ({exc})") from None
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise InputError(f"--plan {path}: no [[steps]]",
                         'add at least one, e.g. [[steps]] run = "simulate0d"')
    for i, step in enumerate(steps, start=1):
        name = step.get("run") if isinstance(step, dict) else None
        if name not in STEPS:
            raise InputError(f"--plan {path}: step {i} has run = {name!r}",
                             f"use one of: {', '.join(sorted(STEPS))}")
        if name == "place":
            from twindesk.twin.cohort.device_step import check_step

            check_step(step, f"--plan {path}: step {i} (place)")
    canonical = json.dumps(steps, sort_keys=True).encode()
    return Plan(tuple(steps), hashlib.sha256(canonical).hexdigest()[:16])


# ------------------------------------------------------------------------------ steps
def _flatten(prefix: str, value: Any, out: dict[str, float]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[prefix] = float(value)


def step_simulate0d(case, step: dict[str, Any]) -> dict[str, Any]:
    from twindesk.sim.lumped.jobs import simulate_case

    res = simulate_case(case, step.get("scenario", "baseline"),
                        int(step.get("samples_per_cycle", 1000)))
    return dict(res["haemodynamics"])


def step_calibrate(case, step: dict[str, Any]) -> dict[str, Any]:
    from twindesk.sim.lumped import uq
    from twindesk.sim.lumped.clinical import HAEMODYNAMIC, ClinicalData
    from twindesk.sim.lumped.jobs import calibrate_case

    targets = (case.doc.get("cohort") or {}).get("targets") or {}
    data = ClinicalData(**{k: v for k, v in targets.items() if k in HAEMODYNAMIC})
    if not data.given():
        raise InputError(f"twin {case.path.name} has no clinical targets to calibrate to",
                         "vary one of co_l_min, sbp_mmhg, dbp_mmhg, hr_bpm, "
                         "mean_gradient_mmhg when making the cohort")
    res = calibrate_case(case, data, uq.UQSettings(n_samples=int(step.get("uq_samples", 50))))
    out: dict[str, float] = {}
    for key, entry in (res.get("parameters") or {}).items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        _flatten(key, value, out)
    return out


def step_size(case, step: dict[str, Any]) -> dict[str, Any]:
    from twindesk.geometry.tavr_sizing import size
    from twindesk.model.devices import load_library
    from twindesk.twin.cohort.make import ROOT_RESULT

    if case.artifact(ROOT_RESULT) is None:
        raise InputError(f"twin {case.path.name} has no root measurement",
                         "measure the source case ('twindesk measure') before making the "
                         "cohort")
    from twindesk.twin.cohort.device_step import best_fitting

    wanted = step.get("families")
    res = size(case.read_json(ROOT_RESULT), load_library())
    out: dict[str, Any] = {"annulus_perimeter_mm": res["measurements"]["perimeter_mm"],
                           "annulus_area_mm2": res["measurements"]["area_mm2"]}
    for fam in res["families"]:
        if wanted and fam["device_id"] not in wanted:
            continue
        fitting = fam["fitting"]
        best = best_fitting(fitting)
        out[fam["device_id"]] = {
            "n_fitting": len(fitting), "size_mm": best["size_mm"] if best else None,
            "oversizing_perimeter_pct": best["oversizing_perimeter_pct"] if best else None,
            "oversizing_area_pct": best["oversizing_area_pct"] if best else None}
    return out


def step_place(case, step: dict[str, Any]) -> dict[str, Any]:
    from twindesk.twin.cohort.device_step import step_place as place

    return place(case, step)


STEPS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "simulate0d": step_simulate0d,
    "calibrate": step_calibrate,
    "size": step_size,
    "place": step_place,
}


# ----------------------------------------------------------------------- one twin
def result_path(cohort_dir: Path, twin: str) -> Path:
    return Path(cohort_dir) / RESULTS_DIR / f"{twin}.json"


def read_result(cohort_dir: Path, twin: str) -> dict[str, Any] | None:
    try:
        return json.loads(result_path(cohort_dir, twin).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def run_twin(cohort_dir: str, twin: str, twin_rel_path: str, plan: Plan) -> dict[str, Any]:
    """Run ``plan`` on one twin and write its result file. Never raises for the twin's own
    problems: ``status`` is ``"failed"`` with the error and hint (and a traceback for
    internal errors)."""
    from twindesk.model.case import Case

    t0, cpu0 = time.perf_counter(), time.process_time()
    record: dict[str, Any] = {"twin": twin, "plan_sha256": plan.sha256, "status": "ok",
                              "outputs": {}, "worker_pid": os.getpid(),
                              "blas_threads": {v: os.environ.get(v) for v in BLAS_VARIABLES}}
    step_name = None
    try:
        with Case.open(Path(cohort_dir) / twin_rel_path, write=True, require_write=True) as case:
            for i, step in enumerate(plan.steps, start=1):
                step_name = step["run"]
                values = STEPS[step_name](case, step)
                flat: dict[str, float] = {}
                _flatten(step_name if i == 1 or step_name not in
                         [s["run"] for s in plan.steps[:i - 1]] else f"{step_name}{i}",
                         values, flat)
                record["outputs"].update(flat)
    except TwindeskError as exc:
        record.update(status="failed", step=step_name, error=exc.message, hint=exc.hint)
    except Exception as exc:  # noqa: BLE001 - one twin's crash must not stop the cohort
        record.update(status="failed", step=step_name, error=f"{type(exc).__name__}: {exc}",
                      hint="internal error; see 'traceback'",
                      traceback=traceback.format_exc()[-4000:])
    record["seconds"] = round(time.perf_counter() - t0, 3)
    # CPU seconds of the process while this twin ran: the wall time depends on what else
    # shares the cores, this much less
    record["cpu_seconds"] = round(time.process_time() - cpu0, 3)
    path = result_path(cohort_dir, twin)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(record, indent=1, allow_nan=False,
                                        default=_json_default).encode("utf-8"))
    return record


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
