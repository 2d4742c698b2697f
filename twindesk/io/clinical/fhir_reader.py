"""Clinical data from FHIR R4 JSON: a Bundle of Observations (or one Observation).

Parsed with ``fhir.resources`` **R4B** models (``fhir.resources.R4B``). Why R4B: hospitals
send FHIR R4 (4.0.1); ``fhir.resources`` 7 and later model R5 by default, whose
Observation differs (e.g. ``component.value[x]`` and reference types), so R4 content fails
or is misread by the default models. R4B (4.3.0) kept the R4 Observation, Bundle, Quantity
and CodeableConcept structures unchanged, so R4 JSON validates as R4B. ``pyproject.toml``
pins ``fhir.resources>=8,<9`` because the R4B sub-package layout and the pydantic-2 API
(``model_validate``) used here are those of the 8.x series.

What is read
------------
* Vital signs, echo and labs by LOINC code (table in :mod:`twindesk.io.clinical.loinc`),
  from ``valueQuantity`` and from every ``component`` (the blood pressure panel 85354-9
  carries systolic 8480-6 and diastolic 8462-4 as components; separate systolic /
  diastolic Observations are read the same way). Codes not in the table are matched by
  display text where an alias exists (``matched_by: "display"``), otherwise listed as
  unknown.
* Units from ``valueQuantity.code`` when ``system`` is UCUM, else from ``unit``; a unit not
  accepted for the quantity is refused naming the file, the Observation and the element.
* Time from ``effectiveDateTime`` / ``effectiveInstant`` / ``effectivePeriod.start``, else
  ``issued``.
* Genetics: variant Observations (69548-6) with components gene studied (48018-6),
  clinical significance (53037-8), discrete variant (81252-9) or c.HGVS (48004-6); a
  clinical-significance Observation (code or component 53037-8) that points to the
  variant with ``derivedFrom`` is applied to it. Pathogenic / likely pathogenic variants
  in heritable thoracic aortic disease genes become genomic flags.
* Observations with status ``entered-in-error`` or ``cancelled`` are ignored (listed).
"""

from __future__ import annotations

import json
from typing import Any

from twindesk.errors import InputError
from twindesk.io.clinical import loinc as L
from twindesk.io.clinical.genes import HTAD_GENES, significance_label
from twindesk.io.clinical.records import ClinicalBatch, GenomicFlag, Observation, parse_time_utc
from twindesk.io.clinical.units import QUANTITIES, convert

_SKIP_STATUS = {"entered-in-error", "cancelled"}


def looks_like_fhir(text: str) -> bool:
    s = text.lstrip("\ufeff").lstrip()
    if not s.startswith("{"):
        return False
    try:
        obj = json.loads(s)
    except json.JSONDecodeError:
        return False
    return isinstance(obj, dict) and "resourceType" in obj


def _validate(obj: dict[str, Any], name: str):
    from pydantic import ValidationError

    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation as FhirObservation

    model = {"Bundle": Bundle, "Observation": FhirObservation}.get(obj.get("resourceType"))
    if model is None:
        raise InputError(f"{name}: a FHIR {obj.get('resourceType')} resource; twindesk reads "
                         "a Bundle of Observations or one Observation",
                         "export the measurements as a Bundle of Observations (FHIR R4)")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{name}: not valid FHIR R4 at '{loc}': {err['msg']}",
                         "fix the element, or ask the sending system for FHIR R4 JSON"
                         ) from None


def parse_fhir(text: str, name: str) -> ClinicalBatch:
    """Parse FHIR R4 JSON text (see the module doc) into a :class:`ClinicalBatch`."""
    try:
        obj = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})",
                         "export the FHIR bundle again") from None
    resource = _validate(obj, name)
    batch = ClinicalBatch("fhir", meta={"resource_type": obj.get("resourceType"),
                                        "fhir_models": "R4B"})
    if obj.get("resourceType") == "Bundle":
        entries = [(e.fullUrl, e.resource) for e in (resource.entry or [])]
    else:
        entries = [(None, resource)]
    observations = [(url, r) for url, r in entries
                    if r is not None and r.get_resource_type() == "Observation"]
    batch.meta["n_observations_in_file"] = len(observations)
    variants: dict[str, dict[str, Any]] = {}
    significance_links: list[tuple[list[str], str | None]] = []
    for url, obs in observations:
        ref = f"Observation/{obs.id}" if obs.id else (url or "Observation")
        if obs.status in _SKIP_STATUS:
            batch.ignored.append({"observation": ref, "reason": f"status {obs.status}"})
            continue
        when = _time(obs, name, ref, batch)
        codes = _loinc_codes(obs.code)
        if L.VARIANT_ASSESSMENT in codes:
            variants[ref] = _variant(obs, when)
            for key in filter(None, (url, ref)):
                variants[key] = variants[ref]
            continue
        sig = _significance_of(obs)
        if sig is not None or L.CLINICAL_SIGNIFICANCE in codes:
            targets = [r.reference for r in (obs.derivedFrom or []) if r.reference]
            significance_links.append((targets, sig))
            continue
        _quantities(obs, ref, when, name, batch)
    for targets, sig in significance_links:
        for t in targets:
            if t in variants and variants[t]["significance"] is None:
                variants[t]["significance"] = sig
    seen = set()
    for v in variants.values():
        if id(v) not in seen:
            seen.add(id(v))
            _flag(v, batch)
    return batch


