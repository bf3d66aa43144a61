"""The JSON Schema of ``report.json`` (shipped as ``schema.json``) and a checker for it.

`validate` implements the part of JSON Schema 2020-12 that ``schema.json`` uses (``type``,
``enum``, ``required``, ``properties``, ``additionalProperties``, ``items``, ``maxItems``,
``minimum``, ``maximum``, ``exclusiveMinimum``), so formcheck checks its own reports
without a schema library. Any full validator accepts the same file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

#: 1.1: "not_counted" and the optional "people"; 1.2: a rule's "error" and status "borderline";
#: 1.3: the optional "fusion" (several cameras, one verdict); 1.5: the summary's optional
#: "too_close" (checks every judged rep of which was borderline).
SCHEMA_VERSION = "1.5"

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def load_schema() -> dict[str, Any]:
    """The report schema as a dict."""
    return json.loads(files("formcheck.report").joinpath("schema.json").read_text(encoding="utf-8"))


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("number", "integer"):
        return False
    return isinstance(value, _TYPES[name])


def errors(instance: Any, schema: dict[str, Any] | None = None, path: str = "$") -> list[str]:
    """Every way ``instance`` breaks ``schema`` (the report schema by default), as messages."""
    schema = load_schema() if schema is None else schema
    out: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is(instance, n) for n in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(instance).__name__}"]
    if "enum" in schema and instance not in schema["enum"]:
        out.append(f"{path}: expected one of {schema['enum']}, got {instance!r}")
    if _is(instance, "number"):
        if "minimum" in schema and instance < schema["minimum"]:
            out.append(f"{path}: expected >= {schema['minimum']}, got {instance}")
        if "maximum" in schema and instance > schema["maximum"]:
            out.append(f"{path}: expected <= {schema['maximum']}, got {instance}")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            out.append(f"{path}: expected > {schema['exclusiveMinimum']}, got {instance}")
    if isinstance(instance, dict):
        out += [
            f"{path}: expected key {k!r}" for k in schema.get("required", ()) if k not in instance
        ]
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in props:
                out += errors(value, props[key], f"{path}.{key}")
            elif extra is False:
                out.append(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                out += errors(value, extra, f"{path}.{key}")
    if isinstance(instance, list):
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            out.append(f"{path}: expected at most {schema['maxItems']} items, got {len(instance)}")
        if "items" in schema:
            for i, item in enumerate(instance):
                out += errors(item, schema["items"], f"{path}[{i}]")
    return out


def validate(instance: Any) -> None:
    """Raise ValueError listing every problem if ``instance`` is not a valid report."""
    problems = errors(instance)
    if problems:
        raise ValueError("report does not match its schema: " + "; ".join(problems[:10]))
