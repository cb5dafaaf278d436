"""The report in a real browser: headless Chromium renders bundles of a healthy machine,
a failing disk and a lossy network; findings are visible, nothing is fetched from the
network, the console stays clean. Screenshots go to $SUPPORTKIT_SCREENSHOTS when set.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

FIX = Path(__file__).parent / "fixtures"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(scripts/system-packages.txt lists it; apt install chromium)")


# Chromium's own update, time and account pings (made whatever page is open);
# they end at the proxy below, which forwards nothing.
BROWSER_OWN = (".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com")


class CountingProxy:
    """A loopback 'proxy' that records every request and forwards none: the page must
    make no request at all (only Chromium's own background pings reach it)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                first = conn.recv(512).split(b"\r\n", 1)[0].decode("latin-1")
            except OSError:
                first = "?"
            self.requests.append(first)
            conn.close()

    @property
    def page_requests(self) -> list[str]:
        def host(line: str) -> str:
            target = line.split(" ")[1] if " " in line else line
            return target.split("//")[-1].split("/")[0].split(":")[0]

        return [r for r in self.requests if not host(r).endswith(BROWSER_OWN)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def _chromium(args: list[str], tmp_path: Path, proxy: CountingProxy
              ) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
             f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
             "--enable-logging=stderr", "--v=0"]
    return subprocess.run([CHROMIUM or "chromium", *flags, *args], capture_output=True,
                          text=True, timeout=120)


def _bundle(cli, tmp_path: Path, *args: str) -> Path:
    r = cli("run", *args, "--non-interactive", "--json", "--out", str(tmp_path / "b"))
    assert r.code in (0, 3), r.err
    bundle = Path(json.loads(r.out)["bundle"])
    html = tmp_path / f"{bundle.stem}.html"
    assert cli("bundle", "report", str(bundle), "--out", str(html)).code == 0
    return html


CASES = {
    # This machine as it is: its findings depend on its load, so the page is checked
    # for its sections, not for a verdict.
    "this-machine": (("general",), ["General machine triage", "The machine", "disk.usage",
                                    "system.info", "Not done (unattended run)"]),
    "failing-disk": (("hardware-failure", "-p",
                      f"disk.source={FIX / 'disk.health' / 'smart-fail2.json'}"),
                     ["worst: critical", "/dev/sdc", "escalate to L2-hardware",
                      "197 Current_Pending_Sector = 8"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_renders_offline_with_findings_visible(case: str, tmp_path: Path, cli) -> None:
    args, expected = CASES[case]
    html = _bundle(cli, tmp_path, *args)
    proxy = CountingProxy()
    try:
        dom = _chromium(["--dump-dom", html.as_uri()], tmp_path, proxy)
        shots = os.environ.get("SUPPORTKIT_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            _chromium(["--window-size=1100,1600",
                       f"--screenshot={Path(shots) / f'report-{case}.png'}", html.as_uri()],
                      tmp_path, proxy)
    finally:
        proxy.close()
    assert dom.returncode == 0, dom.stderr[-2000:]
    for text in expected:
        assert text in dom.stdout, text
    assert proxy.page_requests == [], "the report tried to reach the network"
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln]
    assert not console, console


def test_lossy_network_report(tmp_path: Path, cli) -> None:
    pb = tmp_path / "net.yaml"
    pb.write_text(f"""\
id: net
version: 1
title: Network evidence
category: network
steps:
  - collect: network.ping
    with: {{source: "{FIX / 'network.ping' / 'osx-10.14.6__ping-ip-unreachable.out'}"}}
  - collect: network.traceroute
    with: {{source: "{FIX / 'network.traceroute' / 'centos-7.7__traceroute.out'}"}}
  - check: "steps.network_ping.loss_pct > 20"
    severity: high
    finding: "{{{{ steps.network_ping.loss_pct }}}}% packet loss to \\
{{{{ steps.network_ping.host }}}}"
""")
    html = _bundle(cli, tmp_path, str(pb), "--trust")  # it reads saved outputs
    proxy = CountingProxy()
    try:
        dom = _chromium(["--dump-dom", html.as_uri()], tmp_path, proxy)
    finally:
        proxy.close()
    assert "100.0% packet loss" in dom.stdout and "not reached" in dom.stdout
    assert proxy.page_requests == []
