"""YAML that remembers where every value came from, and refuses hostile input.

Playbook errors must name file, line and column, so this loader composes the
node graph (PyYAML's safe composer) and builds plain data itself, keeping a
``path → (line, column)`` map. On the way it refuses what the safe loader
lets through: duplicate keys (PyYAML silently keeps the last), tabs in
indentation, several documents in one file, and alias bombs ("billion
laughs"): aliases are expanded only while the expanded document stays under
``MAX_NODES`` nodes, checked on the shared node graph before anything is
expanded, so a bomb is refused in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_NODES = 20_000
Path_ = tuple[str | int, ...]


@dataclass
class Located:
    data: Any = None
    value_at: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # 1-based
    key_at: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[tuple[int, int, str]] = field(default_factory=list)

    def where(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """The closest known position of ``path`` (falls back to its parents)."""
        table = self.key_at if key else self.value_at
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.value_at:
                return self.value_at[p]
            p = p[:-1]
        return self.value_at.get((), (1, 1))


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise RecursionError
    active.add(key)
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo, active) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo, active) + _expanded_size(v, memo, active)
                       for k, v in node.value)
    else:
        size = 1
    active.discard(key)
    memo[key] = min(size, MAX_NODES + 1)  # cap: counting a bomb must stay cheap too
    return memo[key]


def _tabs(text: str) -> list[tuple[int, int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            found.append((number, indent.index("\t") + 1,
                          "tab character in indentation — indent YAML with spaces"))
    return found


def load(text: str) -> Located:
    out = Located()
    out.problems.extend(_tabs(text))
    if out.problems:
        return out  # the scanner's own message for tabs is cryptic; ours is enough
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.composer.ComposerError as exc:
        if "expected a single document" in f"{exc.context} {exc.problem}":
            mark = exc.problem_mark
            out.problems.append((mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                                 "more than one YAML document — one playbook per file"))
        else:
            out.problems.append(_yaml_problem(exc))
        return out
    except yaml.YAMLError as exc:
        out.problems.append(_yaml_problem(exc))
        return out
    finally:
        loader.dispose()
    if root is None:
        out.problems.append((1, 1, "the file is empty"))
        return out
    try:
        size = _expanded_size(root, {}, set())
    except RecursionError:
        out.problems.append((*_mark(root), "recursive YAML alias — aliases must not contain "
                                           "themselves"))
        return out
    if size > MAX_NODES:
        out.problems.append((*_mark(root), f"YAML aliases expand to more than {MAX_NODES} "
                                           "values (an alias bomb?) — write the values out"))
        return out
    out.data = _build(root, (), out, yaml.SafeLoader(""))
    return out


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int, int, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return 1, 1, text
    return mark.line + 1, mark.column + 1, text


def _build(node: yaml.Node, path: Path_, out: Located, constructor: yaml.SafeLoader) -> Any:
    out.value_at.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                out.problems.append((*_mark(key_node), "YAML merge keys (<<) are not supported "
                                                       "in playbooks — write the keys out"))
                continue
            key = _build(key_node, path + ("<key>",), out, constructor)
            if not isinstance(key, str):
                out.problems.append((*_mark(key_node), f"key {key!r} must be a string"))
                continue
            if key in result:
                first = out.key_at[path + (key,)]
                out.problems.append((*_mark(key_node), f"duplicate key '{key}' (first defined "
                                                       f"at line {first[0]})"))
                continue
            out.key_at[path + (key,)] = _mark(key_node)
            result[key] = _build(value_node, path + (key,), out, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, path + (i,), out, constructor) for i, child in enumerate(node.value)]
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        out.problems.append(_yaml_problem(exc))
        return None
