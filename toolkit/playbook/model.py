"""The playbook as the runner sees it: immutable objects built from validated YAML.

``toolkit.playbook.loader`` builds them; ``toolkit.playbook.lint`` says what is
wrong with a file, every problem located.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

MAX_FILE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Text:
    """A text in one or more languages; ``get`` falls back to English, then any."""

    values: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, raw: Any) -> Text | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return cls((("en", raw),))
        return cls(tuple(sorted((str(k), str(v)) for k, v in raw.items())))

    def get(self, lang: str = "en") -> str:
        table = dict(self.values)
        return table.get(lang) or table.get("en") or next(iter(table.values()), "")

    def as_json(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class Input:
    name: str
    prompt: Text
    default: Any = None
    type: str = "string"
    choices: tuple[Any, ...] = ()
    required: bool = False
    from_ticket: str | None = None  # host | url | text: taken from the ticket or symptom


@dataclass(frozen=True)
class Step:
    index: int  # 1-based position in the playbook
    kind: str  # guide | ask | collect | check
    id: str
    line: int
    when: str | None = None
    why: Text | None = None  # what ``when`` means, in words
    title: Text | None = None
    text: Text | None = None  # guide instruction / ask prompt / check finding
    resolves: bool = False
    default: Any = None
    answer_type: str = "string"
    choices: tuple[Any, ...] = ()
    collector: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float | None = None
    expression: str | None = None
    severity: str | None = None
    recommend: Text | None = None
    kb: str | None = None
    next: str | None = None  # check: the playbook a finding calls for
    required: bool = False  # ask: an answer is needed
    escalate: str | None = None  # check: who acts when this finding decides the escalation

    @property
    def label(self) -> str:
        return f"{self.index:02d}-{self.collector or self.kind}"


@dataclass(frozen=True)
class Escalation:
    """One escalation rule. ``findings``: the finding ids that call for it (its
    ``when`` is then made from them); the first of those that fired gives the
    reason when the rule has none of its own."""

    when: str
    to: str
    resources: tuple[str, ...] = ()
    reason: Text | None = None
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Playbook:
    id: str
    version: int
    title: Text
    category: str
    steps: tuple[Step, ...]
    path: Path
    sha256: str
    description: Text | None = None
    subcategories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    escalate: Escalation | None = None  # the first rule (what older readers show)
    escalations: tuple[Escalation, ...] = ()  # every rule, in order: the first due decides
