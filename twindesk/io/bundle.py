"""Case bundles: one file to move a case between workstations.

A bundle is a gzip tar holding ``manifest.json`` (format, versions, SHA-256 of every file),
``case.json``, ``audit.jsonl`` and the artefacts ``case.json`` names. It may be sealed with
a password (:mod:`twindesk.io.sealed`). Import checks every hash and accepts only the
expected file names, so a tampered or hostile bundle is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from twindesk import __version__
from twindesk.errors import InputError
from twindesk.io import sealed
from twindesk.io.artifacts import now_utc, sha256_file
from twindesk.io.atomic import atomic_move_into, fsync_dir

FORMAT = "twindesk-bundle/1"
_ARTIFACT_NAME = re.compile(r"^artifacts/[0-9a-f]{64}(\.[a-z0-9]{1,8}){0,2}$")
_TOP_FILES = {"manifest.json", "case.json", "audit.jsonl"}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    tar.addfile(info, io.BytesIO(data))


def write_bundle(case_dir: Path, doc: dict[str, Any], audit: bytes, out: Path,
                 password: bytes | None = None, extra_manifest: dict | None = None,
                 contents: dict[str, bytes] | None = None) -> dict:
    """Write ``doc`` (possibly a de-identified copy), ``audit`` and the artefacts ``doc``
    names into ``out`` atomically; seal it when ``password`` is given.

    ``contents`` maps artefact paths to the bytes to write instead of the case's file (a
    de-identified copy of an artefact); their records in ``doc`` carry the new hashes.
    """
    contents = contents or {}
    case_json = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False).encode()
    files = {"case.json": hashlib.sha256(case_json).hexdigest(),
             "audit.jsonl": hashlib.sha256(audit).hexdigest()}
    records = bundled_records(case_dir, doc, contents)
    for rec in records:
        if not _ARTIFACT_NAME.match(rec["path"]):
            raise InputError(f"case artefact {rec['path']} is not in the artefact store",
                             "open and save the case once with this version, then export")
        files[rec["path"]] = rec["sha256"]
    manifest = {"format": FORMAT, "twindesk_version": __version__, "created_utc": now_utc(),
                "case_id": doc.get("case_id"), "files": files, **(extra_manifest or {})}
    out = Path(out)
    tmp_tar = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tar.tmp")
    tmp_out = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        with tarfile.open(tmp_tar, "w:gz", compresslevel=1) as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
            _add_bytes(tar, "case.json", case_json)
            _add_bytes(tar, "audit.jsonl", audit)
            for rec in records:
                if rec["path"] in contents:
                    _add_bytes(tar, rec["path"], contents[rec["path"]])
                    continue
                src = Path(case_dir) / rec["path"]
                if sha256_file(src) != rec["sha256"]:
                    raise InputError(f"{src}: content does not match its recorded hash",
                                     "the case is damaged; restore it from a backup")
                tar.add(src, arcname=rec["path"], recursive=False)
        if password is None:
            os.replace(tmp_tar, tmp_out)
        else:
            with open(tmp_tar, "rb") as src_f, open(tmp_out, "wb") as dst_f:
                sealed.seal(src_f, dst_f, password)
        atomic_move_into(tmp_out, out)
    finally:
        for leftover in (tmp_tar, tmp_out):
            leftover.unlink(missing_ok=True)
    return {"files": len(files), "sealed": password is not None}


def _snapshot(case_dir: Path, rec: dict[str, Any], contents: dict[str, bytes]) -> dict:
    data = contents.get(rec["path"])
    if data is None:
        data = (Path(case_dir) / rec["path"]).read_bytes()
    return json.loads(data.decode("utf-8"))


def bundled_records(case_dir: Path, doc: dict[str, Any],
                    contents: dict[str, bytes] | None = None) -> list[dict[str, Any]]:
    """Every artefact a bundle must carry: those ``doc`` names and those its twin versions'
    state snapshots name (so a revert still finds its files after the move), by path."""
    contents = contents or {}
    by_path = {rec["path"]: rec for rec in doc["artifacts"].values()}
    for rec in list(by_path.values()):
        if rec.get("kind") == "twin-state":
            for inner in _snapshot(case_dir, rec, contents).get("artifacts", {}).values():
                by_path.setdefault(inner["path"], inner)
    return sorted(by_path.values(), key=lambda r: r["path"])


def _open_plain(bundle: Path, password: bytes | None, workdir: Path) -> Path:
    if sealed.is_sealed(bundle):
        if password is None:
            raise InputError(f"{bundle} is encrypted", "give --password-file F")
        plain = workdir / "bundle.tar.gz"
        with open(bundle, "rb") as src, open(plain, "wb") as dst:
            sealed.unseal(src, dst, password, str(bundle))
        return plain
    return bundle


def read_bundle(bundle: Path, password: bytes | None, dest: Path) -> dict[str, Any]:
    """Check a bundle completely and extract it into the new folder ``dest``.

    Nothing appears at ``dest`` unless every file is present with its manifest hash.
    """
    bundle = Path(bundle)
    if not bundle.is_file():
        raise InputError(f"{bundle}: no such file", "check the path")
    dest = Path(dest)
    if dest.exists():
        raise InputError(f"{dest} already exists", "choose a new case folder name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    damaged = (f"{bundle}: the bundle is damaged or was tampered with",
               "ask the sender for a new copy")
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".bundle-") as tmp:
        work = Path(tmp)
        staging = work / "case"
        (staging / "artifacts").mkdir(parents=True)
        plain = _open_plain(bundle, password, work)
        try:
            with tarfile.open(plain, "r:gz") as tar:
                seen = {}
                for member in tar:
                    name = member.name
                    if not member.isfile() or not (name in _TOP_FILES or
                                                   _ARTIFACT_NAME.match(name)):
                        raise InputError(f"{bundle}: unexpected entry '{name[:80]}'",
                                         "this is not a twindesk bundle, or it was altered")
                    target = staging / name
                    with tar.extractfile(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    seen[name] = sha256_file(target)
        except (tarfile.TarError, EOFError, OSError, ValueError):
            raise InputError(*damaged) from None
        try:
            manifest = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(*damaged) from None
        if manifest.get("format") != FORMAT:
            raise InputError(f"{bundle}: format '{manifest.get('format')}' is not {FORMAT}",
                             "update twindesk to open this bundle")
        expected = manifest.get("files", {})
        seen.pop("manifest.json", None)
        if seen != expected:
            raise InputError(*damaged)
        (staging / "manifest.json").unlink()
        os.replace(staging, dest)
        fsync_dir(dest.parent)
    return manifest


def export_case_bundle(case, out: Path, arg: str | None = None,
                       password: bytes | None = None, deidentify: bool = False
                       ) -> dict[str, Any]:
    """``twindesk export CASE OUT --what bundle [--deidentify] [--encrypt ...]``."""
    if arg:
        raise InputError(f"--what bundle:{arg}: a bundle has no name part", "use --what bundle")
    if deidentify:
        from twindesk.io.bundle_deid import deidentified_parts

        doc, audit, contents, extra = deidentified_parts(case)
        info = write_bundle(case.path, doc, audit, out, password, extra, contents)
        return {**info, "deidentified": True,
                "deidentification_key": extra["deidentification"]["key"]}
    audit_path = case.path / "audit.jsonl"
    audit = audit_path.read_bytes() if audit_path.exists() else b""
    return write_bundle(case.path, case.doc, audit, out, password,
                        {"deidentified": bool(case.doc.get("deidentified"))})
