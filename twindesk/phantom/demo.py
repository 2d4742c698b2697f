"""The demo case: the phantom written as an ECG-gated DICOM series and imported (a job).

Folder layout (``DIR`` defaults to the parent of :func:`twindesk.paths.demo_case_dir`)::

    DIR/dicom/         the CT series, one file per slice (what a scanner would give)
    DIR/labels.mha     label map on the same grid (values: twindesk.phantom.layers.LABELS)
    DIR/truth.json     ground truth, LPS mm (written last: it marks a complete demo)
    DIR/demo.twin/     the case imported from DIR/dicom

Re-running is quick and safe: a complete demo whose generator version and parameters match
is reused. Only these four names are ever written or replaced; a folder holding other
things under those names is refused.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twindesk.errors import InputError
from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.phantom.params import GENERATOR, GENERATOR_VERSION, PhantomParams, generator_digest

CASE_NAME = "demo.twin"
DICOM_DIR = "dicom"
TRUTH_NAME = "truth.json"
LABELS_NAME = "labels.mha"
SERIES_DESCRIPTION = "Synthetic cardiac CTA 35% R-R (twindesk phantom)"
STUDY_DATE = "20250101"


@dataclass(frozen=True)
class DemoParams:
    """Where and what to build."""

    out_dir: Path
    phantom: PhantomParams = field(default_factory=PhantomParams)
    force: bool = False


@dataclass
class DemoResult:
    dir: Path
    case_path: Path
    dicom_dir: Path
    truth_path: Path
    labels_path: Path
    reused: bool
    seconds: float
    truth: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        img = self.truth["image"]
        files = list(self.dicom_dir.glob("*.dcm"))
        return {"dir": str(self.dir), "case": str(self.case_path),
                "dicom_dir": str(self.dicom_dir), "truth": str(self.truth_path),
                "labels": str(self.labels_path), "reused": self.reused,
                "generator": GENERATOR, "generator_version": self.truth["generator_version"],
                "seconds": round(self.seconds, 3), "size": img["size"],
                "spacing_mm": img["spacing_mm"], "origin_lps_mm": img["origin_lps_mm"],
                "n_files": len(files), "dicom_bytes": sum(f.stat().st_size for f in files),
                "seed": img["seed"], "phase_percent": img["phase_percent"]}


def default_dir() -> Path:
    from twindesk.paths import demo_case_dir

    return demo_case_dir().parent


def read_truth(out_dir: Path) -> dict[str, Any] | None:
    path = Path(out_dir) / TRUTH_NAME
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return truth if isinstance(truth, dict) and truth.get("generator") == GENERATOR else None


def is_current(out_dir: Path, params: PhantomParams) -> bool:
    """True when ``out_dir`` holds a complete demo of this generator version and parameters."""
    out_dir = Path(out_dir)
    truth = read_truth(out_dir)
    if truth is None or truth.get("generator_version") != GENERATOR_VERSION:
        return False
    digest = generator_digest()
    if digest is not None and truth.get("generator_digest") != digest:
        return False
    if truth.get("parameters") != json.loads(json.dumps(params.to_dict())):
        return False
    n_slices = truth["image"]["size"][2]
    dicom = out_dir / DICOM_DIR
    return ((out_dir / LABELS_NAME).is_file() and (out_dir / CASE_NAME / "case.json").is_file()
            and dicom.is_dir() and len(list(dicom.glob("*.dcm"))) == n_slices)


def _check_ownership(out_dir: Path) -> None:
    """Refuse to replace things the demo did not write."""
    ours = read_truth(out_dir) is not None
    for name in (DICOM_DIR, LABELS_NAME, CASE_NAME, TRUTH_NAME):
        path = out_dir / name
        if not path.exists() or ours:
            continue
        if path.is_dir() and not any(path.iterdir()):
            continue
        raise InputError(f"{path} exists and was not written by 'twindesk demo'",
                         "choose an empty or new folder for the demo, or move that away")


def run(params: DemoParams, progress=None, cancel: CancelToken | None = None) -> DemoResult:
    """Write (or reuse) the demo in ``params.out_dir``; returns what is there."""
    from twindesk.io.case_lock import CaseLock

    t0 = time.monotonic()
    out = Path(params.out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file", "give a folder for the demo")
    out.mkdir(parents=True, exist_ok=True)
    lock = CaseLock(out)
    holder = lock.try_acquire()
    if holder:
        raise InputError(f"the demo folder {out} is being written: {holder}",
                         "wait for the other 'twindesk demo' to finish")
    try:
        reused = not params.force and is_current(out, params.phantom)
        if not reused:
            _check_ownership(out)
            _build(out, params.phantom, progress, cancel)
        truth = read_truth(out)
        return DemoResult(out, out / CASE_NAME, out / DICOM_DIR, out / TRUTH_NAME,
                          out / LABELS_NAME, reused, time.monotonic() - t0, truth)
    finally:
        lock.release()


def _build(out: Path, phantom_params: PhantomParams, progress, cancel) -> None:
    import SimpleITK as sitk

    from twindesk.io.atomic import atomic_write_bytes
    from twindesk.io.dicom.write import write_series
    from twindesk.model.ingest import import_source
    from twindesk.phantom import generate

    rep = ProgressReporter(progress, cancel=cancel)
    _check_case_not_open(out / CASE_NAME)
    # An interrupted rebuild must never look complete: the truth file goes first, last back.
    (out / TRUTH_NAME).unlink(missing_ok=True)
    phantom = generate.run(phantom_params, rep.sub(0.0, 0.6), cancel)
    rep(0.6, "writing the DICOM series")
    staging = out / f".{DICOM_DIR}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    # the same build gets the same study/series UIDs; different pixels get new ones
    uid_seed = [GENERATOR, GENERATOR_VERSION, str(generator_digest()),
                json.dumps(phantom_params.to_dict(), sort_keys=True)]
    from pydicom.uid import generate_uid

    write_series(phantom.image(), staging, series_description=SERIES_DESCRIPTION,
                 study_uid=generate_uid(entropy_srcs=uid_seed + ["study"]),
                 series_uid=generate_uid(entropy_srcs=uid_seed + ["series"]),
                 study_date=STUDY_DATE, extra=_gating_tags(phantom_params))
    if cancel is not None:
        cancel.check()
    shutil.rmtree(out / DICOM_DIR, ignore_errors=True)
    staging.rename(out / DICOM_DIR)
    rep(0.75, "writing the label map")
    tmp_labels = out / f".{LABELS_NAME}.partial.mha"
    sitk.WriteImage(phantom.label_image(), str(tmp_labels), useCompression=True)
    tmp_labels.replace(out / LABELS_NAME)
    rep(0.78, "importing the series")
    tmp_case = out / f".{CASE_NAME}.partial"
    shutil.rmtree(tmp_case, ignore_errors=True)
    case = import_source(out / DICOM_DIR, tmp_case, progress=rep.sub(0.78, 0.98), cancel=cancel)
    case.close()
    shutil.rmtree(out / CASE_NAME, ignore_errors=True)
    tmp_case.rename(out / CASE_NAME)
    text = json.dumps(phantom.truth, indent=1, allow_nan=False)
    atomic_write_bytes(out / TRUTH_NAME, text.encode("utf-8"))
    rep(1.0, "demo ready")


def _check_case_not_open(case_path: Path) -> None:
    """An old demo case being replaced must not be open for writing elsewhere."""
    from twindesk.io.case_lock import CaseLock

    if not (case_path / "case.json").is_file():
        return
    lock = CaseLock(case_path)
    holder = lock.try_acquire()
    if holder:
        raise InputError(f"the demo case {case_path} cannot be replaced: {holder}",
                         "close the demo case in the other program, then run 'twindesk demo' "
                         "again")
    lock.release()


def _gating_tags(p: PhantomParams) -> dict[str, Any]:
    """ECG-gating and acquisition tags of a retrospectively gated cardiac CTA."""
    ip = p.imaging
    rr_ms = 60000.0 / ip.heart_rate_bpm
    return {"NominalPercentageOfCardiacPhase": float(ip.phase_percent),
            "TriggerTime": round(ip.trigger_time_ms, 3),
            "NominalInterval": int(round(rr_ms)),
            "HeartRate": int(round(ip.heart_rate_bpm)),
            "CardiacSynchronizationTechnique": "RETROSPECTIVE",
            "StudyDescription": "Synthetic contrast-enhanced cardiac CT",
            "BodyPartExamined": "HEART",
            "ContrastBolusAgent": "Iodinated contrast (simulated)",
            "ConvolutionKernel": "PHANTOM",
            "ProtocolName": "Cardiac CTA (twindesk phantom)"}
