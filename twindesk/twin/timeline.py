"""Everything that happened to the twin, in time order: measurements, genomic flags,
attached files, versions, follow-up studies, predictions and their observed outcomes."""

from __future__ import annotations

from typing import Any

EVENT_TYPES = ("observation", "genomic-flag", "data-attached", "version", "follow-up",
               "prediction", "prediction-observed")


def timeline(doc: dict[str, Any], types: set[str] | None = None) -> list[dict[str, Any]]:
    """Events ``{"time_utc", "type", "summary", ...}`` sorted by time (then type order).

    ``types`` restricts the list to those event types.
    """
    clinical = doc.get("clinical") or {}
    twin = doc.get("twin") or {}
    events: list[dict[str, Any]] = []
    for o in clinical.get("observations", []):
        events.append({"time_utc": o["time_utc"], "type": "observation",
                       "summary": f"{o['display']}: {o['value']:.4g} {o['unit']}",
                       "quantity": o["quantity"], "value": o["value"], "unit": o["unit"],
                       "source": o.get("source")})
    for f in clinical.get("genomic_flags", []):
        events.append({"time_utc": f["time_utc"], "type": "genomic-flag",
                       "summary": f"{f['gene']} {f['significance'].lower()} variant "
                                  f"({f['condition']})", "gene": f["gene"],
                       "source": f.get("source")})
    for s in clinical.get("sources", []):
        events.append({"time_utc": s["attached_utc"], "type": "data-attached",
                       "summary": f"attached {s['kind']} file {s['file_name']}: "
                                  f"{s['n_observations']} observations, "
                                  f"{s['n_genomic_flags']} genomic flags",
                       "source": s["id"]})
    for v in twin.get("versions", []):
        events.append({"time_utc": v["time_utc"], "type": "version",
                       "summary": f"{v['id']} ({v['kind']}): {v['summary']}",
                       "version": v["id"]})
    for f in twin.get("followups", []):
        events.append({"time_utc": f["study_time_utc"], "type": "follow-up",
                       "summary": f"follow-up CT {f['id']}: " + f.get("summary", ""),
                       "followup": f["id"]})
    for p in twin.get("predictions", []):
        events.append({"time_utc": p["created_utc"], "type": "prediction",
                       "summary": f"predicted {p['quantity']} {p['value']:.4g} "
                                  f"[{p['low']:.4g}, {p['high']:.4g}] {p['unit']} "
                                  f"({p['source']})", "prediction": p["id"]})
        obs = p.get("observed")
        if obs:
            events.append({"time_utc": obs["time_utc"], "type": "prediction-observed",
                           "summary": f"observed {p['quantity']} {obs['value']:.4g} "
                                      f"{p['unit']}: error {obs['error']:+.3g} "
                                      f"({'inside' if obs['inside_interval'] else 'outside'} "
                                      "the predicted interval)", "prediction": p["id"]})
    order = {t: i for i, t in enumerate(EVENT_TYPES)}
    if types:
        events = [e for e in events if e["type"] in types]
    events.sort(key=lambda e: (e["time_utc"] or "", order[e["type"]]))
    return events
