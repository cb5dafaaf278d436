"""The runner: timeouts, crashes, skips, concurrency, answers, overrides, escalation."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import datetime
from pathlib import Path

import psutil
import pytest
from conftest import FIXTURES


def _playbook(tmp_path: Path, steps: str, extra: str = "", name: str = "pb") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"id: {name}\nversion: 1\ntitle: Test\ncategory: general\n{extra}"
                    f"steps:\n{steps}", encoding="utf-8")
    return path


def _zip(bundle: str) -> tuple[zipfile.ZipFile, str, dict]:
    zf = zipfile.ZipFile(bundle)
    top = zf.namelist()[0].split("/")[0]
    return zf, top, json.loads(zf.read(f"{top}/manifest.json"))


def _run(cli, path: Path, out: Path, *extra: str):
    r = cli("run", str(path), "--non-interactive", "--json", "--out", str(out), *extra)
    doc = json.loads(r.out) if r.out.strip().startswith("{") else None
    return r, doc


def test_hung_collector_is_cut_and_bundle_still_verifies(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, """\
  - collect: tests.sleep
    id: slow
    timeout: 1
  - collect: tests.echo
    id: after
  - check: "steps.after.value == 'x'"
    severity: info
    finding: "the run went on after the hung step"
""")
    t0 = time.monotonic()
    r, doc = _run(cli, pb, tmp_path / "out")
    assert time.monotonic() - t0 < 30  # the sleeper asks for 1000 s
    assert r.code == 3, r.err
    assert doc["outcome"] == "incomplete"
    assert [f["finding"] for f in doc["findings"]] == ["the run went on after the hung step"]
    _, _, manifest = _zip(doc["bundle"])
    slow = manifest["steps"][0]
    assert slow["outcome"] == "timed_out"
    assert "did not finish within 1s" in slow["reason"]
    assert cli("bundle", "verify", doc["bundle"]).code == 0


def test_a_collector_calling_sys_exit_fails_with_where_it_was_called(tmp_path: Path, cli,
                                                                    plugins) -> None:
    # Before: "worker exited with code 1 without a result", and an empty log.
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, "  - collect: tests.exits\n  - collect: tests.echo\n")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 3
    zf, top, manifest = _zip(doc["bundle"])
    step = manifest["steps"][0]
    assert step["outcome"] == "failed"
    assert "collector called sys.exit(1)" in step["reason"], step["reason"]
    trace = zf.read(f"{top}/errors/01-tests.exits.txt").decode()
    assert "sys.exit(1)" in trace
    assert manifest["steps"][1]["outcome"] == "ok"


def test_crash_traceback_goes_to_errors_not_terminal(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, "  - collect: tests.crash\n  - collect: tests.echo\n")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 3
    assert "Traceback" not in r.err + r.out
    zf, top, manifest = _zip(doc["bundle"])
    step = manifest["steps"][0]
    assert step["outcome"] == "failed"
    assert "collector crashed: RuntimeError: planted crash" in step["reason"]
    assert f"errors/{'01-tests.crash'}.txt" in step["files"]
    trace = zf.read(f"{top}/errors/01-tests.crash.txt").decode()
    assert "Traceback" in trace and "planted crash in tests.crash" in trace
    assert manifest["steps"][1]["outcome"] == "ok"
    assert cli("bundle", "verify", doc["bundle"]).code == 0


def test_skipped_collector_keeps_its_reason_and_exit_is_zero(tmp_path: Path, cli,
                                                              plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, "  - collect: tests.skip\n"
                             "  - check: \"steps.tests_skip.x > 1\"\n"
                             "    severity: low\n    finding: never\n")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 0
    step = {k: doc["steps"][0][k] for k in ("id", "kind", "outcome", "reason")}
    assert step == {"id": "tests_skip", "kind": "collect", "outcome": "skipped",
                    "reason": "frobnicator not installed: apt install frobnicator"}
    assert doc["steps"][0]["text"]  # what a person reads, beside the machine's reason
    assert doc["steps"][1]["outcome"] == "skipped"
    assert doc["steps"][1]["reason"] == ("no data to check: step 'tests_skip' skipped "
                                         "(frobnicator not installed: apt install frobnicator)")


def test_hung_command_inside_collector_is_killed_with_it(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, "  - collect: tests.hang_command\n    timeout: 1.5\n")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 3
    assert doc["steps"][0]["outcome"] == "timed_out"
    time.sleep(0.2)
    left = [p for p in psutil.process_iter(["cmdline"])
            if any("sk-hang" in part for part in (p.info["cmdline"] or []))]
    assert not left, "the hung command outlived its collector"


def test_independent_collect_steps_run_at_the_same_time(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, """\
  - collect: tests.sleep
    id: one
    with: {seconds: 1.5}
  - collect: tests.sleep
    id: two
    with: {seconds: 1.5}
