"""A bundle and its pseudonym mapping are both in place or neither is; an interrupted
write leaves no ``.partial``: full disks, SIGTERM in the middle of ``bundle redact``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tickets_support import make_bundle


def _left(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.needs_root
def test_a_disk_that_fills_while_anonymizing_leaves_both_files_or_neither(
        cli, tmp_path: Path) -> None:
    src, _ = make_bundle(tmp_path / "src")
    roomy = tmp_path / "roomy"
    r = cli("bundle", "redact", str(src), "--anonymize", "--out", str(roomy), "--json")
    assert r.code == 0, r.err
    size = Path(json.loads(r.out)["bundle"]).stat().st_size
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], check=True)
    outcomes = []
    try:
        page = os.statvfs(mnt).f_frsize
        pages = -(-size // page)
        # Room for the bundle but one page short of it, exactly the bundle, one page more:
        # the disk fills while writing the bundle, then while writing the mapping, never.
        for spare in (pages - 1, pages, pages + 2):
            filler = mnt / "filler"
            st = os.statvfs(mnt)
            with open(filler, "wb") as fh:
                fh.write(bytes(st.f_bavail * st.f_frsize - spare * page))
            r = cli("bundle", "redact", str(src), "--anonymize", "--out", str(mnt))
            left = _left(mnt, {"filler"})
            outcomes.append((r.code, r.err.strip().splitlines()[-1] if r.err else "", left))
            filler.unlink()
            for name in left:
                (mnt / name).unlink()
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
    for code, last, left in outcomes:
        if code == 0:
            assert len(left) == 2 and any(n.endswith(".mapping.json") for n in left), left
        else:
            assert code == 1 and left == [], (last, left)  # nothing placed, no .partial
            assert last.startswith("Error: could not write ")
            assert "No space left on device — free some space" in last
    lasts = [last for _, last, _ in outcomes]
    assert any("could not write the bundle" in x for x in lasts), outcomes
    assert any("could not write the pseudonym mapping" in x for x in lasts), outcomes
    assert outcomes[-1][0] == 0, outcomes


def test_sigterm_in_the_middle_of_bundle_redact_leaves_no_partial(tmp_path: Path) -> None:
    src, _ = make_bundle(tmp_path / "src", big_bytes=120 * 1024 * 1024)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "bundle", "redact", str(src),
                             "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in out.iterdir() if p.name.endswith(".partial")]
        if partial and partial[0].stat().st_size > 1 << 20:  # mid-write
            break
        time.sleep(0.01)
    assert proc.poll() is None, "redact ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Stopped by SIGTERM — nothing was written." in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_stop_signals_ignored_at_start_stay_ignored() -> None:
    from toolkit.errors import Terminated
    from toolkit.run.cleanup import signals

    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with signals():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            with pytest.raises(Terminated):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, old)
