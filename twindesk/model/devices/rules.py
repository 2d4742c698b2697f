"""Validation rules shared by device and material files: problems, units, sources, bounds.

A problem names the file, the key path (``sizes[2].annulus_area_max_mm2``) and what is wrong.
``error`` problems reject the file (the rest of the library still loads); ``warning`` and
``notice`` problems are reported but the file loads.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from twindesk.errors import ResourceError
from twindesk.model.devices.schema import SOURCE_KINDS, VERIFICATIONS, Source

#: Unit suffixes a numeric key may end with.
UNIT_SUFFIXES: tuple[str, ...] = ("_mm", "_mm2", "_cm2", "_pct", "_deg", "_n", "_mpa", "_mmhg")
#: Numeric keys that are dimensionless or counts (allowed without a unit suffix).
UNITLESS_KEYS = frozenset({"schema_version", "rows_of_cells", "cells_per_row", "poisson_ratio",
                           "transformation_strain"})
#: Numeric tables whose columns carry the units: key -> column names.
TABULAR_KEYS: dict[str, tuple[str, ...]] = {"radial_force": ("diameter_mm", "cof_n", "rrf_n")}
#: Numeric keys that describe the file, not the device (no source needed).
META_NUMERIC = frozenset({"schema_version"})

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")

#: Plausible closed bounds per key; keys not listed fall back to :data:`SUFFIX_BOUNDS`.
KEY_BOUNDS: dict[str, tuple[float, float]] = {
    "size_mm": (5, 60), "nominal_diameter_mm": (5, 60), "inflow_diameter_mm": (5, 60),
    "waist_diameter_mm": (5, 60), "outflow_diameter_mm": (5, 70), "diameter_mm": (5, 60),
    "frame_height_mm": (5, 80), "depth_mm": (3, 60),
    "annulus_area_min_mm2": (50, 2000), "annulus_area_max_mm2": (50, 2000),
    "annulus_perimeter_min_mm": (20, 200), "annulus_perimeter_max_mm": (20, 200),
    "eoa_cm2": (0.2, 6), "eoa_sd_cm2": (0, 3),
    "sinus_diameter_min_mm": (10, 60), "sinus_height_min_mm": (3, 40),
    "stj_diameter_min_mm": (10, 60), "ascending_aorta_diameter_max_mm": (15, 70),
    "compression_min_pct": (0, 60), "compression_max_pct": (0, 60),
    "ostium_min_mm": (5, 60), "ostium_max_mm": (5, 60),
    "rows_of_cells": (1, 30), "cells_per_row": (3, 60),
    "strut_width_mm": (0.03, 2), "strut_thickness_mm": (0.03, 2), "crimped_diameter_mm": (1, 15),
    "default_depth_mm": (-10, 40), "recommended_depth_min_mm": (-10, 40),
    "recommended_depth_max_mm": (-10, 40), "landing_zone_depth_mm": (-10, 40),
    "recoil_min_pct": (0, 30), "recoil_max_pct": (0, 30), "coronary_height_min_mm": (0, 30),
    "youngs_modulus_mpa": (1e3, 1e6), "poisson_ratio": (0.0, 0.5),
    "yield_stress_mpa": (1, 1e4), "hardening_modulus_mpa": (0, 1e6),
    "austenite_modulus_mpa": (1e3, 2e5), "martensite_modulus_mpa": (1e3, 2e5),
    "loading_start_mpa": (1, 3000), "loading_end_mpa": (1, 3000),
    "unloading_start_mpa": (1, 3000), "unloading_end_mpa": (1, 3000),
    "transformation_strain": (0.001, 0.2),
}
SUFFIX_BOUNDS: dict[str, tuple[float, float]] = {
    "_mm2": (0, 5000), "_mm": (0, 200), "_cm2": (0, 20), "_pct": (0, 100), "_deg": (-360, 360),
    "_n": (0, 1000), "_mpa": (0, 1e6), "_mmhg": (0, 400),
}


@dataclass(frozen=True)
class LibraryProblem:
    """A problem found while loading the device library."""

    file: str
    key: str
    message: str
    severity: str = "error"  # "error" rejects the file; "warning" / "notice" do not

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"

    def as_error(self) -> ResourceError:
        return ResourceError(str(self), "fix the device file (units in key names, sources, "
                                        "ranges: see resources/devices/README.md) or remove it")

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "key": self.key, "message": self.message,
                "severity": self.severity}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def has_unit(key: str) -> bool:
    return key.endswith(UNIT_SUFFIXES) or key in UNITLESS_KEYS or key in TABULAR_KEYS


def _holds_numbers(value: Any) -> bool:
    if is_number(value):
        return True
    if isinstance(value, list):
        return any(_holds_numbers(v) for v in value)
    return False


def bounds_for(key: str) -> tuple[float, float] | None:
    if key in KEY_BOUNDS:
        return KEY_BOUNDS[key]
    for suffix in sorted(SUFFIX_BOUNDS, key=len, reverse=True):
        if key.endswith(suffix):
            return SUFFIX_BOUNDS[suffix]
    return None


class Checker:
    """Collects the problems of one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[LibraryProblem] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append(LibraryProblem(self.file, key, message, "error"))

    def warn(self, key: str, message: str) -> None:
        self.problems.append(LibraryProblem(self.file, key, message, "warning"))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    # -- typed getters ---------------------------------------------------------------------
    def number(self, table: dict, key: str, path: str, *, required: bool = True,
               integer: bool = False) -> float | None:
        where = f"{path}.{key}" if path else key
        if key not in table:
            if required:
                self.error(where, "missing (required)")
            return None
        value = table[key]
        if not is_number(value) or not math.isfinite(float(value)):
            self.error(where, f"must be a finite number, got {value!r}")
            return None
        if integer and (not isinstance(value, int) or isinstance(value, bool)):
            self.error(where, f"must be a whole number, got {value!r}")
            return None
        bounds = bounds_for(key)
        if bounds and not bounds[0] <= float(value) <= bounds[1]:
            self.error(where, f"{value!r} is outside the plausible range "
                              f"[{bounds[0]:g}, {bounds[1]:g}]")
            return None
        return int(value) if integer else float(value)

    def text(self, table: dict, key: str, path: str, *, required: bool = True,
             choices: tuple[str, ...] | None = None, pattern: re.Pattern | None = None
             ) -> str | None:
        where = f"{path}.{key}" if path else key
        if key not in table:
            if required:
                self.error(where, "missing (required)")
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"must be a non-empty text, got {value!r}")
            return None
        if choices is not None and value not in choices:
            self.error(where, f"'{value}' is not one of: {', '.join(choices)}")
            return None
        if pattern is not None and not pattern.match(value):
            self.error(where, f"'{value}' is not a valid identifier (lower-case letters, "
                              "digits, '-' and '_')")
            return None
        return value

    def ordered(self, lo: float | None, hi: float | None, path: str, lo_key: str,
                hi_key: str, *, strict: bool = True) -> None:
        if lo is None or hi is None:
            return
        if hi < lo or (strict and hi == lo):
            rel = "greater than" if strict else "at least"
            self.error(f"{path}.{hi_key}" if path else hi_key,
                       f"must be {rel} {lo_key} ({hi:g} vs {lo:g})")

    def unknown_keys(self, table: dict, known: set[str], path: str) -> None:
        for key in table:
            if key not in known:
                self.warn(f"{path}.{key}" if path else key,
                          "unknown key, ignored (check the spelling against "
                          "resources/devices/README.md)")


