"""``case.json`` versions and the migrations between them.

Version history
---------------
0
    Prototype layout (never released): ``{"version": 0, "volume": "image.mha",
    "patient_name": ..., "patient_id": ..., "study_uid": ...}`` with the volume as a plain file.
1
    Content-addressed artefacts under ``artifacts/``, ``patient`` / ``study`` / ``image``
    blocks, ``revision`` counter, audit log in ``audit.jsonl``.

Blocks written by ``twindesk import`` (:mod:`twindesk.model.ingest`), all optional:

``patient``
    ``name`` (DICOM PN text), ``id``, ``birth_date``, ``sex``, ``age``, ``identity_removed``.
``study``
    ``study_uid``, ``date``, ``time``, ``description``, ``study_id``, ``accession_number``,
    ``institution``, ``referring_physician``.
``image``
    The volume's geometry (``size``, ``spacing_mm``, ``origin_lps_mm``, ``direction``) plus
    ``modality``, ``series_uid``, ``series_description``, ``series_number``,
    ``frame_of_reference_uid``, ``phase_percent``, ``trigger_ms``, ``n_phases``, ``gated``,
    ``slice_thickness_mm``, ``resampled``, ``gantry_tilt_deg``, ``pixel_type``,
    ``patient_position`` (DICOM PatientPosition, e.g. ``HFS``; absent when the header has
    none), ...
``source``
    ``kind`` (``dicom`` / ``volume``), ``path`` (withheld when de-identified), ``n_files``,
    ``transfer_syntaxes``, ``n_skipped``, ``imported_by``.
``artifacts["dicom_headers"]``
    The headers (no pixels) of every source file read into the volume, in the DICOM JSON
    model, with the volume-slice → source-plane map (:mod:`twindesk.io.dicom.header_store`);
    de-identified like the rest of the case. DICOM exports (SEG) reference the series with it.
``warnings``
    Readable strings about the acquisition and what the import did.
``deidentified`` / ``deid``
    ``True`` and ``{"profile", "key" (hex secret), "options", "codes", "date_shift_days",
    "pseudonym"}`` after a de-identified import (:mod:`twindesk.io.dicom.deid`); the key
    keeps later imports and exports of this twin consistent.

Optional top-level blocks (no version bump: absent means "not done yet")
------------------------------------------------------------------------
``physiology``
    The 0D circulation (:mod:`twindesk.sim.lumped.store` documents the layout): scenarios
    (``baseline`` and variants with ``from``/``overrides``/``targets``), the list of
    calibrations (appended, never replaced), the latest 0D result per scenario, ``bsa_m2``.
``clinical``
    Attached clinical data (:mod:`twindesk.twin.clinical` documents the layout): ``sources``
    (each attached file, stored raw as the artefact ``clinical:<source id>``),
    ``observations`` (time, quantity, value in the canonical unit, LOINC code, origin,
    source), ``genomic_flags`` (pathogenic / likely pathogenic variants in heritable
    thoracic aortic disease genes) and the derived ``vitals``: a list of records with any
    of ``sbp_mmhg``, ``dbp_mmhg``, ``hr_bpm``, ``co_l_min``, ``mean_gradient_mmhg``,
    ``height_cm``, ``weight_kg`` and a ``time_utc`` (``twindesk calibrate`` without numbers
    uses the latest value of each).
``landmarks``
    ``aortic_root`` (:mod:`twindesk.geometry.measure_job`): ``hinges_lps_mm`` {``right``,
    ``left``, ``non``}, ``hinges_source`` (``auto`` / ``user``), ``ostia_lps_mm`` {``left``,
    ``right``} (lower edges), ``ostia_source`` per side (``auto`` / ``user``; only user
    ostia override detection on the next run), ``septum_lps_mm``; written as an undoable
    command.
``twin``
    Versions and lifecycle (:mod:`twindesk.model.versions`): ``versions`` (id, parent, time,
    kind, summary, params, ``snapshot`` = artefact ``twin:state:<id>`` holding the state),
    ``head``, ``predictions`` (predicted value with interval, paired observation and error)
    and ``followups`` (follow-up CT studies with their measurements and registration).
``annotations``
    ``{"measurements": [{"id", "kind": "distance"|"angle", "points_lps_mm", "value",
    "unit": "mm"|"deg", "view", "created_utc"}]}`` (:mod:`twindesk.model.annotations`),
    changed through undoable commands (written by the desktop window).
``history``
    The undo/redo stacks of :mod:`twindesk.model.commands`:
    ``{"undo": [command, ...], "redo": [command, ...]}``, each command
    ``{"label", "time_utc", "changes": [[json_pointer, before, after], ...]}`` with
    ``{"$absent": true}`` for a value that did not exist. Artefact records named here stay
    referenced (garbage collection must keep their files).

Next to ``case.json`` (never part of it): ``.autosave/snapshot.json``, the window's crash
recovery copy of the in-memory document (:mod:`twindesk.model.autosave`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from twindesk.errors import CaseError

CURRENT_SCHEMA_VERSION = 1

Doc = dict[str, Any]


def empty_doc(case_id: str, now_utc: str) -> Doc:
    """A new, empty version-1 case document."""
    return {
        "schema_version": CURRENT_SCHEMA_VERSION,
        "case_id": case_id,
        "revision": 0,
        "created_utc": now_utc,
        "modified_utc": now_utc,
        "patient": {},
        "study": {},
        "image": None,
        "artifacts": {},
        "source": {},
        "deidentified": False,
        "warnings": [],
    }


def _v0_to_v1(doc: Doc, case_dir: Path) -> Doc:
    """Index the prototype's loose volume as the ``volume`` artefact (file stays in place)."""
    from twindesk.io.artifacts import adopt_in_place

    new = empty_doc(doc.get("case_id") or case_dir.name, doc.get("created", "unknown"))
    new["patient"] = {k: v for k, v in (("name", doc.get("patient_name")),
                                         ("id", doc.get("patient_id"))) if v is not None}
    if doc.get("study_uid"):
        new["study"] = {"study_uid": doc["study_uid"]}
    volume = doc.get("volume")
    if volume:
        src = case_dir / volume
        if not src.is_file():
            raise CaseError(f"{case_dir / 'case.json'}: field 'volume' names {volume}, "
                            "which is missing", "restore the file or re-import the series")
        new["artifacts"]["volume"] = adopt_in_place(case_dir, src, kind="volume")
    return new


