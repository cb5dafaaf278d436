"""report.html: self-contained, escaped, one section per collector with its picture."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

FIX = Path(__file__).parent / "fixtures"

PLAYBOOK = f"""\
id: sections
version: 1
title: Report sections
category: general
steps:
  - collect: disk.usage
    with: {{source: "{FIX / 'disk.usage' / 'ubuntu-18.04-df.out'}"}}
  - collect: disk.health
    with: {{source: "{FIX / 'disk.health' / 'smart-fail2.json'}"}}
  - collect: network.ping
    with: {{source: "{FIX / 'network.ping' / 'centos-7.7__ping-ip-dup.out'}"}}
  - collect: network.traceroute
    with: {{source: "{FIX / 'network.traceroute' / 'centos-7.7__traceroute.out'}"}}
  - collect: account.auth_failures
    with: {{source: "{FIX / 'account.auth_failures' / 'OpenSSH_2k.log'}"}}
  - check: "steps.disk_health.verdict == 'failing'"
    severity: critical
    finding: "<script>alert(1)</script> {{{{ steps.disk_health.summary }}}}"
"""


def _report(tmp_path: Path, cli) -> str:
    pb = tmp_path / "sections.yaml"
    pb.write_text(PLAYBOOK)
    # --trust: this playbook hands collectors saved files to read (toolkit.playbook.trust).
    r = cli("run", str(pb), "--non-interactive", "--json", "--trust", "--out", str(tmp_path))
    assert r.code == 0, r.err
    with zipfile.ZipFile(json.loads(r.out)["bundle"]) as zf:
        name = next(n for n in zf.namelist() if n.endswith("/report.html"))
        return zf.read(name).decode()


def test_report_sections_and_safety(tmp_path: Path, cli) -> None:
    html = _report(tmp_path, cli)
    # Self-contained: nothing is fetched, nothing runs.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html.replace("&lt;script&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 1 failing (/dev/sdc)" in html
    # One section per collector, with what L2 looks for first.
    assert "Read from a saved output" in html
    assert 'class="badge v-failing"' in html and "MSK423Y20S3HBC" in html
    assert "197 Current_Pending_Sector = 8" in html
    assert "not reached" in html and "12.122.149.186" in html  # traceroute hops
    assert "<svg" in html  # ping and traceroute pictures
    assert "183.62.140.253" in html and "533</strong> failed authentications" in html
    # The verdict line comes before the per-collector sections.
    assert html.index("worst: critical") < html.index("<code>disk.usage</code>")


def test_report_has_the_ticket_header_when_the_run_belongs_to_a_ticket(tmp_path: Path,
                                                                       cli) -> None:
    r = cli("ticket", "new", "--title", "Disk clicking", "--reporter", "alice", "--channel",
            "phone", "--impact", "high", "--urgency", "high", "--no-collect", "--json")
    assert r.code == 0, r.err
    ticket = json.loads(r.out)
    r = cli("run", "hardware-failure", "--ticket", ticket["id"], "--non-interactive", "--json",
            "--out", str(tmp_path), "-p",
            f"disk.source={FIX / 'disk.health' / 'smart-fail2.json'}")
    assert r.code == 0, r.err
    with zipfile.ZipFile(json.loads(r.out)["bundle"]) as zf:
        top = zf.namelist()[0].split("/")[0]
        html = zf.read(f"{top}/report.html").decode()
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    info = manifest["ticket_info"]
    assert (info["id"], info["priority"], info["status"]) == (ticket["id"], "urgent", "new")
    assert info["sla"]["response"]["due"] == ticket["response_due"]
    assert f"<strong>{ticket['id']}</strong>" in html
    problem = html[html.index("<h2>The problem</h2>"):]
    assert problem.index('<div class="problem">Disk clicking</div>') < problem.index('"verdict"')
    assert f"response due {ticket['response_due']}" in html
    # The header comes first, before the verdict line.
    assert html.index(ticket["id"] + "</strong>") < html.index("worst: critical")


def test_report_labels_follow_the_run_language(tmp_path: Path, cli) -> None:
    r = cli("run", "hardware-failure", "--lang", "zh", "--non-interactive", "--json", "--out",
            str(tmp_path), "-p", f"disk.source={FIX / 'disk.health' / 'smart-fail2.json'}",
            "--symptom", "硬盘有咔哒声")
    with zipfile.ZipFile(json.loads(r.out)["bundle"]) as zf:
        top = zf.namelist()[0].split("/")[0]
        html = zf.read(f"{top}/report.html").decode()
    for label in ("<h2>发现项</h2>", "<h2>未执行（无人值守运行）</h2>", "<h2>步骤</h2>",
                  "最严重：严重", "<td>检查 <code>disk_failing</code></td>",
                  "升级至 <strong>L2-hardware</strong>", "<th>结论</th>",
                  "<h2>问题</h2>", '<span class="meta">用户的描述</span> “硬盘有咔哒声”'):
        assert label in html, label
    assert "<h2>Findings</h2>" not in html and "Not done (unattended run)" not in html


def test_short_ticket_number_names_the_bundle_with_the_full_id(tmp_path: Path, cli) -> None:
    r = cli("ticket", "new", "--title", "Slow", "--reporter", "bob", "--channel", "chat",
            "--impact", "low", "--urgency", "low", "--no-collect", "--json")
    full = json.loads(r.out)["id"]
    seq = str(int(full.split("-")[-1]))  # SUP-000001 → "1"
    r = cli("run", "general", "--ticket", seq, "--non-interactive", "--json", "--only", "disk",
            "--out", str(tmp_path))
    assert r.code == 0, r.err
    assert Path(json.loads(r.out)["bundle"]).name.startswith(f"{full}_")
