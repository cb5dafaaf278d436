"""The project documents itself: README and docs/ link only to files of this
repository, and every such link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_links_stay_inside_the_repository_and_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text, f"{page.name} points outside the repository"
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT.resolve()), f"{page.name}: {target} leaves the repo"
        assert path.exists(), f"{page.name}: {target} does not exist"


def test_the_process_and_the_architecture_are_documented() -> None:
    process = (ROOT / "docs" / "support-process.md").read_text(encoding="utf-8")
    assert all(f"## Step {n}" in process for n in range(1, 7))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/support-process.md)" in readme and "(docs/architecture.md)" in readme


def test_the_readme_layout_names_every_package_and_module_of_the_tree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Layout"):]
    block = block[block.index("```") + 3:]
    block = block[:block.index("```")]
    engine = ROOT / "toolkit"
    packages = sorted(p.name for p in engine.iterdir()
                      if p.is_dir() and (p / "__init__.py").exists())
    modules = sorted(p.stem for p in engine.glob("*.py") if not p.stem.startswith("__"))
    assert packages and modules
    missing = [f"{p}/" for p in packages if f"{p}/" not in block]
    missing += [f"{m}.py" for m in modules if f"{m}.py" not in block]
    assert not missing, f"README › Layout does not name {missing}"
