"""Secrets named by a key: ``k=v``, ``k: v``, ``"k": "v"``, ``k v`` settings, environment
names, Wi-Fi keys, and prose ("the password is …", 密码是…).

Key words follow detect-secrets' keyword plugin (its denylist: api_key, auth_key,
private_key, client_key, password, passwd, pwd, secret, contraseña …), the Datadog
agent scrubber (pswd, community strings, authKey/privKey), and the configuration files
sos report scrubs per plugin (redis requirepass/masterauth, nslcd bindpw, kickstart
rootpw, sssd ldap_default_authtok, grub password). Formats only, as facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from toolkit.redact.rules._base import (
    SEP,
    VALUE,
    WORD,
    Rule,
    looks_random,
    password_like,
    secret_value,
    trie,
)

# Words that announce a secret, English, Spanish, German and Chinese. Short ones
# (pass, pwd, psk) must not follow a letter, so "bypass=1" is left alone.
STRONG = (r"pass(?:word|wd|phrase|code)|(?<![a-z])pass(?![a-z])|(?<![a-z])pwd|pswd|secret|"
          r"api[_-]?key|access[_-]?key|private[_-]?key|account[_-]?key|client[_-]?key|"
          r"app[_-]?key|(?:encryption|signing|master|auth|shared|session|storage|"
          r"subscription|license|wep)[_-]?key\d?|credentials?|authtok|auth[_-]?token|"
          r"(?<![a-z])psk|pre-?shared[_-]?key|community(?:[_-]?string)?|contrase[ñn]a|kennwort|"
          r"密码|口令|令牌|密钥|秘钥")
STRONG_TRIGGERS = ("pass", "pwd", "pswd", "secret", "key", "credential", "authtok", "psk",
                   "community", "contrase", "kennwort", "密码", "口令", "令牌", "密钥", "秘钥")
# "token" names many harmless things (max_tokens=5, wtoken=Token{…}, .NET's
# PublicKeyToken=b77a5c561934e089): its value must also look random.
WEAK = r"(?<!publickey)tokens?"
# A key may end in one of these and still name the secret itself
# (secret_key, passwordHash); any other tail (password_expiry_days) does not.
SUFFIX = (r"(?:s|es)?(?:[_.-]?(?:value|string|str|text|hash|b64|base64|enc|encrypted|plain|"
          r"plaintext|raw|key|data))?")


def kv_gate(triggers: Sequence[str]) -> str:
    # Cheaper still, tried first: a trigger (a literal the regex engine skips to) soon
    # followed by a separator.
    return trie(triggers) + r"[\w.-]{0,24}\\?[\"']?\s*(?:[:=：＝]|=>)"


def kv_pre(words: str) -> str:
    # The test before the costly keyword regex, on the lower-cased line: a key word,
    # its suffix and a separator ("check pass; user unknown" fails here at once, and
    # so does Windows' "PopulateComponentFamilyKey - …: …").
    return r"(?:" + words + r")" + SUFFIX + r"(?:\\?[\"'])?\s*(?:=>|:=|[:=：＝])"


def kv_rules(keywords: Sequence[str] = ()) -> tuple[Rule, ...]:
    """The key/value rules, with a site's own key words (config.yaml ``redact.keywords``)."""
    words = STRONG + "".join("|" + re.escape(k) for k in keywords)
    lowered = STRONG + "".join("|" + re.escape(k.lower()) for k in keywords)
    triggers = STRONG_TRIGGERS + tuple(k.lower() for k in keywords)
    source = "detect-secrets keyword plugin; Datadog agent scrubber; sos report plugins"
    return (
        # A configuration line "password = two words" keeps its spaces: the value runs
        # to the end of the line, less a closing quote and the , ] } of JSON/YAML
        # around it ("MYSQL_ROOT_PASSWORD=x", keeps its "," and the JSON stays valid).
        # A value that opens an object or list ("Credentials": {) is a structure.
        Rule("key_value_secret", r"(?im)^\s*(?:export\s+|set\s+|-\s+)?[\"']?[\w.-]*?(?:"
             + words + r")" + SUFFIX + r"[\"']?\s*[:=：＝]\s*([^\s\"'|>{\[][^\r\n]*?)"
             r"(?:[\"']\s*[,\]}]*)?\s*$", triggers, 1, secret_value, kv_pre(lowered),
             source, gate=kv_gate(triggers)),
        Rule("key_value_secret", r"(?i)(?:" + words + r")" + SUFFIX + SEP + VALUE, triggers,
             0, secret_value, kv_pre(lowered), source, gate=kv_gate(triggers)),
        Rule("key_value_token", r"(?i)" + WEAK + SUFFIX + SEP + VALUE, ("token",), 0,
             looks_random, kv_pre(WEAK), "gitleaks generic-api-key (token)",
             gate=kv_gate(("token",))),
    )


