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


def _registry():
    """All schemas by their ``$id`` (``twindesk/<name>.schema.json``) so they can ``$ref``
    each other."""
    from referencing import Registry, Resource

    return Registry().with_resources(
        (load_schema(n)["$id"], Resource.from_contents(load_schema(n))) for n in schema_names())


def validate(name: str, obj: Any) -> None:
    """Raise ``jsonschema.ValidationError`` when ``obj`` does not match schema ``name``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(name), registry=_registry())
    error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
    if error is not None:
        raise error
