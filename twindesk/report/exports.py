"""Exports of a case (``twindesk export`` and the window's Export… dialog).

:data:`EXPORTERS` maps a kind to ``"module:function(case, out, arg, **options)"``; later
rooms add theirs with one line. :func:`export_case` is the one code path: it checks the
options, runs the exporter and appends the audit entry, so the command line and the window
leave the same trace. The registry lives in the top core room because exporters come from
every room (``io``, ``geometry``, ``report``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twindesk.errors import InputError

#: ``--what`` kinds → "module:function(case, out_path, arg)"; later rooms add theirs.
EXPORTERS: dict[str, str] = {
    "volume": "twindesk.io.volume:export_case_volume",
    "bundle": "twindesk.io.bundle:export_case_bundle",
    "seg": "twindesk.io.dicom.seg:export_case_seg",
    "measurements": "twindesk.report.measurements:export_measurements_csv",
    "mesh": "twindesk.geometry.export:export_mesh",
    "surface": "twindesk.geometry.export:export_surface",
    "centerline": "twindesk.geometry.export:export_centerline",
}

#: Kinds whose name part is a structure with an artefact ``<prefix>:<structure>``.
NAMED_PREFIX = {"mesh": "mesh", "surface": "surface", "centerline": "centerline",
                "seg": "labels"}


def resolve_exporter(what: str):
    """``(function, kind, arg)`` for ``KIND`` or ``KIND:ARG``."""
    kind, _, arg = what.partition(":")
    target = EXPORTERS.get(kind)
    if target is None:
        raise InputError(f"--what: unknown kind '{kind}'",
                         f"choose one of: {', '.join(sorted(EXPORTERS))}")
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func), kind, arg or None


def available_names(doc: dict[str, Any], kind: str) -> list[str]:
    """The structures a named kind can export from this case (``mesh`` → ``["aorta"]``)."""
    prefix = NAMED_PREFIX.get(kind)
    if prefix is None:
        return []
    return sorted(k.partition(":")[2] for k in doc.get("artifacts", {})
                  if k.startswith(prefix + ":") and "@" not in k)


def export_case(case, out: Path, what: str, *, password: bytes | None = None,
                deidentify: bool = False) -> dict[str, Any]:
    """Write ``what`` of the open ``case`` to ``out`` and log the ``export`` audit entry.

    Parameters
    ----------
    what
        ``KIND`` or ``KIND:ARG`` with a kind of :data:`EXPORTERS` (``seg:aorta,lv``,
        ``mesh:aorta``).
    password
        Seal a bundle with this password (AES-256-GCM, Argon2id; :mod:`twindesk.io.sealed`).
    deidentify
        Apply the DICOM PS3.15 basic profile to everything in a bundle.

    Returns the ``twindesk export --json`` object (``case``, ``what``, ``out``, ``bytes``
    and the exporter's own fields).
    """
    exporter, kind, arg = resolve_exporter(what)
    options: dict[str, Any] = {}
    if password is not None:
        if kind != "bundle":
            raise InputError("--encrypt and --password-file apply to --what bundle only",
                             "drop them, or export a bundle")
        options["password"] = password
    if deidentify:
        if kind != "bundle":
            raise InputError("--deidentify applies to --what bundle only",
                             "drop it, or export a bundle")
        options["deidentify"] = True
    out = Path(out).resolve()
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: folder does not exist", "create it or choose another OUT")
    info = exporter(case, out, arg, **options) or {}
    case.log_action("export", {"what": what, "out": str(out), **info})
    return {"case": str(case.path), "what": what, "out": str(out),
            "bytes": out.stat().st_size, **info}


@dataclass(frozen=True)
class ExportParams:
    """Input of :func:`run`: the case folder (opened read-only), the output file, what to
    export and the bundle options."""

    case_path: Path
    out: Path
    what: str
    password: bytes | None = None
    deidentify: bool = False


def run(params: ExportParams, progress=None, cancel=None) -> dict[str, Any]:
    """The export as a job: opens the case read-only (the committed state) and exports."""
    from twindesk.jobs import ProgressReporter
    from twindesk.model.case import Case

    report = ProgressReporter(progress, cancel=cancel)
    report(0.0, f"exporting {params.what}")
    with Case.open(params.case_path, write=False) as case:
        result = export_case(case, params.out, params.what, password=params.password,
                             deidentify=params.deidentify)
    report(1.0, "done")
    return result