# Environment and .env names that end in a secret word: DB_PW, SMTP_PASS, APP_KEY,
# STRIPE_SECRET, NPM_TOKEN (gitleaks generic-api-key; Laravel's APP_KEY=base64:…).
# Upper case only, as environments write them; *_PUBLIC_KEY is no secret.
_ENV_END = r"(?:PW|PASS|PWD|PASSWD|PASSWORD|KEY|SECRET|TOKEN|AUTH|APIKEY|CREDS?|CREDENTIALS?)"
ENV = Rule(
    "env_secret",
    r"(?<![A-Za-z0-9_])(?!(?:[A-Z0-9_]*_)?PUB(?:LIC)?_KEY\b)[A-Z][A-Z0-9_]*_" + _ENV_END +
    r"(?![A-Za-z0-9_])[\"']?\s*[=:]\s*" + VALUE,
    ("_pw", "_pass", "_key", "_secret", "_token", "_auth", "_apikey", "_cred"), 0, secret_value,
    r"_(?:pw|pass|pwd|passwd|password|key|secret|token|auth|apikey|creds?|credentials?)"
    r"[\"']?\s*[=:]", "gitleaks generic-api-key; Laravel .env APP_KEY")

# Settings written "keyword value", without = or : (sos report: redis, nslcd, kickstart,
# grub; .netrc; Net-SNMP; strongSwan ipsec.secrets; Cisco IOS; FortiOS). Anchored at the
# start of a line, so a comment (# requirepass foobared) and log prose are left alone.
SPACED: tuple[Rule, ...] = (
    Rule("config_secret", r"(?im)^\s*(?:requirepass|masterauth|bindpw|rootpw|olcRootPW:|"
         r"ActionLibdbiPassword|auth_pass|auth-pass|leap-password)(?:\s+--[\w-]+)*\s+(?!--)"
         + WORD,
         ("requirepass", "masterauth", "bindpw", "rootpw", "actionlibdbipassword",
          "auth_pass", "auth-pass", "leap-password"), 0, secret_value,
         source="sos report redis/ldap/kickstart/rsyslog plugins; keepalived auth_pass"),
    # Redis ACL: "user alice on >p1pp0 ~cached:* +get" (">" adds a password).
    Rule("config_secret", r"(?im)^\s*(?:ACL\s+SETUSER|user)\s+\S+\s+(?:\S+\s+)*?>([^\s\"']+)",
         (" >",), pre=r"^\s*(?:acl\s+setuser|user)\s", source="Redis ACL syntax"),
    # .netrc ("machine h login u password p") and grub ("password user plaintext").
    Rule("config_secret", r"(?i)\bmachine\s+\S+.*?\bpassword\s+([^\s\"']+)", ("machine",),
         pre=r"machine\s.*password\s", source=".netrc format (curl, ftp, git)"),
    Rule("config_secret", r"(?im)^\s*(?:password|passwd|account)\s+(?:\S+\s+)?([^\s\"']+)\s*$",
         ("pass", "account"), 0, secret_value, r"^\s*(?:password|passwd|account)\s",
         ".netrc multi-line form; grub.cfg password (sos report grub2 plugin)"),
    Rule("snmp_community", r"(?im)^\s*(?:rocommunity6?|rwcommunity6?|trapcommunity|"
         r"com2sec6?\s+\S+\s+\S+)\s+([^\s\"']+)|\bsnmp-server\s+community\s+([^\s\"']+)",
         ("community", "com2sec"), 0, secret_value, source="Net-SNMP snmpd.conf; Cisco IOS"),
    Rule("snmp_community", r"(?im)^\s*createUser\s+\S+\s+(?:MD5|SHA[-\w]*)\s+" + WORD
         + r"(?:\s+(?:DES|AES[-\w]*)\s+" + WORD + ")?", ("createuser",), -1,
         source="Net-SNMP USM createUser"),
    Rule("ipsec_psk", r"(?i):\s*(?:PSK|EAP|XAUTH|NTLM|PIN\s+\S+|P12\s+\S+|RSA\s+\S+|ECDSA\s+\S+)"
         r"\s+(?:\"([^\"\r\n]*)\"|'([^'\r\n]*)'|(0[xs][A-Za-z0-9+/=]+|[^\s\"'#]+))",
         (": psk", ": eap", ": xauth", ": ntlm", ": pin", ": p12", ": rsa", ": ecdsa"),
         source="strongSwan/libreswan ipsec.secrets"),
    Rule("ipsec_psk", r"(?i)\b(?:crypto\s+(?:isakmp|ikev1)\s+key|pre-shared-key(?:\s+local|"
         r"\s+remote)?|(?<![\w-])key-string)\s+(?:[0-9]\s+)?([^\s\"']+)",
         ("isakmp key", "ikev1 key", "pre-shared-key", "key-string"), 0, secret_value,
         source="Cisco IOS crypto isakmp / IKEv2 keyring"),
    Rule("config_secret", r"(?im)^\s*set\s+(?:psksecret|passwd|password|secret|key|"
         r"private-key|passphrase|auth-pwd|ppk-secret)\s+(?:ENC\s+)?" + WORD,
         ("set psksecret", "set passwd", "set password", "set secret", "set key", "set private",
          "set passphrase", "set auth-pwd", "set ppk-secret"), 0, secret_value,
         source="FortiOS configuration"),
    Rule("cisco_type7", r"(?i)\b(?:password|key)\s+7\s+([0-9A-F]{4,})\b", ("password 7",
                                                                           "key 7"),
         source="Cisco IOS type-7 (reversible) passwords"),
    # ip xfrm state: "auth-trunc hmac(sha256) 0x… 128", "enc cbc(aes) 0x…".
    Rule("xfrm_key", r"(?i)\b(?:auth(?:-trunc)?|enc|aead)\s+['\"]?[\w()\-.,]+['\"]?\s+"
         r"(0x[0-9a-f]{8,})", (") 0x", ")' 0x", ")\" 0x"),
         pre=r"(?:auth|enc|aead)\S*\s+['\"]?[\w()\-.,]+['\"]?\s+0x[0-9a-f]{8}",
         source="iproute2 ip-xfrm(8) state output"),
)

