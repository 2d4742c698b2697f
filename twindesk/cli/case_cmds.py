"""Case commands: ``info`` and ``export``."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from twindesk.cli.output import CommandResult
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


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("info", parents=[common], help="describe a case")
    p.add_argument("case", type=Path, metavar="CASE")
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("export", parents=[common], help="write one artefact of a case")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("out", type=Path, metavar="OUT", help="output file; format from extension")
    p.add_argument("--what", required=True, metavar="KIND",
                   help="what to export: " + ", ".join(sorted(EXPORTERS)) +
                        " (KIND:NAME for named artefacts, e.g. mesh:aorta)")
    p.add_argument("--encrypt", action="store_true",
                   help="bundle only: seal with a password (AES-256-GCM, Argon2id)")
    p.add_argument("--password-file", type=Path, metavar="F",
                   help="file whose first line is the password")
    p.add_argument("--deidentify", action="store_true",
                   help="bundle only: apply the DICOM PS3.15 basic profile (modified dates) "
                        "to everything in the bundle")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import-bundle", parents=[common],
                       help="create a case from a bundle (checks every file)")
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    p.add_argument("case", type=Path, metavar="CASE")
    p.add_argument("--password-file", type=Path, metavar="F")
    p.set_defaults(handler=cmd_import_bundle)


def case_summary(case) -> dict[str, Any]:
    """The ``info`` object (also the base of ``import`` output)."""
    doc = case.doc
    image = doc.get("image") or {}
    artifacts = {name: {k: rec[k] for k in ("kind", "path", "sha256", "bytes", "created_utc")}
                 for name, rec in sorted(doc["artifacts"].items())}
    return {
        "case": str(case.path),
        "schema_version": doc["schema_version"],
        "revision": doc["revision"],
        "readonly": not case.writable,
        "deidentified": bool(doc.get("deidentified")),
        "patient": doc.get("patient", {}),
        "study": doc.get("study", {}),
        "image": {k: image.get(k) for k in ("size", "spacing_mm", "origin_lps_mm", "direction",
                                            "modality")} if image else None,
        "artifacts": artifacts,
        "warnings": list(doc.get("warnings", [])),
    }


def human_info(d: dict[str, Any]) -> str:
    img = d.get("image") or {}
    lines = [f"Case      {d['case']}  (schema v{d['schema_version']}, revision {d['revision']}"
             f"{', read-only' if d['readonly'] else ''})"]
    pat = d.get("patient") or {}
    lines.append(f"Patient   {pat.get('name', '-')}  id {pat.get('id', '-')}"
                 f"{'  (de-identified)' if d['deidentified'] else ''}")
    st = d.get("study") or {}
    lines.append(f"Study     {st.get('description', '-')}  {st.get('date', '')}")
    if img:
        sz = "x".join(str(v) for v in img["size"])
        sp = " x ".join(f"{v:.3g}" for v in img["spacing_mm"])
        org = ", ".join(f"{v:.1f}" for v in img["origin_lps_mm"])
        lines.append(f"Image     {img.get('modality') or '?'} {sz} voxels, {sp} mm, origin LPS ({org}) mm")
    lines.append(f"Artefacts {', '.join(d['artifacts']) or 'none'}")
    for w in d["warnings"]:
        lines.append(f"Warning   {w}")
    return "\n".join(lines)


def cmd_info(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case

    with Case.open(args.case, write=False) as case:
        return CommandResult(case_summary(case), human_info)


def resolve_exporter(what: str):
    kind, _, arg = what.partition(":")
    target = EXPORTERS.get(kind)
    if target is None:
        raise InputError(f"--what: unknown kind '{kind}'",
                         f"choose one of: {', '.join(sorted(EXPORTERS))}")
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func), kind, arg or None


def cmd_export(args: argparse.Namespace) -> CommandResult:
    from twindesk.model.case import Case

    exporter, kind, arg = resolve_exporter(args.what)
    options = {}
    if args.encrypt or args.password_file:
        if kind != "bundle":
            raise InputError("--encrypt and --password-file apply to --what bundle only",
                             "drop them, or export a bundle")
        if not (args.encrypt and args.password_file):
            raise InputError("--encrypt needs --password-file F (and the reverse)",
                             "give both to seal the bundle with a password")
        from twindesk.io.sealed import read_password_file

        options["password"] = read_password_file(args.password_file)
    if args.deidentify:
        if kind != "bundle":
            raise InputError("--deidentify applies to --what bundle only",
                             "drop it, or export a bundle")
        options["deidentify"] = True
    out = args.out.resolve()
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: folder does not exist", "create it or choose another OUT")
    with Case.open(args.case, write=False) as case:
        info = exporter(case, out, arg, **options) or {}
        case.log_action("export", {"what": args.what, "out": str(out), **info})
    result = {"case": str(args.case), "what": args.what, "out": str(out),
              "bytes": out.stat().st_size, **info}
    return CommandResult(result, lambda d: f"Wrote {d['out']} ({d['bytes']} bytes)")


def cmd_import_bundle(args: argparse.Namespace) -> CommandResult:
    from twindesk.io.bundle import read_bundle
    from twindesk.io.sealed import read_password_file
    from twindesk.model.case import Case

    password = read_password_file(args.password_file) if args.password_file else None
    manifest = read_bundle(args.bundle, password, args.case)
    with Case.open(args.case, require_write=True) as case:
        case.save("import-bundle", {"bundle": str(args.bundle.resolve()),
                                    "sealed": password is not None,
                                    "bundle_created_utc": manifest.get("created_utc"),
                                    "twindesk_version": manifest.get("twindesk_version")})
        return CommandResult(case_summary(case), human_info)
