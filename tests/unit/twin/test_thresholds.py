"""Guideline thresholds as data: genomic flags lower them and the reasons say why."""

from __future__ import annotations

import pytest

from twindesk.errors import ResourceError
from twindesk.model import guidelines
from twindesk.model.guidelines import aortic_thresholds, load_table


def test_sporadic_and_bicuspid_baselines():
    t = aortic_thresholds([])
    assert t["threshold_mm"] == 55 and t["cor"] == "1"
    assert "Isselbacher" in t["citation"] and "2022" in t["citation"]
    assert t["growth_threshold_mm_per_year"] == 5.0
    b = aortic_thresholds(None, valve="bicuspid")
    assert b["threshold_mm"] == 55 and b["growth_threshold_mm_per_year"] == 3.0
    with pytest.raises(ValueError):
        aortic_thresholds([], valve="quadricuspid")


def test_marfan_flag_lowers_threshold_and_says_why():
    flags = [{"gene": "FBN1", "significance": "Pathogenic", "variant": "c.7754T>C"}]
    t = aortic_thresholds(flags)
    assert t["threshold_mm"] == 50
    assert t["basis"] == "FBN1 pathogenic variant (Marfan syndrome)"
    assert "FBN1" in t["reasons"][0] and "lower than the sporadic" in t["reasons"][1]
    assert t["growth_threshold_mm_per_year"] == 3.0
    hr = aortic_thresholds(flags, high_risk_features=True)
    assert hr["threshold_mm"] == 45 and hr["cor"] == "2a"


@pytest.mark.parametrize("gene,mm,high_risk_mm", [
    ("TGFBR1", 45, 40), ("TGFBR2", 45, 40), ("SMAD3", 45, 45), ("TGFB2", 45, 45),
    ("TGFB3", 50, 50), ("ACTA2", 45, 45), ("MYH11", 45, 45)])
def test_gene_specific_thresholds(gene, mm, high_risk_mm):
    assert aortic_thresholds([gene])["threshold_mm"] == mm
    assert aortic_thresholds([gene], high_risk_features=True)["threshold_mm"] == high_risk_mm


def test_loeys_dietz_rules_are_verified_against_the_guideline_table():
    t = aortic_thresholds([{"gene": "TGFBR2", "significance": "Likely pathogenic"}])
    assert t["verified"] == "guideline table" and t["cor"] == "1"


def test_unconfirmed_gene_falls_back_to_nonsyndromic_rule_and_says_so():
    t = aortic_thresholds(["MYLK"])
    assert t["threshold_mm"] == 50 and t["verified"] == "not confirmed"
    assert "nonsyndromic HTAD rule" in t["reasons"][0]
    assert any("MYLK" in n for n in t["notes"])


def test_lowest_of_several_flags_wins_and_vus_or_other_genes_do_not_count():
    flags = [{"gene": "FBN1", "significance": "Pathogenic"},
             {"gene": "TGFBR1", "significance": "Likely pathogenic"},
             {"gene": "SMAD3", "significance": "Uncertain significance"},
             {"gene": "BRCA2", "significance": "Pathogenic"}]
    t = aortic_thresholds(flags)
    assert t["threshold_mm"] == 45 and t["basis"].startswith("TGFBR1")
    assert [c["gene"] for c in t["candidates"]] == [None, "FBN1", "TGFBR1"]


def test_shipped_table_cites_every_rule():
    table = load_table()
    for section in ("baseline", "genes"):
        for name, rule in table[section].items():
            assert rule["verified"] in ("guideline table", "guideline summary", "secondary",
                                        "not confirmed"), name
    assert "NOT confirmed" in table["citations"]["ESC2024"]["note"]


def test_broken_table_is_refused(tmp_path):
    text = guidelines.table_path().read_text(encoding="utf-8")
    bad = tmp_path / "t.toml"
    bad.write_text(text.replace('citation = "ACCAHA2022"\nverified = "guideline table"',
                                'citation = "NOPE"\nverified = "guideline table"', 1))
    with pytest.raises(ResourceError, match="cites 'NOPE'"):
        load_table(bad)
    bad.write_text(text.replace("threshold_mm = 45", "threshold_mm = -45", 1))
    with pytest.raises(ResourceError, match="positive number"):
        load_table(bad)
