"""Guideline thresholds for aortic root / ascending aorta surgery, as data.

The numbers live in ``resources/guidelines/aortic_thresholds.toml`` with full citations and
how each was checked; :func:`aortic_thresholds` picks the rule that applies to a twin's
genomic flags (a pathogenic or likely pathogenic variant in a heritable thoracic aortic
disease gene lowers the threshold) and says why, for the measurement flags and the report.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from twindesk.errors import ResourceError

VALVES = ("tricuspid", "bicuspid")
_VERIFIED = {"guideline table", "guideline summary", "secondary", "not confirmed"}


def table_path() -> Path:
    from twindesk.paths import resources_dir

    return resources_dir() / "guidelines" / "aortic_thresholds.toml"


def read_table(path: Path, what: str) -> dict[str, Any]:
    """A shipped TOML table; :class:`ResourceError` naming the file when it cannot be read."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ResourceError(f"{path}: cannot read the {what} ({exc})",
                            "reinstall twindesk or restore the file") from None


@lru_cache(maxsize=4)
def load_table(path: Path | None = None) -> dict[str, Any]:
    """The thresholds table, checked (every rule has a citation that exists and a
    ``verified`` status; numbers are positive)."""
    path = Path(path or table_path())
    table = read_table(path, "guideline table")
    cites = table.get("citations", {})
    rules = [(f"baseline.{k}", v) for k, v in table.get("baseline", {}).items()] + \
            [(f"genes.{k}", v) for k, v in table.get("genes", {}).items()] + \
            [(f"growth.{k}", v) for k, v in table.get("growth", {}).items()]
    for name, rule in rules:
        if rule.get("verified") not in _VERIFIED:
            raise ResourceError(f"{path}: [{name}] needs verified = one of {sorted(_VERIFIED)}",
                                "say how the number was checked")
        if rule.get("verified") != "not confirmed" and rule.get("citation") not in cites:
            raise ResourceError(f"{path}: [{name}] cites '{rule.get('citation')}', which is not "
                                "in [citations]", "add the citation or fix its id")
        for key in ("threshold_mm", "high_risk_threshold_mm", "reduced_threshold_mm",
                    "mm_in_one_year"):
            if key in rule and not (isinstance(rule[key], (int, float)) and rule[key] > 0):
                raise ResourceError(f"{path}: [{name}] {key} must be a positive number",
                                    "fix the value (millimetres)")
    for key in ("tricuspid", "bicuspid", "nshtad"):
        if key not in table.get("baseline", {}):
            raise ResourceError(f"{path}: missing [baseline.{key}]", "restore the file")
    return table


def _flag_gene(flag: Any) -> tuple[str, str] | None:
    """(gene, significance) of a flag given as dict, object or gene symbol; ``None`` unless
    pathogenic or likely pathogenic."""
    if isinstance(flag, str):
        return flag.strip().upper(), "Pathogenic"
    get = flag.get if isinstance(flag, dict) else lambda k, d=None: getattr(flag, k, d)
    gene, sig = (get("gene") or "").strip().upper(), get("significance") or "Pathogenic"
    if not gene or sig not in ("Pathogenic", "Likely pathogenic"):
        return None
    return gene, sig


def _cite(table: dict[str, Any], rule: dict[str, Any]) -> str:
    cid = rule.get("citation")
    return table["citations"][cid]["text"] if cid in table["citations"] else ""


def aortic_thresholds(genomic_flags: list[Any] | None = None, *, valve: str = "tricuspid",
                      high_risk_features: bool = False) -> dict[str, Any]:
    """The aortic root / ascending aorta diameter threshold for prophylactic surgery.

    Parameters
    ----------
    genomic_flags
        The twin's genomic flags (``case.doc["clinical"]["genomic_flags"]`` records, objects
        with ``gene`` and ``significance``, or gene symbols). Only pathogenic / likely
        pathogenic variants count.
    valve
        ``"tricuspid"`` or ``"bicuspid"`` (the sporadic baseline).
    high_risk_features
        The clinician has recorded high-risk features (family history of dissection, rapid
        growth …); gene rules with a lower high-risk threshold then apply it.

    Returns
    -------
    dict
        ``threshold_mm`` (the lowest applicable threshold), ``basis`` (which rule), ``cor``
        (class of recommendation), ``citation`` (full reference), ``verified`` (how the
        number was checked), ``reasons`` (one sentence per rule considered, saying why it
        applies), ``growth_threshold_mm_per_year``, ``candidates`` (every rule considered),
        ``notes``.
    """
    if valve not in VALVES:
        raise ValueError(f"valve must be one of {VALVES}, not {valve!r}")
    table = load_table()
    base = table["baseline"][valve]
    candidates = [{"threshold_mm": float(base["threshold_mm"]), "basis": base["label"],
                   "cor": base.get("cor"), "citation": _cite(table, base),
                   "verified": base["verified"], "gene": None,
                   "reason": f"{base['label']}: surgery at >= {base['threshold_mm']} mm "
                             f"(COR {base.get('cor')}); >= {base['reduced_threshold_mm']} mm is "
                             f"reasonable with {base['reduced_condition']}"}]
    notes: list[str] = []
    heritable = False
    seen = set()
    for flag in genomic_flags or []:
        parsed = _flag_gene(flag)
        if parsed is None or parsed[0] in seen:
            continue
        gene, sig = parsed
        seen.add(gene)
        rule = table["genes"].get(gene)
        if rule is None:
            continue  # not an aortic gene: no threshold change
        heritable = True
        used, fallback = rule, rule.get("threshold_mm") is None
        if fallback:
            used = table["baseline"]["nshtad"]
            notes.append(f"{gene}: {rule.get('note', 'no gene-specific threshold confirmed')}")
        mm, cor, why = float(used["threshold_mm"]), used.get("cor"), ""
        if high_risk_features and "high_risk_threshold_mm" in used:
            mm, cor = float(used["high_risk_threshold_mm"]), used.get("high_risk_cor", cor)
            why = f" because high-risk features are recorded ({used['high_risk_features']})"
        elif "high_risk_threshold_mm" in used:
            why = (f"; >= {used['high_risk_threshold_mm']} mm with high-risk features "
                   f"({used['high_risk_features']})")
        label = f"{gene} {sig.lower()} variant ({rule['condition']})"
        candidates.append({"threshold_mm": mm, "basis": label, "cor": cor, "gene": gene,
                           "citation": _cite(table, used), "verified":
                               "not confirmed" if fallback else used["verified"],
                           "reason": f"{label}: surgery at >= {mm:g} mm"
                                     f"{' (COR ' + cor + ')' if cor else ''}"
                                     f"{' by the nonsyndromic HTAD rule' if fallback else ''}{why}"})
    chosen = min(candidates, key=lambda c: c["threshold_mm"])
    growth = table["growth"]["heritable" if heritable or valve == "bicuspid" else "sporadic"]
    reasons = [chosen["reason"]]
    if chosen is not candidates[0]:
        reasons.append(f"lower than the {candidates[0]['basis']} threshold of "
                       f"{candidates[0]['threshold_mm']:g} mm")
    reasons += [c["reason"] for c in candidates[1:] if c is not chosen]
    return {"threshold_mm": chosen["threshold_mm"], "basis": chosen["basis"],
            "cor": chosen["cor"], "citation": chosen["citation"], "verified": chosen["verified"],
            "reasons": reasons, "growth_threshold_mm_per_year": float(growth["mm_in_one_year"]),
            "growth_basis": growth["label"], "candidates": candidates, "notes": notes,
            "valve": valve, "high_risk_features": high_risk_features}
