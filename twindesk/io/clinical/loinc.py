"""LOINC codes twindesk understands, each with the source where the code was confirmed.

Only codes confirmed in a published source are in :data:`LOINC`. Quantities for which no
code could be confirmed (or hospitals use many method-specific codes) are also recognised
by the observation's display text through :data:`DISPLAY_ALIASES`; such observations are
marked ``"matched_by": "display"`` and keep the code as sent, so a new code can be added
here once confirmed. Anything else is reported as unknown, never guessed.

Sources (short names used in the table)
---------------------------------------
``FHIR-R4-VS``
    HL7 FHIR R4 (4.0.1) ValueSet *observation-vitalsignresult*,
    https://hl7.org/fhir/R4/valueset-observation-vitalsignresult.html (vital signs and the
    blood pressure panel 85354-9 with components 8480-6 / 8462-4).
``LOINC-DB``
    The LOINC term's own record (display name as published by Regenstrief), looked up for
    this table in a public LOINC code browser.
``DICOM-CID``
    DICOM PS3.16 context groups CID 12202 (LV volume measurements) and CID 12212
    (echocardiography aorta measurements), which name these LOINC codes.
``HiGHmed-IG``
    HiGHmed cardiology FHIR value sets (echocardiography / catheter) listing the code with
    its LOINC display.
``FHIR-CPG``
    HL7 FHIR Clinical Guidelines IG, ValueSet *ckd-valueset-creatinine* (LOINC 2.68), and
    HL7 Switzerland lab value sets (LOINC top-2000) for haemoglobin.
``FHIR-GEN``
    HL7 FHIR Genomics Reporting IG (R4; STU1 and STU3 examples): variant Observation
    69548-6 with components 48018-6, 81252-9, 48004-6, 48005-3; clinical significance
    53037-8 with answers LA6668-3 *Pathogenic*, LA6669-1 *Presumed pathogenic* (the FHIR
    STU3 LOINC 53037-8 answer list).
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class LoincTerm:
    code: str
    display: str
    quantity: str | None  # twindesk quantity key; None for panels and genetics codes
    source: str


_TERMS = (
    # code, display, quantity, source
    ("85354-9", "Blood pressure panel with all children optional", None, "FHIR-R4-VS"),
    ("8480-6", "Systolic blood pressure", "sbp_mmhg", "FHIR-R4-VS"),
    ("8462-4", "Diastolic blood pressure", "dbp_mmhg", "FHIR-R4-VS"),
    ("8867-4", "Heart rate", "hr_bpm", "FHIR-R4-VS"),
    ("8302-2", "Body height", "height_cm", "FHIR-R4-VS"),
    ("29463-7", "Body weight", "weight_kg", "FHIR-R4-VS"),
    ("8737-9", "Left ventricular Cardiac output by Indicator dilution", "co_l_min",
     "LOINC-DB"),
    ("76565-1", "Left ventricular Cardiac output by US.2D+Calculated", "co_l_min", "LOINC-DB"),
    ("8731-2", "Ventricular Cardiac output by 2D echo", "co_l_min", "LOINC-DB"),
    ("18066-1", "Aortic valve Mean systole pressure gradient by US.doppler derived full "
                "Bernoulli", "mean_gradient_mmhg", "HiGHmed-IG"),
    ("18090-1", "Aortic valve Orifice area by US.continuity", "valve_area_cm2", "LOINC-DB"),
    ("79956-9", "Aortic valve Effective orifice area during systole by US.doppler+Calculated "
                "by continuity Vmax", "valve_area_cm2", "LOINC-DB"),
    ("18043-0", "Left ventricular Ejection fraction by US", "lvef_pct", "DICOM-CID"),
    ("18015-8", "Aortic root Diameter", "aortic_root_diameter_mm", "DICOM-CID"),
    ("18012-5", "Ascending aorta Diameter", "ascending_aorta_diameter_mm", "DICOM-CID"),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "creatinine_mg_dl", "FHIR-CPG"),
    ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "creatinine_mg_dl",
     "FHIR-CPG"),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "hemoglobin_g_dl", "FHIR-CPG"),
    # Genetics
    ("69548-6", "Genetic variant assessment", None, "FHIR-GEN"),
    ("48018-6", "Gene studied [ID]", None, "FHIR-GEN"),
    ("53037-8", "Genetic variation clinical significance [Imp]", None, "FHIR-GEN"),
    ("81252-9", "Discrete genetic variant", None, "FHIR-GEN"),
    ("48004-6", "DNA change (c.HGVS)", None, "FHIR-GEN"),
    ("48005-3", "Amino acid change (pHGVS)", None, "FHIR-GEN"),
)

LOINC: dict[str, LoincTerm] = {c: LoincTerm(c, d, q, s) for c, d, q, s in _TERMS}

BP_PANEL = "85354-9"
VARIANT_ASSESSMENT = "69548-6"
GENE_STUDIED = "48018-6"
CLINICAL_SIGNIFICANCE = "53037-8"
DISCRETE_VARIANT = "81252-9"
DNA_CHANGE = "48004-6"
AMINO_ACID_CHANGE = "48005-3"

#: LOINC answer codes for 53037-8 that count as pathogenic / likely pathogenic (FHIR-GEN).
PATHOGENIC_ANSWERS = {"LA6668-3": "Pathogenic", "LA6669-1": "Likely pathogenic"}

#: Display-text aliases for quantities whose code could not be confirmed (or that arrive
#: under many method-specific codes): every word group must appear in the lower-cased
#: display text; the first matching rule wins.
DISPLAY_ALIASES: tuple[tuple[tuple[tuple[str, ...], ...], str], ...] = (
    ((("aortic valve", "aov", "av "), ("mean",), ("gradient",)), "mean_gradient_mmhg"),
    ((("aortic valve", "aov", "av "), ("peak", "max"), ("gradient",)), "peak_gradient_mmhg"),
    ((("aortic valve", "aov", "av "), ("peak velocity", "vmax", "max velocity",
                                        "maximum velocity", "velocity.max")),
     "peak_velocity_m_s"),
    ((("aortic valve", "aov"), ("area",)), "valve_area_cm2"),
    ((("cardiac output",),), "co_l_min"),
    ((("mean arterial pressure", "mean blood pressure"),), "map_mmhg"),
    ((("ejection fraction",), ("left ventric", "lv ")), "lvef_pct"),
    ((("nt-probnp", "natriuretic peptide.b prohormone", "nt pro bnp"),), "ntprobnp_pg_ml"),
    ((("heart rate", "pulse rate"),), "hr_bpm"),
    ((("systolic blood pressure",),), "sbp_mmhg"),
    ((("diastolic blood pressure",),), "dbp_mmhg"),
    ((("body height",),), "height_cm"),
    ((("body weight",),), "weight_kg"),
)


def quantity_by_display(text: str | None) -> str | None:
    """The quantity whose alias rule matches ``text`` (case-insensitive), else ``None``."""
    if not text:
        return None
    t = f" {text.lower()} "
    for groups, key in DISPLAY_ALIASES:
        if all(any(word in t for word in group) for group in groups):
            return key
    return None
