"""Output schemas as data: a small DSL that writes plain JSON Schema (draft 2020-12).

A collector declares what its result looks like (``Collector(output=…)``) so that tests
can validate every result and ``playbook lint`` can check every ``steps.<id>.<field>`` a
playbook reads — a misspelt field in a check is otherwise a check that never fires.
The schemas are written with these helpers and are nothing but JSON Schema::

    OUTPUT = obj(
        source=STR, sent=INT, loss_pct=nullable(NUM),
        probes=arr(obj(seq=INT, status=enum("reply", "timeout"), detail=opt(STR))),
        counters=mapping(INT),                 # free keys: counts by name
    )

``obj`` closes the object (``additionalProperties: false``): a key the code does not
return is a mistake, in the code or in whoever reads it. Its fields are required
unless wrapped in ``opt`` (present only sometimes); ``nullable`` is for "present, may
be null". ``mapping`` is an object whose keys are data (severities, package names).

The second half are the lookups lint uses: ``field`` and ``items`` follow a schema
through ``anyOf`` alternatives (``nullable`` objects, unions of shapes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}  # integers are numbers too
BOOL: Schema = {"type": "boolean"}
NULL: Schema = {"type": "null"}
ANY: Schema = {}


@dataclass(frozen=True)
class _Optional:
    schema: Schema


def opt(schema: Schema) -> Any:
    """A field of ``obj`` that is present only sometimes."""
    return _Optional(schema)


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    if set(schema) == {"type"} and isinstance(schema["type"], str):
        return {"type": [schema["type"], "null"]}
    if set(schema) == {"enum"}:
        return {"enum": [*schema["enum"], *([None] if None not in schema["enum"] else [])]}
    return any_of(schema, NULL)


def any_of(*schemas: Schema) -> Schema:
    return {"anyOf": list(schemas)}


def enum(*values: Any) -> Schema:
    return {"enum": list(values)}


def arr(items: Schema = ANY) -> Schema:
    return {"type": "array", "items": items}


def mapping(values: Schema = ANY) -> Schema:
    """An object whose keys are data, each value matching ``values``."""
    return {"type": "object", "additionalProperties": values}


def obj(fields: Mapping[str, Any] | None = None, /, **more: Any) -> Schema:
    """A closed object. Fields come as keywords, or as a mapping for keys that are not
    Python names (``{"from": STR}``); ``opt(…)`` marks one that may be absent."""
    props: dict[str, Schema] = {}
    required: list[str] = []
    for name, spec in {**(fields or {}), **more}.items():
        if isinstance(spec, _Optional):
            props[name] = spec.schema
        else:
            props[name] = spec
            required.append(name)
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False}


def extend(base: Schema, fields: Mapping[str, Any] | None = None, /, **more: Any) -> Schema:
    """``base`` (an ``obj``) with more fields: the common part of a family of results."""
    added = obj(fields, **more)
    return {**base, "properties": {**base["properties"], **added["properties"]},
            "required": [*base["required"], *added["required"]]}


# ------------------------------------------------------------------ following a schema

def alternatives(schema: Schema) -> list[Schema]:
    """The shapes a value of ``schema`` may take (``anyOf``/``oneOf`` flattened)."""
    out: list[Schema] = []
    for key in ("anyOf", "oneOf"):
        if key in schema:
            for sub in schema[key]:
                out += alternatives(sub)
            return out
    return [schema]


def _types(schema: Schema) -> set[str]:
    kind = schema.get("type")
    if kind is None:
        if "properties" in schema or "additionalProperties" in schema:
            return {"object"}
        if "items" in schema:
            return {"array"}
        if "enum" in schema:
            return {type_name(v) for v in schema["enum"]}
        return set()
    return {kind} if isinstance(kind, str) else set(kind)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, (list, tuple)) else "object"


def is_open(schema: Schema) -> bool:
    """Says nothing about its shape: anything may be in it (``ANY``, or no schema)."""
    return all(not _types(alt) for alt in alternatives(schema))


@dataclass(frozen=True)
class Lookup:
    """What ``field`` found: the field's schema (None: no such field), or that the
    value is not an object with fixed keys at all (``applies`` false: nothing to say)."""

    applies: bool
    schema: Schema | None = None
    known: tuple[str, ...] = ()


def field(schema: Schema, name: str) -> Lookup:
    """The schema of ``value.name`` for a value of ``schema``."""
    found: list[Schema] = []
    known: list[str] = []
    objects = [alt for alt in alternatives(schema) if "object" in _types(alt)]
    if not objects or is_open(schema):
        return Lookup(False)
    for alt in objects:
        props = alt.get("properties", {})
        if name in props:
            found.append(props[name])
        else:
            extra = alt.get("additionalProperties", True)
            if extra is not False:  # free keys: a mapping, or an object left open
                found.append(extra if isinstance(extra, dict) else ANY)
        known += [k for k in props if k not in known]
    if not found:
        return Lookup(True, None, tuple(known))
    return Lookup(True, found[0] if len(found) == 1 else any_of(*found), tuple(known))


def items(schema: Schema) -> Schema | None:
    """The schema of the items of an array value of ``schema``; None if it is not one."""
    found = [alt.get("items", ANY) for alt in alternatives(schema) if "array" in _types(alt)]
    if not found:
        return None
    return found[0] if len(found) == 1 else any_of(*found)
