"""Run a shipped playbook against a fault as an agent would, and read what it found.

Each scenario of the diagnosis suite sets up a real fault, calls :func:`diagnose`
(``supportkit run PLAYBOOK --non-interactive --answers FILE --json`` as a process,
optionally inside a network namespace or as another user) and asserts on the
:class:`Diagnosis`: the finding that names the cause, the words of its text, the
escalation target, and that a healthy control raises nothing high or critical.

A scenario declares what it is about with the ``scenario`` fixture (conftest.py);
the suite prints every declared scenario as a table: fault → expected finding →
escalation → pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERIOUS = ("high", "critical")


@dataclass
class Diagnosis:
    """What one unattended run said: its JSON, exit code and stderr."""

    out: dict[str, Any]
    rc: int
    stderr: str

    @property
    def findings(self) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in self.out.get("findings", [])}

    def finding(self, finding_id: str) -> dict[str, Any]:
        """The finding *finding_id*; fails naming the findings there were instead."""
        found = self.findings
        assert finding_id in found, (
            f"no finding {finding_id!r}; found: "
            + "; ".join(f"{k} ({v.get('severity')}): {v.get('finding')}" for k, v in found.items()))
        return found[finding_id]

    def text(self, finding_id: str) -> str:
        return str(self.finding(finding_id).get("finding", ""))

    @property
    def escalation_to(self) -> str | None:
        esc = self.out.get("escalation")
        return esc.get("to") if esc else None

    @property
    def escalation_reason(self) -> str:
        esc = self.out.get("escalation")
        return str(esc.get("reason", "")) if esc else ""

    def serious(self) -> list[str]:
        """Ids of the high and critical findings (a healthy control must have none)."""
        return [k for k, v in self.findings.items() if v.get("severity") in SERIOUS]

    def steps(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.out.get("steps", [])}

    def failed_steps(self) -> list[str]:
        return [k for k, s in self.steps().items() if s.get("outcome") in ("failed", "timed_out")]


def diagnose(playbook: str, tmp: Path, answers: dict[str, Any] | None = None, *,
             prefix: Sequence[str] = (), env: dict[str, str] | None = None,
             extra: Sequence[str] = (), timeout: float = 240) -> Diagnosis:
    """Run *playbook* unattended with *answers*; *prefix* wraps the command
    (``ip netns exec NS``, ``unshare -n``). Fails on a traceback or an exit code
    other than 0 (done) and 3 (incomplete: a step failed), and on a step that failed."""
    out_dir = tmp / "bundles"
    out_dir.mkdir(parents=True, exist_ok=True)
    argv = [*prefix, sys.executable, "-m", "toolkit", "run", playbook, "--non-interactive",
            "--json", "--out", str(out_dir)]
    if answers is not None:
        path = tmp / f"answers-{playbook}.json"
        path.write_text(json.dumps(answers))
        argv += ["--answers", str(path)]
    argv += list(extra)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd="/",
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 3), f"exit {proc.returncode}: {proc.stderr.strip()}"
    result = Diagnosis(json.loads(proc.stdout), proc.returncode, proc.stderr)
    assert not result.failed_steps(), (
        "steps failed: " + "; ".join(f"{k}: {result.steps()[k].get('reason')}"
                                     for k in result.failed_steps()) + _errors(out_dir))
    return result


def _errors(out_dir: Path) -> str:
    """What the bundle's errors/ folder says (a worker's traceback), for the failure."""
    import zipfile

    texts = []
    for bundle in sorted(out_dir.glob("*.zip")):
        with zipfile.ZipFile(bundle) as z:
            texts += [f"\n--- {n}\n" + z.read(n).decode("utf-8", "replace")[-3000:]
                      for n in z.namelist() if "/errors/" in n]
    return "".join(texts)
