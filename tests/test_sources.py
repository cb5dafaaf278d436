"""``source=FILE`` handled by the framework (toolkit.sources): a collector declares its
saved formats; the worker reads the file (bounded, regular files only), keeps a copy as
a raw file of the step, detects the format, parses it — and gather never runs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from toolkit.collector import Collector, Context, Param
from toolkit.sources import Source


def _collect(cli, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    r = cli("collect", "tests.formats", "-p", f"source={path}", *extra, "--json")
    return r.code, json.loads(r.out)


def test_the_detected_format_parses_and_gather_never_runs(cli, plugins, tmp_path: Path
                                                          ) -> None:
    plugins("sk_formats")
    saved = tmp_path / "a.log"
    saved.write_text("alpha\nsecond line\n")
    code, doc = _collect(cli, saved, "-p", "label=L2")
    assert (code, doc["outcome"]) == (0, "ok"), doc
    # the parser gets the step's other params; "source" is added where it sets none
    assert doc["result"] == {"source": str(saved), "format": "alpha", "lines": 2,
                             "asked": "L2"}
    r = cli("collect", "tests.formats", "--json")
    assert json.loads(r.out)["result"] == {"source": "live"}  # without source=, gather runs


def test_an_undetected_format_fails_naming_the_formats(cli, plugins, tmp_path: Path) -> None:
    plugins("sk_formats")
    saved = tmp_path / "g.txt"
    saved.write_text("gamma\n")
    code, doc = _collect(cli, saved)
    assert code == 3 and doc["outcome"] == "failed"
    assert doc["reason"] == (f"{saved}: not a saved output this collector reads — give one "
                             "of: alpha (alpha text); beta (beta text)")


def test_a_parser_refusal_names_the_format_it_was_read_as(cli, plugins, tmp_path: Path
                                                          ) -> None:
    plugins("sk_formats")
    saved = tmp_path / "b.dat"
    saved.write_text("beta damaged\n")
    code, doc = _collect(cli, saved)
    assert (code, doc["outcome"]) == (3, "failed")
    assert doc["reason"] == f"{saved}: the beta block is damaged (read as beta: beta text)"


def test_the_copy_and_the_parsers_files_go_into_the_bundle(cli, plugins, tmp_path: Path
                                                           ) -> None:
    plugins("sk_formats")
    saved = tmp_path / "b.dat"
    saved.write_bytes(b"beta block\n")
    pb = tmp_path / "pb.yaml"
    pb.write_text("id: pb\nversion: 1\ntitle: T\ncategory: general\nsteps:\n"
                  "  - collect: tests.formats\n    id: fmt\n", encoding="utf-8")
    r = cli("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path / "out"),
            "-p", f"fmt.source={saved}")
    assert r.code == 0, r.err
    zf = zipfile.ZipFile(json.loads(r.out)["bundle"])
    top = zf.namelist()[0].split("/")[0]
    step = json.loads(zf.read(f"{top}/manifest.json"))["steps"][0]
    assert step["params"]["source"] == str(saved) and step["commands"] == []
    folder = "steps/01-tests.formats"
    assert sorted(step["files"]) == [f"{folder}/beta-digest.txt", f"{folder}/result.json",
                                     f"{folder}/source.dat"]
    assert zf.read(f"{top}/{folder}/source.dat") == b"beta block\n"  # what was analysed
    assert zf.read(f"{top}/{folder}/beta-digest.txt") == b"beta"
    # a result that names its own source keeps it
    assert json.loads(zf.read(f"{top}/{folder}/result.json"))["source"] == f"beta:{saved}"


def test_a_shipped_collector_keeps_a_copy_of_the_saved_output(cli, tmp_path: Path) -> None:
    saved = FIXTURES / "disk.usage" / "centos-7.7-df.out"
    r = cli("run", "general", "--non-interactive", "--json", "--out", str(tmp_path / "out"),
            "-p", f"disk.source={saved}", "--skip", "sys,smart,me")
    assert r.code == 0, r.err
    zf = zipfile.ZipFile(json.loads(r.out)["bundle"])
    top = zf.namelist()[0].split("/")[0]
    disk = next(s for s in json.loads(zf.read(f"{top}/manifest.json"))["steps"]
                if s["id"] == "disk")
    assert f"steps/{disk['index']:02d}-disk.usage/source.out" in disk["files"]
    kept = zf.read(f"{top}/steps/{disk['index']:02d}-disk.usage/source.out")
    assert kept.splitlines()[0] == saved.read_bytes().splitlines()[0]


def _parse(saved: Any) -> dict[str, Any]:
    return {}


def _detect(head: bytes) -> bool:
    return True


def _gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {}


SOURCE = Param("source", "str", None, "a saved output")


def test_declarations_the_framework_cannot_honour_are_refused() -> None:
    with pytest.raises(TypeError, match="not a module-level function"):
        Source("x", lambda saved: {}, "x")
    with pytest.raises(ValueError, match="no 'source' parameter"):
        Collector("t.x", "x", _gather, sources=(Source("x", _parse),))
    with pytest.raises(ValueError, match="'a' has no detect.*put it last"):
        Collector("t.x", "x", _gather, params=(SOURCE,),
                  sources=(Source("a", _parse), Source("b", _parse, detect=_detect)))
    ok = Collector("t.x", "x", _gather, params=(SOURCE,),
                   sources=(Source("a", _parse, "A", detect=_detect), Source("b", _parse)))
    assert ok.describe()["sources"] == [{"format": "a", "help": "A", "detected": True},
                                        {"format": "b", "help": "", "detected": False}]


def test_every_shipped_collector_with_a_source_param_declares_its_formats() -> None:
    from toolkit.plugins import load

    registry = load()
    with_param = {n for n, c in registry.collectors.items() if c.param("source")}
    declared = {n for n, c in registry.collectors.items() if c.sources}
    assert len(with_param) == 15 and with_param == declared


def test_relative_file_parameters_mean_the_callers_folder(tmp_path: Path) -> None:
    """The worker runs in a private folder; ``source=df.out`` and ``path=.`` still name
    what they name in the folder the user typed them in."""
    import shutil
    import subprocess
    import sys

    shutil.copy(FIXTURES / "disk.usage" / "ubuntu-18.04-df.out", tmp_path / "df.out")
    def collect(*args: str) -> dict[str, Any]:
        proc = subprocess.run([sys.executable, "-m", "toolkit", "collect", *args, "--json"],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60,
                              stdin=subprocess.DEVNULL)
        return json.loads(proc.stdout)

    out = collect("disk.usage", "-p", "source=df.out")
    assert out["outcome"] == "ok", out
    assert out["result"]["source"] == str(tmp_path / "df.out")
    out = collect("account.access", "-p", "path=.")
    assert out["outcome"] == "ok", out
    assert str(tmp_path) in json.dumps(out["result"])
