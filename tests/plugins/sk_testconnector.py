"""A connector plugin for the tests: keeps its "remote issues" in a JSON file
(``SK_ECHO_STATE``), so push/pull and idempotence run without any server."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolkit.connectors.base import (
    Case,
    Connector,
    ConnectorSpec,
    FileToSend,
    Link,
    PushResult,
    RemoteStatus,
)
from toolkit.plugins import hookimpl


def _state() -> tuple[Path, dict[str, Any]]:
    path = Path(os.environ["SK_ECHO_STATE"])
    return path, json.loads(path.read_text()) if path.exists() else {"issues": {}}


class EchoConnector(Connector):
    def push(self, case: Case, files: Sequence[FileToSend], link: Link) -> PushResult:
        path, state = _state()
        created = link.remote_id is None
        rid = link.remote_id or f"E-{len(state['issues']) + 1}"
        issue = state["issues"].setdefault(rid, {"status": "open", "files": [], "notes": [],
                                                 "subject": ""})
        issue["subject"] = case.subject()
        if created:
            self.events.created(rid, f"echo://{rid}")
        send = [f for f in files if f.sha256 not in link.uploaded]
        issue["files"] += [f.sha256 for f in send]
        if case.summary:
            issue["notes"].append(case.summary)
        path.write_text(json.dumps(state))
        return PushResult(rid, f"echo://{rid}", created, uploaded=send,
                          already=[f for f in files if f not in send])

    def pull(self, remote_id: str) -> RemoteStatus:
        _, state = _state()
        name = state["issues"][remote_id]["status"]
        return RemoteStatus(remote_id, f"echo://{remote_id}", name, self.map_from(name))


@hookimpl
def supportkit_connectors() -> list[Any]:
    return [ConnectorSpec("echo", "Test connector", "sk_testconnector:EchoConnector",
                          defaults={"status_from": {"done": "resolved"}}),
            "not a connector spec"]