MIGRATIONS: dict[int, Callable[[Doc, Path], Doc]] = {0: _v0_to_v1}


def doc_version(doc: Doc) -> int:
    if "schema_version" in doc:
        return int(doc["schema_version"])
    if "version" in doc:
        return int(doc["version"])
    raise CaseError("case.json has no 'schema_version'",
                    "this folder is not a twindesk case, or its case.json is damaged")


def migrate(doc: Doc, case_dir: Path) -> tuple[Doc, list[int]]:
    """Bring ``doc`` to the current version. Returns the new doc and the versions passed."""
    version = doc_version(doc)
    if version > CURRENT_SCHEMA_VERSION:
        raise CaseError(
            f"{case_dir / 'case.json'}: schema_version {version} is newer than this twindesk "
            f"understands ({CURRENT_SCHEMA_VERSION})", "update twindesk to open this case")
    passed = []
    while version < CURRENT_SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise CaseError(f"{case_dir / 'case.json'}: no migration from schema_version "
                            f"{version}", "re-import the case from its DICOM source")
        doc = step(doc, case_dir)
        passed.append(version)
        version = doc_version(doc)
    return doc, passed


REQUIRED_V1 = ("case_id", "revision", "artifacts", "patient", "study")


def check_doc(doc: Doc, case_json: Path) -> None:
    """Refuse a damaged current-version document with a message naming the field."""
    if not isinstance(doc, dict):
        raise CaseError(f"{case_json}: expected a JSON object", "restore case.json from backup")
    for key in REQUIRED_V1:
        if key not in doc:
            raise CaseError(f"{case_json}: missing field '{key}'",
                            "the file is damaged; restore it or re-import the case")
    if not isinstance(doc["artifacts"], dict):
        raise CaseError(f"{case_json}: field 'artifacts' must be an object",
                        "the file is damaged; restore it or re-import the case")
