"""Case bundles: round trip, sealing, and refusal of tampered or hostile bundles."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest

from twindesk.model.case import Case


@pytest.fixture
def case_path(tmp_path):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume

    img = sitk.GetImageFromArray(np.arange(5 * 6 * 7, dtype=np.int16).reshape(7, 6, 5))
    path = tmp_path / "src.twin"
    case = Case.create(path)
    case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
    case.put_json("result:test", {"value_mm": 12.5}, "result")
    case.doc["image"] = {**geometry_of(img), "modality": "CT"}
    case.doc["patient"] = {"name": "Bundle^Bob"}
    case.save("import", {})
    case.close()
    return path


@pytest.fixture
def password_file(tmp_path):
    f = tmp_path / "pw.txt"
    f.write_text("correct horse battery\n")
    return f


def roundtrip(run_cli, case_path, tmp_path, *flags):
    out = tmp_path / "case.twinbundle"
    r = run_cli("export", case_path, out, "--what", "bundle", *flags, "--json")
    assert r.code == 0, r.err
    return out, r.json


def test_plain_bundle_round_trip(run_cli, case_path, tmp_path):
    out, info = roundtrip(run_cli, case_path, tmp_path)
    assert info["sealed"] is False and info["files"] == 4
    dest = tmp_path / "copy.twin"
    r = run_cli("import-bundle", out, dest, "--json")
    assert r.code == 0, r.err
    assert r.json["patient"]["name"] == "Bundle^Bob"
    with Case.open(dest, write=False) as copy, Case.open(case_path, write=False) as orig:
        assert copy.doc["artifacts"] == orig.doc["artifacts"]
        assert copy.read_json("result:test") == {"value_mm": 12.5}
        # the bundle holds the log as it was when written; the source logs the export
        assert [e["action"] for e in copy.audit_entries()] == ["import", "import-bundle"]
        assert [e["action"] for e in orig.audit_entries()] == ["import", "export"]


def test_sealed_bundle_round_trip_and_wrong_password(run_cli, case_path, tmp_path,
                                                     password_file):
    out, info = roundtrip(run_cli, case_path, tmp_path, "--encrypt", "--password-file",
                          password_file)
    assert info["sealed"] is True
    assert b"Bundle^Bob" not in out.read_bytes()
    r = run_cli("import-bundle", out, tmp_path / "nopw.twin")
    assert r.code == 2 and "is encrypted" in r.err
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    r = run_cli("import-bundle", out, tmp_path / "bad.twin", "--password-file", wrong)
    assert r.code == 2 and "password is wrong" in r.err
    assert not (tmp_path / "bad.twin").exists()
    r = run_cli("import-bundle", out, tmp_path / "ok.twin", "--password-file", password_file)
    assert r.code == 0, r.err


@pytest.mark.parametrize("where", ["header", "middle", "end", "truncate", "append"])
def test_tampered_sealed_bundle_is_refused(run_cli, case_path, tmp_path, password_file, where):
    out, _ = roundtrip(run_cli, case_path, tmp_path, "--encrypt", "--password-file",
                       password_file)
    data = bytearray(out.read_bytes())
    if where == "header":
        data[20] ^= 0x01
    elif where == "middle":
        data[len(data) // 2] ^= 0x01
    elif where == "end":
        data[-1] ^= 0x01
    elif where == "truncate":
        data = data[:-100]
    else:
        data += b"\x00\x00\x00\x10" + b"x" * 16
    out.write_bytes(bytes(data))
    r = run_cli("import-bundle", out, tmp_path / "t.twin", "--password-file", password_file)
    assert r.code == 2 and ("tampered" in r.err or "not a sealed" in r.err), r.err
    assert not (tmp_path / "t.twin").exists()


def rewrite_tar(src, dst, edit):
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin:
            data = tin.extractfile(m).read()
            name, data = edit(m.name, data)
            if name is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("attack", ["modify-artifact", "modify-case", "drop-file",
                                    "traversal", "extra-file"])
def test_tampered_plain_bundle_is_refused(run_cli, case_path, tmp_path, attack):
    out, _ = roundtrip(run_cli, case_path, tmp_path)
    bad = tmp_path / "bad.twinbundle"

    def edit(name, data):
        if attack == "modify-artifact" and name.endswith(".json") and name.startswith("art"):
            return name, data.replace(b"12.5", b"99.5")
        if attack == "modify-case" and name == "case.json":
            return name, data.replace(b"Bundle^Bob", b"Evil^Eve")
        if attack == "drop-file" and name.endswith(".mha"):
            return None, data
        if attack == "traversal" and name == "audit.jsonl":
            return "../../escape.txt", data
        if attack == "extra-file" and name == "audit.jsonl":
            return "artifacts/../../x.sh", data
        return name, data

    rewrite_tar(out, bad, edit)
    r = run_cli("import-bundle", bad, tmp_path / "t.twin")
    assert r.code == 2, r.err
    assert "tampered" in r.err or "unexpected entry" in r.err
    assert not (tmp_path / "t.twin").exists()
    assert not (tmp_path.parent / "escape.txt").exists()


def test_bundle_flags_only_for_bundles(run_cli, case_path, tmp_path, password_file):
    r = run_cli("export", case_path, tmp_path / "v.nii", "--what", "volume", "--encrypt",
                "--password-file", password_file)
    assert r.code == 2 and "apply to --what bundle only" in r.err
    r = run_cli("export", case_path, tmp_path / "b.twinbundle", "--what", "bundle", "--encrypt")
    assert r.code == 2 and "needs --password-file" in r.err
    short = tmp_path / "short.txt"
    short.write_text("abc")
    r = run_cli("export", case_path, tmp_path / "b.twinbundle", "--what", "bundle",
                "--encrypt", "--password-file", short)
    assert r.code == 2 and "shorter than 8" in r.err


def test_import_bundle_refuses_existing_destination(run_cli, case_path, tmp_path):
    out, _ = roundtrip(run_cli, case_path, tmp_path)
    r = run_cli("import-bundle", out, case_path)
    assert r.code == 2 and "already exists" in r.err


def test_bundle_carries_files_of_earlier_versions(run_cli, case_path, tmp_path):
    from twindesk.model.versions import record_version

    with Case.open(case_path) as case:
        case.put_json("result:test", {"value_mm": 1.0}, "result")
        record_version(case, "edit", "first value", {})
        case.save("edit", {})
        case.put_json("result:test", {"value_mm": 2.0}, "result")
        case.save("edit", {})
    out, _ = roundtrip(run_cli, case_path, tmp_path)
    dest = tmp_path / "copy.twin"
    assert run_cli("import-bundle", out, dest).code == 0
    with Case.open(dest, write=False) as copy:
        state = copy.read_json("twin:state:v1")
        old = state["artifacts"]["result:test"]
        assert json.loads((dest / old["path"]).read_text()) == {"value_mm": 1.0}
        assert copy.read_json("result:test") == {"value_mm": 2.0}
