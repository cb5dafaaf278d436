"""A Chinese run's report.html and ``ticket new`` output hold no English a user has to
read: the page is rendered from a real run (``run general --lang zh`` with a Chinese
ticket), its tags, scripts and styles stripped, and what is left checked with the same
finder as the terminal transcripts (``english_left``). Allowed: ids, commands, paths,
units, technical names — and the machine's own names (host, OS, CPU model, devices,
file systems, user and group names), which are data, taken from the bundle itself.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_process
from test_guided_transcripts import english_left

# Keys whose values are the machine's own names, shown as they are in any language.
_NAMES = {"hostname", "pretty_name", "name", "release", "kernel", "machine", "model",
          "serial", "firmware", "vendor", "user", "device", "mountpoint", "fstype",
          "run_id", "bundle_id", "system", "version", "shell", "home", "boot_time"}


# Besides english_left's own allow-list: what a report shows that is data in any language
# (units, formats, the example program names of software-crash's question, TCP states).
ALSO = {"utc", "uid", "gid", "inode", "inodes", "sha", "gzip", "rtt", "ca", "pem", "acmeedit",
        "nginx", "refused", "filtered", "unreachable"}
# ...and in the runs on real logs and disks (test_..._on_real_logs_and_disks): the program
# named in the answers (httpd), logs.files' name of a time format (ctime), smartctl's device
# type of the fixture's USB bridge (usbjmicron), protocols and acronyms (SSH, ATA, LBA),
# the repair tools a disk finding warns against (chkdsk, fsck).
ALSO |= {"httpd", "ctime", "usbjmicron", "ssh", "ata", "lba", "chkdsk", "fsck"}
_REPORT_DATA = [
    re.compile(r"\b[a-z]+\.[a-z]+(?:_[a-z]+)*\b"),  # collector names (account.auth_failures)
    re.compile(r"\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)?"),
    re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),  # step ids (disk_failing, guide_1)
    re.compile(r"\bL[12]\b"),  # support levels
    re.compile(r"\b[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d\b"),  # a syslog line's own time
    re.compile(r"\b[A-Za-z_]+=\S*"),  # settings as spelt (Storage=none, file=)
    re.compile(r"°C\b"),  # the unit of a disk's temperature
]


def leaks(text: str) -> list[str]:
    for pat in _REPORT_DATA:
        text = pat.sub(" ", text)
    return english_left(text, ALSO)


def _names(doc: Any, out: set[str]) -> set[str]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in _NAMES and isinstance(v, str) and len(v) >= 2 and re.search("[A-Za-z]", v):
                out.add(v)
            _names(v, out)
    elif isinstance(doc, list):
        for v in doc:
            _names(v, out)
    return out


def page_text(page: str, names: set[str]) -> str:
    """What a reader sees: no tags, no style or script, no raw JSON or code (data), and
    the machine's own names taken out."""
    page = re.sub(r"(?is)<(style|script|pre|code)\b.*?</\1>", "\n", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<title>.*?</title>", "\n", page)  # the page title repeats the h1
    text = html.unescape(re.sub(r"<[^>]+>", "\n", page))
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _bundle(path: Path) -> tuple[str, set[str]]:
    with zipfile.ZipFile(path) as z:
        members = z.namelist()
        page = z.read(next(m for m in members if m.endswith("report.html"))).decode()
        names: set[str] = set()
        for m in members:
            if m.endswith(".json"):
                try:
                    _names(json.loads(z.read(m)), names)
                except ValueError:
                    pass
    return page, names


def test_a_chinese_runs_report_has_no_english_prose(tmp_path: Path) -> None:
    new = run_process("ticket", "new", "--title", "电脑很卡，磁盘快满了", "--no-collect",
                      "--impact", "high", "--urgency", "medium", "--reporter", "张三")
    assert new.returncode == 0, new.stderr
    # The intake's lines after the questions are in the title's language.
    assert english_left(new.stdout + new.stderr) == [], new.stdout + new.stderr
    assert "已登记" in new.stdout and "响应截止" in new.stdout
    ticket = new.stdout.split()[0]
    out = tmp_path / "out"
    run = run_process("run", "general", "--ticket", ticket, "--non-interactive", "--out",
                      str(out), "--json")
    assert run.returncode in (0, 3), run.stderr
    bundle = Path(json.loads(run.stdout)["bundle"])
    page, names = _bundle(bundle)
    assert '<html lang="zh">' in page
    assert "通用机器排查" in page and ticket in page
    text = page_text(page, names)
    left = leaks(text)
    assert left == [], "\n".join(left)
    # bundle report renders the same page again from the bundle alone
    again = run_process("bundle", "report", str(bundle), "--out", str(tmp_path / "r.html"))
    assert again.returncode == 0, again.stderr
    left = leaks(page_text((tmp_path / "r.html").read_text(encoding="utf-8"), names))
    assert left == [], "\n".join(left)


@pytest.mark.parametrize("playbook", ["software-crash", "account-permission",
                                      "network-connectivity", "data-sync"])
def test_every_section_of_a_chinese_report_is_chinese(tmp_path: Path, playbook: str) -> None:
    # Logs, crash records, failed logins, ping and trace, TLS and TCP: each collector's
    # section, the skipped steps' reasons, the inputs and the escalation, in a zh run.
    # Loopback only: the host to reach and the sync endpoint are 127.0.0.1.
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"target": "127.0.0.1", "endpoint": "https://127.0.0.1/"}),
                       encoding="utf-8")
    run = run_process("run", playbook, "--lang", "zh", "--non-interactive", "--answers",
                      str(answers), "--out", str(tmp_path / "out"), "--json")
    assert run.returncode in (0, 3), run.stderr
    page, names = _bundle(Path(json.loads(run.stdout)["bundle"]))
    assert '<html lang="zh">' in page
    left = leaks(page_text(page, names))
    assert left == [], "\n".join(left)


_FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("playbook", ["software-crash", "account-permission",
                                      "hardware-failure"])
def test_a_chinese_report_on_real_logs_and_disks_is_chinese(tmp_path: Path,
                                                             playbook: str) -> None:
    # The same, with sections that have something to show: a real Apache log read (and
    # found outside the window), 2000 sshd lines of failed logins, a failing disk.
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"log_paths": str(_FIXTURES / "logs.files" / "Apache_2k.log"),
                                   "program": "httpd", "since": "3000 days"}), encoding="utf-8")
    extra = {
        "software-crash": ["--answers", str(answers)],
        "account-permission": ["-p", "auth.source=" + str(
            _FIXTURES / "account.auth_failures" / "OpenSSH_2k.log")],
        "hardware-failure": ["-p", "disk.source=" + str(
            _FIXTURES / "disk.health" / "smart-fail2.json")],
    }[playbook]
    run = run_process("run", playbook, "--lang", "zh", "--non-interactive", *extra, "--out",
                      str(tmp_path / "out"), "--json")
    assert run.returncode in (0, 3), run.stderr
    page, names = _bundle(Path(json.loads(run.stdout)["bundle"]))
    assert '<html lang="zh">' in page
    left = leaks(page_text(page, names))
    assert left == [], "\n".join(left)


def test_the_page_text_finder_sees_english_and_lets_names_pass() -> None:
    page = ('<html><style>body{x}</style><h2>Steps</h2><td>vm</td><pre>{"a": 1}</pre>'
            '<td>已用 3 %</td><code>supportkit bundle verify</code></html>')
    assert leaks(page_text(page, {"vm"})) == ["['Steps']: Steps"]
    assert leaks("检查 disk_failing · 2026-12-02T11:00:00+00:00 · L1 · (uid 0)") == []
    assert leaks("2 logical · 90.0 % busy")