def parse_sources(chk: Checker, doc: dict) -> dict[str, Source]:
    """The ``[[sources]]`` table: every entry well formed, ids unique."""
    raw = doc.get("sources")
    out: dict[str, Source] = {}
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        chk.error("sources", "missing: add a [[sources]] table with at least one entry "
                             "(id, kind, citation, verification)")
        return out
    for i, entry in enumerate(raw):
        path = f"sources[{i}]"
        sid = chk.text(entry, "id", path, pattern=ID_PATTERN)
        kind = chk.text(entry, "kind", path, choices=SOURCE_KINDS)
        citation = chk.text(entry, "citation", path)
        verification = chk.text(entry, "verification", path, choices=VERIFICATIONS)
        doi = chk.text(entry, "doi", path, required=False)
        url = chk.text(entry, "url", path, required=False)
        note = chk.text(entry, "note", path, required=False)
        chk.unknown_keys(entry, {"id", "kind", "citation", "verification", "doi", "url",
                                 "note"}, path)
        if doi is not None and not DOI_PATTERN.match(doi):
            chk.error(f"{path}.doi", f"'{doi}' is not a DOI (10.NNNN/...)")
        if kind == "engineering-estimate" and not note:
            chk.error(f"{path}.note", "an engineering estimate must say how it was made "
                                      "(note = ...)")
        if citation is not None and len(citation) < 10:
            chk.error(f"{path}.citation", "too short to identify the document")
        if sid is None:
            continue
        if sid in out:
            chk.error(f"{path}.id", f"duplicate source id '{sid}'")
            continue
        out[sid] = Source(id=sid, kind=kind or "", citation=citation or "",
                          verification=verification or "", url=url, doi=doi, note=note)
    return out