# Wi-Fi: netsh wlan show profile key=clear, in the languages Windows prints it
# (English "Key Content", Chinese 关键内容/金鑰內容, German, French, Spanish, Portuguese,
# Japanese). wpa_supplicant psk=, NetworkManager psk=/wep-key0=, nmcli
# 802-11-wireless-security.psk: and hostapd wpa_passphrase= are key/value forms above.
_NETSH = ("key content", "关键内容", "金鑰內容", "schlüsselinhalt", "contenu de la clé",
          "contenido de la clave", "conteúdo da chave", "主要なコンテンツ")
WIFI = Rule("wifi_key", r"(?im)^\s*(?:" + "|".join(_NETSH) + r")\s*[:：]\s*(\S[^\r\n]*?)\s*$",
            _NETSH, source="Windows netsh wlan show profile key=clear")

# Prose: "the password is Summer2024!", "密码是abc123", "密码为 x". Only a value that
# looks like a password (digit, symbol, mixed case) goes: "password is incorrect" stays.
PROSE: tuple[Rule, ...] = (
    Rule("prose_secret", r"(?i)\b(?:password|passcode|passphrase|pwd|pin code)\s+(?:is|was|"
         r"will be|set to|changed to|reset to)\s*:?\s*[\"'“‘]?([^\s\"'”’,;]+?)[\"'”’]?"
         r"(?=[\s,;.!?)]*(?:\s|$))", tuple(f"{w} {v}" for w in ("password", "passcode",
                                                             "passphrase", "pwd", "pin code")
                                    for v in ("is", "was", "will", "set", "changed", "reset")),
         0, password_like,
         r"(?:pass\w*|pwd|pin code)\s+(?:is|was|will|set|changed|reset)\s",
         "support tickets and chat transcripts"),
    Rule("prose_secret", r"(?:密码|口令|密钥|秘钥|令牌|授权码|验证码)\s*(?:是|为|為|就是|改成|改为|"
         r"设为|设置为|设置成)\s*[:：]?\s*[\"'“‘「]?([^\s\"'”’」，。；、,;)）]+)",
         ("密码", "口令", "密钥", "秘钥", "令牌", "授权码", "验证码"), 0, password_like,
         source="Chinese support tickets (密码是X / 密码为 X)"),
)
