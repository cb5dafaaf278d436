"""logs.journal, logs.eventlog and logs.macos: parsers, windows, bounds, summaries.

logs.journal runs the real journalctl on a real ``.journal`` file that the
test makes: it writes entries in journald's export format and converts them
with ``systemd-journal-remote`` (Debian package systemd-journal-remote), since
no journald runs here for ``systemd-cat`` to write to. The event-log and
unified-log samples are CONSTRUCTED (see their SOURCES.md); real macOS lines
(Mac_2k.log) go through logs.files.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from collectors import logs_eventlog, logs_files, logs_journal, logs_macos
from toolkit.collector import Collector, Context, Failed

FIXTURES = Path(__file__).parent / "fixtures"
JOURNAL_REMOTE = next((p for p in ("/lib/systemd/systemd-journal-remote",
                                   "/usr/lib/systemd/systemd-journal-remote")
                       if Path(p).exists()), None)
BASE = datetime(2024, 11, 3, 10, 0, tzinfo=timezone.utc).timestamp()


def run(collector: Collector, tmp_path: Path, **params: Any) -> tuple[dict[str, Any], Context]:
    work = Path(tempfile.mkdtemp(prefix="step-", dir=tmp_path))
    ctx = Context(workdir=work, deadline=time.monotonic() + 60)
    return collector.collect(ctx, collector.resolve_params(params)), ctx


# --------------------------------------------------------------------- logs.journal

def _export_entry(fields: dict[str, str | bytes], when: float, seq: int) -> bytes:
    """One entry in journald's export format (systemd.io/JOURNAL_EXPORT_FORMATS):
    text fields as NAME=value lines, a binary field as NAME, a little-endian
    64-bit length and the raw bytes."""
    out = [f"__REALTIME_TIMESTAMP={int(when * 1e6)}\n".encode(),
           f"__MONOTONIC_TIMESTAMP={seq * 1_000_000}\n".encode(),
           b"_BOOT_ID=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n", b"_HOSTNAME=pc-0042\n"]
    for name, value in fields.items():
        if isinstance(value, bytes):
            out.append(name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n")
        else:
            out.append(f"{name}={value}\n".encode())
    return b"".join(out) + b"\n"


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    """A real journal: 120 entries a minute apart from 10:00 UTC, two programs,
    repeating errors, one non-UTF-8 message and one core dump."""
    if JOURNAL_REMOTE is None:
        pytest.skip("systemd-journal-remote not installed: apt install systemd-journal-remote")
    export = b""
    for i in range(120):
        app = i % 3 != 0
        fields: dict[str, str | bytes] = {
            "SYSLOG_IDENTIFIER": "acmed" if app else "cron",
            "_SYSTEMD_UNIT": "acmed.service" if app else "cron.service",
            "_PID": str(4000 + i % 5),
            "PRIORITY": "3" if app and i % 2 else "6",
            "MESSAGE": (f"db: timeout after {100 + i} ms talking to 10.1.2.{i % 9}:5432"
                        if app and i % 2 else f"tick {i} ok"),
        }
        if i == 50:
            fields["MESSAGE"] = b"bad bytes \xff\xfe in message"
            fields["PRIORITY"] = "4"
        if i == 70:
            fields.update(SYSLOG_IDENTIFIER="systemd-coredump", PRIORITY="2",
                          MESSAGE_ID=logs_journal.COREDUMP_MESSAGE_ID,
                          MESSAGE="Process 4242 (acmed) of user 0 dumped core.",
                          COREDUMP_EXE="/usr/bin/acmed", COREDUMP_PID="4242",
                          COREDUMP_SIGNAL_NAME="SIGSEGV", COREDUMP_UNIT="acmed.service")
        export += _export_entry(fields, BASE + 60 * i, i + 1)
    src = tmp_path / "entries.export"
    src.write_bytes(export)
    out = tmp_path / "test.journal"
    subprocess.run([JOURNAL_REMOTE, "-o", str(out), "--split-mode=none", str(src)],
                   check=True, capture_output=True, timeout=60)
    return out


def test_journal_window_is_honoured_on_a_real_journal_file(tmp_path: Path,
                                                           journal_file: Path) -> None:
    since, until = "2024-11-03T10:30:00Z", "2024-11-03T11:00:00Z"
    result, ctx = run(logs_journal.COLLECTOR, tmp_path, file=str(journal_file), since=since,
                      until=until)
    argv = ctx.commands[0].argv
    assert argv[0] == "journalctl" and "--file" in argv and "--since" in argv
    # journalctl itself applied the window: what it printed was all inside it
    assert result["entries"]["read"] == result["entries"]["in_window"] == 31  # 10:30…11:00
    assert result["entries"]["first_time"] == logs_journal.lp.iso(BASE + 1800)
    assert result["entries"]["last_time"] == logs_journal.lp.iso(BASE + 3600)
    saved = (ctx.workdir / result["saved"]).read_text().splitlines()
    stamps = [int(json.loads(line)["__REALTIME_TIMESTAMP"]) / 1e6 for line in saved]
    assert stamps == sorted(stamps) and BASE + 1800 <= stamps[0] and stamps[-1] <= BASE + 3600
    assert result["cut"] is None and result["source"] == "live"


def test_journal_summary_crash_units_and_priority(tmp_path: Path, journal_file: Path) -> None:
    result, _ = run(logs_journal.COLLECTOR, tmp_path, file=str(journal_file))
    assert result["entries"]["kept"] == 120
    top = result["summary"]["top_errors"][0]
    assert top["pattern"] == "db: timeout after <*> talking to <*>"
    # the unit is a value of the pattern, not part of it
    program = next(v for v in top["variables"] if v["name"] == "program")
    assert program["top"] == [{"value": "acmed", "count": 40}]
    assert top["count"] == 40 and top["severity"] == "error"
    assert result["summary"]["severity"]["critical"] == 1  # the core dump, PRIORITY 2
    assert result["crashes"] == [{"time": logs_journal.lp.iso(BASE + 4200),
                                  "exe": "/usr/bin/acmed", "pid": 4242, "signal": "SIGSEGV",
                                  "unit": "acmed.service"}]
    assert result["sources"][0] == {"name": "acmed", "count": 79, "errors": 40}
    filtered, ctx = run(logs_journal.COLLECTOR, tmp_path, file=str(journal_file),
                        units=["acmed.service"], priority="err")
    assert ["-u", "acmed.service"] == ctx.commands[0].argv[-4:-2]
    # acmed's 40 errors and its core dump (-u also matches COREDUMP_UNIT); no cron, no info
    assert filtered["entries"]["kept"] == 41
    assert filtered["summary"]["severity"] == {"critical": 1, "error": 40}


def test_journal_keeps_the_newest_and_says_what_was_cut(tmp_path: Path,
                                                        journal_file: Path) -> None:
    result, ctx = run(logs_journal.COLLECTOR, tmp_path, file=str(journal_file),
                      since="2024-11-03T10:00:00Z", max_entries=10)
    assert result["entries"]["kept"] == 10
    assert result["entries"]["last_time"] == logs_journal.lp.iso(BASE + 119 * 60)
    assert result["cut"] == {"entries": None, "bytes": None, "reason": "max_entries",
                             "kept": "newest"}
    by_bytes, ctx = run(logs_journal.COLLECTOR, tmp_path, file=str(journal_file), max_bytes=4000)
    saved = (ctx.workdir / by_bytes["saved"]).read_bytes()
    assert len(saved) == by_bytes["entries"]["bytes_kept"] <= 4000
    assert by_bytes["cut"]["reason"] == "max_bytes" and by_bytes["cut"]["kept"] == "newest"
    assert by_bytes["cut"]["entries"] + by_bytes["entries"]["kept"] == 120
    last = json.loads(saved.splitlines()[-1])
    assert int(last["__REALTIME_TIMESTAMP"]) / 1e6 == BASE + 119 * 60


def test_journal_non_utf8_message_and_saved_output(tmp_path: Path, journal_file: Path) -> None:
    out = subprocess.run(["journalctl", "--file", str(journal_file), "-o", "json", "-q"],
                         capture_output=True, check=True, timeout=60).stdout
    records, crashes = logs_journal.parse(out)
    assert len(records) == 120 and len(crashes) == 1
    assert records[50].message == "bad bytes \ufffd\ufffd in message"
    saved = tmp_path / "journal.json"
    saved.write_bytes(out)
    result, ctx = run(logs_journal.COLLECTOR, tmp_path, source=str(saved),
                      since="2024-11-03T11:00:00Z")
    assert not ctx.commands and result["source"] == str(saved)
    assert result["entries"]["read"] == 120 and result["entries"]["in_window"] == 60


def test_journal_bad_window_and_no_journal(tmp_path: Path) -> None:
    with pytest.raises(Failed, match="until is before since"):
        run(logs_journal.COLLECTOR, tmp_path, since="1h", until="2h")
    with pytest.raises(Failed, match="cannot read the time"):
        run(logs_journal.COLLECTOR, tmp_path, since="last tuesday")


# --------------------------------------------------------------------- logs.eventlog

def _events() -> bytes:
    return ((FIXTURES / "logs.eventlog" / "wevtutil-system.xml").read_bytes() + b"\n" +
            (FIXTURES / "logs.eventlog" / "get-winevent-application.xml").read_bytes()
            .decode("utf-16").encode("utf-8"))


def test_eventlog_bugchecks_and_shutdowns_are_picked_out() -> None:
    records, part = logs_eventlog.analyse(
        (FIXTURES / "logs.eventlog" / "wevtutil-system.xml").read_bytes())
    assert len(records) == 8
    kinds = [(b["event_id"], b["kind"], b["code"]) for b in part["bugchecks"]]
    assert kinds == [(1001, "bugcheck", "0x0000009f"), (6008, "unexpected-shutdown", None),
                     (41, "bugcheck", "0x0000009f")]
    assert part["bugchecks"][0]["dump"] == "C:\\Windows\\MEMORY.DMP"
    assert records[0].level == "info" and records[1].level == "critical"
    assert "\n" not in records[-1].message and records[-1].raw.count(b"\n") == 1


def test_eventlog_application_crashes_named_and_unnamed_data() -> None:
    # UTF-16 with BOM, as Windows PowerShell writes a redirected file
    raw = (FIXTURES / "logs.eventlog" / "get-winevent-application.xml").read_bytes()
    assert raw.startswith(b"\xff\xfe")
    _, part = logs_eventlog.analyse(raw)
    hang, plugin, heap = part["app_crashes"]
    assert heap == {"time": logs_eventlog.lp.iso(BASE + 20 * 60 + 11.0912841),
                    "event_id": 1000, "provider": "Application Error", "kind": "crash",
                    "app": "acmeedit.exe", "app_version": "4.2.1.0", "module": "ntdll.dll",
                    "module_version": "10.0.19041.3636", "exception_code": "0xc0000374",
                    "offset": "0x00000000000ff1a9",
                    "path": "C:\\Program Files\\Acme\\acmeedit.exe"}
    assert (plugin["module"], plugin["exception_code"]) == ("acmeplug.dll", "0xc0000005")
    assert (hang["kind"], hang["app"], hang["path"]) == (
        "hang", "acmeedit.exe", "C:\\Program Files\\Acme\\acmeedit.exe")
    assert part["crash_counts"] == [{"app": "acmeedit.exe", "crashes": 2, "hangs": 1,
                                     "last": hang["time"]}]


def test_eventlog_saved_export_through_gather(tmp_path: Path) -> None:
    src = tmp_path / "events.xml"
    src.write_bytes(_events())
    result, ctx = run(logs_eventlog.COLLECTOR, tmp_path, source=str(src),
                      since="2024-11-03T10:00:00Z")
    assert result["entries"]["read"] == 12 and result["entries"]["in_window"] == 8
    patterns = {e["pattern"]: e["count"] for e in result["summary"]["top_errors"]}
    assert patterns["[<*>] The AcmeSync service could not start: the "
                    "file named in its settings does not exist. (Constructed sample text.)"] == 2
    assert result["summary"]["severity"] == {"error": 6, "warning": 1, "info": 1}
    assert len(result["bugchecks"]) == 3  # crash evidence is not windowed by the summary
    saved = (ctx.workdir / result["saved"]).read_bytes()
    import xml.etree.ElementTree as ET

    assert len(ET.fromstring(saved)) == 8  # the saved slice is one valid XML document


def test_eventlog_refuses_doctype_and_evtx(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                    "<Event><System><EventID>&a;</EventID></System></Event>")
    with pytest.raises(Failed, match="DOCTYPE"):
        run(logs_eventlog.COLLECTOR, tmp_path, source=str(bomb))
    evtx = tmp_path / "System.evtx"
    evtx.write_bytes(b"ElfFile\x00" + b"\x00" * 100)
    with pytest.raises(Failed, match="wevtutil qe FILE.evtx"):
        run(logs_eventlog.COLLECTOR, tmp_path, source=str(evtx))


def test_eventlog_live_is_windows_only() -> None:
    assert logs_eventlog.COLLECTOR.platforms == ("windows",)
    from toolkit._platform import _windows

    argv = _windows.eventlog_argv("System", since=BASE, until=None, max_level=3, count=50)
    assert argv == ["wevtutil", "qe", "System",
                    "/q:*[System[(Level>0 and Level<=3) and "
                    "(TimeCreated[@SystemTime>='2024-11-03T10:00:00.000Z'])]]",
                    "/f:RenderedXml", "/rd:true", "/c:50"]


# --------------------------------------------------------------------- logs.macos

def test_macos_ndjson_levels_and_footer() -> None:
    records = logs_macos.parse((FIXTURES / "logs.macos" / "log-show.ndjson").read_bytes())
    assert len(records) == 7  # the empty line and {"count":7,"finished":1} are not entries
    assert [r.level for r in records] == ["notice", "debug", "error", "error", "info",
                                          "critical", "debug"]
    assert records[0].when == datetime(2024, 11, 3, 9, 0, 1, 120000,
                                       tzinfo=timezone.utc).timestamp()
    assert records[2].source == "AcmeEdit" and records[2].message.startswith("[com.acme.edit]")


def test_macos_saved_output_summary(tmp_path: Path) -> None:
    src = FIXTURES / "logs.macos" / "log-show.ndjson"
    result, ctx = run(logs_macos.COLLECTOR, tmp_path, source=str(src), max_entries=5)
    assert result["entries"]["kept"] == 5 and result["cut"]["reason"] == "max_entries"
    top = result["summary"]["top_errors"]
    assert top[0]["pattern"] == ("[com.acme.edit] Plugin acmeplug failed to load: "
                                 "code <*> at <*>")
    assert top[0]["count"] == 2 and result["summary"]["severity"]["critical"] == 1
    lines = (ctx.workdir / result["saved"]).read_bytes().splitlines()
    assert len(lines) == 5 and json.loads(lines[-1])["processID"] == 902  # newest kept
    from toolkit._platform import _darwin

    assert _darwin.unified_log_argv(since=BASE, until=None, process='My "App"',
                                    level="info")[-3:] == [
        "--predicate", 'process == "My \\"App\\""', "--info"]


def test_real_mac_syslog_lines_through_logs_files(tmp_path: Path) -> None:
    log = tmp_path / "system.log"
    shutil.copy(FIXTURES / "logs.files" / "Mac_2k.log", log)
    ctx = Context(workdir=tmp_path, deadline=time.monotonic() + 60)
    result = logs_files.gather(ctx, logs_files.COLLECTOR.resolve_params({"paths": [str(log)]}))
    summary = result["summary"]
    assert result["files"][0]["format"] == "syslog" and result["files"][0]["lines_kept"] == 2000
    assert summary["severity"]["error"] > 0 and summary["top_errors"][0]["count"] > 10


# --------------------------------------------------------------------- playbook + report

def test_software_crash_playbook_bundle_and_report(tmp_path: Path, cli: Any,
                                                   journal_file: Path) -> None:
    import zipfile

    logs = tmp_path / "app"
    logs.mkdir()
    shutil.copy(FIXTURES / "logs.files" / "Apache_2k.log", logs / "error.log")
    with open(logs / "error.log", "a") as fh:  # markup in a log must stay text in the report
        fh.write("[Mon Dec 05 19:16:00 2005] [error] <script>alert(1)</script> broke\n")
    answers = tmp_path / "answers.yaml"
    # the unit, not the identifier: journalctl -u also matches the unit's core dumps
    answers.write_text(f"program: acmed\nunit: acmed.service\nlog_paths: {logs}/*.log\n"
                       "since: '2005-01-01'\n")
    res = cli("run", "software-crash", "--answers", str(answers), "--non-interactive",
              "--out", str(tmp_path / "out"), "-p", f"journal.file={journal_file}", "--json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    ids = {f["id"]: f for f in out["findings"]}
    assert "mod_jk child workerEnv in error state <*>" in ids["app_errors"]["finding"]
    assert "/usr/bin/acmed (pid 4242, SIGSEGV)" in ids["program_crashed"]["finding"]
    assert ids["journal_errors"]["finding"].startswith("The system journal holds 41 errors")
    assert out["escalation"]["to"] == "L2-development"
    assert cli("bundle", "verify", out["bundle"]).code == 0
    with zipfile.ZipFile(out["bundle"]) as zf:
        html = zf.read(next(n for n in zf.namelist() if n.endswith("report.html"))).decode()
    journal_at = html.index("<code>logs.journal</code>")
    files_at = html.index("<code>logs.files</code>")
    # each log section opens with its severity chart, then the recurring errors
    for start in (files_at, journal_at):
        section = html[start:]
        assert section.index('aria-label="log lines per severity"') < \
            section.index("Recurring error") < section.index("Raw result")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "core dump" in html and "/usr/bin/acmed" in html


@pytest.mark.parametrize("collector,fixture", [
    (logs_eventlog.COLLECTOR, "logs.eventlog/wevtutil-system.xml"),
    (logs_eventlog.COLLECTOR, "logs.eventlog/get-winevent-application.xml"),
    (logs_macos.COLLECTOR, "logs.macos/log-show.ndjson")])
def test_structured_log_sections_render_summary_first(tmp_path: Path, collector: Collector,
                                                      fixture: str) -> None:
    from toolkit.evidence import report

    result, _ = run(collector, tmp_path, source=str(FIXTURES / fixture))
    result["sources"][0]["name"] = "<b>evil</b>"  # bundle data is untrusted
    html = report.environment().get_template(f"sections/{collector.name}.html.j2").render(r=result)
    assert html.index("<svg") < html.index("Recurring error") < html.index("Read</th>")
    assert "<b>evil</b>" not in html and "&lt;b&gt;evil&lt;/b&gt;" in html
    if "system" in fixture:
        assert "0x0000009f" in html and "C:\\Windows\\MEMORY.DMP" in html
    if "application" in fixture:
        assert "acmeedit.exe" in html and "acmeplug.dll" in html


def test_journal_output_over_the_context_limit_is_reported(tmp_path: Path,
                                                           journal_file: Path) -> None:
    ctx = Context(workdir=tmp_path, deadline=time.monotonic() + 60, max_output=5000)
    params = logs_journal.COLLECTOR.resolve_params({"file": str(journal_file)})
    result = logs_journal.gather(ctx, params)
    assert ctx.commands[0].truncated
    # journalctl printed newest first, so what the context kept is the oldest part
    assert result["cut"]["reason"] == "max_output" and result["cut"]["kept"] == "oldest"
    assert 0 < result["entries"]["kept"] < 120


def test_journal_without_journal_files_is_a_skip_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit import _platform
    from toolkit.collector import Skipped

    if not hasattr(_platform, "journal_present"):
        pytest.skip("Linux platform facts only")
    monkeypatch.setattr(_platform, "journal_present", lambda: False)
    with pytest.raises(Skipped, match="use logs.files on /var/log"):
        run(logs_journal.COLLECTOR, tmp_path, since="1h")


def test_a_saved_windows_export_is_analysed_on_any_os(cli) -> None:
    import json as _json
    from pathlib import Path as _Path

    saved = _Path(__file__).parent / "fixtures" / "logs.eventlog" / "wevtutil-system.xml"
    r = cli("collect", "logs.eventlog", "-p", f"source={saved}", "--json")
    doc = _json.loads(r.out)
    assert r.code == 0 and doc["outcome"] == "ok", doc["reason"]
    assert doc["result"]["entries"]
    r = cli("collect", "logs.eventlog", "--json")  # live: only on Windows
    from toolkit import _platform

    if _platform.NAME != "windows":
        assert _json.loads(r.out)["reason"] == f"logs.eventlog does not run on {_platform.NAME}"
