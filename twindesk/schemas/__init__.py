"""JSON Schemas of every ``--json`` output (``<command>.schema.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    return json.loads((HERE / f"{name}.schema.json").read_text(encoding="utf-8"))


def schema_names() -> list[str]:
    return sorted(p.name[: -len(".schema.json")] for p in HERE.glob("*.schema.json"))


def validate(name: str, obj: Any) -> None:
    """Raise ``jsonschema.ValidationError`` when ``obj`` does not match schema ``name``."""
    import jsonschema

    schema = load_schema(name)
    jsonschema.validate(obj, schema, cls=jsonschema.Draft202012Validator)
