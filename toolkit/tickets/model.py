"""The ticket record (docs/architecture.md) and the requests that change it.

Plain dataclasses: the store persists them, the workflow changes them, the
CLI and the exporter render ``Ticket.as_json()``. Times are ISO 8601 strings
with their offset; due times are in the configured time zone, events in UTC.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from toolkit.playbook.schema import severity_rank

CATEGORIES = ("hardware", "software", "account", "network", "howto", "data")
CHANNELS = ("phone", "chat", "portal", "email", "agent", "walk-in", "other")


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def os_user() -> str:
    """Who is acting when ``--by`` is not given: the OS account."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (containers, services)
        return os.environ.get("USERNAME") or f"uid-{getattr(os, 'getuid', lambda: 0)()}"


@dataclass
class Intake:
    """The docs/support-process.md step-1 facts, as ``ticket new`` takes them."""

    title: str
    description: str = ""
    error_message: str = ""
    reporter: str = ""
    channel: str = ""
    occurred_at: str | None = None
    reported_at: str | None = None
    category: str | None = None
    subcategory: str | None = None
    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)


@dataclass
class Note:
    at: str
    by: str
    text: str
    kind: str = "note"  # note | tried (an attempted step, for escalation)


@dataclass
class Attachment:
    sha256: str
    size: int
    name: str  # the bundle's file name when it was attached
    path: str  # inside the store's files folder
    added_at: str
    added_by: str
    source: str = "attach"  # attach | run
    playbook: str | None = None
    outcome: str | None = None
    resolved_by: str | None = None
    tried: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    escalation: dict[str, Any] | None = None
    host: str | None = None
    created: str | None = None  # when the bundle was written
    missing: bool = False  # the file vanished from the store (reported at open)


@dataclass
class Escalation:
    at: str
    by: str
    to: str
    reason: str
    description: str
    tried: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    resources: list[str]
    response_due: str
    responded_at: str | None = None
    not_done: list[dict[str, Any]] = field(default_factory=list)  # shown, nobody took them


@dataclass
class HistoryEntry:
    at: str
    by: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ticket:
    id: str
    title: str
    created_at: str
    updated_at: str
    reported_at: str
    description: str = ""
    error_message: str = ""
    reporter: str = ""
    channel: str = ""
    occurred_at: str | None = None
    category: str | None = None
    subcategory: str | None = None
    playbook: str | None = None
    classification: dict[str, Any] = field(default_factory=dict)
    impact: str = "medium"
    urgency: str = "medium"
    priority: str = "medium"
    priority_source: str = "matrix"  # matrix | given
    response_due: str = ""
    resolution_due: str = ""
    responded_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    status: str = "new"
    level: str = "L1"
    assignee: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    env_typed: list[str] = field(default_factory=list)  # environment keys typed by hand
    # The clocks stand still while the ticket waits on the user (clocks.py): when the
    # current pause began, and every pause that ended, with the due times it moved.
    paused_since: str | None = None
    pauses: list[dict[str, Any]] = field(default_factory=list)
    solution: dict[str, Any] | None = None
    verification: dict[str, Any] | None = None
    kb: str | None = None
    version: int = 0  # bumped by every write
    notes: list[Note] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)

    def tried(self) -> list[dict[str, Any]]:
        """What was already tried (docs/support-process.md step 4): self-help steps of the runs
        that did not fix it, and notes recorded as tried, in time order."""
        out: list[dict[str, Any]] = []
        for att in self.attachments:
            for step in att.tried:
                # Only steps a person answered "not fixed": a plain instruction ("save
                # your work") was not an attempt to fix anything, and a step of an
                # unattended run was not taken by anybody (see not_done()).
                if step.get("fixed") is not False or step.get("done") is False:
                    continue
                out.append({"at": att.created or att.added_at, "what": step.get("instruction")
                            or step.get("step", ""), "result": "not fixed",
                            "source": f"run {att.playbook} ({att.sha256[:12]})"})
        for note in self.notes:
            if note.kind == "tried":
                out.append({"at": note.at, "what": note.text, "result": "not fixed",
                            "source": f"note by {note.by}"})
        return sorted(out, key=lambda t: t["at"] or "")

    def not_done(self) -> list[dict[str, Any]]:
        """Self-help steps that runs of this case only showed to nobody (unattended,
        answered by their default): L2 must not read them as tried."""
        out: list[dict[str, Any]] = []
        for att in self.attachments:
            for step in att.tried:
                if step.get("done") is False and step.get("resolves", True):
                    out.append({"at": att.created or att.added_at,
                                "what": step.get("instruction") or step.get("step", ""),
                                "result": "not done (unattended run)",
                                "source": f"run {att.playbook} ({att.sha256[:12]})"})
        return sorted(out, key=lambda t: t["at"] or "")

    def findings(self) -> list[dict[str, Any]]:
        """Findings of the attached bundles, each check once (as the latest bundle
        saw it, with every bundle that found it), most severe first."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for att in sorted(self.attachments, key=lambda a: a.created or a.added_at):
            for f in att.findings:
                key = (str(att.playbook), str(f.get("id")))
                seen_in = latest.get(key, {}).get("bundles", [])
                latest[key] = {**f, "bundle": att.sha256[:12], "playbook": att.playbook,
                               "bundles": [*seen_in, att.sha256[:12]]}
        return sorted(latest.values(), key=lambda f: severity_rank(f.get("severity")))

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["tried"] = self.tried()
        doc["not_done"] = self.not_done()
        doc["findings"] = self.findings()
        return doc
