"""Scanning folders: junk, mixed series, missing UIDs, hostile text, character sets."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from dicom_factory import arrays, set_tags, volume, write_ct

from twindesk.model.case import Case


def _junk(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("this is not DICOM\n")
    (folder / "empty.dcm").write_bytes(b"")
    (folder / "random.bin").write_bytes(np.random.default_rng(0).bytes(5000))
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)


def test_scan_is_recursive_and_lists_junk_with_reasons(tmp_path, run_cli):
    write_ct(volume(shape=(5, 16, 16)), tmp_path / "a" / "b" / "series")
    _junk(tmp_path / "a" / "junk")
    r = run_cli("scan", tmp_path, "--json")
    assert r.code == 0
    assert len(r.json["series"]) == 1 and r.json["series"][0]["n_files"] == 5
    reasons = {s["file"]: s["reason"] for s in r.json["skipped"]}
    assert set(reasons) == {"a/junk/notes.txt", "a/junk/empty.dcm", "a/junk/random.bin",
                            "a/junk/image.png"}
    assert reasons["a/junk/empty.dcm"] == "empty file"
    assert all("not a DICOM file" in reasons[k] for k in
               ("a/junk/notes.txt", "a/junk/random.bin", "a/junk/image.png"))


def test_dicomdir_path_means_its_folder(tmp_path, run_cli):
    write_ct(volume(shape=(3, 8, 8)), tmp_path / "cd" / "DICOM" / "S1")
    (tmp_path / "cd" / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM")  # stand-in index
    r = run_cli("import", tmp_path / "cd" / "DICOMDIR", tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    assert r.json["image"]["size"] == [8, 8, 3]


def test_folder_without_series_exits_2_naming_files(tmp_path, run_cli):
    _junk(tmp_path / "j")
    r = run_cli("import", tmp_path / "j", tmp_path / "c.twin")
    assert r.code == 2
    assert "no DICOM image series found" in r.err and "notes.txt" in r.err
    assert "Traceback" not in r.err and not (tmp_path / "c.twin").exists()


@pytest.mark.parametrize("argv, needle", [
    (["import", "{tmp}/nowhere", "{tmp}/c.twin"], "nowhere: no such file or folder"),
    (["import", "{tmp}/d", "{tmp}/d"], "is not empty"),
    (["import", "{tmp}/d", "{tmp}/c.twin", "--series", "9.9.9"], "--series 9.9.9 is not in"),
])
def test_bad_input_exits_2(tmp_path, run_cli, argv, needle):
    write_ct(volume(shape=(4, 8, 8)), tmp_path / "d")
    r = run_cli(*[a.format(tmp=tmp_path) for a in argv])
    assert r.code == 2 and needle in r.err and "Traceback" not in r.err


def test_mixed_series_need_a_choice(tmp_path, run_cli):
    a = write_ct(volume(shape=(5, 16, 16)), tmp_path / "d", series_description="arterial",
                 filename="A{index:03d}.dcm")
    write_ct(volume(shape=(7, 16, 16), seed=4), tmp_path / "d", series_description="venous",
             series_number=2, filename="V{index:03d}.dcm")
    scan = run_cli("scan", tmp_path / "d", "--json").json
    assert sorted(s["description"] for s in scan["series"]) == ["arterial", "venous"]
    r = run_cli("import", tmp_path / "d", tmp_path / "c.twin")
    assert r.code == 2 and "holds 2 volume series" in r.err
    assert "arterial" in r.err and "venous" in r.err and not (tmp_path / "c.twin").exists()
    uid = next(s["series_uid"] for s in scan["series"] if s["description"] == "venous")
    r = run_cli("import", tmp_path / "d", tmp_path / "c.twin", "--series", uid, "--json")
    assert r.code == 0 and r.json["image"]["size"] == [16, 16, 7] and r.json["series_uid"] == uid
    assert len(a) == 5


def test_localizer_in_the_series_is_left_out_with_a_warning(tmp_path):
    image = volume(shape=(6, 16, 16))
    write_ct(image, tmp_path / "d")
    scout = volume(shape=(1, 24, 16), direction=(1, 0, 0, 0, 0, 1, 0, -1, 0))
    paths = write_ct(scout, tmp_path / "s", filename="scout.dcm")
    import pydicom

    uid = pydicom.dcmread(next((tmp_path / "d").iterdir())).SeriesInstanceUID
    set_tags(paths, SeriesInstanceUID=uid)
    os.replace(paths[0], tmp_path / "d" / "scout.dcm")
    from twindesk.model.ingest import import_source

    with import_source(tmp_path / "d", tmp_path / "c.twin") as case:
        assert any("another orientation" in w and "scout.dcm" in w for w in case.doc["warnings"])
        np.testing.assert_array_equal(arrays(case.image()), arrays(image))


def test_missing_and_empty_uids(tmp_path, run_cli):
    image = volume(shape=(6, 16, 16))
    paths = write_ct(image, tmp_path / "d")
    set_tags(paths, SeriesInstanceUID=None, StudyInstanceUID="", FrameOfReferenceUID=None)
    set_tags(paths[:2], SOPInstanceUID="")
    scan = run_cli("scan", tmp_path / "d", "--json").json
    (series,) = scan["series"]
    assert series["series_uid"].startswith("x") and series["importable"]
    assert any("no SeriesInstanceUID" in w for w in series["warnings"])
    r = run_cli("import", tmp_path / "d", tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    with Case.open(tmp_path / "c.twin", write=False) as case:
        np.testing.assert_array_equal(arrays(case.image()), arrays(image))


def test_hostile_strings_stay_data(tmp_path, run_cli):
    before = set((tmp_path).rglob("*"))
    write_ct(volume(shape=(4, 8, 8)), tmp_path / "d", series_description="../../x",
             patient_name="\x1b[31mEvil\x1b[0m^Name\nSecond line", patient_id="/etc/passwd")
    r = run_cli("import", tmp_path / "d", tmp_path / "cases" / "c.twin", "--json")
    assert r.code == 0, r.err
    created = set(tmp_path.rglob("*")) - before
    assert all(p.is_relative_to(tmp_path / "d") or p.is_relative_to(tmp_path / "cases")
               for p in created)
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    doc = json.loads((tmp_path / "cases" / "c.twin" / "case.json").read_text("utf-8"))
    assert doc["image"]["series_description"] == "../../x"
    assert doc["patient"]["name"] == "[31mEvil[0m^Name Second line"  # no ESC, one line
    assert "\x1b" not in r.out and all(ch.isprintable() or ch in "\n " for ch in r.out)


@pytest.mark.parametrize("charset, name", [
    ("ISO_IR 100", "Müller^Jürgen"),
    ("ISO_IR 192", "Ελληνικό^Όνομα"),
    ("ISO_IR 192", "王^小明"),
    ("ISO_IR 144", "Иванов^Иван"),
    ("GB18030", "张^三"),
    (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    (["ISO 2022 IR 13", "ISO 2022 IR 87"], "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
])
def test_non_ascii_names_decode(tmp_path, run_cli, charset, name):
    write_ct(volume(shape=(3, 8, 8)), tmp_path / "d", patient_name=name,
             series_description="Herz", extra={"SpecificCharacterSet": charset})
    raw = (tmp_path / "d" / "IM00001.dcm").read_bytes()
    assert name.encode("utf-8") not in raw or charset == "ISO_IR 192"  # really encoded
    scan = run_cli("scan", tmp_path / "d", "--json").json
    assert scan["series"][0]["patient"]["name"] == name
    r = run_cli("import", tmp_path / "d", tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    assert r.json["patient"]["name"] == name
    doc = json.loads((tmp_path / "c.twin" / "case.json").read_text("utf-8"))
    assert doc["patient"]["name"] == name


def test_safe_filename_never_escapes():
    from twindesk.io.dicom.text import safe_filename

    for hostile in ("../../x", "..", ".", "/abs/path", "a/b\\c", "CON", "nul.txt", "",
                    "\x00\x1b[2J", "‮evil.exe", "x" * 500):
        name = safe_filename(hostile)
        assert name and "/" not in name and "\\" not in name and not name.startswith(".")
        assert len(name) <= 64 and name.upper().split(".")[0] not in ("CON", "NUL")


def test_corrupted_headers_never_crash(tmp_path, run_cli):
    """Random byte damage in headers: every file is either used, skipped with a reason or
    named in a warning; the import exits 0 or 2, never with an internal error."""
    from twindesk.io.dicom.scan import scan
    from twindesk.io.dicom.series import describe, plan_all

    good = write_ct(volume(shape=(6, 8, 8)), tmp_path / "src")
    rng = np.random.default_rng(11)
    out = tmp_path / "fuzz"
    out.mkdir()
    for n in range(60):
        data = bytearray(good[n % 6].read_bytes())
        pixel_start = len(data) - 8 * 8 * 2
        for _ in range(int(rng.integers(1, 6))):
            data[int(rng.integers(128, pixel_start))] = int(rng.integers(0, 256))
        (out / f"f{n:02d}.dcm").write_bytes(bytes(data))
    result = scan(out)
    assert len(result.files) + len(result.skipped) - sum(1 for r in result.files if r.problem) \
        == 60
    for plan in plan_all(result):
        describe(plan)  # must not raise
    r = run_cli("import", out, tmp_path / "c.twin")
    assert r.code in (0, 2), r.err
    assert "internal error" not in r.err


def test_unreadable_folder_is_reported(tmp_path, run_cli, monkeypatch):
    write_ct(volume(shape=(3, 8, 8)), tmp_path / "d" / "ok")
    locked = tmp_path / "d" / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path="."):  # as a folder without read permission behaves (even for root)
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    r = run_cli("scan", tmp_path / "d", "--json")
    assert {"file": "locked/", "reason": "folder cannot be read (Permission denied)"} \
        in r.json["skipped"]
    assert r.json["series"][0]["n_files"] == 3
