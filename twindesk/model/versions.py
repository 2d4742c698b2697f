"""Versions of the twin: every state (baseline imaging, calibration, each simulation, each
follow-up, each attached data file, each revert) with its parent, time and what changed.

A version snapshots the case document's *state* (every top-level block except the ones
listed in :data:`NOT_STATE`, and the artefact index) as a content-addressed JSON artefact
``twin:state:<version id>``; artefact files are immutable and content-addressed, so the
snapshot pins exactly which volume, masks, meshes and results the state used. The list of
versions lives in ``case.doc["twin"]["versions"]``; ``case.doc["twin"]["head"]`` is the
current one. Reverting records a *new* version whose state equals an old one: nothing is
deleted, history only grows.

Every room may call :func:`record_version` (it lives in ``model`` so that ``sim``, ``imaging``
and ``geometry`` can) after they change a case (``calibrate``,
``simulate0d``, ``segment``, ``import`` …).
"""

from __future__ import annotations

import json
from typing import Any

from twindesk.errors import InputError

#: Top-level blocks that are bookkeeping, not twin state.
NOT_STATE = ("twin", "revision", "modified_utc", "schema_version", "history")
STATE_PREFIX = "twin:state:"
KINDS = ("baseline", "import", "segmentation", "measurement", "calibration", "simulation",
         "clinical-data", "follow-up", "prediction", "revert", "edit")


