"""logs.files on real logs (tests/fixtures/logs.files, see SOURCES.md): time
windows, size cuts, rotated and compressed files, the error summary, and a full
``supportkit run`` with planted secrets that must not reach the bundle."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import touch
from test_redact import planted, secret_of

from collectors import _fileslice, logs_files
from collectors import _logparse as lp
from toolkit.collector import Context, Skipped

LOGS = Path(__file__).parent / "fixtures" / "logs.files"


def run(tmp_path: Path, **params: Any) -> tuple[dict[str, Any], Path]:
    work = Path(tempfile.mkdtemp(prefix="step-", dir=tmp_path))
    ctx = Context(workdir=work, deadline=time.monotonic() + 60)
    resolved = logs_files.COLLECTOR.resolve_params(params)
    return logs_files.gather(ctx, resolved), work


def copy(tmp_path: Path, name: str, mtime: str | None = None) -> Path:
    dst = tmp_path / name
    shutil.copy(LOGS / name, dst)
    if mtime:
        stamp = datetime.fromisoformat(mtime).timestamp()
        os.utime(dst, (stamp, stamp))
    return dst


def stamps(path: Path, ref: float) -> list[float | None]:
    lines = path.read_bytes().splitlines()
    fmt = lp.sniff(lines, ref)
    assert fmt is not None
    return [lp.stamp(fmt, line, ref) for line in lines]


# --------------------------------------------------------------------- time formats

@pytest.mark.parametrize("name,fmt", [
    ("Linux_2k.log", "syslog"), ("OpenSSH_2k.log", "syslog"), ("Mac_2k.log", "syslog"),
    ("Apache_2k.log", "ctime"), ("Windows_2k.log", "iso8601"), ("Zookeeper_2k.log", "iso8601"),
    ("Thunderbird_2k.log", "epoch"), ("Android_2k.log", "logcat"), ("HDFS_2k.log", "yymmdd"),
    ("Proxifier_2k.log", "mmdd_bracket")])
def test_every_real_log_has_its_format_recognised(name: str, fmt: str) -> None:
    lines = (LOGS / name).read_bytes().splitlines()
    found = lp.sniff(lines, time.time())
    assert found is not None and found.name == fmt
    assert sum(lp.stamp(found, line, time.time()) is not None for line in lines) >= 1990


def test_other_formats_and_year_inference() -> None:
    fmts = {f.name: f for f in lp.FORMATS}
    ref = datetime(2025, 1, 5, 12).timestamp()
    assert lp.stamp(fmts["apache_access"], '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /"',
                    ref) == 971211336.0
    assert lp.stamp(fmts["iso8601"], "2024-11-03T10:00:01.5Z x", ref) == 1730628001.5
    assert lp.stamp(fmts["epoch"], "1700000000123 boot", ref) == pytest.approx(1700000000.123)
    dec = lp.stamp(fmts["syslog"], "Dec 31 23:59:00 host x", ref)
    assert dec is not None and datetime.fromtimestamp(dec).year == 2024  # before the mtime
    us = lp.stamp(fmts["us_date"], "9/28/2016 4:30:30 PM setup", ref)
    assert us == datetime(2016, 9, 28, 16, 30, 30).timestamp()


def test_parse_when() -> None:
    now = 1_700_000_000.0
    assert lp.parse_when("2h", now) == now - 7200
    assert lp.parse_when("3d", now) == now - 3 * 86400
    assert lp.parse_when("2024-11-03T10:00:00Z", now) == 1730628000.0
    assert lp.parse_when(None, now) is None
    with pytest.raises(ValueError, match="ISO 8601"):
        lp.parse_when("yesterday-ish", now)


# --------------------------------------------------------------------- time windows

def test_window_on_real_iso_log(tmp_path: Path) -> None:
    # Zookeeper_2k.log merges several nodes: its lines are not in time order
    log = copy(tmp_path, "Zookeeper_2k.log")
    since, until = "2015-07-30 00:00:00", "2015-07-31 00:00:00"
    result, work = run(tmp_path, paths=[str(log)], since=since, until=until)
    entry = result["files"][0]
    lo, hi = datetime.fromisoformat(since).timestamp(), datetime.fromisoformat(until).timestamp()
    # what a plain line-by-line scan keeps (lines without time follow the line before)
    expected, when = 0, None
    for t in stamps(log, log.stat().st_mtime):
        when = t if t is not None else when
        expected += when is not None and lo <= when <= hi
    assert 0 < entry["lines_kept"] == expected < 2000
    assert lo <= datetime.fromisoformat(entry["first_time"]).timestamp()
    assert datetime.fromisoformat(entry["last_time"]).timestamp() <= hi
    saved = (work / entry["saved"]).read_bytes()
    assert saved.splitlines()[0] in log.read_bytes().splitlines()


def test_window_on_real_syslog_with_inferred_year(tmp_path: Path) -> None:
    log = copy(tmp_path, "OpenSSH_2k.log", mtime="2024-01-15T00:00:00")  # lines are in Dec–Jan
    result, work = run(tmp_path, paths=[str(log)], since="2023-12-10T07:00:00",
                       until="2023-12-10T08:00:00")
    entry = result["files"][0]
    assert entry["format"] == "syslog"
    lines = (work / entry["saved"]).read_text().splitlines()
    assert lines and all(line.startswith("Dec 10 07:") for line in lines)
    every = log.read_text().splitlines()
    assert len(lines) == sum(1 for line in every if line.startswith("Dec 10 07:"))


def test_relative_window_and_mtime_fallback(tmp_path: Path) -> None:
    notime = tmp_path / "app.out"
    notime.write_text("starting\nready\n")
    touch(notime)
    old = tmp_path / "old.out"
    old.write_text("long ago\n")
    touch(old, 7 * 86400)
    result, _ = run(tmp_path, paths=[str(notime), str(old)], since="2h", summary=False)
    by_path = {Path(e["path"]).name: e for e in result["files"]}
    assert by_path["app.out"]["time_source"] == "mtime" and by_path["app.out"]["lines_kept"] == 2
    assert "outside the window" in by_path["old.out"]["skipped"]


def test_seek_matches_a_linear_scan_on_a_large_file(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    base = datetime(2024, 11, 3).timestamp()
    with open(log, "w") as fh:
        for i in range(60_000):  # ~4 MB, so the binary search really runs
            stamp = datetime.fromtimestamp(base + i).strftime("%Y-%m-%d %H:%M:%S")
            fh.write(f"{stamp} INFO worker {i} did something useful\n")
            if i % 7 == 0:
                fh.write("    continuation line without time\n")
    fmt = {f.name: f for f in lp.FORMATS}["iso8601"]
    with open(log, "rb") as fh:
        off = _fileslice.seek_time(fh, log.stat().st_size, base + 33_333, fmt, 0)
        fh.seek(off)
        assert fh.readline().split(b" INFO worker ")[1].startswith(b"33333 ")
        end = _fileslice.seek_time(fh, log.stat().st_size, base + 40_000, fmt, 0, after=True)
        fh.seek(end)
        assert b"worker 40001 " in fh.readline()


# --------------------------------------------------------------------- size, files

def test_max_bytes_keeps_the_newest_part(tmp_path: Path) -> None:
    log = copy(tmp_path, "Linux_2k.log")
    result, work = run(tmp_path, paths=[str(log)], max_bytes=20_000)
    entry = result["files"][0]
    saved = (work / entry["saved"]).read_bytes()
    assert len(saved) <= 20_000 and saved.endswith(log.read_bytes()[-len(saved):])
    assert saved.splitlines()[0] in log.read_bytes().splitlines()  # starts at a whole line
    assert entry["cut"] == {"bytes": log.stat().st_size - len(saved), "reason": "max_bytes",
                            "kept": "newest"}
    assert result["totals"]["truncated"] is True


def test_grep_and_total_budget(tmp_path: Path) -> None:
    a, b = copy(tmp_path, "Linux_2k.log"), copy(tmp_path, "OpenSSH_2k.log")
    touch(a, 100), touch(b)  # b is the newest: served first
    result, work = run(tmp_path, paths=[str(a), str(b)], grep="Invalid user|failure",
                       max_total_bytes=30_000)
    first, second = result["files"]
    assert Path(first["path"]).name == "OpenSSH_2k.log"
    for entry in (first, second):
        if entry["saved"]:
            text = (work / entry["saved"]).read_text()
            assert all("Invalid user" in ln or "failure" in ln for ln in text.splitlines())
    assert result["totals"]["bytes_kept"] <= 30_000
    assert second["skipped"] or second["cut"]["reason"] == "max_total_bytes"


def test_rotated_gz_binary_and_missing(tmp_path: Path) -> None:
    log = copy(tmp_path, "HDFS_2k.log")
    with open(LOGS / "HDFS_2k.log", "rb") as src, gzip.open(tmp_path / "HDFS_2k.log.1.gz",
                                                            "wb") as gz:
        gz.write(src.read())
    (tmp_path / "HDFS_2k.log.lock").write_text("not rotated\n")
    (tmp_path / "core.bin").write_bytes(b"\x7fELF\x00\x01" * 100)
    result, work = run(tmp_path, paths=[str(log), str(tmp_path / "core.bin"),
                                        str(tmp_path / "nothing*.log")], since="2008-11-10")
    names = {Path(e["path"]).name: e for e in result["files"]}
    assert set(names) == {"HDFS_2k.log", "HDFS_2k.log.1.gz", "core.bin"}
    assert names["HDFS_2k.log.1.gz"]["compressed"] is True
    assert names["HDFS_2k.log.1.gz"]["lines_kept"] == names["HDFS_2k.log"]["lines_kept"] > 0
    assert "binary" in names["core.bin"]["skipped"]
    assert result["missing"] == [str(tmp_path / "nothing*.log")]
    with pytest.raises(Skipped, match="no log file matches"):
        run(tmp_path, paths=[str(tmp_path / "absent.log")])


# --------------------------------------------------------------------- summary

def test_ten_thousand_timeouts_are_one_pattern(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    with open(log, "w") as fh:
        for i in range(10_000):
            ms, ip = 100 + i * 7 % 5000, f"10.0.{i % 250}.{i % 200}"
            fh.write(f"2024-11-03T10:{i // 600 % 60:02d}:{i // 10 % 60:02d}Z ERROR [req "
                     f"{i:08x}-aaaa-bbbb-cccc-{i:012x}] db: timeout after {ms} ms talking to "
                     f"{ip}:5432 (/var/lib/db/{i}.sock)\n")
            if i % 1000 == 0:
                fh.write("2024-11-03T10:00:00Z WARN cache miss\n")
    result, _ = run(tmp_path, paths=[str(log)])
    summary = result["summary"]
    assert summary["severity"] == {"error": 10_000, "warning": 10}
    top = summary["top_errors"]
    assert len(top) == 1 and top[0]["count"] == 10_000
    # the header (level, [thread], class) is not part of the message
    assert top[0]["pattern"] == "timeout after <*> talking to <*> (<*>)"
    assert top[0]["severity"] == "error" and summary["top_warnings"][0]["count"] == 10
    assert top[0]["first_seen"] == lp.iso(lp.parse_when("2024-11-03T10:00:00Z", 0))
    assert top[0]["last_seen"] == lp.iso(lp.parse_when("2024-11-03T10:16:39Z", 0))


def test_summary_on_real_logs(tmp_path: Path) -> None:
    logs = [copy(tmp_path, n) for n in ("Apache_2k.log", "Zookeeper_2k.log", "Android_2k.log")]
    result, _ = run(tmp_path, paths=[str(p) for p in logs])
    sev = result["summary"]["severity"]
    assert sev["error"] > 0 and sev["warning"] > 0 and sev["info"] > 0
    patterns = [e["pattern"] for e in result["summary"]["top_errors"]]
    assert "mod_jk child workerEnv in error state <*>" in patterns


# --------------------------------------------------------------------- full run

def test_full_run_never_leaks_planted_secrets(tmp_path: Path, cli: Any) -> None:
    src = tmp_path / "logs"
    src.mkdir()
    cases = planted()
    secrets_: list[str] = []
    kept: list[str] = []
    names = sorted(p.name for p in LOGS.glob("*.log"))
    for n, name in enumerate(names):
        lines = (LOGS / name).read_text(encoding="utf-8").splitlines(keepends=True)
        for k, (line, secret) in enumerate(cases):
            if k % len(names) != n and len(cases) > len(names):
                continue
            at = 150 + 37 * k
            kept += [lines[at - 1].strip(), lines[at].strip()]  # real neighbours
            lines.insert(at, line + "\n")
            secrets_.append(secret_of(line, secret))
        (src / name).write_text("".join(lines), encoding="utf-8")
    attach = tmp_path / "notes.txt"
    attach.write_text("".join(line + "\n" for line, _ in cases), encoding="utf-8")
    playbook = tmp_path / "logs-test.yaml"
    playbook.write_text(
        "id: logs-test\nversion: 1\ntitle: {en: Logs test}\ncategory: software\n"
        "steps:\n  - collect: logs.files\n    id: logs\n"
        f"    with: {{paths: ['{src}/*.log'], max_bytes: 50000000}}\n", encoding="utf-8")
    res = cli("run", str(playbook), "--non-interactive", "--out", str(tmp_path / "out"),
              "--attach", str(attach), "--json", "--trust")  # logs.files reads any path
    assert res.code == 0, res.err
    bundle = Path(json.loads(res.out)["bundle"])
    with zipfile.ZipFile(bundle) as zf:
        blob = "\n".join(zf.read(n).decode("utf-8", errors="replace") for n in zf.namelist())
        manifest = json.loads(zf.read(next(n for n in zf.namelist()
                                           if n.endswith("manifest.json"))))
    leaked = [s for s in secrets_ if s in blob]
    assert not leaked, leaked
    missing = [line for line in kept if line not in blob]
    assert not missing, missing[:3]
    assert len(secrets_) == len(cases)
    assert sum(manifest["redaction"]["rules"].values()) >= 2 * len(cases)
    assert "[REDACTED:private_key]" in blob and "[REDACTED:jwt]" in blob


def test_seek_path_equals_read_through_on_ordered_real_log(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    log = copy(tmp_path, "Windows_2k.log")  # CBS log: in time order
    window = {"since": "2016-09-28 04:40:00", "until": "2016-09-29 02:05:00"}
    read_through, _ = run(tmp_path, paths=[str(log)], **window)
    monkeypatch.setattr(_fileslice, "SEEK_FROM", 0)  # force the binary search
    seeking, _ = run(tmp_path, paths=[str(log)], **window)
    a, b = read_through["files"][0], seeking["files"][0]
    assert 0 < a["lines_kept"] == b["lines_kept"] < 2000
    assert (a["first_time"], a["last_time"]) == (b["first_time"], b["last_time"])


def test_report_section_shows_error_and_warning_patterns_with_values(tmp_path: Path) -> None:
    from toolkit.evidence import report

    ssh, zk = copy(tmp_path, "OpenSSH_2k.log"), copy(tmp_path, "Zookeeper_2k.log")
    notime = tmp_path / "plain.out"
    notime.write_text("started\n<b>evil</b> user=<i>x</i>\n")
    touch(notime)
    result, _ = run(tmp_path, paths=[str(ssh), str(zk), str(notime)],
                     since="2000-01-01")
    html = report.environment().get_template("sections/logs.files.html.j2").render(r=result)
    errors, warnings = html.index("Recurring error"), html.index("Recurring warning")
    assert errors < warnings < html.index("File</th>")
    # which users and which hosts: the values of the variables, beside their pattern
    failed = html.index("Failed password for invalid user &lt;*&gt; from &lt;*&gt;")
    assert failed < html.index("user: admin ×44", failed) < warnings
    assert "103.99.0.122 ×35" in html[failed:warnings]
    # a Zookeeper warning pattern and the values of its variables
    assert "Cannot open channel to &lt;*&gt; at election address" in html[warnings:]
    assert "window" in html and "since/until could not cut it" in html  # plain.out
    assert "<b>evil</b>" not in html and "<i>" not in html


def test_assign_gives_each_kept_line_its_pattern(tmp_path: Path) -> None:
    log = copy(tmp_path, "Linux_2k.log")
    result, work = run(tmp_path, paths=[str(log)], assign=True, summary=False)
    entry = result["files"][0]
    ids = entry["line_patterns"]
    assert len(ids) == entry["lines_kept"] == 2000 and result["summary"] is None
    by_id = {p["id"]: p for p in result["patterns"]}
    assert set(ids) == set(by_id)  # every id is listed, every listed pattern is used
    assert sum(p["count"] for p in by_id.values()) == 2000
    lines = (work / entry["saved"]).read_text().splitlines()
    ids_of = {ids[i] for i, line in enumerate(lines) if "session opened for user cyrus" in line}
    assert len(ids_of) == 1
    pattern = by_id[ids_of.pop()]
    assert pattern["pattern"] == "session opened for user <*> by <*>"
    users = next(v for v in pattern["variables"] if v["kind"] == "user")
    assert "cyrus" in {t["value"] for t in users["top"]}
