"""Redaction that keeps JSON and YAML documents valid.

JSON is redacted value by value: each string is decoded, redacted (a value under a
secret-named key goes whole, so does the ``value`` of a ``{"name": "Cookie", "value":
…}`` pair and every cookie value of a HAR file) and encoded again, in place: layout,
order and every other byte stay as they were. A file named ``.json`` that is not
strict JSON (JSONC settings with comments, a cut-off dump) is redacted line by line
instead, and its manifest note says why. YAML is redacted line by line; a mark that
would begin a plain scalar (``key: [REDACTED:x] more``, which YAML reads as a flow
sequence followed by garbage) is quoted. XML needs nothing: the mark holds none of
``<>&"'``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from toolkit.redact.engine import Redactor
from toolkit.redact.rules import MARK

JSON_SUFFIXES = (".json", ".har", ".ipynb", ".jsonc", ".json5", ".webmanifest", ".jsonld")
YAML_SUFFIXES = (".yaml", ".yml")
JSON_MAX = 32 << 20  # a document parsed whole; larger ones go line by line


def redact(blocks: Iterator[bytes], name: str, head: bytes, redactor: Redactor,
           note: dict[str, Any]) -> Iterator[bytes]:
    """UTF-8 text as blocks of bytes → redacted blocks; ``note`` gets what the
    manifest should say about it (structure fallbacks)."""
    path = PurePosixPath(name.lower())
    if path.suffix in JSON_SUFFIXES:
        yield from _json(blocks, redactor, note)
    elif path.suffix in YAML_SUFFIXES or _kubeconfig(head):
        for piece in redactor.chunks(blocks):
            yield yaml_safe(piece) if MARK.encode() in piece else piece
    else:
        yield from redactor.chunks(blocks)


def _kubeconfig(head: bytes) -> bool:
    return b"\nkind: Config" in head and b"apiVersion:" in head


def _json(blocks: Iterator[bytes], redactor: Redactor, note: dict[str, Any]) -> Iterator[bytes]:
    data = bytearray()
    for block in blocks:
        data += block
        if len(data) > JSON_MAX:
            note.update(structure="lines", why=f"JSON larger than {JSON_MAX >> 20} MB: "
                                               "redacted line by line")
            yield from redactor.chunks(_chain(bytes(data), blocks))
            return
    raw = bytes(data)
    try:
        text = raw.decode("utf-8")
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        why = str(exc).split(":")[0] if isinstance(exc, ValueError) else "nested too deep"
        note.update(structure="lines", why=f"not strict JSON ({why}): redacted line by line")
        yield from redactor.chunks([raw])
        return
    yield json_values(text, redactor).encode("utf-8")


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+|\s+')


class _Frame:
    __slots__ = ("array", "key", "name", "parent", "want_key")

    def __init__(self, array: bool, parent: str) -> None:
        self.array, self.parent = array, parent
        self.key = parent if array else ""
        self.name: str | None = None
        self.want_key = not array


def json_values(text: str, redactor: Redactor) -> str:
    """Valid JSON text with its string values redacted in place."""
    out: list[str] = []
    stack: list[_Frame] = []
    for m in _TOKEN.finditer(text):
        tok = m.group()
        top = stack[-1] if stack else None
        if tok in ("{", "["):
            stack.append(_Frame(tok == "[", top.key if top else ""))
        elif tok in ("}", "]"):
            stack.pop()
        elif tok == ",":
            if top and not top.array:
                top.want_key = True
        elif tok == ":":
            pass
        elif not tok.isspace() and top is not None and top.want_key:
            top.key, top.want_key = json.loads(tok), False
        elif not tok.isspace():
            tok = _value(tok, top, redactor)
        out.append(tok)
    return "".join(out)


def _value(tok: str, top: _Frame | None, redactor: Redactor) -> str:
    key = top.key if top else ""
    whole = False
    if top is not None and not top.array:
        if key == "name" and tok.startswith('"'):
            top.name = json.loads(tok)
        elif key == "value" and (top.parent == "cookies" or (
                top.name is not None and redactor.secret_key(top.name))):
            whole = True  # HAR cookies, {"name": "Authorization", "value": …}
    if not tok.startswith('"'):
        if redactor.enabled and (whole or redactor.secret_key(key)) and \
                tok not in ("null", "true", "false"):
            redactor.counts["key_value_secret"] += 1
            return json.dumps(MARK + "key_value_secret]")
        return tok
    value = json.loads(tok)
    if whole and redactor.enabled and value:
        redactor.counts["key_value_secret"] += 1
        new: Any = MARK + "key_value_secret]"
    else:
        new = redactor.data(value, key)
    return tok if new == value else json.dumps(new, ensure_ascii=False)


# A mark that begins a plain scalar: after "key: ", "- " or the indentation alone.
_YAML_MARK = re.compile(r"(?m)^(\s*(?:-\s+)*(?:[^\s#'\"\-][^#\r\n]*?:\s+)?)(\[REDACTED:[\w.-]+\]"
                        r"[^\r\n]*?)(\s+#[^\r\n]*)?(\r?)$")


def yaml_safe(piece: bytes) -> bytes:
    """YAML lines whose value starts with a mark get that value single-quoted."""
    text = piece.decode("utf-8", "surrogateescape")

    def quote(m: re.Match[str]) -> str:
        value = m.group(2)
        return m.group(1) + "'" + value.replace("'", "''") + "'" + (m.group(3) or "") + m.group(4)

    return _YAML_MARK.sub(quote, text).encode("utf-8", "surrogateescape")
