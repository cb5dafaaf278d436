"""Which fields of collector results a playbook reads, checked against the output schemas.

``steps.ping.loss_percent > 20`` parses, runs, and never fires: the field is
``loss_pct``, the lookup is undefined, and the runner records the check as skipped for
want of data. Lint walks every expression and template with the output schema of the
collector each step runs (``Collector.output``, see ``toolkit.schema``) and names such
a field with the closest one that exists.

What is followed: attribute and item chains through objects and arrays
(``steps.trace.hops[-1].address``, ``steps.api['timing_ms']``, ``.get('tls')``); loop
variables (``{% for h in steps.trace.hops %}{{ h.address }}``) and ``{% set %}``
names; ``value`` in a check's texts when the check is a plain reference; filters that
keep the items of a known array (``selectattr``, ``sort``, ``list``, ``first``…), whose
attribute names are checked too (``selectattr('ttl', …)``, ``map(attribute='x')``,
``sum``, ``sort``, ``unique``, ``min``, ``max``, ``groupby``). Anything else stops the
walk silently: lint reports what is certainly wrong, never what it cannot know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from toolkit import schema as sch
from toolkit.errors import closest
from toolkit.playbook import expr

# jinja2 looks an attribute up on the Python object first: on a result (a dict)
# ``x.items`` is the method, whatever the result holds.
_DICT_METHODS = frozenset(n for n in dir(dict) if not n.startswith("_"))
# Filters whose result holds the receiver's items (in another order, or fewer).
_SAME_ITEMS = frozenset(("list", "reverse", "select", "reject", "selectattr", "rejectattr",
                         "sort", "unique", "default", "d"))
_ONE_ITEM = frozenset(("first", "last", "random", "min", "max"))
# filter -> position of its attribute argument among the positional ones (None: keyword only)
_ATTRIBUTE_ARG: dict[str, int | None] = {"selectattr": 0, "rejectattr": 0, "groupby": 0,
                                         "sum": 0, "map": None, "sort": 2, "unique": 1,
                                         "min": 1, "max": 1}


@dataclass(frozen=True)
class Known:
    """A value whose schema lint knows, and how the playbook wrote it (for messages)."""

    schema: sch.Schema
    label: str


class _Steps:
    """The ``steps`` name itself: its attributes are step ids."""


_STEPS = _Steps()


@dataclass
class _Walk:
    outputs: Mapping[str, sch.Schema]
    problems: list[str] = field(default_factory=list)

    def report(self, owner: str, name: str, known: tuple[str, ...]) -> None:
        near = closest(name, known)
        hint = f" — did you mean '{near}'?" if near else (
            f" — it has: {', '.join(known)}" if known else "")
        message = f"{owner} has no field '{name}'{hint}"
        if message not in self.problems:
            self.problems.append(message)

    def lookup(self, base: Known, name: str, label: str) -> Known | None:
        found = sch.field(base.schema, name)
        if not found.applies:
            return None
        if found.schema is None:
            self.report(base.label, name, found.known)
            return None
        return Known(found.schema, label)

    def path(self, each: Known, dotted: str, array: str) -> Known | None:
        """``attribute='a.b'`` on each item of ``array`` (jinja2's dotted attribute;
        a number indexes a list)."""
        current: Known | None = each
        label = f"{array}[…]"
        for part in dotted.split("."):
            if current is None:
                return None
            if part.isdigit():
                label += f"[{part}]"
                inner = sch.items(current.schema)
                current = Known(inner, label) if inner is not None else None
            else:
                label += f".{part}"
                current = self.lookup(current, part, label)
        return current

    # -------------------------------------------------------------- expressions

    def resolve(self, node: nodes.Node, scope: dict[str, Any]) -> Any:
        """The ``Known`` schema of what ``node`` yields, ``_STEPS``, or None."""
        if isinstance(node, nodes.Name):
            return _STEPS if node.name == "steps" and "steps" not in scope else \
                scope.get(node.name)
        if isinstance(node, nodes.Getattr):
            return self.attribute(self.resolve(node.node, scope), node.attr)
        if isinstance(node, nodes.Getitem):
            return self.item(node, scope)
        if isinstance(node, nodes.Filter):
            return self.filter(node, scope)
        if isinstance(node, nodes.Call):
            return self.call(node, scope)
        if isinstance(node, nodes.CondExpr):
            return self.guarded(node, scope)
        if isinstance(node, nodes.Add):
            left, right = self.resolve(node.left, scope), self.resolve(node.right, scope)
            if isinstance(left, Known) and isinstance(right, Known) and \
                    left.schema == right.schema and sch.items(left.schema) is not None:
                return Known(left.schema, f"{left.label} + …")  # two lists of one kind
            return None
        self.walk_children(node, scope)
        return None

    def guarded(self, node: nodes.CondExpr, scope: dict[str, Any]) -> Known | None:
        """``X if cond else []``: what X is — the other branch is empty, so nothing
        can be read from it (a check's text only renders when the value is truthy)."""
        self.resolve(node.test, scope)
        then = self.resolve(node.expr1, scope)
        other = self.resolve(node.expr2, scope) if node.expr2 is not None else None
        if node.expr2 is None or _falsy_literal(node.expr2):
            return then if isinstance(then, Known) else None
        if _falsy_literal(node.expr1):
            return other if isinstance(other, Known) else None
        return None

    def attribute(self, base: Any, name: str) -> Known | None:
        if base is _STEPS:
            output = self.outputs.get(name)
            return Known(output, f"steps.{name}") if output is not None else None
        if not isinstance(base, Known):
            return None
        if name in _DICT_METHODS:
            return None  # x.items(), x.get(…): see call()
        return self.lookup(base, name, f"{base.label}.{name}")

    def item(self, node: nodes.Getitem, scope: dict[str, Any]) -> Known | None:
        base = self.resolve(node.node, scope)
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            return self.attribute(base, arg.value) if base is _STEPS else (
                self.lookup(base, arg.value, f"{base.label}[{arg.value!r}]")
                if isinstance(base, Known) else None)
        self.resolve(arg, scope)
        if not isinstance(base, Known):
            return None
        inner = sch.items(base.schema)
        if inner is None:
            return None
        if isinstance(arg, nodes.Slice):
            return Known(base.schema, f"{base.label}[…]")
        index = _index(arg)
        return Known(inner, f"{base.label}[{index if index is not None else '…'}]")

    def call(self, node: nodes.Call, scope: dict[str, Any]) -> Known | None:
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            self.resolve(arg, scope)
        callee = node.node
        if isinstance(callee, nodes.Getattr) and callee.attr == "get" and node.args:
            base = self.resolve(callee.node, scope)
            key = node.args[0]
            if isinstance(base, Known) and isinstance(key, nodes.Const) and \
                    isinstance(key.value, str):
                return self.lookup(base, key.value, f"{base.label}.get({key.value!r})")
            return None
        self.resolve(callee, scope)
        return None

    def filter(self, node: nodes.Filter, scope: dict[str, Any]) -> Known | None:
        base = self.resolve(node.node, scope) if node.node is not None else None
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            self.resolve(arg, scope)
        if not isinstance(base, Known):
            return None
        inner = sch.items(base.schema)
        if inner is None:
            return base if node.name in ("default", "d") else None
        each = Known(inner, f"each item of {base.label}")
        picked = None
        if node.name in _ATTRIBUTE_ARG:
            name = _attribute_arg(node, _ATTRIBUTE_ARG[node.name])
            if name is not None:
                picked = self.path(each, name, base.label)
        if node.name == "map":
            if picked is not None:
                return Known(sch.arr(picked.schema), f"{base.label} | map(…)")
            return None
        if node.name in _SAME_ITEMS:
            return base
        if node.name in _ONE_ITEM:
            return Known(inner, f"{base.label} | {node.name}")
        return None

    # -------------------------------------------------------------- statements

    def walk(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.Expr):
            self.resolve(node, scope)
        elif isinstance(node, nodes.For):
            inner = dict(scope)
            over = self.resolve(node.iter, scope)
            items = sch.items(over.schema) if isinstance(over, Known) else None
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = Known(items, node.target.name) if items else None
            else:  # for k, v in …: nothing known about the names
                for name in node.target.find_all(nodes.Name):
                    inner[name.name] = None
            if node.test is not None:
                self.walk(node.test, inner)
            for child in node.body:
                self.walk(child, inner)
            for child in node.else_:
                self.walk(child, scope)
        elif isinstance(node, nodes.Assign):
            value = self.resolve(node.node, scope)
            if isinstance(node.target, nodes.Name):  # named as the template names it
                var = node.target.name
                scope[var] = Known(value.schema, var) if isinstance(value, Known) else None
            else:  # {% set a, b = … %}
                for name in node.target.find_all(nodes.Name):
                    scope[name.name] = None
        elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
            return  # their arguments shadow anything: not followed
        else:
            self.walk_children(node, scope)

    def walk_children(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        for child in node.iter_child_nodes():
            self.walk(child, scope)


def _falsy_literal(node: nodes.Node) -> bool:
    """``[]``, ``0``, ``''``, ``none``, ``{}``: a branch nothing can be read from."""
    if isinstance(node, nodes.Const):
        return not node.value
    return isinstance(node, (nodes.List, nodes.Tuple, nodes.Dict)) and not node.items


def _index(arg: nodes.Node) -> int | None:
    if isinstance(arg, nodes.Const) and isinstance(arg.value, int):
        return int(arg.value)
    if isinstance(arg, nodes.Neg) and isinstance(arg.node, nodes.Const) and \
            isinstance(arg.node.value, int):
        return -int(arg.node.value)
    return None


def _attribute_arg(node: nodes.Filter, position: int | None) -> str | None:
    for kw in node.kwargs:
        if kw.key == "attribute":
            value = kw.value
            return value.value if isinstance(value, nodes.Const) and \
                isinstance(value.value, str) else None
    if position is not None and len(node.args) > position:
        arg = node.args[position]
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            return arg.value
    return None


def _parse(source: str, template: bool) -> nodes.Template | None:
    try:
        return expr.env().parse(source if template else "{{ (" + source + ") }}")
    except TemplateSyntaxError:
        return None


def problems(source: str, outputs: Mapping[str, sch.Schema], *, template: bool,
             value: Known | None = None) -> list[str]:
    """Fields ``source`` reads that the schemas say do not exist. ``outputs``: the output
    schema of each step id whose collector declares one; ``value``: what ``value`` is
    (a check's own result, in its finding and recommend texts)."""
    tree = _parse(source, template)
    if tree is None:
        return []
    walk = _Walk(outputs)
    walk.walk(tree, {"value": value} if value is not None else {})
    return walk.problems


def value_of(check: str, outputs: Mapping[str, sch.Schema]) -> Known | None:
    """What a check expression yields, when it is a plain reference
    (``steps.link.with_errors``); None when lint cannot tell (a comparison…)."""
    tree = _parse(check, template=False)
    if tree is None:
        return None
    out = tree.body[0]
    if not isinstance(out, nodes.Output) or len(out.nodes) != 1:
        return None
    found = _Walk(outputs).resolve(out.nodes[0], {})
    return Known(found.schema, "value") if isinstance(found, Known) else None
