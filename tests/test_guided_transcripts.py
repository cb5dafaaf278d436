"""Issue 16's guided-run scenarios on a real terminal (pexpect): a Chinese run from the
first prompt to the summary, a bad answer re-asked with the reason, Enter on a
required input re-asked, and ``ticket new`` keeping every answer when one is bad.
Each command is a real process on a pty, typed as a person would.

The Chinese transcripts are also checked for English a user would have to read
(``english_left``): ids, commands, paths and technical names (DNS, SMART, Wi-Fi)
are allowed; any other Latin word fails the test and names itself.

(The ticket lifecycle's transcripts — escalate from new, L2 → waiting_user → the
clocks paused → back — are tests/test_tickets_transcripts.py.)
"""

from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import terminal_support


def Terminal(*args: str, cwd: Path | None = None, **env: str) -> terminal_support.Terminal:
    """A command on a pty in a UTF-8 locale, started from the home folder."""
    return terminal_support.Terminal(*args, cwd=cwd or Path.home(), timeout=90,
                                     dimensions=(50, 200), **{"LANG": "C.UTF-8", **env})


# ------------------------------------------------------------------ English left in zh

# Names a Chinese user sees in Chinese texts too: products, protocols, units.
ALLOWED = {
    "dns", "tcp", "udp", "ip", "ipv4", "ipv6", "vpn", "wi-fi", "wifi", "ping", "traceroute",
    "smart", "usb", "cpu", "api", "http", "https", "url", "id", "pid", "windows", "macos",
    "linux", "debian", "ubuntu", "fedora", "rhel", "systemd", "journald", "init", "cookie",
    "pdf", "mfa", "raid", "virtio", "hyper-v", "vmware", "smartctl", "ssd", "hdd", "nvme",
    "ms", "s", "v", "kb", "gb", "mb", "shift", "enter", "apt", "dnf", "sudo", "journalctl",
    "high", "medium", "low", "phone", "chat", "portal", "email", "agent", "mtr", "pst",
}
# Ids, commands, paths, flags and quoted commands are data, not prose.
_DATA = [
    re.compile(r"supportkit [^\s“”，。）]*(?: [^\s“”，。）]+)*"),  # a command to type
    re.compile(r"(?:[A-Za-z]:)?[/\\][^\s“”，。；）]*"),  # paths
    re.compile(r"(?<![\w-])--?[a-z][\w-]*(?:=\S*)?"),  # flags
    re.compile(r"\b[a-z][\w-]*(?:\.[a-z_][\w-]*)+\b"),  # collector ids, host names
    re.compile(r"\b[A-Z]{2,}-[A-Z]*-?\d+\b|\bL2-[\w-]+\b|\bSUP-\d+\b"),  # KB, team, ticket ids
    re.compile(r"\b[a-z]+(?:-[a-z]+)+\b"),  # playbook and step ids (network-connectivity)
    re.compile(r"'[^']*'|\"[^\"]*\""),  # quoted commands
    re.compile(r"\b\d+(?:\.\d+)*[a-zA-Z]*\b"),  # numbers with units, versions
    re.compile(r"\b[a-z][\w-]* v\d+\b"),  # a playbook's id and version (howto v1)
]
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")


