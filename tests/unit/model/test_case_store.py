"""The case store: atomic commits, crash safety, locking, migration, audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from twindesk.errors import CaseError, CaseLockedError, ReadOnlyCaseError
from twindesk.io import artifacts as art
from twindesk.model.case import Case


def make_case(path: Path, name: str = "OLD") -> None:
    case = Case.create(path)
    case.doc["patient"] = {"name": name}
    case.put_bytes("notes", b"first version", ".txt", "notes")
    case.save("create", {"name": name})
    case.close()


def assert_consistent(path: Path) -> dict:
    """Every artefact the committed case.json names exists and matches its hash."""
    with Case.open(path, write=False) as case:
        for rec in case.doc["artifacts"].values():
            assert art.verify(path, rec), rec
        return case.doc


# A child that SIGKILLs itself at the N-th write / fsync / rename / replace during a save.
CRASH_CHILD = textwrap.dedent("""
    import os, signal, sys
    path, crash_at = sys.argv[1], int(sys.argv[2])
    from twindesk.model.case import Case
    case = Case.open(path, require_write=True)
    calls = {"n": 0}
    def wrap(name, real):
        def step(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return step
    for name in ("write", "fsync", "replace", "rename"):
        setattr(os, name, wrap(name, getattr(os, name)))
    case.doc["patient"] = {"name": "NEW"}
    case.put_bytes("extra", b"x" * 5000, ".bin", "test")
    case.put_bytes("notes", b"second version", ".txt", "notes")
    case.save("edit", {"name": "NEW"})
    print("SAVED", calls["n"])
""")


def test_kill_at_every_step_of_a_save_leaves_old_or_new_version(tmp_path):
    steps_seen = []
    crash_at = 1
    while True:
        case_path = tmp_path / f"c{crash_at}.twin"
        make_case(case_path)
        proc = subprocess.run([sys.executable, "-c", CRASH_CHILD, str(case_path), str(crash_at)],
                              capture_output=True, text=True, timeout=60)
        doc = assert_consistent(case_path)
        name = doc["patient"]["name"]
        notes = (case_path / doc["artifacts"]["notes"]["path"]).read_bytes()
        if name == "OLD":
            assert doc["revision"] == 1 and "extra" not in doc["artifacts"]
            assert notes == b"first version"
        else:
            assert name == "NEW" and doc["revision"] == 2
            assert notes == b"second version" and "extra" in doc["artifacts"]
        steps_seen.append(name)
        if proc.returncode == 0:
            assert proc.stdout.startswith("SAVED")
            break
        assert proc.returncode == -9, proc.stderr
        crash_at += 1
        assert crash_at < 200, "save never completed"
    # Crashes before the commit rename give OLD, after it NEW; both must have happened.
    assert steps_seen[0] == "OLD" and steps_seen[-1] == "NEW"
    assert len(steps_seen) >= 8  # every write, fsync and rename was a crash point


def test_second_process_gets_read_only_with_reason(tmp_path):
    case_path = tmp_path / "locked.twin"
    make_case(case_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from twindesk.model.case import Case
            c = Case.open({str(case_path)!r}, require_write=True)
            print("HOLDING", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        case = Case.open(case_path)
        assert not case.writable
        assert "read-only because it is open for writing by" in case.readonly_reason
        assert f"process {holder.pid}" in case.readonly_reason
        with pytest.raises(ReadOnlyCaseError, match="read-only"):
            case.save("edit")
        case.close()
        with pytest.raises(CaseLockedError, match="close the case in the other program"):
            Case.open(case_path, require_write=True)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # The lock dies with its process: no stale lock after a crash.
    with Case.open(case_path, require_write=True) as case:
        assert case.writable


def test_lock_is_exclusive_within_one_process_too(tmp_path):
    case_path = tmp_path / "one.twin"
    make_case(case_path)
    first = Case.open(case_path)
    second = Case.open(case_path)
    assert first.writable and not second.writable
    first.close()
    second.close()


def write_v0_case(path: Path) -> np.ndarray:
    import SimpleITK as sitk

    path.mkdir()
    voxels = np.arange(4 * 5 * 6, dtype=np.int16).reshape(6, 5, 4)
    img = sitk.GetImageFromArray(voxels)
    img.SetSpacing((0.5, 0.6, 0.7))
    img.SetOrigin((1.0, 2.0, 3.0))
    sitk.WriteImage(img, str(path / "image.mha"))
    (path / "case.json").write_text(json.dumps({
        "version": 0, "volume": "image.mha", "patient_name": "Doe^Jane",
        "patient_id": "P1", "study_uid": "1.2.3", "created": "2025-01-01T00:00:00Z"}))
    return voxels


def test_migration_v0_to_v1(tmp_path):
    import SimpleITK as sitk

    case_path = tmp_path / "old.twin"
    voxels = write_v0_case(case_path)
    with Case.open(case_path) as case:
        assert case.doc["schema_version"] == 1
        assert case.doc["patient"] == {"name": "Doe^Jane", "id": "P1"}
        assert case.doc["study"] == {"study_uid": "1.2.3"}
        img = case.image()
        np.testing.assert_array_equal(sitk.GetArrayFromImage(img), voxels)
        assert img.GetSpacing() == pytest.approx((0.5, 0.6, 0.7))
        assert case.audit_entries()[-1]["action"] == "migrate"
        assert case.audit_entries()[-1]["params"]["from_schema_versions"] == [0]
    on_disk = json.loads((case_path / "case.json").read_text())
    assert on_disk["schema_version"] == 1
    assert on_disk["artifacts"]["volume"]["path"] == "image.mha"
    assert_consistent(case_path)


def test_migration_read_only_does_not_touch_disk(tmp_path):
    case_path = tmp_path / "old.twin"
    write_v0_case(case_path)
    before = sorted((p.relative_to(case_path), p.stat().st_mtime_ns)
                    for p in case_path.rglob("*") if p.name != ".lock")
    with Case.open(case_path, write=False) as case:
        assert case.doc["schema_version"] == 1
        assert case.image().GetSize() == (4, 5, 6)
    after = sorted((p.relative_to(case_path), p.stat().st_mtime_ns)
                   for p in case_path.rglob("*") if p.name != ".lock")
    assert after == before  # migrated in memory only
    with Case.open(case_path) as case:  # and still migrates later
        assert case.doc["schema_version"] == 1


def test_newer_schema_is_refused_clearly(tmp_path):
    case_path = tmp_path / "future.twin"
    make_case(case_path)
    doc = json.loads((case_path / "case.json").read_text())
    doc["schema_version"] = 99
    (case_path / "case.json").write_text(json.dumps(doc))
    with pytest.raises(CaseError, match="(?s)newer than this twindesk understands.*update twindesk"):
        Case.open(case_path)


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    (json.dumps({"schema_version": 1}), "missing field 'case_id'"),
    (json.dumps({"hello": 1}), "has no 'schema_version'"),
])
def test_damaged_case_json_named(tmp_path, content, message):
    case_path = tmp_path / "bad.twin"
    case_path.mkdir()
    (case_path / "case.json").write_text(content)
    with pytest.raises(CaseError, match=message) as err:
        Case.open(case_path)
    assert "case.json" in str(err.value)


def test_create_refuses_foreign_folder_and_existing_case(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    with pytest.raises(CaseError, match="is not empty"):
        Case.create(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"
    make_case(tmp_path / "c.twin")
    with pytest.raises(CaseError, match="already holds a case"):
        Case.create(tmp_path / "c.twin")


def test_audit_log_records_every_change(tmp_path):
    case_path = tmp_path / "a.twin"
    make_case(case_path)
    with Case.open(case_path) as case:
        case.doc["warnings"].append("w")
        case.save("annotate", {"field": "warnings", "value": "w"})
        case.log_action("export", {"what": "volume"})
    with Case.open(case_path, write=False) as case:
        entries = case.audit_entries()
    assert [e["action"] for e in entries] == ["create", "annotate", "export"]
    assert [e["revision"] for e in entries] == [1, 2, 2]
    for e in entries:
        assert e["user"] and e["host"] and e["time_utc"].endswith("Z")
    assert entries[1]["params"] == {"field": "warnings", "value": "w"}


def test_artifacts_are_content_addressed_and_immutable(tmp_path):
    case_path = tmp_path / "x.twin"
    make_case(case_path)
    with Case.open(case_path) as case:
        a = case.put_bytes("one", b"same bytes", ".bin", "t")
        b = case.put_bytes("two", b"same bytes", ".bin", "t")
        assert a["path"] == b["path"] and a["sha256"] == b["sha256"]
        assert Path(a["path"]).name == a["sha256"] + ".bin"
        case.save("dup")
    assert not list((case_path / "artifacts").glob(".incoming-*"))


def test_nan_never_stored(tmp_path):
    case_path = tmp_path / "n.twin"
    make_case(case_path)
    with Case.open(case_path) as case:
        with pytest.raises(ValueError):
            case.put_json("result:x", {"value": float("nan")}, "result")
        case.doc["bad"] = float("inf")
        with pytest.raises(ValueError):
            case.save("bad")
    assert assert_consistent(case_path)["revision"] == 1


def test_torn_last_audit_line_is_tolerated(tmp_path):
    case_path = tmp_path / "t.twin"
    make_case(case_path)
    with open(case_path / "audit.jsonl", "a") as f:
        f.write('{"action": "half-writ')
    with Case.open(case_path, write=False) as case:
        assert [e["action"] for e in case.audit_entries()] == ["create"]


def test_unwritable_folder_opens_read_only(tmp_path, monkeypatch):
    case_path = tmp_path / "ro.twin"
    make_case(case_path)
    real_open = os.open

    def refuse_lock(path, flags, *args):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse_lock)
    with Case.open(case_path) as case:
        assert not case.writable
        assert "folder is not writable (Permission denied)" in case.readonly_reason
        assert case.doc["patient"]["name"] == "OLD"
