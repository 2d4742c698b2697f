"""The one export path shared by ``twindesk export`` and the window: same file, same audit."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.model.case import Case


@pytest.fixture
def case_path(tmp_path):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume

    img = sitk.GetImageFromArray(np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6))
    img.SetSpacing((0.5, 0.75, 2.0))
    path = tmp_path / "e.twin"
    with Case.create(path) as case:
        case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(img), "modality": "CT"}
        case.save("import", {})
    return path


def test_job_and_cli_write_the_same_file_and_audit_entry(case_path, tmp_path, run_cli):
    import SimpleITK as sitk

    from twindesk.report.exports import ExportParams, run

    result = run(ExportParams(case_path, tmp_path / "job.nii.gz", "volume"))
    r = run_cli("export", case_path, tmp_path / "cli.nii.gz", "--what", "volume", "--json")
    assert r.code == 0, r.err
    a, b = (sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / n)))
            for n in ("job.nii.gz", "cli.nii.gz"))
    np.testing.assert_array_equal(a, b)
    assert result["bytes"] == (tmp_path / "job.nii.gz").stat().st_size
    with Case.open(case_path, write=False) as case:
        entries = [e for e in case.audit_entries() if e["action"] == "export"]
    assert [e["params"]["out"] for e in entries] == [str(tmp_path / "job.nii.gz"),
                                                     str(tmp_path / "cli.nii.gz")]
    assert all(e["params"]["what"] == "volume" for e in entries)


def test_bundle_options_only_for_bundles_and_unknown_kinds(case_path, tmp_path):
    from twindesk.report.exports import available_names, export_case

    with Case.open(case_path, write=False) as case:
        with pytest.raises(InputError, match="bundle only"):
            export_case(case, tmp_path / "v.mha", "volume", password=b"long enough")
        with pytest.raises(InputError, match="bundle only"):
            export_case(case, tmp_path / "v.mha", "volume", deidentify=True)
        with pytest.raises(InputError, match="unknown kind 'nope'"):
            export_case(case, tmp_path / "v.mha", "nope")
        assert available_names(case.doc, "mesh") == []
        assert len([e for e in case.audit_entries() if e["action"] == "export"]) == 0
