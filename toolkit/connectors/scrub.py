"""Secrets out of any text a tracker (or a proxy before it) sends back.

A server that echoes the request in an error body gives the secret back in
the form it was sent, not as typed: the ``Authorization: Basic`` value is
base64 of ``user:token``, a query string or form body has it URL-encoded
(``quote`` or ``quote_plus``), a JSON body has it JSON-escaped. Every form of
every secret is replaced, case-insensitively (``%2f`` and ``%2F`` alike).
Base64 of a secret depends on where it starts within the encoded text, so
the three alignments are covered by the characters that come from the
secret's bytes alone: this finds the token inside any base64 blob.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
MIN_CORE = 6  # a shorter base64 fragment could match ordinary text
MIN_FORM = 4  # nor is a 1–3 character "secret" (the "x" of a test's "Bearer x") replaced


def _base64_forms(secret: bytes) -> set[str]:
    forms = set()
    for alphabet in (base64.b64encode, base64.urlsafe_b64encode):
        whole = alphabet(secret).decode()
        forms |= {whole, whole.rstrip("=")}
        for lead in range(3):  # the secret starting at byte offset 0, 1 or 2 of a group
            enc = alphabet(b"\0" * lead + secret).decode().rstrip("=")
            first = -(-lead * 8 // 6)  # first character made of the secret's bits only
            last = (lead + len(secret)) * 8 // 6  # one past the last such character
            core = enc[first:last]
            if len(core) >= MIN_CORE:
                forms.add(core)
    return forms


def forms(secret: str) -> set[str]:
    """The ways ``secret`` can come back: raw, base64, URL- and JSON-encoded. An
    ``Authorization`` value also gives its credential alone and, for Basic, the decoded
    ``user:token`` pair."""
    out = {secret}
    scheme, _, credential = secret.partition(" ")
    if credential and scheme.lower() in ("basic", "bearer", "token"):
        out.add(credential)
        if scheme.lower() == "basic":
            try:
                out.add(base64.b64decode(credential, validate=True).decode("utf-8"))
            except (binascii.Error, UnicodeDecodeError):
                pass
    for value in list(out):
        out |= {quote(value), quote(value, safe=""), quote_plus(value),
                json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        if len(value) >= MIN_CORE:
            out |= _base64_forms(value.encode("utf-8"))
    return {f for f in out if len(f) >= MIN_FORM}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of every secret replaced by ``[REDACTED]``."""
    every = set()
    for s in secrets:
        if s:
            every |= forms(s)
    if not every or not text:
        return text
    pattern = "|".join(re.escape(f) for f in sorted(every, key=len, reverse=True))
    return re.sub(pattern, REDACTED, text, flags=re.IGNORECASE)
