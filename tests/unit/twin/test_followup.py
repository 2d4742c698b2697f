"""Follow-up CT: native measurements, rigid alignment with a known transform, growth."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.model.case import Case

from .synthetic_aorta import rotation, volume

R_BASE, R_FU = 16.0, 18.0            # ascending aorta radius, mm: 32 → 36 mm diameter
ROT_DEG, SHIFT_MM = (4.0, -3.0, 6.0), (8.0, -5.0, 6.0)


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume

    root = tmp_path_factory.mktemp("fu")
    base = volume(R_BASE, 1.5, (-52.0, -55.0, -55.0), (70, 70, 70))
    fu = volume(R_FU, 1.25, (-58.0, -62.0, -50.0), (94, 96, 90), rotation(*ROT_DEG), SHIFT_MM,
                seed=2)
    fu_path = root / "followup.mha"
    sitk.WriteImage(fu, str(fu_path))
    case_path = root / "base.twin"
    case = Case.create(case_path)
    case.put_artifact("volume", lambda p: write_case_volume(base, p), ".mha", "volume")
    case.doc["image"] = {**geometry_of(base), "modality": "CT"}
    case.doc["study"] = {"date": "20230110"}
    case.save("import", {})
    case.close()
    return case_path, fu_path


@pytest.fixture(scope="module")
def result(studies):
    from twindesk.twin.followup import FollowUpParams, run

    case_path, fu_path = studies
    return run(FollowUpParams(case_path, fu_path, study_date="2024-07-10",
                              segmenter="threshold"))


def test_growth_from_native_measurements(result):
    g = result["followup"]["growth"]
    assert g["baseline_diameter_mm"] == pytest.approx(2 * R_BASE, abs=0.3)
    assert g["followup_diameter_mm"] == pytest.approx(2 * R_FU, abs=0.3)
    assert g["change_mm"] == pytest.approx(2 * (R_FU - R_BASE), abs=0.4)
    years = (np.datetime64("2024-07-10") - np.datetime64("2023-01-10")).astype(int) / 365.25
    assert g["interval_years"] == pytest.approx(years)
    assert g["rate_mm_per_year"] == pytest.approx(4.0 / years, abs=0.4 / years)
    # measured natively at the level of the baseline's widest section: the same 36 mm
    assert g["followup_diameter_at_baseline_level_mm"] == pytest.approx(2 * R_FU, abs=0.3)
    # sporadic twin: 55 mm diameter and 5 mm/year thresholds, neither reached
    assert g["diameter_threshold_mm"] == 55 and g["flags"] == []
    assert result["followup"]["warnings"] == []


def test_registration_recovers_the_known_rigid_transform(result):
    r = result["followup"]["registration"]
    truth_r = rotation(*ROT_DEG)
    est_r = rotation(*r["rotation_deg"])
    angle = np.degrees(np.arccos(np.clip((np.trace(truth_r.T @ est_r) - 1) / 2, -1, 1)))
    assert angle < 1.0
    # points of the aorta map where the true transform puts them (within 1 mm)
    c = np.array(r["center_lps_mm"])
    t = np.array(r["translation_mm"])
    for q in ([-20, 0, -20], [0, 0, 18], [20, 0, -30], [-42, -20, -20]):
        q = np.array(q, float)
        est = est_r @ (q - c) + c + t
        true = truth_r @ q + np.array(SHIFT_MM)
        assert np.linalg.norm(est - true) < 1.0
    assert r["landmark_offaxis_mm"] < 1.5  # widest points coincide across the vessel
    assert r["mean_surface_distance_mm"] < 2.5  # includes the 2 mm radial growth
    assert r["final_metric_value"] < 0           # Mattes MI is reported negated


def test_follow_up_is_stored_in_the_same_twin(result, studies):
    case_path, _ = studies
    with Case.open(case_path, write=False) as case:
        f = case.doc["twin"]["followups"][0]
        assert f["id"] == "fu-1" and f["study_time_utc"] == "2024-07-10T00:00:00Z"
        for key in f["artifacts"].values():
            assert case.artifact_path(key).is_file()
        fu_img = case.cached(f["artifacts"]["volume"], lambda p: __import__("SimpleITK").ReadImage(str(p)))
        assert fu_img.GetSpacing() == pytest.approx((1.25,) * 3)      # its own native grid
        assert case.artifact("labels:aorta") is not None              # baseline segmented too
        obs = [o for o in case.doc["clinical"]["observations"]
               if o["quantity"] == "aorta_max_diameter_mm"]
        assert [o["time_utc"][:10] for o in obs] == ["2023-01-10", "2024-07-10"]
        v = case.doc["twin"]["versions"][-1]
        assert v["kind"] == "follow-up" and "twin" not in v["changed"]


def test_follow_up_cli_json_and_marfan_thresholds(run_cli, studies, tmp_path):
    import shutil

    case_path, fu_path = studies
    copy = tmp_path / "copy.twin"
    shutil.copytree(case_path, copy)
    vcf = tmp_path / "g.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n#CHROM\tPOS\tID\tREF\tALT\tQUAL"
                   "\tFILTER\tINFO\n15\t1\t.\tG\tA\t.\tPASS\tCLNSIG=Pathogenic;GENEINFO=FBN1:2200\n")
    assert run_cli("twin", "add", copy, vcf).code == 0
    r = run_cli("twin", "follow-up", copy, fu_path, "--study-date", "2024-01-10",
                "--segmenter", "threshold", "--json", schema="twin-follow-up")
    assert r.code == 0, r.err
    f = r.json["followup"]
    assert f["id"] == "fu-2"
    # Marfan: the heritable growth threshold of 3 mm/year is reached by 4 mm in one year
    assert f["growth"]["interval_years"] == pytest.approx(365 / 365.25)
    assert f["growth"]["growth_threshold_mm_per_year"] == 3.0
    assert f["growth"]["diameter_threshold_mm"] == 50
    assert [flag for flag in f["growth"]["flags"] if "mm/year" in flag]
    assert r.json["thresholds"]["basis"] == "FBN1 pathogenic variant (Marfan syndrome)"


def test_follow_up_before_baseline_is_refused(run_cli, studies, tmp_path):
    import shutil

    case_path, fu_path = studies
    copy = tmp_path / "c.twin"
    shutil.copytree(case_path, copy)
    r = run_cli("twin", "follow-up", copy, fu_path, "--study-date", "2022-01-01",
                "--segmenter", "threshold")
    assert r.code == 2 and "not after the baseline" in r.err


def test_dicom_follow_up_uses_the_twins_deidentification_key(tmp_path):
    """Baseline imported de-identified; the follow-up series gets the same pseudonym and the
    same date shift, so the interval between the studies is exact."""
    from twindesk.io.dicom.write import write_series
    from twindesk.model.ingest import import_source
    from twindesk.twin.followup import FollowUpParams, run

    base = volume(R_BASE, 2.0, (-52.0, -55.0, -55.0), (52, 54, 52))
    fu = volume(R_FU, 2.0, (-52.0, -55.0, -55.0), (52, 54, 52), seed=3)
    write_series(base, tmp_path / "base", patient_name="Doe^Jane", patient_id="MRN-123",
                 study_date="20230110")
    write_series(fu, tmp_path / "fu", patient_name="Doe^Jane", patient_id="MRN-123",
                 study_date="20240110")
    case = import_source(tmp_path / "base", tmp_path / "d.twin", deidentify=True)
    from datetime import date

    base_shifted = case.doc["study"]["date"]
    delta = date(int(base_shifted[:4]), int(base_shifted[4:6]), int(base_shifted[6:8])) - \
        date(2023, 1, 10)
    pseudonym = case.doc["patient"]
    case.close()
    out = run(FollowUpParams(tmp_path / "d.twin", tmp_path / "fu", segmenter="threshold"))
    f = out["followup"]
    assert f["growth"]["interval_years"] == pytest.approx(365 / 365.25)   # exact interval
    assert delta.days != 0                                                 # dates are shifted
    assert f["study_time_utc"][:10] == str(date(2024, 1, 10) + delta)       # by the same days
    assert f["source"]["path"].startswith("(withheld")
    with Case.open(tmp_path / "d.twin", write=False) as c:
        assert c.doc["patient"] == pseudonym
        text = (tmp_path / "d.twin" / "case.json").read_text()
        assert "Doe^Jane" not in text and "MRN-123" not in text and "20240110" not in text
    assert f["growth"]["change_mm"] == pytest.approx(4.0, abs=0.6)         # 2 mm voxels
