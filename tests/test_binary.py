"""The one-file build (scripts/build-binary) and the wheelhouse (scripts/build-wheelhouse).

The build is made once per wheel and cached (tests/remote_support.py). It must carry
everything the wheel does, run in a minimal Debian with no Python at all (debootstrap
minbase, chroot), start its workers from itself, and keep them as isolated as
``python -I`` workers are.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

import psutil
import pytest
from remote_support import debian_root, debian_root_in_use, one_file_build

from toolkit import __version__

# Builds (about a minute, once per wheel: cached), fetches from the package index.
pytestmark = pytest.mark.build
as_root = pytest.mark.needs_root  # caches under /var/cache, mounts, chroot
SUPPORTKIT = str(Path(sys.executable).with_name("supportkit"))


@pytest.fixture(scope="module")
def build() -> Path:
    return one_file_build()


def _json(argv: list[str], **kw: object) -> object:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _without_paths(doc: object) -> object:
    """Where a file lives differs (site-packages, the build's unpacked folder); what it
    is must not."""
    if isinstance(doc, dict):
        return {k: _without_paths(v) for k, v in doc.items() if k not in ("path", "file")}
    if isinstance(doc, list):
        return [_without_paths(v) for v in doc]
    return doc


@as_root
def test_version_names_the_build(build: Path) -> None:
    line = subprocess.run([str(build), "--version"], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()
    assert re.fullmatch(rf"supportkit, version {re.escape(__version__)} \(one-file "
                        r"linux-x86_64 python[0-9.]+ pyinstaller[0-9.]+ wheel:[0-9a-f]{8}\)",
                        line), line


@as_root
@pytest.mark.parametrize("args", [["playbook", "list", "--json"], ["collectors", "--json"],
                                  ["kb", "search", "disk", "--json"],
                                  ["playbook", "schema"]])
def test_everything_the_wheel_has_is_inside(build: Path, args: list[str],
                                            tmp_path: Path) -> None:
    env = {**os.environ, "SUPPORTKIT_HOME": str(tmp_path)}
    frozen, wheel = _json([str(build), *args], env=env), _json([SUPPORTKIT, *args], env=env)
    assert frozen and _without_paths(frozen) == _without_paths(wheel)


@as_root
def test_runs_in_a_minimal_debian_without_python(build: Path) -> None:
    root = debian_root("bookworm")
    assert not list((root / "usr" / "bin").glob("python3*"))  # nothing to lean on
    with debian_root_in_use("bookworm"):
        _run_inside(root, build)


def _run_inside(root: Path, build: Path) -> None:
    name = f"sk-{os.getpid()}"
    (root / "opt").mkdir(exist_ok=True)
    inside = root / "opt" / name
    inside.write_bytes(build.read_bytes())
    inside.chmod(0o755)
    home = root / "root" / name
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)

    def chroot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["chroot", str(root), "/usr/bin/env", "-i",
                               "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                               f"SUPPORTKIT_HOME=/root/{name}", f"/opt/{name}", *args],
                              capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)

    try:
        version = chroot("--version")
        assert version.returncode == 0 and "(one-file linux-x86_64" in version.stdout
        run = chroot("run", "general", "--non-interactive", "--json", "--out",
                     f"/root/{name}/out")
        assert run.returncode == 0, run.stderr
        doc = json.loads(run.stdout)
        collect = [s for s in doc["steps"] if s["kind"] == "collect"]
        assert len(collect) >= 4
        for step in collect:  # workers started from the same file, inside the chroot
            assert step["outcome"] == "ok" or (step["outcome"] == "skipped" and
                                               step["reason"]), step
        assert {s["outcome"] for s in collect} != {"skipped"}
        verify = chroot("bundle", "verify", doc["bundle"], "--json")
        assert verify.returncode == 0 and json.loads(verify.stdout)["intact"] is True
        bundle = root / doc["bundle"].lstrip("/")
        import zipfile

        with zipfile.ZipFile(bundle) as zf:  # the report template came along too
            assert any(n.endswith("/report.html") for n in zf.namelist())
    finally:
        subprocess.run(["umount", str(root / "proc")], check=False)
        inside.unlink(missing_ok=True)
        subprocess.run(["rm", "-rf", str(home)], check=False)


@as_root
def test_frozen_workers_are_the_build_itself_and_isolated(build: Path,
                                                          tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    (planted / "collectors").mkdir(parents=True)
    for mod in ("psutil.py", "json.py", "collectors/__init__.py"):
        (planted / mod).write_text(f"open({str(tmp_path / 'PWNED')!r}, 'w').write('x')\n")
    env = {**os.environ, "SUPPORTKIT_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(planted), "SUPPORTKIT_X_TOKEN": "s3cr3t-tok",
           "DB_PASSWORD": "s3cr3t-pw", "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(["sh", "-c", 'ulimit -c unlimited && exec "$@"', "sh", str(build),
                             "collect", "network.ping", "-p", "host=127.0.0.1", "-p",
                             "count=8", "-p", "interval=0.5", "-p", "method=system_ping",
                             "--json"], cwd=planted, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen: dict[str, object] = {}
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and "ping" not in seen:
        # Looked at while the worker's command runs: by then the worker has set itself up.
        for p in psutil.process_iter(["cmdline"]):
            try:
                if (p.info["cmdline"] or [])[:1] != ["ping"]:
                    continue
                worker = p.parent()
                if worker is None or worker.cmdline()[:2] != [str(build),
                                                            "--supportkit-worker--"]:
                    continue
                seen["worker"] = (worker.environ(), worker.rlimit(psutil.RLIMIT_CORE),
                                  worker.cwd())
                seen["ping"] = (p.environ(), p.rlimit(psutil.RLIMIT_CORE))
            except (psutil.Error, IndexError):
                continue
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(out)["outcome"] == "ok"
    assert not (tmp_path / "PWNED").exists()
    assert "worker" in seen and "ping" in seen, seen.keys()
    environ, core, cwd = seen["worker"]  # type: ignore[misc]
    assert core == (0, 0)
    assert not {"SUPPORTKIT_X_TOKEN", "DB_PASSWORD", "PYTHONPATH"} & set(environ)
    assert Path(cwd).parent.name.startswith("supportkit-collect-")
    cmd_env, cmd_core = seen["ping"]  # type: ignore[misc]
    assert cmd_core == (0, 0)
    assert not {"LD_LIBRARY_PATH", "_PYI_APPLICATION_HOME_DIR", "_PYI_ARCHIVE_FILE",
                "SUPPORTKIT_X_TOKEN"} & set(cmd_env)  # type: ignore[arg-type]


def test_wheelhouse_installs_with_no_index(tmp_path: Path) -> None:
    tree = Path(os.environ["SUPPORTKIT_SOURCE_TREE"])
    house = tmp_path / "wheelhouse"
    made = subprocess.run([str(tree / "scripts" / "build-wheelhouse"), "--out", str(house)],
                          cwd=tree, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    assert (house / "SHA256SUMS").is_file() and list(house.glob("supportkit-*.whl"))
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # nothing but --no-index and the folder
    pip = subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "-q",
                          "--no-index", "--find-links", str(house), "supportkit"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert pip.returncode == 0, pip.stderr
    run = subprocess.run([str(target / "bin" / "supportkit"), "run", "general",
                          "--non-interactive", "--quiet", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300,
                         env={**env, "SUPPORTKIT_HOME": str(tmp_path / "home")})
    assert run.returncode in (0, 3), run.stderr
    assert Path(run.stdout.strip()).is_file()
