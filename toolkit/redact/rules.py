"""The redaction rules: what a secret looks like in the text a support case carries.

Each rule names its literal triggers (lower-cased substrings such as ``pass``,
``bearer``, ``ghp_``), so that the engine (``toolkit.redact.engine``) offers a line
only to the rules whose triggers it holds. The token formats were checked against the
public rule lists of gitleaks and detect-secrets (formats only, as facts; no rules
copied).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# Characters from most to least frequent in logs (measured on the loghub samples):
# a trigger is searched from its rarest first character on.
_FREQUENCY = " e0t1a2:o3i.n4s5r-6/l7c8d9u_hm=pgfbw,y[]vk\"'()x@jqz"


def _anchor(trigger: str) -> str:
    rank = {ch: n for n, ch in enumerate(_FREQUENCY)}
    rare = _FREQUENCY.index("h")
    tails = [trigger[i:] for i in range(len(trigger))
             if len(trigger) - i >= min(3, len(trigger))
             or (len(trigger) - i == 2 and all(rank.get(c, rare) >= rare for c in trigger[i:]))]
    return max(tails, key=lambda t: (rank.get(t[0], len(_FREQUENCY)), len(t)))


def _trie(words: Iterable[str]) -> str:
    """One regex for many literals, shaped as a trie: at each position the
    engine follows one branch instead of trying every word (about 2.5× faster
    than a flat alternation for the ~60 triggers)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a shorter trigger is enough: longer ones add nothing
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root) or r"(?!)"


MARK = "[REDACTED:"

# Words that announce a secret in key/value text, English and Chinese. Short
# ones (pass, pwd) must not follow a letter, so "bypass=1" is left alone.
_STRONG = (r"pass(?:word|wd|phrase)|(?<![a-z])pass(?![a-z])|(?<![a-z])pwd|secret|"
           r"api[_-]?key|access[_-]?key|private[_-]?key|account[_-]?key|"
           r"(?:encryption|signing|master|auth|shared)[_-]?key|credentials?|"
           r"密码|口令|令牌|密钥|秘钥")
# "token" names many harmless things (max_tokens=5, wtoken=Token{…}): its
# value must also look random (see _looks_random).
_WEAK = r"tokens?"
# A key may end in one of these and still name the secret itself
# (secret_key, passwordHash); any other tail (password_expiry_days) does not.
_SUFFIX = (r"(?:s|es)?(?:[_.-]?(?:value|string|str|text|hash|b64|base64|enc|encrypted|plain|"
           r"plaintext|raw|key))?")
_SEP = r"(?:\\?[\"'])?\s*(?:=>|:=|[:=：＝])\s*"
_VALUE = (r"(?:\"((?:[^\"\\\r\n]|\\.)*)\"|'([^'\r\n]*)'|\\\"((?:[^\"\\\r\n]|\\[^\"])*)\\\"|"
          r"([^\s\"'`,;&<>{}，。；、）】]+))")
_PLACEHOLDERS = frozenset(("", "null", "none", "nil", "true", "false", "undefined", "(null)",
                           "<none>", "<redacted>", "<hidden>", "redacted", "hidden", "-"))
_B64 = re.compile(r"^[A-Za-z0-9+/=]+$")
_NONSECRET = re.compile(r"^(?:\*+|x{3,}|\$\{[^}]*\}|%\([^)]*\)s|\{\{[^}]*\}\})$", re.I)


def _keep_placeholder(value: str) -> bool:
    """True for values that are no secret: empty, null, ****, ${VAR} references."""
    return value.lower() in _PLACEHOLDERS or bool(_NONSECRET.match(value))


_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_\-+/=.~%]+$")


def _looks_random(value: str) -> bool:
    """A token-like value: token characters only (not "BinderProxy@2bd79ce" nor
    "com.apple.xpc/4505:"), 8+ of them with a digit, or 20+."""
    if _keep_placeholder(value) or len(value) < 8 or not _TOKEN_CHARS.match(value):
        return False
    return len(value) >= 20 or any(c.isdigit() for c in value)


