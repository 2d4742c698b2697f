"""The planning report's sections, each a small function ``section(case) -> Section``.

A section shows what the case holds and says plainly what has not been computed yet. Later
rooms replace or extend a section function in :data:`SECTIONS` when they add results (the
aortic root analysis, device mechanics, 3D flow, the twin timeline).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twindesk import INTENDED_USE, __version__
from twindesk.report.content import (Figure, Missing, Paragraph, Section, Table, fmt,
                                     fmt_interval, is_number, label_of, unit_of)
from twindesk.report.device_section import devices
from twindesk.report.measurements import Row, annotation_rows, centerline_rows, result_rows

STRUCTURES = ("aorta", "lv", "la", "laa", "bloodpool")


@dataclass
class Context:
    """What sections share besides the case: rendered figures by name (``mpr``,
    ``surface``, ``waveform:<scenario>``), ``twindesk verify`` evidence, and the sections
    built so far (the limitations section sums up what they could not show)."""

    figures: dict[str, bytes] = field(default_factory=dict)
    evidence: dict[str, Any] | None = None
    built: list[Section] = field(default_factory=list)


def _text(value: Any) -> str:
    text = " ".join(str(value).split()) if value not in (None, "") else ""
    return text


def _kv_table(pairs: list[tuple[str, Any]], caption: str = "") -> Table | None:
    rows = tuple((k, _text(v)) for k, v in pairs if _text(v))
    return Table(("Item", "Value"), rows, caption, (0.32, 0.68)) if rows else None


def _rows_table(rows: list[Row], caption: str) -> Table:
    # Each row's interval says how it was obtained in the caption: measurement intervals
    # are uncertainty ranges from the image (not statistical confidence intervals).
    return Table(("Quantity", "Value", "Interval", "Source"),
                 tuple((r.quantity, fmt(r.value, r.unit),
                        fmt_interval(r.low, r.high, r.unit) or "no interval (single value)",
                        r.source) for r in rows), caption, (0.36, 0.16, 0.22, 0.26))


def _when(value: Any) -> str:
    """An ISO time as ``2026-11-25 17:26 UTC`` (times in the case are UTC); else as given."""
    text = _text(value)
    if len(text) >= 16 and text[4] == "-" and text[10] in "T ":
        return f"{text[:10]} {text[11:16]} UTC"
    return text or "unknown"


def _dicom_date(value: Any) -> str:
    text = _text(value)
    if len(text) >= 8 and text[:8].isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:8]}"
    return text


# ----------------------------------------------------------------------- sections
def identification(case, ctx: Context) -> Section:
    doc = case.doc
    s = Section("identification", "Identification")
    pat, study = doc.get("patient") or {}, doc.get("study") or {}
    deid = bool(doc.get("deidentified"))
    pseudonym = pat.get("id") or (doc.get("deid") or {}).get("pseudonym")
    name = _text(pat.get("name")).replace("^", " ")
    named = " ".join(x for x in (name, f"(ID {pat['id']})" if pat.get("id") else "") if x)
    who = ("Pseudonym", pseudonym) if deid else ("Patient", named)
    pairs = [who, ("Birth date", _dicom_date(pat.get("birth_date"))), ("Sex", pat.get("sex")),
             ("Age", pat.get("age")),
             ("De-identified", "yes (DICOM PS3.15 basic profile)" if deid else "")]
    pairs += [("Study", study.get("description")), ("Study date", _dicom_date(study.get("date"))),
              ("Institution", study.get("institution")),
              ("Study UID", study.get("study_uid")), ("Case", doc.get("case_id")),
              ("Case revision", doc.get("revision")),
              ("Case last changed", _when(doc.get("modified_utc"))),
              ("Software", f"twindesk {__version__}")]
    table = _kv_table([p for p in pairs if p[1] not in (None, "")])
    s.add(Paragraph(f"Intended use: {INTENDED_USE}", "statement"))
    if table:
        s.add(table)
    if not (pat.get("name") or pat.get("id")):
        s.add(Missing("The case records no patient name or ID",
                      "it was imported from a volume file or without identity"))
    return s


def provenance(case, ctx: Context) -> Section:
    doc = case.doc
    s = Section("provenance", "Data provenance and quality")
    image, source = doc.get("image") or {}, doc.get("source") or {}
    if not image:
        return s.add(Missing("No image volume in this case", "import a CT series first"))
    size = image.get("size") or []
    spacing = image.get("spacing_mm") or []
    pairs = [("Source", {"dicom": "DICOM series", "volume": "research volume file"}.get(
        source.get("kind"), source.get("kind"))),
             ("Files read", source.get("n_files")), ("Files skipped", source.get("n_skipped")),
             ("Transfer syntaxes", ", ".join(source.get("transfer_syntaxes") or [])),
             ("Imported by", source.get("imported_by")),
             ("Modality", image.get("modality")), ("Scanner", " ".join(
                 _text(image.get(k)) for k in ("manufacturer", "model") if image.get(k))),
             ("Series", image.get("series_description")),
             ("Series number", image.get("series_number")),
             ("Series UID", image.get("series_uid"))]
    if len(size) == 3:
        pairs.append(("Grid", " × ".join(str(int(v)) for v in size) + " voxels"))
    if len(spacing) == 3 and all(is_number(v) for v in spacing):
        pairs.append(("Voxel spacing", " × ".join(fmt(v) for v in spacing) + " mm"))
    if is_number(image.get("slice_thickness_mm")):
        pairs.append(("Slice thickness", fmt(image["slice_thickness_mm"], "mm")))
    if image.get("gated") is not None:
        pairs.append(("ECG gating", "yes" if image.get("gated") else "no"))
    if is_number(image.get("phase_percent")):
        pairs.append(("Cardiac phase", fmt(image["phase_percent"], "% of R–R")))
    if is_number(image.get("gantry_tilt_deg")):
        pairs.append(("Gantry tilt", fmt(image["gantry_tilt_deg"], "°")))
    if image.get("resampled") is not None:
        pairs.append(("Resampled on import", "yes" if image.get("resampled") else "no"))
    table = _kv_table(pairs, "Where the images came from and how they were read.")
    if table:
        s.add(table)
    warnings = [w for w in doc.get("warnings") or [] if _text(w)]
    if warnings:
        s.add(Paragraph("Quality warnings:", "body"))
        s.add(*(Paragraph("• " + _text(w), "warning") for w in warnings))
    else:
        s.add(Paragraph("No quality warnings were raised on import.", "body"))
    entries = case.audit_entries()
    if entries:
        shown = entries[-12:]
        s.add(Table(("Time", "Action", "User", "Revision"),
                    tuple((_when(e.get("time_utc")), _text(e.get("action")) or "?",
                           _text(e.get("user")) or "unknown", str(e.get("revision", 0)))
                          for e in shown),
                    f"Audit trail: the last {len(shown)} of {len(entries)} recorded actions.",
                    (0.3, 0.3, 0.25, 0.15)))
    return s


def images(case, ctx: Context) -> Section:
    figures = ctx.figures
    s = Section("images", "MPR and 3D images")
    if "mpr" in figures:
        s.add(Figure(figures["mpr"], "Orthogonal planes (radiological convention: patient's "
                     "right on the left) through the centre of the segmented blood pool, "
                     "window 200/800 HU, with the outlines of the segmented structures."))
    else:
        s.add(Missing("No image volume to show", "import a CT series first"))
    if "surface" in figures:
        s.add(Figure(figures["surface"], "Segmented structures seen from the front "
                     "(anterior view, head up), axes in LPS mm.", 0.75))
    else:
        s.add(Missing("No 3D view: nothing has been segmented yet",
                      "segment the aorta and left heart (twindesk segment or the Segment "
                      "panel)"))
    return s


def aortic_root(case, ctx: Context) -> Section:
    s = Section("aortic_root", "Aortic root measurements and C-arm views")
    root = [r for r in result_rows(case) if "root" in r.group.lower()]
    if root:
        s.add(_rows_table(root, "Aortic root measurements. Interval: the range when each hinge point moves "
                                 "one voxel along the annulus normal and the lumen edge half a "
                                 "voxel, combined (an uncertainty range from the image, not a "
                                 "statistical confidence interval)."))
    else:
        s.add(Missing("Aortic root measurements (annulus perimeter and area diameters, "
                      "sinus, sinotubular junction, coronary heights) have not been computed",
                      "run the aortic root analysis when it is available in this version"))
    views = [r for r in result_rows(case) if "c-arm" in r.group.lower()]
    if views:
        s.add(_rows_table(views, "C-arm projection angles."))
    else:
        s.add(Missing("C-arm views (coplanar annulus projection, cusp-overlap view) have not "
                      "been computed", "they follow from the aortic root analysis"))
    other = centerline_rows(case) + annotation_rows(case)
    if other:
        s.add(_rows_table(other, "Other measurements in the case (centre lines, hand "
                                 "measurements)."))
    return s


def _haemo_table(case, scenario: str, res: dict[str, Any], predictions: dict[str, Any]):
    rows = []
    for key, value in (res.get("haemodynamics") or {}).items():
        unit = unit_of(key)
        if not (is_number(value) and unit):
            continue
        pred = predictions.get(key) if scenario == "baseline" else None
        interval = fmt_interval((pred or {}).get("low"), (pred or {}).get("high"), unit)
        rows.append((label_of(key), fmt(value, unit), interval or "no interval (single run)"))
    if not rows:
        return None
    return Table(("Quantity", "Value", "95 % interval"), tuple(rows),
                 f"0D result, scenario '{scenario}' ({_when(res.get('time_utc'))}).",
                 (0.5, 0.22, 0.28))


def flow(case, ctx: Context) -> Section:
    figures = ctx.figures
    s = Section("flow", "Flow and 0D results before and after the intervention")
    phys = case.doc.get("physiology") or {}
    results = phys.get("results") or {}
    cals = phys.get("calibrations") or []
    # intervals of the latest calibration: its predictions, or its fitted parameters (EOA)
    predictions = {**(cals[-1].get("fitted") or {}), **(cals[-1].get("predictions") or {})} \
        if cals else {}
    for scenario in sorted(results, key=lambda n: (n != "baseline", n)):
        table = _haemo_table(case, scenario, results[scenario], predictions)
        if table:
            s.add(table)
        if f"waveform:{scenario}" in figures:
            s.add(Figure(figures[f"waveform:{scenario}"],
                         f"0D waveforms over one cardiac cycle, scenario '{scenario}'.", 0.85))
    if not results:
        s.add(Missing("No 0D circulation result", "run twindesk simulate0d CASE (after "
                                                  "twindesk calibrate CASE with the vitals)"))
    if len(results) < 2:
        s.add(Missing("No post-intervention scenario has been simulated, so there is no "
                      "pre/post comparison", "define a post-procedure scenario (e.g. the "
                      "implanted valve's effective orifice area) and simulate it"))
    from twindesk.report.pulsatile import blocks as pulsatile_blocks
    from twindesk.report.steady_flow import blocks as steady_blocks

    s.add(*steady_blocks(case, ctx))
    s.add(*pulsatile_blocks(case, ctx))
    return s


def calibration(case, ctx: Context) -> Section:
    s = Section("calibration", "Calibration targets and fit")
    cals = (case.doc.get("physiology") or {}).get("calibrations") or []
    if not cals:
        return s.add(Missing("The 0D model has not been calibrated to this patient; "
                             "population defaults would be used",
                             "run twindesk calibrate CASE with blood pressure, heart rate, "
                             "cardiac output and the echo mean gradient"))
    cal = cals[-1]
    rows = []
    for name, r in (cal.get("reproduced") or {}).items():
        if is_number(r.get("target")) and is_number(r.get("model")) and r.get("unit"):
            err = ("not given" if not is_number(r.get("error_pct")) else "< 0.01 %"
                   if abs(r["error_pct"]) < 0.01 else fmt(r["error_pct"], "%"))
            rows.append((label_of(name), fmt(r["target"], r["unit"], 4),
                         fmt(r["model"], r["unit"], 4), err))
    if rows:
        s.add(Table(("Target", "Measured", "Model", "Error"), tuple(rows),
                    f"How well calibration {cal.get('id', '')} ({_when(cal.get('time_utc'))}, "
                    f"from {_text(cal.get('source')) or 'unknown source'}) reproduces its "
                    "targets.", (0.4, 0.2, 0.2, 0.2)))
    fitted = []
    for key, e in (cal.get("fitted") or {}).items():
        unit = e.get("unit") or unit_of(key)
        if not (is_number(e.get("value")) and unit):
            continue
        how = _text(e.get("source")) or "model"
        if e.get("reason"):
            how += f": {_text(e['reason'])}"
        fitted.append((label_of(key), fmt(e["value"], unit),
                       fmt_interval(e.get("low"), e.get("high"), unit) or "not fitted",
                       how))
    if fitted:
        s.add(Table(("Parameter", "Value", "95 % interval", "Origin"), tuple(fitted),
                    "Model parameters: fitted, set by a rule, measured, or population "
                    "defaults (not identifiable from the data given).",
                    (0.2, 0.17, 0.23, 0.4)))
    if len(cals) > 1:
        s.add(Paragraph(f"{len(cals)} calibrations are stored; the latest is shown.", "small"))
    return s


def _instant(value: Any):
    """An ISO 8601 time as an aware datetime (UTC when no zone is given), or ``None``."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(_text(value))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _observations_after(case, since: str) -> list[dict[str, Any]]:
    """Clinical vitals records dated after ``since`` (undated records are not compared)."""
    vitals = (case.doc.get("clinical") or {}).get("vitals") or []
    start = _instant(since)
    return [v for v in vitals if start is not None and (t := _instant(v.get("time_utc")))
            is not None and t > start]


