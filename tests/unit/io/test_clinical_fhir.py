"""FHIR R4 Observation bundles: vitals, echo, labs, genetics (parsed with R4B models)."""

from __future__ import annotations

import json

import pytest

from twindesk.errors import InputError
from twindesk.io.clinical.fhir_reader import parse_fhir

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def cc(code, display=None, system=LOINC):
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return {"coding": [c]}


def qty(value, code, unit=None, system=UCUM):
    q = {"value": value, "system": system, "code": code}
    if unit:
        q["unit"] = unit
    return q


def obs(oid, code, when="2024-03-01T08:30:00+01:00", **extra):
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": code,
            "effectiveDateTime": when, **extra}


def bundle(*resources):
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]})


def values(batch):
    return {(o.quantity, o.origin.split()[0]): o.value for o in batch.observations}


def test_vitals_bundle_panel_and_separate_pressures():
    text = bundle(
        obs("bp-panel", cc("85354-9", "Blood pressure panel"), component=[
            {"code": cc("8480-6"), "valueQuantity": qty(142, "mm[Hg]", "mmHg")},
            {"code": cc("8462-4"), "valueQuantity": qty(78, "mm[Hg]", "mmHg")}]),
        obs("sbp-2", cc("8480-6"), when="2024-03-02T08:30:00Z", valueQuantity=qty(18.0, "kPa")),
        obs("dbp-2", cc("8462-4"), when="2024-03-02T08:30:00Z", valueQuantity=qty(80, "mm[Hg]")),
        obs("hr", cc("8867-4"), valueQuantity=qty(68, "/min", "beats/minute")),
        obs("height", cc("8302-2"), valueQuantity=qty(68, "[in_i]", "in")),
        obs("weight", cc("29463-7"), valueQuantity=qty(180, "[lb_av]", "lb")),
        obs("co", cc("8737-9"), valueQuantity=qty(4.9, "L/min")),
        obs("ava", cc("18090-1"), valueQuantity=qty(0.8, "cm2")),
        obs("grad", cc("99999-9", "Aortic valve mean gradient by CW Doppler"),
            valueQuantity=qty(42, "mm[Hg]")),
        obs("vmax", {"text": "AV peak velocity"}, valueQuantity=qty(410, "cm/s")),
        obs("glucose", cc("2345-7", "Glucose [Mass/volume] in Serum or Plasma"),
            valueQuantity=qty(95, "mg/dL")),
        {**obs("hr-err", cc("8867-4"), valueQuantity=qty(200, "/min")),
         "status": "entered-in-error"},
        {"resourceType": "Patient", "id": "p1"},
    )
    b = parse_fhir(text, "vitals.json")
    v = values(b)
    assert v[("sbp_mmhg", "Observation/bp-panel")] == 142
    assert v[("dbp_mmhg", "Observation/bp-panel")] == 78
    assert v[("sbp_mmhg", "Observation/sbp-2")] == pytest.approx(135.01, abs=0.01)
    assert v[("dbp_mmhg", "Observation/dbp-2")] == 80
    assert v[("hr_bpm", "Observation/hr")] == 68
    assert v[("height_cm", "Observation/height")] == pytest.approx(172.72)
    assert v[("weight_kg", "Observation/weight")] == pytest.approx(81.6466, abs=1e-4)
    assert v[("co_l_min", "Observation/co")] == 4.9
    assert v[("valve_area_cm2", "Observation/ava")] == 0.8
    assert v[("mean_gradient_mmhg", "Observation/grad")] == 42
    assert v[("peak_velocity_m_s", "Observation/vmax")] == pytest.approx(4.1)
    matched = {o.origin.split()[0]: o.matched_by for o in b.observations}
    assert matched["Observation/grad"] == "display" and matched["Observation/hr"] == "code"
    panel = [o for o in b.observations if o.origin.startswith("Observation/bp-panel")]
    assert {o.time_utc for o in panel} == {"2024-03-01T07:30:00Z"}
    assert [u["observation"] for u in b.unknown] == ["Observation/glucose"]
    assert b.unknown[0]["codes"] == ["http://loinc.org|2345-7"]
    assert b.ignored == [{"observation": "Observation/hr-err", "reason": "status entered-in-error"}]
    assert len(b.observations) == 11


def test_single_observation_resource():
    text = json.dumps(obs("w", cc("29463-7"), valueQuantity=qty(72500, "g")))
    b = parse_fhir(text, "w.json")
    assert b.observations[0].value == pytest.approx(72.5)


def test_wrong_unit_is_refused_naming_file_observation_and_element():
    text = bundle(obs("hr-1", cc("8867-4"), valueQuantity=qty(70, "mm[Hg]")))
    with pytest.raises(InputError) as e:
        parse_fhir(text, "bad.json")
    msg = str(e.value)
    assert "bad.json, Observation/hr-1, valueQuantity.unit" in msg
    assert "'mm[Hg]' is not accepted for Heart rate" in msg


def test_invalid_fhir_names_the_element():
    text = bundle(obs("x", cc("8867-4"), valueQuantity={"value": "fast", "code": "/min"}))
    with pytest.raises(InputError, match=r"not valid FHIR R4 at 'entry.0.resource.valueQuantity.value'"):
        parse_fhir(text, "x.json")


def test_other_resource_types_are_refused():
    with pytest.raises(InputError, match="a FHIR Patient resource"):
        parse_fhir('{"resourceType": "Patient", "id": "p"}', "p.json")


def gene_component(symbol):
    return {"code": cc("48018-6", "Gene studied [ID]"),
            "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId",
                                                 "code": "HGNC:0", "display": symbol}]}}


def sig_component(code, display):
    return {"code": cc("53037-8"), "valueCodeableConcept": cc(code, display)}


def test_genetics_variants_flag_htad_genes_only():
    text = bundle(
        obs("v-fbn1", cc("69548-6", "Genetic variant assessment"), component=[
            gene_component("FBN1"), sig_component("LA6668-3", "Pathogenic"),
            {"code": cc("48004-6"), "valueCodeableConcept": {"text": "NM_000138.5:c.7754T>C"}}]),
        obs("v-brca", cc("69548-6"), component=[gene_component("BRCA1"),
                                                sig_component("LA6668-3", "Pathogenic")]),
        obs("v-acta2", cc("69548-6"), component=[gene_component("ACTA2"),
                                                 sig_component("LA6682-4", "Unknown significance")]),
        # STU1 style: the significance in its own Observation pointing at the variant
        obs("v-tgfbr2", cc("69548-6"), component=[gene_component("TGFBR2")]),
        obs("sig-tgfbr2", cc("53037-8"), valueCodeableConcept={"text": "Likely pathogenic"},
            derivedFrom=[{"reference": "Observation/v-tgfbr2"}]),
    )
    b = parse_fhir(text, "genetics.json")
    flags = {f.gene: f for f in b.genomic_flags}
    assert set(flags) == {"FBN1", "TGFBR2"}
    assert flags["FBN1"].significance == "Pathogenic"
    assert flags["FBN1"].variant == "NM_000138.5:c.7754T>C"
    assert flags["FBN1"].condition == "Marfan syndrome"
    assert flags["TGFBR2"].significance == "Likely pathogenic"
    reasons = {i["gene"]: i["reason"] for i in b.ignored}
    assert reasons == {"BRCA1": "not a heritable thoracic aortic disease gene",
                       "ACTA2": "classified Unknown significance"}
    assert b.observations == [] and b.unknown == []
