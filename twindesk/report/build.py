"""Build the planning report of a case: a job ``run(params, progress, cancel)``.

Verification evidence is what ``twindesk verify`` stored on this workstation
(:func:`verification_evidence`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twindesk import INTENDED_USE, __version__
from twindesk.errors import InputError, TwindeskError
from twindesk.jobs import ProgressReporter
from twindesk.report import figures as figs
from twindesk.report import sections as sec
from twindesk.report.content import Section

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportParams:
    """``case_path``: the case folder; ``out``: the PDF to write."""

    case_path: Path
    out: Path


def _finding(check: dict[str, Any]) -> str | None:
    """A check's result in one sentence, where the check has more to say than its error."""
    if check.get("name") != "fda_nozzle" or not isinstance(check.get("details"), dict):
        return None
    from twindesk.sim.flow.nozzle_check import finding

    try:
        return finding(check["details"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # an older or damaged result: the table row still stands


def verification_evidence() -> dict[str, Any] | None:
    """The latest result of every check ``twindesk verify`` has run on this workstation.

    Each run writes ``<user data>/verification/<UTC stamp>/verify.json`` (the ``--json``
    output: ``checks`` with ``name``, ``passed``, ``error`` and ``tolerance`` in the units of
    its ``metric``); runs may cover different checks, so the newest result per check name is
    kept. Returns ``{"time_utc", "twindesk_version", "checks": [...]}`` or None when no run
    has been stored.
    """
    from twindesk.paths import user_data_dir

    root = Path(user_data_dir()) / "verification"
    latest: dict[str, dict[str, Any]] = {}
    newest, version = None, None
    for path in sorted(root.glob("*/verify.json")):  # UTC stamps sort in time order
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a damaged or half-written result is not evidence
        if not isinstance(run, dict):
            continue
        newest = run.get("time_utc") or path.parent.name
        version = (run.get("software") or {}).get("twindesk", version)
        for c in run.get("checks") or []:
            if isinstance(c, dict) and c.get("name"):
                latest[c["name"]] = {"name": c["name"], "value": c.get("error"),
                                     "tolerance": c.get("tolerance"), "unit": "",
                                     "passed": bool(c.get("passed")),
                                     "metric": c.get("metric"), "size": run.get("size"),
                                     "time_utc": run.get("time_utc"),
                                     "finding": _finding(c)}
    if not latest:
        return None
    return {"time_utc": newest, "twindesk_version": version or __version__,
            "checks": [latest[k] for k in sorted(latest)]}


def _masks(case) -> dict[str, Any]:
    import SimpleITK as sitk

    return {name: sitk.ReadImage(str(case.artifact_path(f"labels:{name}")))
            for name in sec.STRUCTURES if case.artifact(f"labels:{name}")}


def _centre_lps_mm(image, masks: dict[str, Any]) -> list[float]:
    """Centre of the blood pool (or any mask), else the volume's centre (LPS mm)."""
    import SimpleITK as sitk

    for name in ("bloodpool", "aorta", "lv", "la"):
        if name in masks:
            idx = np.argwhere(sitk.GetArrayViewFromImage(masks[name]) > 0)
            if len(idx):
                k, j, i = idx.mean(axis=0)
                return list(image.TransformContinuousIndexToPhysicalPoint(
                    (float(i), float(j), float(k))))
    size = np.asarray(image.GetSize(), float)
    return list(image.TransformContinuousIndexToPhysicalPoint(list((size - 1) / 2)))


def _waveforms(case, report) -> dict[str, bytes]:
    results = (case.doc.get("physiology") or {}).get("results") or {}
    out = {}
    for scenario, res in results.items():
        name = (res.get("artifacts") or {}).get("waveforms")
        if not name or case.artifact(name) is None:
            continue
        table = np.genfromtxt(case.artifact_path(name), delimiter=",", names=True)
        cols = {c: table[c] for c in table.dtype.names}
        if {"t_s", "p_lv_mmhg", "p_ao_mmhg", "q_aortic_ml_s"} <= set(cols) and \
                np.all(np.isfinite([cols[c] for c in ("t_s", "p_lv_mmhg", "p_ao_mmhg")])):
            out[f"waveform:{scenario}"] = figs.waveform_figure(
                cols, f"Scenario '{scenario}': pressures and aortic valve flow")
    return out


def make_figures(case, report) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if case.artifact("volume") is not None:
        image = case.image()
        masks = _masks(case)
        out["mpr"] = figs.mpr_figure(image, masks, _centre_lps_mm(image, masks))
        report(0.35, "3D view")
        if masks:
            surface = figs.surface_figure(masks)
            if surface is not None:
                out["surface"] = surface
    report(0.6, "waveforms")
    out.update(_waveforms(case, report))
    report(0.75, "steady 3D flow")
    out.update(_steady_flow(case))
    return out


def _steady_flow(case) -> dict[str, bytes]:
    """One figure per stored steady 3D flow result whose fields can be read (the section
    says when a summary cannot; a result without a figure still gets its table)."""
    from twindesk.report.steady_flow import figure_key
    from twindesk.sim.flow.results import load_fields, read_summary, steady_results
    from twindesk.sim.pulsatile.views import inlet_of

    out = {}
    for result in steady_results(case.doc):
        try:
            grid = load_fields(case, result)
            try:
                inlet = inlet_of(case, read_summary(case, result).get("structure") or "aorta")
            except TwindeskError:
                inlet = None  # no inlet region: the wall picture without streamlines
            out[figure_key(result)] = figs.steady_flow_figure(grid, inlet, result.label)
        except (TwindeskError, KeyError, ValueError) as exc:
            # a damaged fields file: the table still shows (it names what could not be read)
            log.warning("report: no figure for %s: %s", result.key, exc)
    return out


def build_sections(case, figures: dict[str, bytes],
                   evidence: dict[str, Any] | None) -> list[Section]:
    """Every section of :data:`twindesk.report.sections.SECTIONS`, in order."""
    ctx = sec.Context(figures, evidence)
    for fn in sec.SECTIONS:
        ctx.built.append(fn(case, ctx))
    return ctx.built


def header_line(case) -> str:
    doc = case.doc
    pat = doc.get("patient") or {}
    who = (pat.get("id") or "pseudonym") if doc.get("deidentified") else \
        " ".join(str(x) for x in (str(pat.get("name", "")).replace("^", " "), pat.get("id", ""))
                 if x) or "patient not named"
    study = (doc.get("study") or {}).get("date") or ""
    return f"twindesk planning report · {who} · study {study or 'date not recorded'} · " \
           f"case revision {doc.get('revision', 0)}"


def run(params: ReportParams, progress=None, cancel=None) -> dict[str, Any]:
    """Write the PDF report of ``params.case_path`` to ``params.out``; returns a summary."""
    from twindesk.io.atomic import atomic_move_into
    from twindesk.model.case import Case

    out = Path(params.out)
    if out.suffix.lower() != ".pdf":
        raise InputError(f"--out {out}: the report is a PDF", "give a file name ending in .pdf")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: folder {out.parent} does not exist",
                         "create it or choose another place")
    report = ProgressReporter(progress, cancel=cancel)
    with Case.open(params.case_path, write=False) as case:
        report(0.02, "figures")
        figures = make_figures(case, report.sub(0.02, 0.7))
        report(0.72, "sections")
        sections = build_sections(case, figures, verification_evidence())
        report(0.8, "writing the PDF")
        tmp = out.with_name(f".{out.name}.partial")
        try:
            from twindesk.report.pdf import write_pdf

            pages = write_pdf(sections, tmp, "Cardiac twin planning report",
                              header_line(case), f"twindesk {__version__} · {INTENDED_USE}")
            atomic_move_into(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        summary = {"case": str(params.case_path), "out": str(out), "pages": pages,
                   "bytes": out.stat().st_size, "revision": case.doc.get("revision", 0),
                   "sections": [s.summary() for s in sections]}
        case.log_action("report", {"out": str(out.resolve()), "pages": pages,
                                   "revision": case.doc.get("revision", 0)})
    report(1.0, "done")
    return summary