#: Observed clinical value → the model prediction it is compared with (like for like:
#: central diastolic ≈ brachial diastolic pressure, Pauca et al., Hypertension 2001).
OBSERVED_VS_PREDICTED = {"co_l_min": "cardiac_output_l_min",
                         "mean_gradient_mmhg": "mean_gradient_mmhg",
                         "dbp_mmhg": "aortic_diastolic_mmhg"}


def timeline(case, ctx: Context) -> Section:
    s = Section("timeline", "Twin timeline and predicted versus observed")
    events = []
    for e in case.audit_entries():
        if e.get("action") in ("import", "segment", "calibrate", "simulate0d", "import-bundle",
                               "clinical", "follow-up", "recalibrate", "deploy", "flow"):
            events.append((_when(e.get("time_utc")), _text(e.get("action")),
                           str(e.get("revision", 0))))
    if events:
        s.add(Table(("Time", "Event", "Revision"), tuple(events[-15:]),
                    "Versions of the twin (actions that changed it).", (0.35, 0.45, 0.2)))
    cals = (case.doc.get("physiology") or {}).get("calibrations") or []
    rows = []
    if cals:
        cal = cals[-1]
        preds = cal.get("predictions") or {}
        for obs in _observations_after(case, _text(cal.get("time_utc"))):
            for okey, pkey in OBSERVED_VS_PREDICTED.items():
                p = preds.get(pkey) or {}
                unit = p.get("unit") or unit_of(pkey)
                if is_number(obs.get(okey)) and is_number(p.get("value")) and unit:
                    inside = ("yes" if is_number(p.get("low")) and is_number(p.get("high")) and
                              p["low"] <= obs[okey] <= p["high"] else "no")
                    rows.append((_when(obs.get("time_utc")), label_of(pkey),
                                 fmt(obs[okey], unit), fmt(p["value"], unit),
                                 fmt_interval(p.get("low"), p.get("high"), unit) or "no interval",
                                 inside))
    if rows:
        s.add(Table(("Observed", "Quantity", "Observed", "Predicted", "95 % interval",
                     "Inside"), tuple(rows), "Follow-up observations against the latest "
                    "calibrated prediction.", (0.22, 0.18, 0.13, 0.13, 0.22, 0.12)))
    else:
        s.add(Missing("No predicted-versus-observed comparison: no clinical observation was "
                      "recorded after the latest calibration" if cals else
                      "No predicted-versus-observed comparison: the twin has not been "
                      "calibrated", "attach follow-up vitals or echo results to the case"))
    return s