def english_left(text: str, also: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The lines of ``text`` that still hold an English word a person reads."""
    bad = []
    for line in text.splitlines():
        rest = line
        for pat in _DATA:
            rest = pat.sub(" ", rest)
        words = [w for w in _WORD.findall(rest) if w.lower() not in ALLOWED | also]
        if words:
            bad.append(f"{words}: {line.strip()}")
    return bad


def test_the_leak_finder_finds_english_and_passes_ids() -> None:
    assert english_left("  [3/20]      完成  网卡（network.interfaces） — 1.0s") == []
    assert english_left("请将它附到工单：supportkit ticket attach 工单号 /tmp/x/run.zip") == []
    assert english_left("下一步：带上此证据包升级至 L2-network（所需资源：network engineer）")
    assert english_left("  Did this fix it? [y/N]:")


# ------------------------------------------------------------------ the zh run

def test_a_chinese_run_speaks_chinese_from_the_first_prompt_to_the_summary(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    term = Terminal("run", "network-connectivity", "--lang", "zh", "--skip", "trace",
                    "--out", str(out))
    # Enter on the required host: refused with the reason, asked again.
    term.answer(r"哪个主机、地址或网站无法访问？ （必填）: ", "")
    term.expect(r"此项必须填写——请重新回答。")
    term.answer(r"无法访问？ （必填）: ", "127.0.0.1")
    term.answer(r"TCP 端口.*\[0\]: ", "")
    term.answer(r"DNS 服务器.*: ", "")
    term.answer(r"默认网关（路由器）？ \[是/否，回车=否\]: ", "随便")
    term.expect(r"请回答“是”或“否”——请重新回答。")
    term.answer(r"默认网关（路由器）？ \[是/否，回车=否\]: ", "否")
    term.answer(r"抓包.*\[是/否，回车=否\]: ", "不是")
    term.expect("第 1 步。")
    term.expect("知识库：KB-NET-001")  # the article the step points to, by id and title
    term.answer(r"问题解决了吗？ \[是/否，回车=否\]: ", "否")
    term.answer(r"问题解决了吗？ \[是/否，回车=否\]: ", "没有")
    assert term.end() == 0, term.transcript
    text = term.transcript
    assert "[False]" not in text and "[y/N]" not in text
    # counters in playbook order, out of the playbook's own step count
    assert re.search(r"\[\d+/(\d+)\] +完成  网卡（network\.interfaces） — \d+\.\ds", text), text
    assert re.search(r"\[\d+/\d+\] +跳过  .* — 已用 --skip 排除", text), text
    assert "本排查流程的检查未发现问题。" in text or re.search(r"\d+ 个发现项：", text), text
    assert "请将它附到工单：supportkit ticket attach 工单号" in text
    assert english_left(text) == [], "\n".join(english_left(text))
    (bundle,) = out.glob("*.zip")
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read(next(n for n in z.namelist()
                                          if n.endswith("/manifest.json"))))
    assert manifest["lang"] == "zh"
    assert manifest["inputs"]["target"] == "127.0.0.1"
    assert manifest["inputs"]["check_gateway"] is False


def test_english_yes_no_defaults_are_shown_as_y_n(tmp_path: Path) -> None:
    term = Terminal("run", "network-connectivity", "--lang", "en", "--only", "link",
                    "--out", str(tmp_path / "out"))
    # Enter on the required host, in English too: asked again with the reason.
    term.answer(r"cannot be reached\? \(required\): ", "")
    term.expect(r"an answer is needed here — please answer again\.")
    term.answer(r"cannot be reached\? \(required\): ", "127.0.0.1")
    term.answer(r"0 to skip\)\? \[0\]: ", "")
    term.answer(r"configured ones\)\?: ", "")
    term.answer(r"too\? \[y/N\]: ", "maybe")
    term.expect(r"answer yes or no \(y/n\) — please answer again\.")
    term.answer(r"too\? \[y/N\]: ", "no")
    term.answer(r"administrator rights\)\? \[y/N\]: ", "n")
    term.expect("Knowledge base: KB-NET-001 “")
    term.answer(r"Did this fix it\? \[y/N\]: ", "n")
    term.answer(r"Did this fix it\? \[y/N\]: ", "n")
    assert term.end() == 0, term.transcript
    assert "[False]" not in term.transcript and "[True]" not in term.transcript


# ------------------------------------------------------------------ a bad answer

def test_a_time_nobody_can_read_is_asked_again_not_failed_after_the_self_help(
        tmp_path: Path) -> None:
    log = tmp_path / "acme.log"
    log.write_text("2020-01-01 10:00:00 ERROR old\n", encoding="utf-8")
    out = tmp_path / "out"
    term = Terminal("run", "software-crash", "--lang", "en", "--only", "applogs",
                    "--out", str(out))
    term.answer(r"Which program crashes\?.*: ", "acmeedit")
    term.answer(r"Where does it write its logs\?.*: ", str(log))
    term.answer(r"systemd unit.*: ", "")
    term.answer(r"Since when does it happen\?.*\[24h\]: ", "the day before")
    # Refused now, with the reason and the forms that work — before any step runs.
    term.expect(r"cannot read the time “the day before”: write e\.g\. 2h, 3d, yesterday")
    term.answer(r"Since when does it happen\?.*\[24h\]: ", "3 days ago")
    term.answer(r"Did this fix it\? \[y/N\]: ", "n")
    term.answer(r"Did this fix it\? \[y/N\]: ", "n")
    assert term.end() == 0, term.transcript
    text = term.transcript
    assert "Step 1." in text and text.index("the day before") < text.index("Step 1.")
    assert re.search(r"\[3/16\] +done  Log files \(logs\.files\)", text), text
    assert "cannot read the time" not in text.split("Step 1.")[1]
    (bundle,) = out.glob("*.zip")
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read(next(n for n in z.namelist()
                                          if n.endswith("/manifest.json"))))
    since = manifest["inputs"]["since"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", since), since


def test_a_chinese_time_answer_is_asked_again_in_chinese(tmp_path: Path) -> None:
    term = Terminal("run", "software-crash", "--lang", "zh", "--only", "crashes",
                    "--out", str(tmp_path / "out"))
    term.answer(r"哪个程序崩溃？.*: ", "acmeedit")
    term.answer(r"日志写在哪里？.*: ", "")
    term.answer(r"服务名.*: ", "")
    term.answer(r"从什么时候开始出现？.*\[24h\]: ", "不记得了")
    term.expect(r"无法识别时间“不记得了”：可以写 2h、3d、昨天.*——请重新回答。")
    term.answer(r"从什么时候开始出现？.*\[24h\]: ", "昨天下午3点")
    term.answer(r"问题解决了吗？.*: ", "否")
    term.answer(r"问题解决了吗？.*: ", "否")
    assert term.end() == 0, term.transcript
    left = english_left(term.transcript, {"acmeedit", "nginx"})  # program names
    assert left == [], "\n".join(left)


# ------------------------------------------------------------------ ticket new

def test_ticket_new_keeps_every_answer_when_the_time_is_unreadable(cli) -> None:
    term = Terminal("ticket", "new", "--no-collect")
    term.expect(r"New ticket — the facts of the first call")
    term.answer(r"What happens, in a few words: ", "Outlook closes when I open the calendar")
    term.answer(r"What exactly happens: ", "It shows a spinner, then it is gone")
    term.answer(r"The error message \(exact text\): ", "")
    term.answer(r"When did it happen.*: ", "the day before")
    term.expect(r"cannot read the time “the day before”.*please answer again\.")
    term.answer(r"When did it happen.*: ", "2h ago")
    term.answer(r"Who reports it.*: ", "ann")
    term.answer(r"Channel.*: ", "phone")
    term.answer(r"Impact.*\[medium\]: ", "huge")
    term.expect(r"choose one of high / medium / low, not “huge”")
    term.answer(r"Impact.*\[medium\]: ", "high")
    term.answer(r"Urgency.*\[medium\]: ", "")
    assert term.end() == 0, term.transcript
    assert "--occurred-at" not in term.transcript  # no flag the person never typed
    tid = re.search(r"(SUP-\d+) recorded", term.transcript).group(1)  # type: ignore[union-attr]
    doc = json.loads(cli("ticket", "show", tid, "--json").out)
    assert doc["title"] == "Outlook closes when I open the calendar"
    assert doc["description"] == "It shows a spinner, then it is gone"
    assert (doc["reporter"], doc["channel"], doc["impact"], doc["urgency"]) == (
        "ann", "phone", "high", "medium")
    occurred = datetime.fromisoformat(doc["occurred_at"])
    assert occurred < datetime.fromisoformat(doc["reported_at"])


def test_ticket_new_asks_in_the_language_the_title_is_written_in(cli) -> None:
    term = Terminal("ticket", "new", "--no-collect")
    term.answer(r"What happens, in a few words: ", "打印机无法打印")
    term.answer(r"具体情况: ", "")
    term.answer(r"错误信息（原文）: ", "")
    term.answer(r"什么时候发生的.*: ", "前几天吧")
    term.expect(r"无法识别时间“前几天吧”.*——请重新回答。")
    term.answer(r"什么时候发生的.*: ", "昨天下午3点")
    term.answer(r"报告人.*: ", "张三")
    term.answer(r"渠道.*: ", "")
    term.answer(r"影响范围.*\[中\]: ", "高")
    term.answer(r"紧急程度.*\[中\]: ", "低")
    assert term.end() == 0, term.transcript
    # What follows the questions is Chinese too: the number, the category, the clocks.
    after = term.transcript.rsplit("紧急程度", 1)[1].split("\n", 1)[1]
    assert "已登记" in after and "响应截止" in after and "解决截止" in after, after
    assert english_left(after) == [], after
    tid = re.search(r"(SUP-\d+) 已登记", term.transcript).group(1)  # type: ignore[union-attr]
    doc = json.loads(cli("ticket", "show", tid, "--json").out)
    assert (doc["title"], doc["impact"], doc["urgency"]) == ("打印机无法打印", "high", "low")
    assert doc["occurred_at"]


def test_an_unreadable_occurred_at_flag_names_the_flag_and_the_forms(cli) -> None:
    got = cli("ticket", "new", "--title", "x", "--no-collect", "--occurred-at", "someday")
    assert got.code == 2
    assert "--occurred-at: cannot read the time" in got.err and "yesterday 14:30" in got.err
    got = cli("ticket", "new", "--title", "x", "--no-collect", "--occurred-at", "yesterday",
              "--json")
    assert got.code == 0 and json.loads(got.out)["occurred_at"]


# ------------------------------------------------------------------ unattended zh runs

def test_unattended_chinese_runs_leave_no_english_in_reasons_findings_or_escalation(
        tmp_path: Path) -> None:
    """Collector reasons (a refused TCP connect), findings built from them, the
    articles found and the escalation's resources, all in Chinese. Runs that read
    nothing machine-specific into their texts, so the test holds on any machine."""
    import subprocess

    answers = tmp_path / "answers.yaml"
    answers.write_text("question: 如何共享日历\n", encoding="utf-8")
    for playbook in ("data-sync", "howto"):
        got = subprocess.run(
            [sys.executable, "-m", "toolkit", "run", playbook, "--lang", "zh", "--answers",
             str(answers), "--out", str(tmp_path / "out")], capture_output=True, text=True,
            timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL,
            env={**os.environ, "LANG": "C.UTF-8"})
        assert got.returncode == 0, got.stderr
        # refused / filtered / unreachable: the TCP states the finding names, as data
        left = english_left(got.stderr, {"refused", "filtered", "unreachable"})
        assert left == [], f"{playbook}:\n" + "\n".join(left)
        assert "所需资源：" in got.stderr and "知识库：KB-" in got.stderr
