"""The inbox under load and under fuzzing: a 200 MB upload in flat server memory, and
schemathesis against the OpenAPI document the live server publishes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from inbox_support import Inbox, link, ticket
from seal_support import make_bundle

from toolkit.serve.client import parse_link

MB = 1_000_000


def _peak_rss(pid: int) -> int:
    """The kernel's high-water mark of the process's resident memory (Linux), else 0."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def test_a_200_mb_upload_streams_through_in_flat_memory(cli, tmp_path: Path) -> None:
    server = Inbox(tmp_path / "serve.log")
    try:
        tid = ticket(cli)
        url = link(cli, tid, server, "--max-size", "500M")
        bundle = make_bundle(tmp_path / "b", blob_mb=200)
        assert bundle.stat().st_size > 200 * MB
        proc, sampled, done = psutil.Process(server.pid), [0], threading.Event()

        def sample() -> None:  # psutil's view, every 20 ms, besides the kernel's peak
            while not done.wait(0.02):
                try:
                    sampled[0] = max(sampled[0], proc.memory_info().rss)
                except psutil.Error:
                    return
        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        lines: list[str] = []
        from toolkit.serve.client import upload

        try:
            answer = upload(bundle, url, progress=lines.append)
        finally:
            done.set()
            watcher.join()
        peak = max(sampled[0], _peak_rss(server.pid))
        assert answer["attachment"]["size"] == bundle.stat().st_size
        assert lines and lines[-1].endswith(f"100% of {bundle.stat().st_size / MB:.1f} MB")
        assert 0 < peak < 100 * MB, f"server peak RSS {peak / MB:.0f} MB"
        r = cli("ticket", "show", tid, "--json")
        [att] = json.loads(r.out)["attachments"]
        assert att["sha256"] == answer["attachment"]["sha256"]
        assert parse_link(url).token not in server.errors()
        print(f"\n200 MB upload: server peak RSS {peak / MB:.1f} MB "
              f"(psutil samples {sampled[0] / MB:.1f} MB)", file=sys.stderr)
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("schemathesis") is None and
                    not (Path(sys.executable).parent / "schemathesis").exists(),
                    reason="schemathesis is not installed (it is in the [test] extra)")
def test_schemathesis_finds_nothing_against_the_live_openapi_document(
        cli, tmp_path: Path) -> None:
    """Every check schemathesis has, but one: ``positive_data_acceptance`` wants any body
    the schema allows (any bytes) accepted, and only a real bundle is — the schema
    cannot say "a zip whose hashes match". Run twice: without a token (every request
    must be refused as documented), and with a valid one, so that generated bodies
    reach the bundle checks (and are refused with the documented 422)."""
    server = Inbox(tmp_path / "serve.log")
    try:
        tid = ticket(cli)
        assert tid == "SUP-000001"  # the ticket id the OpenAPI document gives as its example
        token = parse_link(link(cli, tid, server)).token
        exe = Path(sys.executable).parent / "schemathesis"
        base = [str(exe if exe.exists() else shutil.which("schemathesis")), "run",
                f"{server.url}/openapi.json", "--checks", "all",
                "--exclude-checks", "positive_data_acceptance", "--max-examples", "60",
                "--seed", "19", "--workers", "1"]
        for extra in ([], ["-H", f"Authorization: Bearer {token}"]):
            proc = subprocess.run([*base, *extra], capture_output=True, text=True,
                                  timeout=600, cwd=tmp_path, stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
            assert "generated" in proc.stdout and "passed" in proc.stdout
            assert "failure" not in proc.stdout.split("SUMMARY")[-1].replace("0 failures", "")
        assert "refused an upload" in server.errors()  # the bodies did reach the checks
        assert "internal error" not in server.errors()
        assert token not in server.errors()
    finally:
        server.stop()