def verification(case, ctx: Context) -> Section:
    evidence = ctx.evidence
    s = Section("verification", "Verification evidence")
    checks = (evidence or {}).get("checks") or []
    rows = []
    for c in checks:
        unit = c.get("unit") or ""
        if is_number(c.get("value")) and is_number(c.get("tolerance")):
            name = _text(c.get("name")) or "check"
            if c.get("size"):
                name = f"{name} ({c['size']} size)"
            rows.append((name, fmt(c["value"], unit or None),
                         fmt(c["tolerance"], unit or None),
                         "passed" if c.get("passed") else "FAILED"))
    if rows:
        metrics = "; ".join(f"{_text(c.get('name'))}: {_text(c.get('metric'))}"
                            for c in checks if c.get("metric"))
        s.add(Table(("Check", "Result", "Tolerance", "Outcome"), tuple(rows),
                    f"twindesk verify, {_when(evidence.get('time_utc'))}, twindesk "
                    f"{_text(evidence.get('twindesk_version'))}. Result and tolerance are in "
                    f"the units of each check's error measure{': ' + metrics if metrics else ''}.",
                    (0.46, 0.18, 0.18, 0.18)))
        s.add(*(Paragraph(_text(c["finding"]), "body") for c in checks if c.get("finding")))
    else:
        s.add(Missing("twindesk verify has not been run on this workstation, so no solver "
                      "verification results can be shown", "run twindesk verify"))
    s.add(_kv_table(library_versions(), "Software that produced this report."))
    return s