def _time(obs, name: str, ref: str, batch: ClinicalBatch) -> str:
    value = obs.effectiveDateTime or obs.effectiveInstant or (
        obs.effectivePeriod.start if obs.effectivePeriod else None) or obs.issued
    if value is None:
        raise InputError(f"{name}, {ref}: no effective time or issued time",
                         "the Observation needs effectiveDateTime (when it was measured)")
    return parse_time_utc(str(value), f"{name}, {ref}, effective", batch.warnings)


def _loinc_codes(cc) -> list[str]:
    if cc is None:
        return []
    return [c.code for c in (cc.coding or []) if c.system == L.LOINC_SYSTEM and c.code]


def _cc_text(cc) -> str:
    if cc is None:
        return ""
    parts = [cc.text or ""] + [c.display or "" for c in (cc.coding or [])]
    return " ".join(p for p in parts if p)


def _match(cc) -> tuple[str | None, str | None, str]:
    """(quantity key, LOINC code, matched_by) for a CodeableConcept."""
    codes = _loinc_codes(cc)
    for code in codes:
        term = L.LOINC.get(code)
        if term and term.quantity:
            return term.quantity, code, "code"
    key = L.quantity_by_display(_cc_text(cc))
    return key, (codes[0] if codes else None), "display"


def _quantities(obs, ref: str, when: str, name: str, batch: ClinicalBatch) -> None:
    elements = []
    if obs.valueQuantity is not None or not obs.component:
        elements.append((obs.code, obs.valueQuantity, "valueQuantity", ref))
    for i, comp in enumerate(obs.component or []):
        elements.append((comp.code, comp.valueQuantity, f"component[{i}].valueQuantity",
                         f"{ref} component[{i}]"))
    panel = L.BP_PANEL in _loinc_codes(obs.code)
    for cc, vq, element, origin in elements:
        if panel and cc is obs.code:
            continue  # the panel itself holds no value
        key, code, matched_by = _match(cc)
        if key is None:
            batch.unknown.append({"observation": origin, "codes": [
                f"{c.system or '?'}|{c.code}" for c in ((cc.coding if cc else None) or [])],
                "display": _cc_text(cc) or None})
            continue
        if vq is None or vq.value is None:
            batch.ignored.append({"observation": origin, "quantity": key,
                                  "reason": "no valueQuantity (e.g. a data-absent reason)"})
            continue
        unit = vq.code if (vq.system == L.UCUM_SYSTEM and vq.code) else (vq.unit or vq.code or "")
        q = QUANTITIES[key]
        where = f"{name}, {ref}, {element}.unit"
        if not unit:
            raise InputError(f"{where}: no unit for {q.label}",
                             f"send the UCUM unit, one of: {', '.join(q.units)}")
        raw = float(vq.value)
        value = convert(q, raw, unit, where)
        display = _cc_text(cc) or q.label
        batch.observations.append(Observation(when, key, value, q.unit, code, display, origin,
                                              raw, unit, matched_by))


def _component_text(obs, code: str) -> str | None:
    for comp in obs.component or []:
        if code in _loinc_codes(comp.code):
            if comp.valueCodeableConcept is not None:
                return _cc_text(comp.valueCodeableConcept) or None
            if comp.valueString:
                return comp.valueString
    return None


def _significance_of(obs) -> str | None:
    """P/LP label from a 53037-8 component or value (LOINC answer code or display text)."""
    ccs = [c.valueCodeableConcept for c in (obs.component or [])
           if L.CLINICAL_SIGNIFICANCE in _loinc_codes(c.code)]
    if L.CLINICAL_SIGNIFICANCE in _loinc_codes(obs.code):
        ccs.append(obs.valueCodeableConcept)
    for cc in filter(None, ccs):
        for c in cc.coding or []:
            if c.code in L.PATHOGENIC_ANSWERS:
                return L.PATHOGENIC_ANSWERS[c.code]
        label = significance_label(_cc_text(cc))
        if label:
            return label
        return "not pathogenic: " + (_cc_text(cc) or "unclassified")
    return None


def _variant(obs, when: str) -> dict[str, Any]:
    gene_text = _component_text(obs, L.GENE_STUDIED) or ""
    gene = next((w for w in gene_text.replace(",", " ").split() if w.upper() in HTAD_GENES),
                gene_text.split()[0] if gene_text.split() else None)
    variant = (_component_text(obs, L.DISCRETE_VARIANT) or _component_text(obs, L.DNA_CHANGE)
               or _component_text(obs, L.AMINO_ACID_CHANGE) or "variant not named")
    return {"ref": f"Observation/{obs.id}" if obs.id else "Observation", "gene": gene,
            "variant": variant, "significance": _significance_of(obs), "time": when}


def _flag(v: dict[str, Any], batch: ClinicalBatch) -> None:
    gene = (v["gene"] or "").upper() or None
    sig = v["significance"]
    reason = None
    if gene is None:
        reason = "no gene studied (48018-6) component with a gene symbol"
    elif sig is None:
        reason = "no clinical significance (53037-8) given"
    elif sig.startswith("not pathogenic"):
        reason = f"classified {sig.split(': ', 1)[1]}"
    elif gene not in HTAD_GENES:
        reason = "not a heritable thoracic aortic disease gene"
    if reason:
        batch.ignored.append({"observation": v["ref"], "gene": gene, "variant": v["variant"],
                              "reason": reason})
        return
    batch.genomic_flags.append(GenomicFlag(gene, sig, v["variant"], HTAD_GENES[gene], None,
                                           v["ref"], v["time"]))