""")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 0, r.err
    _, _, manifest = _zip(doc["bundle"])
    one, two = manifest["steps"]
    start_one = datetime.fromisoformat(one["started"])
    start_two = datetime.fromisoformat(two["started"])
    # The second started before the first had finished: they overlapped.
    assert (start_two - start_one).total_seconds() < one["duration_s"] - 0.5


def test_dependent_collect_step_waits_for_its_input(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, """\
  - collect: tests.echo
    id: first
    with: {value: "hello"}
  - collect: tests.echo
    id: second
    with: {value: "{{ steps.first.value }} again", count: "{{ steps.first['items'] | length }}"}
""")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 0, r.err
    zf, top, manifest = _zip(doc["bundle"])
    assert manifest["steps"][1]["params"] == {"value": "hello again", "count": 2}


GUIDED = """\
  - guide: "Restart the program."
    id: restart
    resolves: true
  - ask: "Which program?"
    id: program
    default: mail
  - collect: tests.echo
    with: {value: "{{ answers.program }}"}
"""


def test_non_interactive_takes_defaults_and_records_them(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    r, doc = _run(cli, _playbook(tmp_path, GUIDED), tmp_path / "out")
    assert r.code == 0, r.err
    _, _, manifest = _zip(doc["bundle"])
    guide, ask, echo = manifest["steps"]
    assert (guide["answer"], guide["answer_source"]) == (False, "default")
    assert (ask["answer"], ask["answer_source"]) == ("mail", "default")
    assert echo["params"]["value"] == "mail"
    # Unattended: the instruction was shown to nobody, so it is not something tried.
    assert manifest["tried"] == [{"step": "restart", "instruction": "Restart the program.",
                                  "resolves": True, "fixed": None, "done": False,
                                  "answer_source": "default"}]


def test_answers_file_fixes_at_guide_step(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    answers = tmp_path / "answers.yaml"
    answers.write_text("restart: true\n")
    r, doc = _run(cli, _playbook(tmp_path, GUIDED), tmp_path / "out", "--answers", str(answers))
    assert r.code == 0
    assert doc["outcome"] == "resolved" and doc["resolved_by"] == "restart"
    assert [s["outcome"] for s in doc["steps"]] == ["ok", "skipped", "skipped"]


def test_answers_file_answers_ask_step(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    answers = tmp_path / "answers.json"
    answers.write_text('{"program": "browser"}')
    r, doc = _run(cli, _playbook(tmp_path, GUIDED), tmp_path / "out", "--answers", str(answers))
    _, _, manifest = _zip(doc["bundle"])
    assert manifest["steps"][1]["answer"] == "browser"
    assert manifest["steps"][1]["answer_source"] == "answers-file"


@pytest.mark.parametrize(("content", "message"), [
    ("restart: [unclosed\n", "YAML syntax error"),
    ("- a list\n", "answers must be a mapping"),
])
def test_bad_answers_file_is_bad_input(tmp_path: Path, cli, plugins, content: str,
                                       message: str) -> None:
    plugins("sk_testcollectors")
    answers = tmp_path / "answers.yaml"
    answers.write_text(content)
    r, _ = _run(cli, _playbook(tmp_path, GUIDED), tmp_path / "out", "--answers", str(answers))
    assert r.code == 2 and message in r.err and r.err.startswith("Error: ")


def test_param_override_reads_a_saved_df_output(tmp_path: Path, cli) -> None:
    saved = FIXTURES / "disk.usage" / "centos-7.7-df.out"
    r, doc = _run(cli, "general", tmp_path / "out", "-p", f"disk.source={saved}")  # type: ignore[arg-type]
    assert r.code == 0, r.err
    zf, top, manifest = _zip(doc["bundle"])
    result = json.loads(zf.read(f"{top}/steps/03-disk.usage/result.json"))
    assert result["source"] == str(saved)
    assert {f["mountpoint"] for f in result["filesystems"]} >= {"/", "/boot", "/run"}


@pytest.mark.parametrize(("override", "message"), [
    ("nosuch.x=1", "has no collect step 'nosuch'"),
    ("disk.nosuch=1", "disk.usage has no parameter 'nosuch'"),
    ("disk=1", "name the step and the parameter"),
    ("sys.sample_s=fast", "'sample_s' expects float"),
])
def test_bad_param_override_is_bad_input(tmp_path: Path, cli, override: str,
                                         message: str) -> None:
    r = cli("run", "general", "--non-interactive", "--out", str(tmp_path), "-p", override)
    assert r.code == 2
    assert message in r.err and r.err.count("\n") == 1
    assert not list(tmp_path.glob("*.zip"))


def test_only_and_skip(tmp_path: Path, cli) -> None:
    r, doc = _run(cli, "general", tmp_path / "out", "--only", "disk")  # type: ignore[arg-type]
    outcomes = {s["id"]: (s["outcome"], s["reason"]) for s in doc["steps"]}
    assert outcomes["sys"] == ("skipped", "not selected by --only")
    assert outcomes["disk"][0] == "ok"
    r, doc = _run(cli, "general", tmp_path / "out", "--skip", "disk.usage")  # type: ignore[arg-type]
    outcomes = {s["id"]: (s["outcome"], s["reason"]) for s in doc["steps"]}
    assert outcomes["disk"] == ("skipped", "skipped by --skip")
    assert outcomes["sys"][0] == "ok"


def test_plan_runs_nothing(tmp_path: Path, cli) -> None:
    out = tmp_path / "out"
    r = cli("run", "general", "--plan", "--json", "--out", str(out), "-p", "sys.sample_s=0.1")
    assert r.code == 0
    plan = json.loads(r.out)
    kinds = [s["kind"] for s in plan["steps"]]
    assert kinds[:3] == ["guide", "collect", "collect"]
    assert plan["steps"][1]["params"] == {"sample_s": "0.1"}
    assert not out.exists()


def test_check_finding_and_escalation(tmp_path: Path, cli) -> None:
    # A real CentOS df output with /boot made 96 % full (see tests/fixtures/disk.usage/SOURCES.md).
    saved = Path(__file__).parent / "fixtures" / "disk.usage" / "centos-7.7-boot-full.out"
    # Only the saved df is judged: this machine's load, disks and accounts are left out.
    r, doc = _run(cli, "general", tmp_path / "out", "-p", f"disk.source={saved}",  # type: ignore[arg-type]
                  "--skip", "sys,smart,me")
    assert r.code == 0, r.err
    assert [(f["id"], f["severity"]) for f in doc["findings"]] == [("disk_critical", "critical")]
    assert doc["findings"][0]["finding"] == "/boot is 96.0% full (42.5 MB free)"
    assert doc["findings"][0]["kb"] == "KB-DISK-001"
    assert doc["escalation"]["needed"] is True
    # a full disk is for L1 to free up, with the finding that fired as the reason
    assert doc["escalation"]["to"] == "L1" and doc["escalation"]["finding"] == "disk_critical"
    assert doc["escalation"]["reason"].endswith("/boot is 96.0% full (42.5 MB free)")
    assert doc["escalation"]["findings"] == ["disk_critical"]


def test_lang_zh_renders_chinese_findings(tmp_path: Path, cli) -> None:
    saved = Path(__file__).parent / "fixtures" / "disk.usage" / "centos-7.7-boot-full.out"
    r, doc = _run(cli, "general", tmp_path / "out", "--lang", "zh",  # type: ignore[arg-type]
                  "-p", f"disk.source={saved}", "--skip", "sys,smart,me")
    assert "已用" in doc["findings"][0]["finding"]


def test_unknown_playbook_suggests_the_closest(cli, tmp_path: Path) -> None:
    r = cli("run", "genral", "--non-interactive", "--out", str(tmp_path))
    assert r.code == 2
    assert "no playbook 'genral' (did you mean 'general'?)" in r.err


def test_output_of_a_command_that_timed_out_is_kept(tmp_path: Path, cli, plugins) -> None:
    plugins("sk_testcollectors")
    pb = _playbook(tmp_path, "  - collect: tests.partial_output\n")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 0, r.err
    zf, top, manifest = _zip(doc["bundle"])
    (command,) = manifest["steps"][0]["commands"]
    assert command["timed_out"] is True and command["returncode"] is None
    assert command["file"] == "partial.txt"
    assert zf.read(f"{top}/steps/01-tests.partial_output/partial.txt") == b"first line\n"


def test_worker_that_cannot_start_is_a_failed_step(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit.run.isolation as isolation
    from toolkit.plugins import load

    monkeypatch.setattr(isolation.sys, "executable", str(tmp_path / "no-python"))
    collector = load().get("disk.usage")
    got = isolation.execute(collector, collector.defaults(), tmp_path / "w", 5)
    assert got.outcome == "failed"
    assert got.reason.startswith("could not start a worker process for disk.usage:")


def test_general_points_to_the_playbook_a_finding_calls_for(tmp_path: Path, cli) -> None:
    failing = FIXTURES / "disk.health" / "smart-fail2.json"
    r, doc = _run(cli, "general", tmp_path / "out", "-p", f"smart.source={failing}",  # type: ignore[arg-type]
                  "--skip", "sys,disk,me")
    (finding,) = doc["findings"]
    assert (finding["id"], finding["next"]) == ("disk_failing", "hardware-failure")
    assert doc["escalation"]["to"] == "L2-hardware"


def test_next_must_name_a_playbook(tmp_path: Path, cli) -> None:
    pb = _playbook(tmp_path, "  - collect: disk.usage\n"
                             "  - check: \"true\"\n    severity: low\n    finding: x\n"
                             "    next: hardware-failur\n")
    r = cli("playbook", "lint", str(pb))
    assert r.code == 2
    assert ("'next' names no playbook 'hardware-failur' (did you mean 'hardware-failure'?)"
            in r.out)


def test_the_most_severe_finding_decides_who_acts(tmp_path: Path, cli) -> None:
    # Checks only (no collector): the 'high' one names its target and wins over the
    # earlier 'medium' one; its text becomes the reason. A target template that
    # renders empty falls back to escalate.to and its reason.
    esc = ("escalate:\n  when: \"findings | list\"\n  to: L2-network\n"
           "  reason: \"the general reason\"\n")
    pb = _playbook(tmp_path, """\
  - check: "true"
    id: slow
    severity: medium
    escalate: L2-network
    finding: "it is slow"
  - check: "'refused'"
    id: port
    severity: high
    escalate: "{{ 'service owner' if value == 'refused' else 'L2-network' }}"
    finding: "port 8443 is {{ value }}: nothing listens"
""", extra="", name="esc")
    pb.write_text(pb.read_text(encoding="utf-8") + esc, encoding="utf-8")
    r, doc = _run(cli, pb, tmp_path / "out")
    assert r.code == 0, r.err
    assert doc["escalation"]["to"] == "service owner"
    assert doc["escalation"]["reason"] == "port 8443 is refused: nothing listens"
    assert doc["escalation"]["finding"] == "port"
    assert [f.get("escalate") for f in doc["findings"]] == ["service owner", "L2-network"]

    pb.write_text(pb.read_text(encoding="utf-8").replace(
        "'service owner' if value == 'refused' else 'L2-network'", "''"), encoding="utf-8")
    r, doc = _run(cli, pb, tmp_path / "out2")
    assert doc["escalation"]["to"] == "L2-network"
    assert doc["escalation"]["reason"] == "the general reason"
    assert doc["escalation"].get("finding") is None