def library_versions() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    out = [("twindesk", __version__)]
    for name in ("numpy", "scipy", "SimpleITK", "vtk", "pyvista", "pydicom", "highdicom",
                 "matplotlib", "reportlab"):
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:
            out.append((name, "not installed"))
    return out


def limitations(case, ctx: Context) -> Section:
    sections = ctx.built
    s = Section("limitations", "Limitations")
    s.add(Paragraph(f"{INTENDED_USE} The results are model estimates for planning "
                    "discussion by the heart team; they do not replace clinical judgement, "
                    "the device makers' instructions for use, or measurement by the "
                    "implanting physician.", "statement"))
    items = []
    cals = (case.doc.get("physiology") or {}).get("calibrations") or []
    if cals:
        defaults = [label_of(k) for k, e in (cals[-1].get("fitted") or {}).items()
                    if e.get("source") == "population default"]
        if defaults:
            items.append("Not identifiable from this patient's data, so set to population "
                         "defaults: " + ", ".join(defaults) + ".")
    image = case.doc.get("image") or {}
    if image.get("gated") is False:
        items.append("The CT is not ECG-gated: cardiac motion blurs the aortic root and "
                     "chambers.")
    if (case.doc.get("source") or {}).get("kind") == "volume":
        items.append("Imported from a research volume file: orientation and acquisition "
                     "details could not be checked.")
    not_done = [b.what for sec in sections for b in sec.blocks if isinstance(b, Missing)]
    if not_done:
        items.append(f"{len(not_done)} result(s) named in the sections above have not been "
                     "computed for this case.")
    items.append("Segmentation outlines are semi-automatic and must be reviewed on the "
                 "images before any measurement is used.")
    s.add(*(Paragraph("• " + t, "body") for t in items))
    return s


#: Section order: each is ``fn(case, ctx) -> Section``. A later room replaces an entry (or
#: inserts one) when it adds results; ``limitations`` stays last.
SECTIONS: list[Callable[[Any, Context], Section]] = [
    identification, provenance, images, aortic_root, devices, flow, calibration, timeline,
    verification, limitations]
