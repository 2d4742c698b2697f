"""CSV clinical data: both layouts, unit conversion, refusals naming file, row and column."""

from __future__ import annotations

import pytest

from twindesk.errors import InputError
from twindesk.io.clinical import detect_kind, parse_clinical
from twindesk.io.clinical.csv_reader import parse_csv

WIDE = """time_utc,sbp_mmhg,dbp_mmhg,hr_bpm,co_l_min,height_in,weight_lb,mean_gradient_mmhg,favourite_colour
2024-03-01T08:30:00Z,142,78,68,4.9,68,180,41,blue
2024-03-02T09:00:00+02:00,138,,71,,,,,
"""


def by_key(batch):
    out = {}
    for o in batch.observations:
        out.setdefault(o.quantity, []).append(o)
    return out


def test_wide_layout_converts_units_and_reports_unknown_columns():
    b = parse_csv(WIDE, "vitals.csv")
    obs = by_key(b)
    assert b.meta["layout"] == "wide"
    assert [o.value for o in obs["sbp_mmhg"]] == [142, 138]
    assert obs["height_cm"][0].value == pytest.approx(68 * 2.54, abs=1e-9)      # 172.72 cm
    assert obs["weight_kg"][0].value == pytest.approx(180 * 0.45359237, abs=1e-9)
    assert obs["height_cm"][0].unit == "cm" and obs["height_cm"][0].unit_as_sent == "[in_i]"
    # +02:00 local time is 07:00 UTC
    assert obs["hr_bpm"][1].time_utc == "2024-03-02T07:00:00Z"
    assert "dbp_mmhg" in obs and len(obs["dbp_mmhg"]) == 1          # empty cell skipped
    assert b.unknown == [{"column": "favourite_colour", "reason": "names no known quantity"}]
    assert len(b.observations) == 7 + 2


def test_kpa_column_converts_to_mmhg():
    b = parse_csv("date,sbp_kpa,dbp_kpa\n2024-01-05,18.0,10.0\n", "v.csv")
    obs = by_key(b)
    assert obs["sbp_mmhg"][0].value == pytest.approx(135.01, abs=0.01)  # 18 kPa
    assert obs["dbp_mmhg"][0].value == pytest.approx(75.01, abs=0.01)
    assert obs["sbp_mmhg"][0].time_utc == "2024-01-05T00:00:00Z"


def test_unknown_unit_suffix_is_refused_naming_file_row_and_column():
    with pytest.raises(InputError) as e:
        parse_csv("time,sbp_psi\n2024-01-01,2.7\n", "clinic.csv")
    msg = str(e.value)
    assert "clinic.csv, row 1, column 'sbp_psi'" in msg and "sbp_mmhg" in msg


def test_implausible_value_is_refused_as_probable_unit_error():
    with pytest.raises(InputError) as e:
        parse_csv("time,height_cm\n2024-01-01,1.78\n", "h.csv")
    assert "h.csv, row 2, column 'height_cm'" in str(e.value)
    assert "plausible range" in str(e.value)


def test_non_numeric_value_names_the_cell():
    with pytest.raises(InputError) as e:
        parse_csv("time,hr_bpm\n2024-01-01,70\n2024-01-02,seventy\n", "hr.csv")
    assert "hr.csv, row 3, column 'hr_bpm'" in str(e.value)


LONG = """time,quantity,value,unit,code
2024-03-01T08:30:00Z,sbp,142,mm[Hg],8480-6
2024-03-01T08:30:00Z,hr_bpm,70,/min,
2024-03-01T08:30:00Z,height,1.72,m,
2024-03-01T08:30:00Z,weight,81,kg,
2024-03-01T08:30:00Z,creatinine,97,umol/L,
2024-03-01T08:30:00Z,peak_velocity,420,cm/s,
2024-03-01T08:30:00Z,glucose,5.5,mmol/L,
"""


def test_long_layout_with_ucum_units():
    b = parse_csv(LONG, "labs.csv")
    obs = by_key(b)
    assert b.meta["layout"] == "long"
    assert obs["sbp_mmhg"][0].code == "8480-6"
    assert obs["height_cm"][0].value == pytest.approx(172.0)
    assert obs["creatinine_mg_dl"][0].value == pytest.approx(97 / 88.42, rel=1e-9)  # 1.097
    assert obs["peak_velocity_m_s"][0].value == pytest.approx(4.2)
    assert b.unknown == [{"row": 8, "quantity": "glucose", "reason": "names no known quantity"}]


def test_long_layout_wrong_unit_names_row_and_unit_column():
    text = "time,quantity,value,unit\n2024-03-01,sbp,142,mm[Hg]\n2024-03-01,hr,70,mm[Hg]\n"
    with pytest.raises(InputError) as e:
        parse_csv(text, "long.csv")
    msg = str(e.value)
    assert "long.csv, row 3, column 'unit'" in msg and "'mm[Hg]' is not accepted" in msg
    assert "/min" in msg  # says which unit to use


def test_semicolon_separated_with_decimal_commas():
    b = parse_csv("time;co_l_min;weight_kg\n2024-03-01;4,8;80,5\n", "eu.csv")
    obs = by_key(b)
    assert obs["co_l_min"][0].value == pytest.approx(4.8)
    assert obs["weight_kg"][0].value == pytest.approx(80.5)


def test_naive_time_taken_as_utc_with_warning():
    b = parse_csv("time,hr_bpm\n2024-03-01T08:30:00,70\n", "n.csv")
    assert b.observations[0].time_utc == "2024-03-01T08:30:00Z"
    assert any("no time zone" in w for w in b.warnings)


def test_growing_file_reads_only_complete_new_rows():
    text = "time,hr_bpm\n2024-03-01T08:00:00Z,70\n2024-03-01T08:01:00Z,72\n2024-03-01T08:02"
    b = parse_csv(text, "g.csv", complete_lines_only=True, skip_rows=1)
    assert [o.value for o in b.observations] == [72]
    assert b.meta["n_rows"] == 2


def test_content_detection_ignores_extension():
    assert detect_kind(WIDE) == "csv"
    assert detect_kind("##fileformat=VCFv4.2\n") == "vcf"
    assert detect_kind('{"resourceType": "Bundle"}') == "fhir"
    assert detect_kind("hello world") is None
    with pytest.raises(InputError, match="not recognised"):
        parse_clinical("just some notes\n", "notes.txt")
