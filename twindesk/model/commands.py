"""Undoable edits of a case: commands that record the case-document values they change.

A command is plain JSON stored in ``case.doc["history"]``::

    {"label": "paint aorta r=5 mm", "time_utc": "2025-01-01T12:00:00Z",
     "changes": [["/artifacts/labels:aorta", {...record before...}, {...record after...}]]}

Paths are JSON Pointers (RFC 6901) into ``case.doc`` that walk through objects only; a value
that did not exist is written as :data:`ABSENT` (``{"$absent": true}``). Because artefacts are
immutable content-addressed files, swapping an artefact record is all an undo of a mask edit
needs: the old file is still in ``artifacts/`` (garbage collection must keep every artefact
named in the history).

The history is ``{"undo": [command, ...], "redo": [command, ...]}``; both stacks live in the
document, so undo/redo survive closing and reopening the case. Undo and redo refuse (with a
:class:`~twindesk.errors.CaseError`) when a path no longer holds the value the command left
there, because something outside the history changed it: restoring would lose that change.

Usage::

    with recording(case, "erase aorta r=4 mm", ["/artifacts/labels:aorta"]):
        case.put_artifact("labels:aorta", writer, ".mha", "labels")
    case.save("edit", {...})
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from twindesk.errors import CaseError, InputError
from twindesk.io.artifacts import now_utc

ABSENT: dict[str, bool] = {"$absent": True}
#: Commands kept on the undo stack (older ones are dropped; their artefact files stay).
MAX_UNDO = 100


def pointer(*keys: str) -> str:
    """Build a JSON Pointer from object keys (escaping ``~`` and ``/``)."""
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


def _keys(path: str) -> list[str]:
    if not path.startswith("/"):
        raise InputError(f"command path '{path}' is not a JSON Pointer",
                         "write paths like /artifacts/labels:aorta")
    return [k.replace("~1", "/").replace("~0", "~") for k in path[1:].split("/")]


def get_value(doc: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (a deep copy), or :data:`ABSENT`."""
    node: Any = doc
    for key in _keys(path):
        if not isinstance(node, dict) or key not in node:
            return dict(ABSENT)
        node = node[key]
    return copy.deepcopy(node)


def set_value(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with :data:`ABSENT`, delete) the value at ``path``, creating parent objects."""
    keys = _keys(path)
    node = doc
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            if value == ABSENT:
                return
            child = node[key] = {}
        node = child
    if value == ABSENT:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = copy.deepcopy(value)


def history(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The document's history block (created empty when missing)."""
    hist = doc.setdefault("history", {})
    hist.setdefault("undo", [])
    hist.setdefault("redo", [])
    return hist


def push(doc: dict[str, Any], label: str, changes: list[list[Any]]) -> dict[str, Any] | None:
    """Put an already applied command on the undo stack and clear the redo stack.

    ``changes`` is a list of ``[path, before, after]``; entries whose before equals after are
    dropped and nothing is pushed when none is left. Returns the command (or None).
    """
    changes = [list(c) for c in changes if c[1] != c[2]]
    if not changes:
        return None
    cmd = {"label": str(label), "time_utc": now_utc(), "changes": changes}
    hist = history(doc)
    hist["undo"].append(cmd)
    del hist["undo"][:-MAX_UNDO]
    hist["redo"].clear()
    return cmd


@contextmanager
def recording(case, label: str, paths: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Record the values at ``paths`` around a block of edits and push them as one command.

    The yielded dict receives the pushed command under ``"command"`` (None if nothing
    changed). If the block raises, the recorded paths are restored and nothing is pushed.
    """
    paths = list(paths)
    before = {p: get_value(case.doc, p) for p in paths}
    out: dict[str, Any] = {"command": None}
    try:
        yield out
    except BaseException:
        for p, value in before.items():
            set_value(case.doc, p, value)
        raise
    out["command"] = push(case.doc, label,
                          [[p, before[p], get_value(case.doc, p)] for p in paths])


def apply(case, label: str, updates: dict[str, Any]) -> dict[str, Any] | None:
    """Set several paths at once as one undoable command (landmarks, device poses ...)."""
    with recording(case, label, updates) as rec:
        for path, value in updates.items():
            set_value(case.doc, path, value)
    return rec["command"]


def _check_holds(doc: dict[str, Any], cmd: dict[str, Any], index: int, verb: str) -> None:
    for change in cmd["changes"]:
        path, expected = change[0], change[index]
        if get_value(doc, path) != expected:
            raise CaseError(
                f"cannot {verb} '{cmd['label']}': {path} was changed outside the edit history",
                "redo the edit by hand, or re-run the step that produced it")


def _move(case, src: str, dst: str, index: int, verb: str) -> dict[str, Any] | None:
    hist = history(case.doc)
    if not hist[src]:
        return None
    cmd = hist[src][-1]
    _check_holds(case.doc, cmd, 2 if verb == "undo" else 1, verb)
    for change in cmd["changes"]:
        set_value(case.doc, change[0], change[index])
    hist[dst].append(hist[src].pop())
    return cmd


def undo(case) -> dict[str, Any] | None:
    """Revert the last command in memory (call ``case.save`` after). None when nothing to undo."""
    return _move(case, "undo", "redo", 1, "undo")


def redo(case) -> dict[str, Any] | None:
    """Re-apply the last undone command in memory. None when nothing to redo."""
    return _move(case, "redo", "undo", 2, "redo")


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """Counts and the labels at the top of both stacks (for CLI/GUI)."""
    hist = doc.get("history") or {}
    undo_stack, redo_stack = hist.get("undo", []), hist.get("redo", [])
    return {"undo_count": len(undo_stack), "redo_count": len(redo_stack),
            "next_undo": undo_stack[-1]["label"] if undo_stack else None,
            "next_redo": redo_stack[-1]["label"] if redo_stack else None}