def twin_block(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc["twin"]``, created empty if absent."""
    block = doc.setdefault("twin", {})
    block.setdefault("versions", [])
    block.setdefault("head", None)
    return block


def state_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The twin state of a case document (what a version snapshots)."""
    state = {k: v for k, v in doc.items() if k not in NOT_STATE}
    state["artifacts"] = {k: v for k, v in doc.get("artifacts", {}).items()
                          if not k.startswith(STATE_PREFIX)}
    return json.loads(json.dumps(state, allow_nan=False))


def _now() -> str:
    from twindesk.io.artifacts import now_utc

    return now_utc()


def record_version(case, kind: str, summary: str, params: dict[str, Any] | None = None, *,
                   save: bool = False) -> dict[str, Any]:
    """Record the current state of ``case`` as a new version and return its record.

    Call it after changing ``case.doc`` and before ``case.save(...)`` (one commit holds the
    change and its version), or after your own save with ``save=True``.

    Parameters
    ----------
    kind
        What kind of step made this state (one of :data:`KINDS`; other words are allowed).
    summary
        One line for people ("calibrated to vitals of 2024-03-01").
    params
        The step's parameters (JSON-able), kept with the version.
    """
    block = twin_block(case.doc)
    versions = block["versions"]
    vid = f"v{len(versions) + 1}"
    state = state_of(case.doc)
    rec = case.put_json(STATE_PREFIX + vid, state, "twin-state", {"version": vid})
    parent = block["head"]
    changed = _changed_keys(case, parent, state) if parent else sorted(state)
    version = {"id": vid, "parent": parent, "time_utc": _now(), "kind": kind,
               "summary": summary, "params": json.loads(json.dumps(params or {}, default=str)),
               "snapshot": STATE_PREFIX + vid, "sha256": rec["sha256"], "changed": changed}
    versions.append(version)
    block["head"] = vid
    if save:
        case.save("twin-version", {"version": vid, "kind": kind})
    return version


def _changed_keys(case, parent: str, state: dict[str, Any]) -> list[str]:
    old = read_state(case, parent)
    keys = sorted(set(old) | set(state))
    changed = [k for k in keys if k != "artifacts" and old.get(k) != state.get(k)]
    oa, na = old.get("artifacts", {}), state.get("artifacts", {})
    changed += [f"artifacts/{k}" for k in sorted(set(oa) | set(na))
                if (oa.get(k) or {}).get("sha256") != (na.get(k) or {}).get("sha256")]
    return changed


def ensure_baseline(case, summary: str = "state before the first recorded change") -> None:
    """Record the current state as the first version when the twin has none yet (call it
    before changing a case that predates versioning)."""
    if not twin_block(case.doc)["versions"]:
        record_version(case, "baseline", summary)


def twin_records(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The twin's records of one kind (``case.doc["twin"][kind]``: ``versions``,
    ``followups``, ...), oldest first."""
    return list((doc.get("twin") or {}).get(kind) or [])


def twin_record(doc: dict[str, Any], kind: str, rid: str, hint: str) -> dict[str, Any]:
    """The record ``rid`` of ``twin[kind]``; :class:`InputError` listing the known ids."""
    records = twin_records(doc, kind)
    for r in records:
        if r["id"] == rid:
            return r
    noun = {"versions": "version", "followups": "follow-up"}.get(kind, kind)
    known = ", ".join(r["id"] for r in records) or "none yet"
    raise InputError(f"no {noun} '{rid}' in this twin ({noun}s: {known})", hint)


def versions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return twin_records(doc, "versions")


def get_version(doc: dict[str, Any], vid: str) -> dict[str, Any]:
    return twin_record(doc, "versions", vid, "list them with 'twindesk twin log CASE'")


def read_state(case, vid: str) -> dict[str, Any]:
    """The snapshot of version ``vid``."""
    return case.read_json(get_version(case.doc, vid)["snapshot"])


def diff_states(a: Any, b: Any, path: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """JSON-path differences between two states: ``added`` / ``removed`` / ``changed``.

    Objects are compared key by key; lists and scalars as wholes (a list that differs is one
    change, reported with both lengths). Values longer than 500 characters of JSON are
    summarised rather than copied.
    """
    out: list[dict[str, Any]] = []

    def show(v: Any) -> Any:
        text = json.dumps(v, sort_keys=True)
        if len(text) <= 500:
            return v
        return f"<{type(v).__name__} of {len(v)} items>" if isinstance(v, (list, dict)) \
            else text[:200] + "…"

    def walk(x: Any, y: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                q = f"{p}/{k}" if p else str(k)
                if k not in x:
                    out.append({"path": q, "change": "added", "b": show(y[k])})
                elif k not in y:
                    out.append({"path": q, "change": "removed", "a": show(x[k])})
                else:
                    walk(x[k], y[k], q)
        elif x != y:
            entry = {"path": p, "change": "changed", "a": show(x), "b": show(y)}
            if isinstance(x, list) and isinstance(y, list):
                entry["a_length"], entry["b_length"] = len(x), len(y)
            out.append(entry)

    walk(a, b, path)
    return out


def diff_versions(case, a: str, b: str, limit: int = 200) -> dict[str, Any]:
    """What changed from version ``a`` to version ``b``."""
    sa, sb = read_state(case, a), read_state(case, b)
    arts_a, arts_b = sa.pop("artifacts", {}), sb.pop("artifacts", {})
    changes = diff_states(sa, sb, limit=limit)
    artefacts = []
    for name in sorted(set(arts_a) | set(arts_b)):
        ra, rb = arts_a.get(name), arts_b.get(name)
        if ra is None:
            artefacts.append({"name": name, "change": "added", "b_sha256": rb["sha256"]})
        elif rb is None:
            artefacts.append({"name": name, "change": "removed", "a_sha256": ra["sha256"]})
        elif ra["sha256"] != rb["sha256"]:
            artefacts.append({"name": name, "change": "changed", "a_sha256": ra["sha256"],
                              "b_sha256": rb["sha256"]})
    return {"a": a, "b": b, "identical": not changes and not artefacts,
            "changes": changes, "artifacts": artefacts, "truncated": len(changes) >= limit}


def revert(case, vid: str) -> dict[str, Any]:
    """Make the twin's state that of version ``vid`` again, as a new version (saved).

    The artefact index becomes ``vid``'s (plus every version snapshot); artefact files are
    never deleted, so everything stays reachable from the versions that used it.
    """
    target = get_version(case.doc, vid)
    state = read_state(case, vid)
    head = twin_block(case.doc)["head"]
    keep = {k: case.doc[k] for k in NOT_STATE if k in case.doc}
    snapshots = {k: v for k, v in case.doc["artifacts"].items() if k.startswith(STATE_PREFIX)}
    case.doc.clear()
    case.doc.update(state)
    case.doc.update(keep)
    case.doc["artifacts"] = {**state.get("artifacts", {}), **snapshots}
    case._cache.clear()  # noqa: SLF001 - cached artefacts may point at other files now
    version = record_version(case, "revert", f"restored the state of {vid} "
                                              f"({target['kind']}: {target['summary']})",
                             {"restored": vid, "previous_head": head})
    case.save("twin-revert", {"restored": vid, "version": version["id"]})
    return version
