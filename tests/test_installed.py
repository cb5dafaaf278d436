"""What users install is what the suite tests: the wheel, complete.

``scripts/test`` installs the built wheel into a fresh virtual environment and runs
pytest from an empty folder; these tests fail if the source tree stood in for it, or
if a file of the source tree did not make it into the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT, run_process

SITE = Path(sysconfig.get_paths()["purelib"]).resolve()


def _installed(module: str) -> Path:
    mod = __import__(module)
    return Path(mod.__file__).resolve().parent


@pytest.mark.parametrize("module", ["toolkit", "collectors"])
def test_the_package_under_test_is_the_installed_one(module: str) -> None:
    where = _installed(module)
    assert where.is_relative_to(SITE), (
        f"{module} was imported from {where}, not from {SITE}: run the suite with "
        "./scripts/test, which tests the installed wheel")
    assert where != (ROOT / module).resolve()


def test_a_process_started_by_a_test_imports_the_installed_package() -> None:
    proc = subprocess.run([sys.executable, "-c", "import toolkit; print(toolkit.__file__)"],
                          capture_output=True, text=True, timeout=60, cwd=os.getcwd())
    assert Path(proc.stdout.strip()).resolve().is_relative_to(SITE), proc.stdout
    assert run_process("--version").returncode == 0


def _tracked() -> list[str]:
    """Files of the source tree that the package is built from (git's list when there is one)."""
    if (ROOT / ".git").exists():
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "toolkit", "collectors",
                              "playbooks"], capture_output=True, text=True, check=True).stdout
        return [f for f in out.split() if (ROOT / f).is_file()]  # not a deletion in progress
    return [str(p.relative_to(ROOT)) for top in ("toolkit", "collectors", "playbooks")
            for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def test_every_source_file_is_in_the_installed_package() -> None:
    roots = {"toolkit": _installed("toolkit"), "collectors": _installed("collectors"),
             "playbooks": _installed("toolkit") / "playbooks"}
    tracked = _tracked()
    assert any(f.endswith(".j2") for f in tracked) and any(f.endswith(".yaml") for f in tracked)
    missing = []
    for rel in tracked:
        top, _, rest = rel.partition("/")
        if not (roots[top] / rest).is_file():
            missing.append(rel)
    assert not missing, f"not in the installed package (pyproject.toml package-data?): {missing}"


def test_every_report_section_is_declared_and_installed() -> None:
    from jinja2 import Environment, PackageLoader, TemplateNotFound

    from toolkit.evidence.report import SECTIONS

    folder = _installed("toolkit") / "evidence" / "report" / "templates" / "sections"
    found = {p.name.removesuffix(".html.j2") for p in folder.glob("*.html.j2")
             if not p.name.startswith("_")}
    assert found == set(SECTIONS)
    env = Environment(loader=PackageLoader("toolkit.evidence.report", "templates"))
    for name in SECTIONS:
        try:
            env.loader.get_source(env, f"sections/{name}.html.j2")  # type: ignore[union-attr]
        except TemplateNotFound:  # pragma: no cover - the failure this test is for
            pytest.fail(f"section template for {name} is not installed")


def test_first_run_report_from_the_installed_package_has_its_sections(tmp_path: Path) -> None:
    import zipfile

    exe = Path(sys.executable).with_name("supportkit")
    assert exe.is_file(), "the console script was not installed"
    proc = subprocess.run([str(exe), "run", "general", "--non-interactive", "--quiet",
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(proc.stdout.strip()) as zf:
        html = zf.read(next(n for n in zf.namelist() if n.endswith("/report.html"))).decode()
    assert "<th>Memory</th>" in html and "<th>OS</th>" in html  # system.info's table
    assert "<th>Mount point</th>" in html and 'class="bar"' in html  # disk.usage's table
