"""CLI conventions shared by every command: JSON, exit codes, messages, points."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from twindesk.cli.args import parse_point, parse_points
from twindesk.errors import InputError
from twindesk.model.case import Case


@pytest.fixture
def small_case(tmp_path):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume

    voxels = (np.arange(6 * 7 * 8).reshape(8, 7, 6) % 300 - 100).astype(np.int16)
    img = sitk.GetImageFromArray(voxels)
    img.SetSpacing((0.7, 0.8, 1.25))
    img.SetOrigin((-10.0, 20.5, 600.0))
    img.SetDirection((0, 1, 0, -1, 0, 0, 0, 0, 1))
    path = tmp_path / "small.twin"
    case = Case.create(path)
    case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
    case.doc["image"] = {**geometry_of(img), "modality": "CT"}
    case.doc["patient"] = {"name": "Müller^Zoë", "id": "ID-1"}
    case.save("import", {})
    case.close()
    return path, img


def test_info_json_matches_schema_and_geometry(run_cli, small_case):
    path, img = small_case
    r = run_cli("info", path, "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["image"]["size"] == [6, 7, 8]
    assert d["image"]["spacing_mm"] == pytest.approx([0.7, 0.8, 1.25])
    assert d["image"]["origin_lps_mm"] == pytest.approx([-10.0, 20.5, 600.0])
    assert d["image"]["direction"] == pytest.approx([0, 1, 0, -1, 0, 0, 0, 0, 1])
    assert d["patient"]["name"] == "Müller^Zoë"
    assert list(d["artifacts"]) == ["volume"]
    assert r.out.count("\n{") == 0 and r.out.strip().startswith("{")  # one object


def test_info_human_text(run_cli, small_case):
    r = run_cli("info", small_case[0])
    assert r.code == 0
    assert "6x7x8 voxels" in r.out and "Müller^Zoë" in r.out


@pytest.mark.parametrize("ext", [".nii.gz", ".nrrd", ".mha", ".nii"])
def test_export_volume_keeps_exact_geometry(run_cli, small_case, tmp_path, ext):
    import SimpleITK as sitk

    path, img = small_case
    out = tmp_path / f"vol{ext}"
    r = run_cli("export", path, out, "--what", "volume", "--json")
    assert r.code == 0, r.err
    back = sitk.ReadImage(str(out))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(img))
    assert back.GetSpacing() == pytest.approx(img.GetSpacing(), abs=1e-5)
    assert back.GetOrigin() == pytest.approx(img.GetOrigin(), abs=1e-4)
    assert back.GetDirection() == pytest.approx(img.GetDirection(), abs=1e-6)
    with Case.open(path, write=False) as case:
        assert case.audit_entries()[-1]["action"] == "export"


@pytest.mark.parametrize("argv, fragment", [
    (["info", "{tmp}/missing.twin"], "does not exist"),
    (["info", "{tmp}"], "is not a twindesk case (no case.json)"),
    (["export", "{case}", "{tmp}/x.vol", "--what", "volume"], "unknown volume format"),
    (["export", "{case}", "{tmp}/x.nii", "--what", "nonsense"], "--what: unknown kind 'nonsense'"),
    (["export", "{case}", "{tmp}/nope/x.nii", "--what", "volume"], "folder does not exist"),
])
def test_bad_input_exits_2_with_a_clear_message(run_cli, small_case, tmp_path, argv, fragment):
    argv = [a.format(tmp=tmp_path, case=small_case[0]) for a in argv]
    r = run_cli(*argv)
    assert r.code == 2
    assert fragment in r.err
    assert "Traceback" not in r.err and r.out == ""


def test_unknown_flag_exits_2(run_cli):
    with pytest.raises(SystemExit) as exc:
        run_cli("info", "--no-such-flag")
    assert exc.value.code == 2


def test_internal_error_exit_1_traceback_only_with_debug(run_cli, small_case, monkeypatch):
    import twindesk.cli.case_cmds as cc

    def boom(case):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cc, "case_summary", boom)
    r = run_cli("info", small_case[0])
    assert r.code == 1 and "internal error: RuntimeError: kaboom" in r.err
    assert "Traceback" not in r.err and "--debug" in r.err
    r = run_cli("info", small_case[0], "--debug")
    assert r.code == 1 and "Traceback" in r.err


def test_console_entry_point_is_the_same_as_python_m(small_case):
    out = subprocess.run([sys.executable, "-m", "twindesk", "info", str(small_case[0]), "--json"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["image"]["size"] == [6, 7, 8]


def test_cli_start_up_imports_no_heavy_libraries():
    code = ("import sys; from twindesk.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('vtk', 'pyvista', 'PySide6', 'SimpleITK', 'scipy', 'matplotlib')"
            " if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_parse_points():
    assert parse_point("12.5,-180,650", "--seed-lps") == (12.5, -180.0, 650.0)
    assert parse_points("1,2,3; 4,5,6 ;7,8,9", "--hinges-lps", 3)[2] == (7, 8, 9)
    with pytest.raises(InputError, match="--seed-lps: '1,2' is not a point"):
        parse_point("1,2", "--seed-lps")
    with pytest.raises(InputError, match="non-number"):
        parse_point("1,a,3", "--seed-lps")
    with pytest.raises(InputError, match="not finite"):
        parse_point("1,nan,3", "--seed-lps")
    with pytest.raises(InputError, match="expected 3 points, got 2"):
        parse_points("1,2,3;4,5,6", "--hinges-lps", 3)


def test_every_schema_is_valid_json_schema():
    import jsonschema

    from twindesk.schemas import load_schema, schema_names

    assert "info" in schema_names()
    for name in schema_names():
        jsonschema.Draft202012Validator.check_schema(load_schema(name))


def test_every_schema_has_an_id_matching_its_file():
    from twindesk.schemas import load_schema, schema_names

    for name in schema_names():
        assert load_schema(name)["$id"] == f"twindesk/{name}.schema.json"
