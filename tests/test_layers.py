"""Data flows one way (docs/architecture.md): every module of the installed package
imports only from its own stage or the stages below it, never back up."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import collectors
import toolkit

# Lowest first. A module belongs to the longest prefix that names it.
STAGES: list[tuple[str, ...]] = [
    ("toolkit", "toolkit.__init__", "toolkit.errors", "toolkit.paths", "toolkit.lang",
     "toolkit.i18n", "toolkit.timephrase", "toolkit.retrieval",
     "toolkit.yamlsafe", "toolkit.proxy", "toolkit._platform", "toolkit.collector",
     "toolkit.capture", "toolkit.schema", "toolkit.sources", "toolkit.plans"),
    ("toolkit.kb",),
    ("collectors",),
    ("toolkit.plugins",),
    ("toolkit.playbook", "toolkit.playbooks"),
    ("toolkit.run",),
    ("toolkit.keys",),
    ("toolkit.evidence",),
    ("toolkit.tickets",),
    ("toolkit.connectors",),
    ("toolkit.serve",),
    ("toolkit.remote",),
    ("toolkit.cli", "toolkit.__main__"),
]


def stage(module: str) -> int:
    best, level = "", -1
    for n, names in enumerate(STAGES):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, level = name, n
    if level < 0:
        raise AssertionError(f"{module} belongs to no stage: add it to STAGES")
    return level


def _modules() -> list[tuple[str, Path]]:
    out = []
    for pkg in (toolkit, collectors):
        out.append((pkg.__name__, Path(pkg.__file__)))
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            spec = importlib.util.find_spec(info.name)
            if spec and spec.origin and spec.origin.endswith(".py"):
                out.append((info.name, Path(spec.origin)))
    return out


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):  # function-level (lazy) imports count as much as the rest
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}  # "from toolkit import bundle"
    return {m for m in found if m.split(".")[0] in ("toolkit", "collectors")}


MODULES = _modules()


def test_every_module_has_a_stage() -> None:
    assert len(MODULES) > 60
    for name, _ in MODULES:
        stage(name)


@pytest.mark.parametrize("name,path", MODULES, ids=[m for m, _ in MODULES])
def test_no_import_runs_back_up_the_stages(name: str, path: Path) -> None:
    known = {m for m, _ in MODULES}
    mine = stage(name)
    upward = []
    for target in sorted(_imports(name, path)):
        if target not in known and target.rpartition(".")[0] in known:
            target = target.rpartition(".")[0]  # "from toolkit.x import Name": the module x
        if target in known and stage(target) > mine:
            upward.append(f"{target} ({' / '.join(STAGES[stage(target)])})")
    assert not upward, f"{name} ({' / '.join(STAGES[mine])}) imports upward: {upward}"
