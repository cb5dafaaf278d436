"""Answers: checked when they are given, never at the end of a run.

``coerce`` turns what a person typed (or an answers file holds) into the value a
step uses, or raises ``AnswerError`` with a catalogue message the terminal shows
before asking again. ``from_ticket`` finds the host or URL a ticket names, for
inputs that declare ``from_ticket:``.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any

from toolkit import i18n, timephrase


class AnswerError(ValueError):
    """An answer that cannot be used; ``text(lang)`` says why, for the person."""

    def __init__(self, msg_id: str, **params: Any) -> None:
        self.msg_id, self.params = msg_id, params
        super().__init__(i18n.t(msg_id, "en", **params))

    def text(self, lang: str) -> str:
        return i18n.t(self.msg_id, lang, **self.params)


def coerce(value: Any, kind: str, choices: tuple[Any, ...] = (), required: bool = False,
           now: datetime | None = None) -> Any:
    """The answer as the step's type: integer, number, boolean (yes/no in English or
    Chinese), time (ISO 8601 from a phrase such as "yesterday" or "2h"), or string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise AnswerError("answer.required")
        return "" if kind == "string" and value is not None else None
    shown = str(value).strip()
    if kind == "integer":
        if isinstance(value, bool):
            raise AnswerError("answer.integer", value=shown)
        try:
            value = int(shown)
        except ValueError:
            raise AnswerError("answer.integer", value=shown) from None
    elif kind == "number":
        try:
            value = float(shown)
        except ValueError:
            raise AnswerError("answer.number", value=shown) from None
    elif kind == "boolean":
        got = i18n.yes_no(value)
        if got is None:
            raise AnswerError("answer.yes_no")
        value = got
    elif kind == "time":
        try:
            value = timephrase.parse(shown, now or timephrase.local_now()).isoformat(
                timespec="seconds")
        except timephrase.FutureTime:
            raise AnswerError("answer.future", value=shown) from None
        except ValueError:
            raise AnswerError("answer.time", value=shown) from None
    elif isinstance(value, str):
        value = value.strip()
    if choices and value not in choices:
        raise AnswerError("answer.choice", options=" / ".join(map(str, choices)), value=shown)
    return value


# ----------------------------------------------------------------------- from the ticket

# (ASCII only: "打不开http://oa.corp.cn/login页面" names http://oa.corp.cn/login)
_URL = re.compile(r"(?<![A-Za-z0-9])https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+", re.I)
_UNC = re.compile(r"\\\\([A-Za-z0-9][A-Za-z0-9.-]{0,252})\\")
# A name with a dot and a letter-only last label: mail.example.com, erp.corp.local.
_NAME = re.compile(r"(?<![A-Za-z0-9_@.-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                   r"[A-Za-z]{2,24})(?::(\d{1,5}))?(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])")
_IPV4 = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?"
                   r"(?![A-Za-z0-9_]|\.\d)")
_IPV6 = re.compile(r"(?<![A-Za-z0-9_:])\[?((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})\]?"
                   r"(?![A-Za-z0-9_:])")
# Words that end like a domain but are files, versions or code (update.exe, app.log).
_NOT_HOSTS = {"exe", "dll", "msi", "log", "txt", "pdf", "doc", "docx", "xls", "xlsx", "ppt",
              "pptx", "zip", "rar", "gz", "tar", "json", "yaml", "yml", "xml", "csv", "ini",
              "cfg", "conf", "py", "js", "sh", "bat", "ps", "ps1", "png", "jpg", "jpeg", "gif",
              "bmp", "mp4", "mov", "eml", "msg", "pst", "ost", "tmp", "bak", "iso", "img",
              "vhd", "vmdk", "sys", "drv", "dat", "db", "sql", "md", "html", "htm", "php",
              "jar", "java", "cpp", "apk", "app", "dmg", "pkg", "deb", "rpm", "so", "lnk",
              "css", "ts", "go", "rs", "rb"}


def _host_ok(name: str) -> bool:
    labels = name.lower().split(".")
    return labels[-1] not in _NOT_HOSTS and len(name) <= 253


def from_ticket(kind: str, *texts: str | None) -> str | None:
    """The URL (``kind="url"``) or host (``kind="host"``) a ticket names, or None;
    ``kind="text"`` is the first text given (the problem as described).

    Looked for in order: a URL (its host for ``host``), a UNC path's server
    (``\\\\files01\\share``), a dotted host name (not a file name such as
    ``setup.exe`` or an e-mail's domain), an IPv4 address (four octets ≤ 255, not a
    version such as 1.2.3.4.5), an IPv6 address. The first found in the title, then
    the description, then the error message."""
    from urllib.parse import urlsplit

    if kind == "text":
        return next((" ".join(t.split()) for t in texts if t and t.strip()), None)
    for text in texts:
        if not text:
            continue
        url = _URL.search(text)
        if url:
            found = url.group(0).rstrip(".,;:!?")
            if kind == "url":
                return found
            host = urlsplit(found).hostname
            if host:
                return host
        if kind == "url":
            continue
        unc = _UNC.search(text)
        if unc:
            return unc.group(1)
        for m in _NAME.finditer(text):
            if _host_ok(m.group(1)):
                return m.group(1)
        for m in _IPV4.finditer(text):
            try:
                return str(ipaddress.IPv4Address(m.group(1)))
            except ValueError:
                continue
        for m in _IPV6.finditer(text):
            try:
                address = ipaddress.IPv6Address(m.group(1))
            except ValueError:
                continue
            return str(address)
    return None
