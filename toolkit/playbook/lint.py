"""What is wrong with a playbook file, every problem located (``FILE:LINE:COL``).

Validation is the JSON Schema in ``toolkit.playbook.schema`` plus what a schema
cannot say: collectors exist and take the given parameters, expressions parse, step
ids are unique and referenced ids exist, and every ``steps.<id>.<field>`` read is a
field of that step's collector output (``toolkit.playbook.refs``). ``supportkit
playbook lint`` prints ``problems(path)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit import yamlsafe
from toolkit.errors import BadInput, did_you_mean
from toolkit.playbook import expr, refs
from toolkit.playbook.model import MAX_FILE_BYTES
from toolkit.playbook.schema import SCHEMA, STEP_KINDS, STEP_SCHEMAS


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BadInput(f"{path}: {size} bytes is too large for a playbook",
                           f"playbooks are at most {MAX_FILE_BYTES} bytes")
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file", "check the path") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder", "give a playbook .yaml file") from None
    except PermissionError:
        raise BadInput(f"{path}: permission denied", "make the file readable") from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})",
                       "save the playbook as UTF-8") from None


def _name(path: tuple[Any, ...]) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "playbook"


_PATTERN_HINTS = {
    "id": "must be lowercase letters, digits and dashes, like 'network-connectivity'",
    "collect": "is not a collector name (names look like 'system.info')",
    "kb": "must be a knowledge-base id like 'KB-NET-004'",
}


def _translate(err: Any, loc: yamlsafe.Located, prefix: tuple[Any, ...] = ()) -> Iterator[
        tuple[int, int, str]]:
    path = prefix + tuple(err.absolute_path)
    name = _name(path)
    inst, schema, kind = err.instance, err.schema, err.validator
    where = loc.where(path)
    if kind == "oneOf" and len(path) == 2 and path[0] == "steps" and isinstance(inst, dict):
        kinds = [k for k in STEP_KINDS if k in inst]
        if len(kinds) == 1:
            from jsonschema import Draft202012Validator

            for sub in Draft202012Validator(STEP_SCHEMAS[kinds[0]]).iter_errors(inst):
                yield from _translate(sub, loc, path)
            return
        found = f" (found {', '.join(kinds)})" if kinds else ""
        yield (*where, f"step {path[1] + 1} needs exactly one of {', '.join(STEP_KINDS)}{found}")
    elif kind == "oneOf" and schema.get("$comment") == "text":
        if isinstance(inst, dict):
            extra = [k for k in inst if k not in ("en", "zh")]
            if extra:
                yield (*loc.where(path + (extra[0],), key=True),
                       f"unknown language '{extra[0]}' in '{name}' (supported: en, zh)")
                return
        yield (*where, f"'{name}' must be text: a string or a map like {{en: …, zh: …}}")
    elif kind == "required":
        for req in schema["required"]:
            if isinstance(inst, dict) and req not in inst:
                if len(path) == 2 and path[0] == "steps" and isinstance(path[1], int):
                    owner = f"step {path[1] + 1}"
                else:
                    owner = f"'{name}'" if path else "playbook"
                yield (*where, f"{owner} is missing the required field '{req}'")
    elif kind == "additionalProperties" and isinstance(inst, dict):
        known = list(schema.get("properties", {}))
        for extra in inst:
            if extra not in known:
                yield (*loc.where(path + (extra,), key=True),
                       f"unknown key '{extra}'{did_you_mean(extra, known)}")
    elif kind == "type":
        want = schema["type"]
        yield (*where, f"'{name}' must be {'an' if want[0] in 'aeiou' else 'a'} {want}, "
                       f"not {type(inst).__name__} {inst!r}")
    elif kind == "enum":
        options = [str(o) for o in schema["enum"]]
        yield (*where, f"'{name}' must be one of {', '.join(options)}, not {inst!r}"
                       f"{did_you_mean(str(inst), options)}")
    elif kind == "pattern":
        hint = _PATTERN_HINTS.get(name, "must be a lowercase identifier (letters, digits, _)")
        yield (*where, f"'{name}' {hint}: {inst!r}")
    else:
        yield (*where, f"'{name}': {err.message}")


def _template_values(raw: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(raw, str):
        yield path, raw
    elif isinstance(raw, dict):
        for key, value in raw.items():
            yield from _template_values(value, path + (key,))
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            yield from _template_values(value, path + (i,))


def _step_id(raw: dict[str, Any], index: int) -> str:
    if "id" in raw and isinstance(raw["id"], str):
        return raw["id"]
    if isinstance(raw.get("collect"), str):
        return raw["collect"].replace(".", "_")
    kind = next((k for k in STEP_KINDS if k in raw), "step")
    return f"{kind}_{index}"


def _semantic(data: dict[str, Any], loc: yamlsafe.Located) -> Iterator[tuple[int, int, str]]:
    from toolkit.plugins import load as load_collectors

    registry = load_collectors()
    ids: dict[str, int] = {}
    for i, raw in enumerate(data.get("steps", [])):
        if not isinstance(raw, dict):
            continue
        sid = _step_id(raw, i + 1)
        if sid in ids:
            at = loc.where(("steps", i, "id"), key=True) if "id" in raw else loc.where(("steps", i))
            how = "" if "id" in raw else " — give one of them an id:"
            yield (*at, f"duplicate step id '{sid}' (first used by step {ids[sid]}){how}")
        else:
            ids[sid] = i + 1
    known_ids = list(ids)
    # What each collect step's result looks like, where its collector says (plugins may not).
    outputs: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(data.get("steps", [])):
        name = raw.get("collect") if isinstance(raw, dict) else None
        collector = registry.collectors.get(name) if isinstance(name, str) else None
        if collector is not None and collector.output is not None:
            outputs.setdefault(_step_id(raw, i + 1), collector.output)

    def check_source(path: tuple[Any, ...], source: str, template: bool,
                     value: refs.Known | None = None) -> Iterator[tuple[int, int, str]]:
        message = expr.syntax_error(source, template=template)
        if message:
            what = "template" if template else "expression"
            yield (*loc.where(path), f"{what} does not parse: {message}: {source.strip()!r}")
            return
        for ref in sorted(expr.step_refs(source, template=template)):
            if ref not in ids:
                yield (*loc.where(path), f"expression refers to unknown step '{ref}'"
                                         f"{did_you_mean(ref, known_ids)}")
        for problem in refs.problems(source, outputs, template=template, value=value):
            yield (*loc.where(path), problem)

    for i, raw in enumerate(data.get("steps", [])):
        if not isinstance(raw, dict):
            continue
        base: tuple[Any, ...] = ("steps", i)
        for key in ("check", "when"):
            if isinstance(raw.get(key), str):
                yield from check_source(base + (key,), raw[key], template=False)
        # A check's texts see its result as ``value``: known when the check is a reference.
        value = refs.value_of(raw["check"], outputs) if isinstance(raw.get("check"), str) \
            else None
        for key in ("finding", "recommend", "escalate", "guide", "ask", "title"):
            for path, text in _template_values(raw.get(key), base + (key,)):
                yield from check_source(path, text, template=True,
                                        value=value if key in ("finding", "recommend",
                                                               "escalate") else None)
        name = raw.get("collect")
        if not isinstance(name, str):
            continue
        if name not in registry.collectors:
            if registry.names():
                yield (*loc.where(base + ("collect",)), f"unknown collector '{name}'"
                                                        f"{did_you_mean(name, registry.names())}")
            continue
        collector = registry.collectors[name]
        params = raw.get("with")
        if not isinstance(params, dict):
            continue
        for key, value in params.items():
            spec = collector.param(key)
            if spec is None:
                names = [p.name for p in collector.params]
                yield (*loc.where(base + ("with", key), key=True),
                       f"collector {name} has no parameter '{key}'{did_you_mean(key, names)}")
                continue
            templated = list(_template_values(value, base + ("with", key)))
            if any("{" in text for _, text in templated):
                for path, text in templated:
                    yield from check_source(path, text, template=True)
                continue
            try:
                spec.coerce(value)
            except ValueError as exc:
                yield (*loc.where(base + ("with", key)), str(exc))
    from toolkit.playbook.loader import shipped, user_dir  # loader builds on this module

    playbook_ids = {p.stem for p in shipped()} | {p.stem for p in user_dir().glob("*.yaml")}
    for i, raw in enumerate(data.get("steps", [])):
        target = raw.get("next") if isinstance(raw, dict) else None
        if isinstance(target, str) and target not in playbook_ids and target != data.get("id"):
            yield (*loc.where(("steps", i, "next")),
                   f"'next' names no playbook '{target}'{did_you_mean(target, playbook_ids)}")
    esc = data.get("escalate")
    rules = list(enumerate(esc)) if isinstance(esc, list) else [(None, esc)]
    check_ids = {str(raw.get("id")) for raw in data.get("steps", [])
                 if isinstance(raw, dict) and "check" in raw and raw.get("id")}
    for n, rule in rules:
        if not isinstance(rule, dict):
            continue
        where_: tuple[Any, ...] = ("escalate",) if n is None else ("escalate", n)
        if isinstance(rule.get("when"), str):
            yield from check_source((*where_, "when"), rule["when"], template=False)
        for path, text in _template_values(rule.get("reason"), (*where_, "reason")):
            yield from check_source(path, text, template=True)
        for k, fid in enumerate(rule.get("findings") or []):
            if isinstance(fid, str) and fid not in check_ids:
                yield (*loc.where((*where_, "findings", k)),
                       f"escalate names no check '{fid}'{did_you_mean(fid, check_ids)}")
    for name, spec in (data.get("inputs") or {}).items():
        if isinstance(spec, dict):
            for path, text in _template_values(spec.get("prompt"), ("inputs", name, "prompt")):
                yield from check_source(path, text, template=True)


def _validate(text: str) -> tuple[yamlsafe.Located, list[tuple[int, int, str]]]:
    from jsonschema import Draft202012Validator

    loc = yamlsafe.load(text)
    found = list(loc.problems)
    if found:
        return loc, found
    if not isinstance(loc.data, dict):
        return loc, [(1, 1, "a playbook is a YAML mapping (id:, title:, steps: …), "
                            f"not a {type(loc.data).__name__}")]
    for err in Draft202012Validator(SCHEMA).iter_errors(loc.data):
        found.extend(_translate(err, loc))
    found.extend(_semantic(loc.data, loc))
    return loc, sorted(set(found))


def located_problems(path: Path) -> list[tuple[int, int, str]]:
    """Every problem of the playbook at ``path`` as (line, column, message)."""
    try:
        text = _read(path)
    except BadInput as exc:
        return [(1, 1, exc.one_line())]
    return _validate(text)[1]


def problems(path: Path) -> list[str]:
    """Every problem of the playbook at ``path`` as ``FILE:LINE:COL: message``."""
    return [f"{path}:{line}:{col}: {msg}" for line, col, msg in located_problems(path)]
