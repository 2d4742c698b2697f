"""Running the pulsatile job for a case and storing what it produces (parent side).

The job runs in a child process (:mod:`twindesk.jobs.subprocess_runner`) and never writes the
case; this module, in the process that holds the case open for writing, stores

* the newest checkpoint the child has published as ``result:pulsatile-checkpoint:<scenario>``,
  committed at once (a cancelled, failed or killed run keeps it: ``resume=True`` continues
  from it; a finished run drops it from the index);
* the result: ``result:pulsatile:<scenario>`` (VTU point fields, LPS mm),
  ``result:pulsatile-summary:<scenario>`` (JSON), ``result:pulsatile-waveforms:<scenario>``
  (CSV) and ``result:pulsatile-plot:<scenario>`` (PNG); the compact summary under
  ``case.doc["pulsatile"][<scenario>]``; and a twin version.

``case.doc["pulsatile"]`` layout::

    {"<scenario>": {"time_utc", "artifacts": {"fields", "summary", "waveforms", "plot"},
                    "summary": {"echo", "echo_comparison", "aortic_pressure", "inflow",
                                "outlets", "wall_shear_stress", "peak_velocity_3d_m_s",
                                "cycles", "geometry_changes", "notes", "mesh"},
                    "fingerprint"}}
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from twindesk.errors import Cancelled, InputError
from twindesk.sim.pulsatile.case_job import PulsatileCaseParams

TARGET = "twindesk.sim.pulsatile.case_job:run"
COMPACT = ("echo", "echo_comparison", "aortic_pressure", "inflow", "outlets",
           "wall_shear_stress", "peak_velocity_3d_m_s", "cycles", "geometry_changes", "notes",
           "mesh", "zero_d", "peak_systole_time_s")


def keys(scenario: str) -> dict[str, str]:
    return {"fields": f"result:pulsatile:{scenario}",
            "summary": f"result:pulsatile-summary:{scenario}",
            "waveforms": f"result:pulsatile-waveforms:{scenario}",
            "plot": f"result:pulsatile-plot:{scenario}",
            "checkpoint": f"result:pulsatile-checkpoint:{scenario}"}


class CheckpointSink:
    """A progress callback that also stores the newest checkpoint file the job has
    published in ``folder`` (on every progress message and at :meth:`poll`)."""

    def __init__(self, case, scenario: str, folder: str, progress=None):
        self.case, self.scenario, self.progress = case, scenario, progress
        self.folder = Path(folder)
        self.saved: dict[str, Any] | None = None

    def poll(self) -> None:
        files = sorted(self.folder.glob("checkpoint-*.npz")) if self.folder.is_dir() else []
        if not files:
            return
        newest = files[-1]
        info = json.loads(newest.with_suffix(".json").read_text(encoding="utf-8"))
        key = keys(self.scenario)["checkpoint"]
        self.case.put_artifact(key, lambda p: shutil.copyfile(newest, p), ".npz",
                               "checkpoint", {"scenario": self.scenario, **info})
        self.case.save("pulsatile-checkpoint", {"scenario": self.scenario,
                                                "cycle": info["cycle"], "step": info["step"]})
        self.saved = info
        for f in files:
            f.unlink(missing_ok=True)
            f.with_suffix(".json").unlink(missing_ok=True)

    def __call__(self, fraction: float, message: str = "") -> None:
        self.poll()
        if self.progress is not None:
            self.progress(fraction, message)


def prepare_params(case, params: PulsatileCaseParams, resume: bool) -> PulsatileCaseParams:
    """Fill in the case path, a scratch folder for checkpoint files and the checkpoint to
    resume from (the stored artefact)."""
    from twindesk.paths import user_cache_dir
    from twindesk.sim.lumped.store import scenario_names

    if params.scenario not in scenario_names(case.doc):
        raise InputError(f"unknown scenario '{params.scenario}'",
                         f"choose one of: {', '.join(scenario_names(case.doc))}")
    resume_path = None
    if resume:
        key = keys(params.scenario)["checkpoint"]
        if case.artifact(key) is None:
            raise InputError(f"scenario '{params.scenario}' has no checkpoint to resume from",
                             "run without --resume")
        resume_path = str(case.artifact_path(key))
    scratch = user_cache_dir() / "pulsatile" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return replace(params, case_path=str(case.path), checkpoint_dir=str(scratch),
                   resume_path=resume_path)


class PulsatileRun:
    """A non-blocking run for a GUI: :meth:`start`, then :meth:`poll` from a timer (progress
    events; checkpoints are stored as they appear), :meth:`cancel` at any time, and
    :meth:`finish` once :attr:`done` (stores the result and returns its record, or raises
    the job's error / :class:`Cancelled` naming the kept checkpoint).

    The caller holds ``case`` open for writing for the whole run and writes nothing else to
    it meanwhile.
    """

    def __init__(self, case, params: PulsatileCaseParams, *, resume: bool = False):
        self.case = case
        self.params = prepare_params(case, params, resume)
        self.sink = CheckpointSink(case, self.params.scenario, self.params.checkpoint_dir)
        self.job = None

    def start(self) -> PulsatileRun:
        from twindesk.jobs.subprocess_runner import SubprocessJob

        self.job = SubprocessJob(TARGET, self.params).start()
        return self

    @property
    def done(self) -> bool:
        return self.job is not None and self.job.done

    def poll(self, timeout_s: float = 0.0) -> list[tuple[float, str]]:
        events = self.job.poll(timeout_s)
        self.sink.poll()
        return events

    def cancel(self) -> None:
        self.job.cancel()
        self.sink.poll()

    def finish(self) -> dict[str, Any]:
        try:
            self.sink.poll()
            out = self.job.result()
        except Cancelled:
            raise _cancelled(self.sink) from None
        finally:
            shutil.rmtree(self.params.checkpoint_dir, ignore_errors=True)
        return store_result(self.case, self.params.scenario, out)


def _cancelled(sink: CheckpointSink) -> Cancelled:
    if sink.saved is None:
        return Cancelled("The job was cancelled; nothing was saved.")
    return Cancelled(f"the run was cancelled; its checkpoint at cycle {sink.saved['cycle']}, "
                     f"step {sink.saved['step']} is kept in the case",
                     "continue it with --resume")


def run_pulsatile(case, params: PulsatileCaseParams, progress=None, cancel=None, *,
                  resume: bool = False, in_process: bool = False) -> dict[str, Any]:
    """Run the job for an open, writable case (child process unless ``in_process``), store
    checkpoints as they come and the result at the end; returns the stored record."""
    from twindesk.jobs import run_job
    from twindesk.jobs.subprocess_runner import run_in_subprocess
    from twindesk.sim.pulsatile.case_job import run

    params = prepare_params(case, params, resume)
    sink = CheckpointSink(case, params.scenario, params.checkpoint_dir, progress)
    try:
        try:
            if in_process:
                out = run_job(run, params, sink, cancel)
            else:
                out = run_in_subprocess(TARGET, params, sink, cancel)
        except BaseException:
            sink.poll()  # a checkpoint written just before the end is kept too
            raise
    except Cancelled:
        raise _cancelled(sink) from None
    finally:
        shutil.rmtree(params.checkpoint_dir, ignore_errors=True)
    return store_result(case, params.scenario, out)


def store_result(case, scenario: str, out: dict[str, Any]) -> dict[str, Any]:
    """Store fields, summary, waveforms and plot; update ``doc["pulsatile"]``; version; save."""
    from twindesk.io.artifacts import now_utc
    from twindesk.io.flow_mesh import write_tet_vtu
    from twindesk.model.versions import record_version
    from twindesk.sim.pulsatile.plots import write_csv, write_png

    k = keys(scenario)
    summary, fields, waves = out["summary"], out["fields"], out["waveforms"]
    point_data = {n: v for n, v in fields.items() if n not in ("points_lps_mm", "tets")}
    units = {"velocity_m_s": "m/s at peak systole", "pressure_mmhg": "mmHg at peak systole",
             "wss_pa": "Pa at peak systole (wall points; 0 inside)", "on_wall": "0/1",
             "velocity_mean_m_s": "m/s, cycle mean", "pressure_mean_mmhg": "mmHg, cycle mean",
             "tawss_pa": "Pa, time-averaged WSS", "osi": "oscillatory shear index (0–0.5)"}
    case.put_artifact(k["fields"], lambda p: write_tet_vtu(p, fields["points_lps_mm"],
                                                           fields["tets"], point_data),
                      ".vtu", "result", {"scenario": scenario, "point_data": units,
                                         "peak_systole_time_s": summary["peak_systole_time_s"],
                                         "software": summary["software"]})
    case.put_json(k["summary"], summary, "result", {"scenario": scenario, "of": k["fields"]})
    case.put_artifact(k["waveforms"], lambda p: write_csv(waves, p), ".csv", "table",
                      {"scenario": scenario, "columns_units": "in column names"})
    title = f"3D pulsatile flow, scenario '{scenario}' (last of {summary['cycles']['completed']} " \
            "cycles)"
    case.put_artifact(k["plot"], lambda p: write_png(waves, p, title), ".png", "plot",
                      {"scenario": scenario})
    case.remove_artifact(k["checkpoint"])
    block = case.doc.setdefault("pulsatile", {})
    record = {"time_utc": now_utc(),
              "artifacts": {n: k[n] for n in ("fields", "summary", "waveforms", "plot")},
              "summary": {n: summary[n] for n in COMPACT if n in summary},
              "fingerprint": summary["fingerprint"]}
    block[scenario] = record
    record_version(case, "simulation", f"3D pulsatile flow of scenario '{scenario}'",
                   {"scenario": scenario, "cycles": summary["cycles"]["completed"],
                    "periodic": summary["cycles"]["periodic"]})
    case.save("pulsatile", {"scenario": scenario, "artifact": k["fields"],
                            "software": summary["software"]})
    return {"scenario": scenario, **record}
