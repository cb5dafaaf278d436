"""The evidence bundle: layout, verify (tampering, hostile zips), atomic writes, redaction."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real run of the shipped general playbook on this machine."""
    out = tmp_path_factory.mktemp("bundles")
    env = {**os.environ, "SUPPORTKIT_HOME": str(out / "home"),
           "SUPPORTKIT_DISABLE_ENTRYPOINTS": "1"}
    proc = subprocess.run([sys.executable, "-m", "toolkit", "run", "general",
                           "--non-interactive", "--json", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return Path(json.loads(proc.stdout)["bundle"])


def _copy_with(src: Path, dst: Path, change: dict[str, bytes | None],
               add: dict[str, bytes] | None = None) -> Path:
    """Rewrite a zip: replace (bytes) or drop (None) members by name suffix, add members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            hit = next((k for k in change if info.filename.endswith(k)), None)
            if hit is not None:
                if change[hit] is None:
                    continue
                data = change[hit]  # type: ignore[assignment]
            zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def test_layout_matches_design(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        top = names[0].split("/")[0]
        assert bundle.name == f"{top}.zip"
        run_id, host, stamp = top.split("_")
        assert run_id.startswith("run-") and stamp.endswith("Z")
        assert all(n.startswith(f"{top}/") for n in names)
        for required in ("manifest.json", "findings.json", "report.html",
                         "steps/02-system.info/result.json", "steps/03-disk.usage/result.json",
                         "steps/02-system.info/snapshot.json"):
            assert f"{top}/{required}" in names
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    assert manifest["schema_version"] == 1
    assert manifest["playbook"]["id"] == "general" and len(manifest["playbook"]["sha256"]) == 64
    assert manifest["host"]["hostname"] == host or "-" in host
    assert manifest["redaction"]["enabled"] is True
    step = manifest["steps"][1]
    assert step["collector"] == "system.info" and step["outcome"] == "ok"
    assert set(step) >= {"kind", "params", "outcome", "reason", "started", "duration_s", "files",
                         "commands"}
    listed = {f["path"] for f in manifest["files"]}
    assert "report.html" in listed and "findings.json" in listed
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in manifest["files"])


def test_verify_intact(bundle: Path, cli) -> None:
    r = cli("bundle", "verify", str(bundle), "--json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert doc["intact"] is True and doc["problems"] == [] and doc["files_checked"] >= 5


def test_one_flipped_byte_in_a_member_is_tampering(bundle: Path, tmp_path: Path, cli) -> None:
    with zipfile.ZipFile(bundle) as zf:
        name = next(n for n in zf.namelist() if n.endswith("03-disk.usage/result.json"))
        data = bytearray(zf.read(name))
    data[20] ^= 0x01
    bad = _copy_with(bundle, tmp_path / "bad.zip", {"03-disk.usage/result.json": bytes(data)})
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4
    assert "steps/03-disk.usage/result.json: content differs from the manifest" in r.out


def test_one_flipped_byte_in_the_zip_file_is_tampering(bundle: Path, tmp_path: Path,
                                                       cli) -> None:
    raw = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(bundle) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith("report.html"))
    # Inside the compressed data of report.html (past its local header).
    raw[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(raw))
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4
    assert "report.html" in r.out


def test_removed_and_added_files_are_named(bundle: Path, tmp_path: Path, cli) -> None:
    with zipfile.ZipFile(bundle) as zf:
        top = zf.namelist()[0].split("/")[0]
    bad = _copy_with(bundle, tmp_path / "edit.zip", {"findings.json": None},
                     {f"{top}/steps/99-extra/result.json": b"{}"})
    r = cli("bundle", "verify", str(bad), "--json")
    assert r.code == 4
    problems = json.loads(r.out)["problems"]
    assert "findings.json: listed in the manifest but missing (removed)" in problems
    assert "steps/99-extra/result.json: not listed in the manifest (added)" in problems


def test_broken_manifest_is_tampering(bundle: Path, tmp_path: Path, cli) -> None:
    bad = _copy_with(bundle, tmp_path / "m.zip", {"manifest.json": b"{not json"})
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4 and "manifest.json: unreadable" in r.out


def test_hostile_entries_are_reported_never_followed(bundle: Path, tmp_path: Path,
                                                     cli) -> None:
    with zipfile.ZipFile(bundle) as zf:
        top = zf.namelist()[0].split("/")[0]
    link = zipfile.ZipInfo(f"{top}/attachments/passwd")
    link.external_attr = (0o120777 << 16)  # a symbolic link to /etc/passwd
    bad = tmp_path / "hostile.zip"
    shutil.copy(bundle, bad)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr(f"{top}/../../escape.txt", b"climb")
        zf.writestr("/etc/absolute.txt", b"abs")
        zf.writestr(link, "/etc/passwd")
    before = set(tmp_path.rglob("*"))
    r = cli("bundle", "verify", str(bad), "--json")
    assert r.code == 4
    problems = "\n".join(json.loads(r.out)["problems"])
    assert "escape.txt: unsafe entry, climbs out of its folder (..)" in problems
    assert "/etc/absolute.txt: unsafe entry, has an absolute path" in problems
    assert "attachments/passwd: unsafe entry, is a symbolic link" in problems
    assert set(tmp_path.rglob("*")) == before  # nothing was extracted anywhere
    assert not (tmp_path.parent / "escape.txt").exists()


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_not_a_bundle_is_bad_input(tmp_path: Path, cli, content: bytes) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(content)
    r = cli("bundle", "verify", str(path))
    assert r.code == 2 and r.err.startswith("Error: ") and r.err.count("\n") == 1


def test_zip_with_two_top_folders_is_not_a_bundle(tmp_path: Path, cli) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a/manifest.json", "{}")
        zf.writestr("b/x", "y")
    r = cli("bundle", "verify", str(path))
    assert r.code == 2 and "exactly one top folder" in r.err


def test_show_and_report(bundle: Path, tmp_path: Path, cli) -> None:
    r = cli("bundle", "show", str(bundle), "--json")
    assert r.code == 0
    doc = json.loads(r.out)
    from toolkit import playbook as pbmod

    shipped = pbmod.load(pbmod.find("general"))
    assert doc["playbook"]["id"] == "general" and len(doc["steps"]) == len(shipped.steps)
    r = cli("bundle", "show", str(bundle))
    assert "general v1" in r.out and "Findings:" in r.out
    out = tmp_path / "again.html"
    r = cli("bundle", "report", str(bundle), "--out", str(out))
    assert r.code == 0
    html = out.read_text()
    assert "General machine triage" in html and "disk.usage" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_secrets_are_redacted_from_results_raw_files_and_attachments(tmp_path: Path, cli,
                                                                     plugins) -> None:
    plugins("sk_testcollectors")
    secret = "Zq8-planted-S3cret-Value"
    pb = tmp_path / "leak.yaml"
    pb.write_text("id: leak\nversion: 1\ntitle: Leak\ncategory: general\nsteps:\n"
                  "  - collect: tests.leak\n", encoding="utf-8")
    attach = tmp_path / "notes.txt"
    attach.write_text(f"db url postgres://app:{secret}@db.local/app\nnothing secret here\n")
    r = cli("run", str(pb), "--non-interactive", "--json", "--out", str(tmp_path / "o"),
            "-p", f"tests_leak.secret={secret}", "--attach", str(attach))
    assert r.code == 0, r.err
    bundle = Path(json.loads(r.out)["bundle"])
    blob = b""
    with zipfile.ZipFile(bundle) as zf:
        for name in zf.namelist():
            blob += zf.read(name)
        top = zf.namelist()[0].split("/")[0]
        notes = zf.read(f"{top}/attachments/notes.txt").decode()
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    assert secret.encode() not in blob
    assert "nothing secret here" in notes and "[REDACTED:url_credentials]" in notes
    with zipfile.ZipFile(bundle) as zf:
        report = zf.read(f"{top}/report.html").decode()
    assert '<a href="attachments/notes.txt">notes.txt</a>' in report
    assert sum(manifest["redaction"]["rules"].values()) >= 4
    assert cli("bundle", "verify", str(bundle)).code == 0


def test_attach_missing_file_is_bad_input_and_runs_nothing(tmp_path: Path, cli) -> None:
    r = cli("run", "general", "--non-interactive", "--out", str(tmp_path / "o"),
            "--attach", str(tmp_path / "nope.png"))
    assert r.code == 2 and "cannot attach" in r.err
    assert not (tmp_path / "o").exists()


def test_binary_attachment_is_kept_byte_for_byte_only_without_secret_text(
        tmp_path: Path, cli) -> None:
    png, leaky = tmp_path / "screen.png", tmp_path / "leaky.png"
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64 + b"IEND"
    png.write_bytes(payload)
    leaky.write_bytes(payload + b"tEXtComment\0password=abc12345")
    r = cli("run", "general", "--non-interactive", "--json", "--out", str(tmp_path / "o"),
            "--only", "disk", "--attach", str(png), "--attach", str(leaky))
    with zipfile.ZipFile(json.loads(r.out)["bundle"]) as zf:
        names = zf.namelist()
        name = next(n for n in names if n.endswith("attachments/screen.png"))
        assert zf.read(name) == payload  # binary without secret text: never rewritten
        assert not any(n.endswith("leaky.png") for n in names)  # refused, not rewritten
        manifest = json.loads(zf.read(names[0].split("/")[0] + "/manifest.json"))
    files = manifest["redaction"]["files"]
    assert files["attachments/screen.png"]["redacted"] is False
    assert "PNG image" in files["attachments/screen.png"]["why"]
    refused = files["attachments/leaky.png"]
    assert refused["stored"] is False and "key_value_secret" in refused["why"]
    assert "abc12345" not in json.dumps(manifest)
    assert [a["original_name"] for a in manifest["attachments"]] == ["screen.png"]


@pytest.mark.parametrize("target", ["group", "parent"])
def test_ctrl_c_mid_run_exits_130_and_leaves_no_bundle(tmp_path: Path, target: str) -> None:
    import psutil

    pb = tmp_path / "slow.yaml"
    pb.write_text("id: slow\nversion: 1\ntitle: Slow\ncategory: general\nsteps:\n"
                  "  - collect: tests.sleep\n    with: {seconds: 60}\n", encoding="utf-8")
    out = tmp_path / "out"
    plugins_dir = str(Path(__file__).parent / "plugins")
    env = {**os.environ, "SUPPORTKIT_PLUGINS": "sk_testcollectors",
           "PYTHONPATH": os.pathsep.join(filter(None, [plugins_dir,
                                                       os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "run", str(pb),
                             "--non-interactive", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and not workers:  # wait until the worker runs
        kids = psutil.Process(proc.pid).children(recursive=True)
        workers = [k for k in kids if "toolkit.run._worker" in " ".join(k.cmdline())]
        time.sleep(0.1)
    assert workers
    t0 = time.monotonic()
    if target == "group":
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    else:
        proc.send_signal(signal.SIGINT)  # kill -INT: the worker gets nothing itself
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 20  # not the collector's 60 s
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    assert "Interrupted" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.needs_root
def test_full_disk_gives_a_clear_error_and_no_partial_file(tmp_path: Path, cli) -> None:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], check=True)
    try:
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(2 * 1024 * 1024))  # incompressible, 8× the space
        r = cli("run", "general", "--non-interactive", "--out", str(mnt), "--only", "disk",
                "--attach", str(big))
        assert r.code == 1
        last = r.err.splitlines()[-1]
        assert last.startswith("Error: could not write the bundle in")
        assert "No space left on device — free some space" in last
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_same_ticket_same_second_never_overwrites_and_bundle_is_private(tmp_path: Path,
                                                                       cli) -> None:
    paths = []
    for _ in range(3):
        r = cli("run", "general", "--non-interactive", "--quiet", "--only", "disk",
                "--ticket", "SUP-000042", "--out", str(tmp_path))
        assert r.code == 0
        paths.append(Path(r.out.strip()))
    assert len(set(paths)) == 3 and all(p.is_file() for p in paths)
    assert all(p.name.startswith("SUP-000042_") for p in paths)
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in paths)
    assert all(cli("bundle", "verify", str(p)).code == 0 for p in paths)


def test_unwritable_output_folder_is_a_clear_error(tmp_path: Path, cli) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = cli("run", "general", "--non-interactive", "--quiet", "--only", "disk",
            "--out", str(blocker / "sub"))
    assert r.code == 1
    assert r.err.startswith("Error: cannot write in the output folder")
