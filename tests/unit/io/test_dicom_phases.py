"""ECG-gated multiphase series: detection, listing and choice of the phase."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from dicom_factory import arrays, volume, write_ct, write_enhanced_ct

from twindesk.model.case import Case

THIN = dict(shape=(6, 16, 16), spacing=(0.5, 0.5, 0.6))


def _phase_volume(k: int):
    """Phase ``k`` of the stack: the same grid, values offset by 100 k HU."""
    return sitk.Cast(volume(**THIN) + 100 * k, sitk.sitkInt16)


def _multiphase(folder, per_phase: list[dict], series_uid="1.2.3.4.5.6", frame_uid="1.2.3.4.9"):
    for k, extra in enumerate(per_phase):
        write_ct(_phase_volume(k), folder, series_uid=series_uid, study_uid="1.2.3.4.7",
                 filename=f"P{k}_{{index:03d}}.dcm",
                 extra={"FrameOfReferenceUID": frame_uid, **extra})


def _imported_phase(case_path) -> int:
    with Case.open(case_path, write=False) as case:
        values = arrays(case.image()).astype(int) - arrays(volume(**THIN)).astype(int)
        offsets = np.unique(values)
        assert len(offsets) == 1, offsets
        return int(offsets[0]) // 100


def test_nominal_percentages_default_to_35(tmp_path, run_cli):
    _multiphase(tmp_path / "d", [{"NominalPercentageOfCardiacPhase": p} for p in (0, 40, 70)])
    scan = run_cli("scan", tmp_path / "d", "--json").json
    (series,) = scan["series"]
    assert [p["percent"] for p in series["phases"]] == [0, 40, 70]
    assert series["gated"] and series["size"] == [16, 16, 6]
    r = run_cli("import", tmp_path / "d", tmp_path / "a.twin", "--json")
    assert r.code == 0, r.err
    assert _imported_phase(tmp_path / "a.twin") == 1
    assert any("imported 40 % R-R" in w and "3 phases" in w for w in r.json["warnings"])
    assert not any("ECG-gated" in w or "thick" in w for w in r.json["warnings"])
    r = run_cli("import", tmp_path / "d", tmp_path / "b.twin", "--phase", "75", "--json")
    assert _imported_phase(tmp_path / "b.twin") == 2
    with Case.open(tmp_path / "b.twin", write=False) as case:
        assert case.doc["image"]["phase_percent"] == 70


def test_trigger_times_with_jitter_and_rr_interval(tmp_path):
    from twindesk.model.ingest import import_source

    rng = np.random.default_rng(5)
    per_phase = []
    for trigger in (100.0, 350.0, 700.0):
        per_phase.append({"NominalInterval": 1000})
        per_phase[-1]["_t"] = trigger
    for k, extra in enumerate(per_phase):
        trig = extra.pop("_t")
        write_ct(_phase_volume(k), tmp_path / "d", series_uid="1.2.3.4.5.6",
                 filename=f"T{k}_{{index:03d}}.dcm", extra=extra,
                 per_slice={"TriggerTime": list(trig + rng.uniform(-25, 25, size=6))})
    with import_source(tmp_path / "d", tmp_path / "c.twin") as case:
        assert case.doc["image"]["n_phases"] == 3
        assert abs(case.doc["image"]["phase_percent"] - 35) < 3
    assert _imported_phase(tmp_path / "c.twin") == 1


def test_temporal_positions_without_percent(tmp_path, run_cli):
    _multiphase(tmp_path / "d", [{"TemporalPositionIdentifier": k + 1,
                                  "CardiacSynchronizationTechnique": "RETROSPECTIVE"}
                                 for k in range(3)])
    r = run_cli("import", tmp_path / "d", tmp_path / "a.twin", "--json")
    assert r.code == 0
    assert _imported_phase(tmp_path / "a.twin") == 0
    assert any("without a cardiac percentage" in w for w in r.json["warnings"])
    r = run_cli("import", tmp_path / "d", tmp_path / "b.twin", "--phase", "40")
    assert r.code == 2 and "temporal position 3" in r.err and not (tmp_path / "b.twin").exists()


def test_repeated_acquisitions_are_not_mixed(tmp_path, run_cli):
    """Two scans of the same range, no cardiac timing: never one volume of both."""
    _multiphase(tmp_path / "d", [{"AcquisitionNumber": 1}, {"AcquisitionNumber": 2}])
    r = run_cli("import", tmp_path / "d", tmp_path / "a.twin", "--json")
    assert r.code == 0, r.err
    assert _imported_phase(tmp_path / "a.twin") == 0
    assert any("acquisition 1; acquisition 2" in w for w in r.json["warnings"])


def test_enhanced_multiphase_file(tmp_path, run_cli):
    ref = _phase_volume(0)
    stack = sitk.GetImageFromArray(np.concatenate([arrays(_phase_volume(k)) for k in range(2)]))
    stack.SetSpacing(ref.GetSpacing())
    stack.SetOrigin(ref.GetOrigin())
    path = write_enhanced_ct(stack, tmp_path / "d" / "multi.dcm",
                             percents=[30] * 6 + [75] * 6, temporal=[1] * 6 + [2] * 6)
    # frames 6..11 repeat the positions of 0..5
    import pydicom

    ds = pydicom.dcmread(path)
    for k, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        item.PlanePositionSequence[0].ImagePositionPatient = list(
            ref.TransformIndexToPhysicalPoint((0, 0, k % 6)))
    ds.save_as(path, enforce_file_format=True)
    scan = run_cli("scan", tmp_path / "d", "--json").json
    assert [p["percent"] for p in scan["series"][0]["phases"]] == [30, 75]
    assert run_cli("import", path, tmp_path / "a.twin", "--phase", "70").code == 0
    assert _imported_phase(tmp_path / "a.twin") == 1
    assert run_cli("import", path, tmp_path / "b.twin").code == 0
    assert _imported_phase(tmp_path / "b.twin") == 0


def test_one_series_per_phase_is_chosen_by_phase(tmp_path, run_cli):
    for k, percent in enumerate((0, 30, 60)):
        write_ct(_phase_volume(k), tmp_path / "d", series_uid=f"1.2.3.{k + 1}",
                 series_description=f"CTA {percent}%", filename=f"S{k}_{{index:03d}}.dcm",
                 extra={"FrameOfReferenceUID": "1.2.3.99",
                        "NominalPercentageOfCardiacPhase": percent})
    r = run_cli("import", tmp_path / "d", tmp_path / "a.twin", "--json")
    assert r.code == 0, r.err
    assert r.json["series_uid"] == "1.2.3.2" and _imported_phase(tmp_path / "a.twin") == 1
    assert any("one series per cardiac phase" in w for w in r.json["warnings"])
    r = run_cli("import", tmp_path / "d", tmp_path / "b.twin", "--phase", "55", "--json")
    assert r.json["series_uid"] == "1.2.3.3"


def test_phase_asked_of_a_single_phase_series_warns(tmp_path, run_cli):
    write_ct(volume(**THIN), tmp_path / "d", extra={"NominalPercentageOfCardiacPhase": 75})
    r = run_cli("import", tmp_path / "d", tmp_path / "a.twin", "--phase", "35", "--json")
    assert r.code == 0
    assert any("holds one phase only (75 % R-R)" in w for w in r.json["warnings"])


@pytest.mark.parametrize("extra, gated", [({}, False), ({"TriggerTime": 400.0}, True),
                                          ({"CardiacSynchronizationTechnique": "PROSPECTIVE"},
                                           True)])
def test_gating_detection(tmp_path, run_cli, extra, gated):
    write_ct(volume(**THIN), tmp_path / "d", extra=extra)
    (series,) = run_cli("scan", tmp_path / "d", "--json").json["series"]
    assert series["gated"] is gated
    assert any("not ECG-gated" in w for w in series["warnings"]) is not gated
