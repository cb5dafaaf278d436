"""Playbooks: YAML → validated, immutable objects; every problem located.

``load(path)`` returns a ``Playbook`` or raises ``PlaybookInvalid``;
``problems(path)`` returns every problem as ``FILE:LINE:COL: message``
(what ``supportkit playbook lint`` prints). Validation is the JSON Schema in
``playbook_schema`` plus what a schema cannot say: collectors exist and take
the given parameters, expressions parse, step ids are unique and referenced
ids exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit import expr, yamlsafe
from toolkit.errors import BadInput, PlaybookInvalid, did_you_mean
from toolkit.playbook_schema import SCHEMA, STEP_KINDS, STEP_SCHEMAS

MAX_FILE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Text:
    """A text in one or more languages; ``get`` falls back to English, then any."""

    values: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, raw: Any) -> Text | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return cls((("en", raw),))
        return cls(tuple(sorted((str(k), str(v)) for k, v in raw.items())))

    def get(self, lang: str = "en") -> str:
        table = dict(self.values)
        return table.get(lang) or table.get("en") or next(iter(table.values()), "")

    def as_json(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class Input:
    name: str
    prompt: Text
    default: Any = None
    type: str = "string"
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Step:
    index: int  # 1-based position in the playbook
    kind: str  # guide | ask | collect | check
    id: str
    line: int
    when: str | None = None
    title: Text | None = None
    text: Text | None = None  # guide instruction / ask prompt / check finding
    resolves: bool = False
    default: Any = None
    answer_type: str = "string"
    choices: tuple[Any, ...] = ()
    collector: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float | None = None
    expression: str | None = None
    severity: str | None = None
    recommend: Text | None = None
    kb: str | None = None
    next: str | None = None  # check: the playbook a finding calls for

    @property
    def label(self) -> str:
        return f"{self.index:02d}-{self.collector or self.kind}"


@dataclass(frozen=True)
class Escalation:
    when: str
    to: str
    resources: tuple[str, ...] = ()
    reason: Text | None = None


@dataclass(frozen=True)
class Playbook:
    id: str
    version: int
    title: Text
    category: str
    steps: tuple[Step, ...]
    path: Path
    sha256: str
    description: Text | None = None
    subcategories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    escalate: Escalation | None = None


# --------------------------------------------------------------------------- finding files

def shipped() -> list[Path]:
    from toolkit.paths import shipped_playbooks_dir

    return sorted(shipped_playbooks_dir().glob("*.yaml"))


def user_dir() -> Path:
    from toolkit.paths import home

    return home() / "playbooks"


def find(ref: str) -> Path:
    """A playbook by id (the user's folder first, then shipped) or by file path."""
    candidate = Path(ref).expanduser()
    if candidate.suffix in (".yaml", ".yml") or "/" in ref or "\\" in ref:
        if not candidate.is_file():
            raise BadInput(f"playbook file {ref} not found", "check the path")
        return candidate
    for folder in (user_dir(), shipped()[0].parent if shipped() else None):
        if folder is not None and (folder / f"{ref}.yaml").is_file():
            return folder / f"{ref}.yaml"
    known = sorted({p.stem for p in shipped()} | {p.stem for p in user_dir().glob("*.yaml")})
    raise BadInput(f"no playbook '{ref}'{did_you_mean(ref, known)}",
                   "'supportkit playbook list' shows them")


# --------------------------------------------------------------------------- validation

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

    def check_source(path: tuple[Any, ...], source: str, template: bool) -> Iterator[
            tuple[int, int, str]]:
        message = expr.syntax_error(source, template=template)
        if message:
            what = "template" if template else "expression"
            yield (*loc.where(path), f"{what} does not parse: {message}: {source.strip()!r}")
            return
        for ref in sorted(expr.step_refs(source, template=template)):
            if ref not in ids:
                yield (*loc.where(path), f"expression refers to unknown step '{ref}'"
                                         f"{did_you_mean(ref, known_ids)}")

    for i, raw in enumerate(data.get("steps", [])):
        if not isinstance(raw, dict):
            continue
        base: tuple[Any, ...] = ("steps", i)
        for key in ("check", "when"):
            if isinstance(raw.get(key), str):
                yield from check_source(base + (key,), raw[key], template=False)
        for key in ("finding", "recommend", "guide", "ask", "title"):
            for path, text in _template_values(raw.get(key), base + (key,)):
                yield from check_source(path, text, template=True)
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
    playbook_ids = {p.stem for p in shipped()} | {p.stem for p in user_dir().glob("*.yaml")}
    for i, raw in enumerate(data.get("steps", [])):
        target = raw.get("next") if isinstance(raw, dict) else None
        if isinstance(target, str) and target not in playbook_ids and target != data.get("id"):
            yield (*loc.where(("steps", i, "next")),
                   f"'next' names no playbook '{target}'{did_you_mean(target, playbook_ids)}")
    esc = data.get("escalate")
    if isinstance(esc, dict) and isinstance(esc.get("when"), str):
        yield from check_source(("escalate", "when"), esc["when"], template=False)
    if isinstance(esc, dict):
        for path, text in _template_values(esc.get("reason"), ("escalate", "reason")):
            yield from check_source(path, text, template=True)
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


# --------------------------------------------------------------------------- building

def _build_step(raw: dict[str, Any], index: int, line: int) -> Step:
    kind = next(k for k in STEP_KINDS if k in raw)
    common: dict[str, Any] = {"index": index, "kind": kind, "id": _step_id(raw, index),
                              "line": line, "when": raw.get("when"),
                              "title": Text.of(raw.get("title")), "kb": raw.get("kb")}
    if kind == "guide":
        return Step(**common, text=Text.of(raw["guide"]), resolves=bool(raw.get("resolves")),
                    default=bool(raw.get("default", False)))
    if kind == "ask":
        return Step(**common, text=Text.of(raw["ask"]), default=raw.get("default"),
                    answer_type=raw.get("type", "string"),
                    choices=tuple(raw.get("choices", ())))
    if kind == "collect":
        return Step(**common, collector=raw["collect"],
                    params=MappingProxyType(dict(raw.get("with") or {})),
                    timeout=raw.get("timeout"))
    return Step(**common, expression=raw["check"], severity=raw["severity"],
                text=Text.of(raw["finding"]), recommend=Text.of(raw.get("recommend")),
                next=raw.get("next"))


def load(path: Path) -> Playbook:
    text = _read(path)
    loc, found = _validate(text)
    if found:
        raise PlaybookInvalid([f"{path}:{line}:{col}: {msg}" for line, col, msg in found])
    data = loc.data
    esc = data.get("escalate")
    title = Text.of(data["title"])
    assert title is not None
    return Playbook(
        id=data["id"], version=data["version"], title=title, category=data["category"],
        steps=tuple(_build_step(raw, i + 1, loc.where(("steps", i))[0])
                    for i, raw in enumerate(data["steps"])),
        path=path, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=Text.of(data.get("description")),
        subcategories=tuple(data.get("subcategories", ())),
        keywords=tuple(data.get("keywords", ())),
        inputs=tuple(Input(name, Text.of(spec["prompt"]) or Text((("en", name),)),
                           spec.get("default"), spec.get("type", "string"),
                           tuple(spec.get("choices", ())))
                     for name, spec in (data.get("inputs") or {}).items()),
        timeout=float(data.get("timeout", DEFAULT_TIMEOUT)),
        escalate=Escalation(esc["when"], esc["to"], tuple(esc.get("resources", ())),
                            Text.of(esc.get("reason"))) if esc else None,
    )
