"""The connector contract: what a tracker connector is given and what it returns.

A connector pushes one case — its fields, the escalation summary, the
evidence bundles — to a team's tracker and reads the remote status back::

    push(case, files, link) -> PushResult      # remote id and URL
    pull(remote_id)         -> RemoteStatus    # their status, mapped to ours

It never touches the ticket store: ``toolkit.connectors.service`` builds the
``Case`` and the ``Link`` (what earlier pushes left on the remote side) from
the ticket, and records what the connector reports. That keeps connectors
testable against an HTTP server alone, and idempotence in one place: a known
``link.remote_id`` is updated, never created again; a file whose sha256 is in
``link.uploaded`` is not sent again.

Connectors are declared as data (``ConnectorSpec``) and registered through
the ``supportkit_connectors`` hook (``toolkit/plugins.py``), like collectors.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput, SupportkitError


class ConnectorError(SupportkitError):
    """The tracker refused or could not be reached (exit 1); the message says what to do."""


class ConnectorConfigError(BadInput):
    """The ``connectors:`` configuration is wrong or incomplete (exit 2)."""


class Secret:
    """An API key or token. Its repr and str never show the value: only ``reveal()``
    does, at the one place a header is built."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source  # e.g. "env SUPPORTKIT_REDMINE_TOKEN" or "keyring"

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from {self.source})"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """One entry of ``connectors:`` in config.yaml (secrets are never here)."""

    name: str  # what --to names
    type: str  # which ConnectorSpec: redmine, jira, zendesk, …
    url: str
    project: str = ""
    tracker: str = ""  # Redmine tracker, Jira issue type
    user: str = ""  # Jira Cloud / Zendesk: the account the token belongs to
    priority_map: dict[str, str] = field(default_factory=dict)  # ours → theirs
    status_map: dict[str, str] = field(default_factory=dict)  # ours → theirs
    status_from: dict[str, str] = field(default_factory=dict)  # theirs → ours
    custom_fields: dict[str, str] = field(default_factory=dict)  # their field → template
    timeout_s: float = 60.0
    retries: int = 5
    extra: dict[str, Any] = field(default_factory=dict)  # type-specific keys


@dataclass(frozen=True)
class FileToSend:
    """An evidence bundle kept in the ticket store."""

    path: Path
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Case:
    """What is pushed, built from the ticket (the connector does not see the store)."""

    id: str  # SUP-000123
    title: str
    description: str  # plain text: the problem, error message, environment, clocks
    priority: str  # urgent | high | medium | low
    status: str  # one of STATUSES
    summary: str = ""  # the escalation summary (a journal note / comment), "" if none
    fields: dict[str, str] = field(default_factory=dict)  # values for custom_fields templates

    ref: str = ""  # this ticket in this store, as a short hash (ids are unique per store)

    @property
    def marker(self) -> str:
        """Written into the remote description: tells this case from a namesake made by
        another ticket store when a lost link is looked up."""
        return f"supportkit ticket {self.id} (ref {self.ref})"

    def subject(self, limit: int = 255) -> str:
        text = f"[{self.id}] {self.title}"
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Link:
    """What earlier pushes of this ticket left on this connector's side."""

    remote_id: str | None = None
    url: str | None = None
    uploaded: set[str] = field(default_factory=set)  # sha256 of bundles already there
    note_digest: str | None = None  # sha256 of the summary last posted
    status_sent: str | None = None  # our status when it was last sent
    remote_status: str | None = None  # their status at the last pull


@dataclass
class PushResult:
    remote_id: str
    url: str
    created: bool
    uploaded: list[FileToSend] = field(default_factory=list)
    already: list[FileToSend] = field(default_factory=list)  # not sent again
    noted: bool = False  # the summary was posted
    status: str | None = None  # their status we set, when we set one

    def as_json(self) -> dict[str, Any]:
        return {"remote_id": self.remote_id, "url": self.url, "created": self.created,
                "uploaded": [{"name": f.name, "sha256": f.sha256, "size": f.size}
                             for f in self.uploaded],
                "already_uploaded": [{"name": f.name, "sha256": f.sha256}
                                     for f in self.already],
                "noted": self.noted, "status_set": self.status}


@dataclass(frozen=True)
class RemoteStatus:
    remote_id: str
    url: str
    name: str  # their status, as they name it
    mapped: str | None  # ours, or None when the map has no entry for it
    closed: bool | None = None  # whether the tracker counts it as closed, when it says


@dataclass
class Events:
    """How a connector reports while it works. ``created`` is called as soon as a
    remote issue exists, so that a crash later in the push cannot make the next
    push create a second one."""

    progress: Callable[[str], None] = lambda line: None
    created: Callable[[str, str], None] = lambda remote_id, url: None


class Connector(ABC):
    """One tracker. Subclasses get their settings and secret at construction."""

    def __init__(self, settings: Settings, secret: Secret, events: Events | None = None) -> None:
        self.settings = settings
        self.secret = secret
        self.events = events or Events()

    @abstractmethod
    def push(self, case: Case, files: Sequence[FileToSend], link: Link) -> PushResult:
        """Create or update the remote issue, upload what is new, post the summary."""

    @abstractmethod
    def pull(self, remote_id: str) -> RemoteStatus:
        """The remote issue's status, mapped to ours with ``settings.status_from``."""

    def proxy(self) -> dict[str, Any] | None:
        """The proxy its requests go through, as ``{url, source, used, note}`` (the URL
        without credentials), or None when the connector does not say."""
        return None

    def map_from(self, their_status: str) -> str | None:
        """Their status name → ours (case-insensitive), None when unmapped."""
        wanted = their_status.casefold()
        for theirs, ours in self.settings.status_from.items():
            if theirs.casefold() == wanted:
                return ours
        return None


@dataclass(frozen=True)
class ConnectorSpec:
    """A connector type, declared as data. ``factory`` is ``"module:Class"``, imported
    only when the connector is used, so listing connectors imports none of them."""

    name: str
    summary: str
    factory: str
    secret_label: str = "API token"  # what the user is asked to provide
    needs_user: bool = False  # settings.user is required (token belongs to a login)
    defaults: dict[str, Any] = field(default_factory=dict)  # maps, tracker, … by default

    def connector_class(self) -> type[Connector]:
        module, _, attr = self.factory.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConnectorError(f"connector {self.name}: {self.factory} is not a Connector",
                                 "report it to the plugin's authors")
        return cls


def digest(text: str) -> str:
    """sha256 of a text: tells whether the summary changed since it was last posted."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fill(template: str, values: dict[str, str]) -> str:
    """``{id}``-style placeholders from the case's fields; unknown ones are kept as written
    (no str.format: a template must not reach attributes of the values)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def human_size(n: float) -> str:
    """1536 → '1.5 KB', 62914560 → '60 MB' (powers of 1024, as trackers state limits)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(n)} bytes"
            return f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover - the loop always returns