def _ids(chk: Checker, value: Any, where: str, known: dict[str, Source],
         used: set[str]) -> tuple[str, ...]:
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        chk.error(where, f"must be a source id or a list of source ids, got {value!r}")
        return ()
    for sid in ids:
        if sid not in known:
            chk.error(where, f"source id '{sid}' is not defined in [[sources]]")
        used.add(sid)
    return tuple(ids)


def check_units_and_sources(chk: Checker, doc: dict, known: dict[str, Source]) -> None:
    """Walk every table except ``[[sources]]``: numeric keys must carry a unit (or be in the
    allow-list) and every table holding numbers needs ``source`` ids that exist."""
    used: set[str] = set()

    def walk(table: dict, path: str) -> None:
        numeric = [k for k, v in table.items()
                   if k not in ("source", "source_by_key") and _holds_numbers(v)]
        for key in numeric:
            if not has_unit(key):
                chk.error(f"{path}.{key}" if path else key,
                          "numeric key without a unit: end the name with one of "
                          f"{', '.join(UNIT_SUFFIXES)} (or use an allowed dimensionless key)")
        needs_source = [k for k in numeric if k not in META_NUMERIC]
        if "source" in table:
            _ids(chk, table["source"], f"{path}.source" if path else "source", known, used)
        elif needs_source:
            chk.error(f"{path}.source" if path else "source",
                      f"missing: this table holds numbers ({', '.join(needs_source)}) "
                      "and must cite a [[sources]] id")
        by_key = table.get("source_by_key")
        if by_key is not None:
            where = f"{path}.source_by_key" if path else "source_by_key"
            if not isinstance(by_key, dict):
                chk.error(where, "must be an inline table key = source id(s)")
            else:
                for key, value in by_key.items():
                    if key not in table:
                        chk.error(f"{where}.{key}", "names a key that is not in this table")
                    _ids(chk, value, f"{where}.{key}", known, used)
        for key, value in table.items():
            sub = f"{path}.{key}" if path else key
            if isinstance(value, dict) and key != "source_by_key":
                walk(value, sub)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                if key == "sources" and not path:
                    continue
                for i, item in enumerate(value):
                    walk(item, f"{sub}[{i}]")

    walk(doc, "")
    for sid in known:
        if sid not in used:
            chk.warn("sources", f"source '{sid}' is defined but never cited")


def source_map(table: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``source_by_key`` as a tuple of (key, ids) pairs (ids already validated)."""
    by_key = table.get("source_by_key") or {}
    if not isinstance(by_key, dict):
        return ()
    return tuple((k, (v,) if isinstance(v, str) else tuple(v)) for k, v in by_key.items()
                 if isinstance(v, (str, list)))


def source_ids(table: dict) -> tuple[str, ...]:
    value = table.get("source")
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()