def _basic_credentials(value: str) -> bool:
    """HTTP Basic credentials are base64 of ``user:password``; plain words are not."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in raw


_PATH = re.compile(r"[~/][\w.@-]*(?:/[\w.@ -]*)*")


def _random_segment(value: str) -> bool:
    return any(len(seg) >= 16 and any(c.isdigit() for c in seg) and any(c.isupper() for c in seg)
               and any(c.islower() for c in seg) for seg in value.split("/"))


def _not_a_path(value: str) -> bool:
    # PWD=/home/me is the shell's working directory, not a password; but a base64
    # key may start with "/" too (AccountKey=/Epl…+…==): only a value that looks
    # like a path — no + or =, no long random segment — is let through.
    if _keep_placeholder(value):
        return False
    looks_like_path = (value.startswith(("/", "~")) and _PATH.fullmatch(value) is not None
                       and not _random_segment(value))
    return not looks_like_path


@dataclass(frozen=True)
class Rule:
    """One redaction rule. ``group`` 0: the secret is the first group that matched
    (the whole match when the pattern has no group). ``triggers``: lower-case
    literals, one of which every match contains (or one of ``cased``); with neither,
    the rule is a site rule, tried wherever its own regex finds something."""

    name: str
    pattern: str
    triggers: tuple[str, ...] = ()
    group: int = 0
    check: Callable[[str], bool] | None = None
    cased: tuple[str, ...] = ()  # more triggers, matched with their case as written
    pre: str = ""  # regex on the lower-cased line that must match first (default: triggers)


def _kv_rule(name: str, words: str, check: Callable[[str], bool] | None,
             triggers: tuple[str, ...]) -> Rule:
    return Rule(name, r"(?i)(?:" + words + r")" + _SUFFIX + _SEP + _VALUE, triggers, 0, check,
                pre=_kv_pre(triggers))


def _kv_pre(triggers: tuple[str, ...]) -> str:
    # Cheap test before the costly keyword regex: a trigger word soon followed by
    # a separator ("check pass; user unknown" fails here in a microsecond).
    return _trie(triggers) + r"[\w.-]{0,24}\\?[\"']?\s*(?:[:=：＝]|=>)"


_STRONG_TRIGGERS = ("pass", "pwd", "secret", "key", "credential", "密码", "口令", "令牌",
                    "密钥", "秘钥")
# Access key ids only: AIDA/AROA/ANPA… name users and roles, they grant nothing.
_AWS_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
# Fixed-format tokens: one alternation, one named group per kind (the rule name).
_TOKENS = {
    "aws_access_key_id": r"\b(?:" + "|".join(_AWS_PREFIXES) + r")[A-Z0-9]{16,17}\b",
    "github_token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b",
    "gitlab_token": r"\bgl(?:pat|dt|rt|ptt|soat|cbt|oas|ft|imt)-[A-Za-z0-9_-]{20,}",
    "slack_token": r"\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)",
    "stripe_key": r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bwhsec_[A-Za-z0-9]{24,}\b",
    "gcp_api_key": r"\bAIza[0-9A-Za-z_-]{35}",
    "gcp_oauth": r"\bya29\.[0-9A-Za-z_-]{20,}|\bGOCSPX-[A-Za-z0-9_-]{28}",
    "azure_client_secret": r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}",
    "openai_key": r"\bsk-(?:proj-|ant-api\d\d-|ant-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
                  r"|\bsk-(?:proj|ant-api\d\d|ant-admin\d\d)-[A-Za-z0-9_-]{40,}",
    "npm_token": r"\bnpm_[A-Za-z0-9]{36}\b",
    "pypi_token": r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    "sendgrid_key": r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    "vault_token": r"\bhv[sb]\.[A-Za-z0-9_-]{24,}",
    "docker_token": r"\bdckr_pat_[A-Za-z0-9_-]{27,}",
    "huggingface_token": r"\bhf_[A-Za-z]{34}\b",
    "digitalocean_token": r"\bdo[por]_v1_[a-f0-9]{64}\b",
    "shopify_token": r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
}
_TOKEN_TRIGGERS = (
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "glptt-",
    "glsoat-", "glcbt-", "gloas-", "glft-", "glimt-", "xox", "xapp-", "_live_", "_test_",
    "whsec_", "ya29.", "gocspx-", "q~", "t3blbkfj", "sk-proj-", "sk-ant-", "npm_", "pypi-",
    "sg.", "hvs.", "hvb.", "dckr_pat_", "hf_", "_v1_", "shpat_", "shpca_", "shppa_", "shpss_")
# Scanned case-sensitively: all start with "A", which the regex engine finds fastest.
_TOKEN_CASED = (*_AWS_PREFIXES, "AIza")

RULES: tuple[Rule, ...] = (
    Rule("private_key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
         r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)", ("-----begin",)),
    # Triggered by "@", far rarer in logs than the ":" of "://" (in every timestamp).
    Rule("url_credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\"'<>]*:([^\s@/\"'<>]+)@",
         ("@",), pre="://"),
    Rule("authorization_header",
         r"(?i)\b(?:proxy-)?authorization\b\\?[\"']?\s*[:=]\s*\\?[\"']?"
         r"(?:(?:bearer|basic|digest|token|negotiate|ntlm|hmac|sharedkey|aws4-hmac-sha256)\s+)?"
         r"([^\s\"'\\][^\"'\r\n\\]*)", ("authorization",)),
    Rule("cookie_header", r"(?i)\b(?:set-)?cookie\\?[\"']?\s*[:=]\s*\\?[\"']?([^\"'\r\n\\]+)",
         ("cookie",)),
    Rule("bearer_token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]+=*)", ("bearer",), 1,
         _looks_random),
    Rule("basic_credentials", r"(?i)\bbasic\s+([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])",
         ("basic",), 1, _basic_credentials),
    Rule("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", ("eyj",)),
    # crypt(3) hashes as /etc/shadow and htpasswd hold them (MD5 $1$, SHA-256/512 $5$ $6$,
    # yescrypt $y$, gost-yescrypt $gy$, scrypt $7$, bcrypt $2a$/$2b$/$2y$, Apache $apr1$,
    # argon2): offline cracking starts from exactly this.
    Rule("password_hash",
         r"\$(?:1|5|6|7|y|gy|2[abxy]|apr1|md5|sha1|argon2(?:id|i|d))\$[./A-Za-z0-9$=,+-]{8,}",
         ("$1$", "$5$", "$6$", "$7$", "$y$", "$gy$", "$2a$", "$2b$", "$2x$", "$2y$", "$apr1$",
          "$md5", "$sha1$", "$argon2")),
    Rule("token", "|".join(f"(?P<{k}>{v})" for k, v in _TOKENS.items()), _TOKEN_TRIGGERS,
         cased=_TOKEN_CASED),
    Rule("signature_param", r"(?i)[?&;](?:sig|signature|x-amz-signature)=([^&\s\"'#;<>]{8,})",
         ("sig=", "signature=")),
    Rule("webhook_secret", r"hooks\.slack\.com/services/T\w+/B\w+/(\w{16,})|"
         r"discord(?:app)?\.com/api/webhooks/\d+/([\w-]{40,})", ("hooks.slack", "webhooks/")),
    Rule("command_line_password",
         r"(?i)(?:--(?:password|passwd|passphrase|pass|secret|token|api-key)(?:\s*=\s*|\s+)"
         r"|\s-u\s+[^\s:]+:)([^\s\"'-][^\s\"']*)",
         ("--pass", "--secret", "--token", "--api-key", "-u ")),
    Rule("xml_secret", r"(?i)<([\w:.-]*(?:password|passwd|secret|token|apikey|api_key|"
         r"accountkey|privatekey|private_key))>([^<\r\n]+)</\1>", ("pass", "secret", "token",
                                                                  "key"), 2),
)
