"""Credentials in URLs, connection strings, HTTP headers and name/value pairs.

Header forms follow the HTTP RFCs and what browsers and proxies write (HAR files,
escaped wire dumps with ``\\r\\n`` inside one log line); name/value forms follow .NET
``<add key=… value=…/>`` and NuGet (gitleaks nuget-config-password), Kubernetes
environment lists (``name``/``value``), Spring ``<property name=… value=…/>``.
"""

from __future__ import annotations

from toolkit.redact.rules._base import Rule, basic_credentials, looks_random, secret_value

# A header name starts a line, follows a non-word character, or follows the \r\n, \n
# or \t escape of a dump that kept a whole request on one line.
_AT = r"(?:(?<![\w-])|(?<=\\[nrt]))"
# Names whose value is a secret, in name/value pairs.
_NAMED = r"[^\"'<>]*?(?:pass|pwd|secret|token|key|credential|auth|cookie|session|signature)"

WEB: tuple[Rule, ...] = (
    Rule("url_credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\"'<>]*:([^\s@/\"'<>]+)@",
         ("://",), pre=r"://[^\s:/@\"'<>]*:[^\s@/\"'<>]+@",
         source="RFC 3986 userinfo; detect-secrets basic_auth"),
    # jdbc:oracle:thin:scott/tiger@host:1521:orcl and sqlplus scott/tiger@orcl.
    Rule("jdbc_credentials", r"(?i)jdbc:oracle:(?:thin|oci|kprb):[^/\s@:\"']+/([^@\s\"']+)@",
         ("jdbc:oracle",), source="Oracle JDBC thin URL syntax"),
    Rule("jdbc_credentials", r"(?i)\b(?:sqlplus|rman|expdp|impdp|sqlldr|dgmgrl)(?:\.exe)?\s+"
         r"(?:-\w+\s+)*[\"']?[^\s/@\"'-][^\s/@\"']*/([^\s@\"'/]+)(?=@|[\"']?(?:\s|$))",
         ("sqlplus", "rman target", "rman catalog", "expdp", "impdp", "sqlldr", "dgmgrl"),
         source="Oracle SQL*Plus user/password@connect"),
    Rule("authorization_header",
         r"(?i)" + _AT + r"(?:proxy-)?authorization\b\\?[\"']?\s*[:=]\s*\\?[\"']?"
         r"(?:(?:bearer|basic|digest|token|negotiate|ntlm|hmac|sharedkey|aws4-hmac-sha256|"
         r"splunk|sso-key|apikey|key)\s+)?([^\s\"'\\][^\"'\r\n\\]*)", ("authorization",),
         source="RFC 9110 Authorization; Datadog agent scrubber"),
    Rule("cookie_header", r"(?i)" + _AT + r"(?:set-)?cookie\\?[\"']?\s*[:=]\s*\\?[\"']?"
         r"([^\"'\r\n\\]+)", ("cookie",), source="RFC 6265; Datadog agent scrubber"),
    # HTTP Digest: the response is a hash of the password (RFC 7616).
    Rule("digest_response", r"(?i)\bresponse\s*=\s*\\?\"?([0-9a-f]{32,128})\b", ("response",),
         pre=r"response\s*=\s*\\?\"?[0-9a-f]{32}", source="RFC 7616 HTTP Digest"),
    Rule("secret_header", r"(?i)" + _AT + r"(x-[\w-]*?(?:api-?key|token|secret|auth|passcode|"
         r"signature|session-id)|private-token|ocp-apim-subscription-key|api-?key|"
         r"x-functions-key)\\?[\"']?\s*:\s*\\?[\"']?([^\s\"'\\,;]+)",
         ("x-", "private-token", "subscription-key", "api-key", "apikey"), 2, secret_value,
         r"(?:x-[\w-]*|private-token|subscription-key|api-?key)\\?[\"']?\s*:",
         "Datadog agent scrubber (x-*-key, x-*-token, x-*-secret headers)"),
    Rule("bearer_token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]+=*)", ("bearer",), 1, looks_random,
         source="RFC 6750"),
    Rule("basic_credentials", r"(?i)\bbasic\s+([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])",
         ("basic",), 1, basic_credentials, source="RFC 7617"),
    Rule("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", ("eyj",),
         source="RFC 7519; gitleaks jwt"),
    Rule("signature_param", r"(?i)[?&;](?:sig|signature|x-amz-signature|x-goog-signature)="
         r"([^&\s\"'#;<>]{8,})", ("sig=", "signature="),
         source="Azure SAS, AWS and GCS presigned URLs"),
    Rule("webhook_secret", r"hooks\.slack\.com/(?:services|workflows|triggers)/T\w+/[AB]\w+/"
         r"(\w{16,})|discord(?:app)?\.com/api/webhooks/\d+/([\w-]{40,})|"
         r"webhook\.office\.com/webhookb2/[\w@-]+/IncomingWebhook/(\w{32})",
         ("hooks.slack", "webhooks/", "webhookb2"),
         source="gitleaks slack-webhook-url, microsoft-teams-webhook; Discord"),
    # <add key="DbPassword" value="…"/> (.NET appSettings, NuGet ClearTextPassword),
    # <property name="password" value="…"/> (Spring, Hibernate), <param name=… value=…>.
    Rule("name_value_secret", r"(?i)<[\w:.-]+\s[^>]*?\b(?:key|name)\s*=\s*[\"']" + _NAMED +
         r"[^\"']*[\"'][^>]*?\svalue\s*=\s*[\"']([^\"'\r\n]*)[\"']", ("value=", "value ="), 0,
         secret_value, r"\b(?:key|name)\s*=\s*[\"'][^\"']*(?:pass|pwd|secret|token|key|"
         r"credential|auth|cookie|session|signature)", "gitleaks nuget-config-password; .NET"),
    # {"name": "DB_PASSWORD", "value": "…"} on one line (kubectl -o json, HAR).
    Rule("name_value_secret", r"(?i)[\"'](?:name|key)[\"']\s*:\s*[\"']" + _NAMED +
         r"[^\"']*[\"']\s*,\s*[\"']value[\"']\s*:\s*\"((?:[^\"\\\r\n]|\\.)*)\"",
         ("value",), 0, secret_value, r"[\"'](?:name|key)[\"']\s*:\s*[\"'][^\"']*(?:pass|pwd|"
         r"secret|token|key|credential|auth|cookie|session|signature)",
         "Kubernetes env lists; HAR 1.2 headers"),
    # "- name: DB_PASSWORD" then "  value: …" on the next line (kubectl get -o yaml,
    # a HAR header pretty-printed over two lines).
    Rule("name_value_secret", r"(?i)^\s*(?:-\s+)?[\"']?name[\"']?\s*:\s*[\"']?[\w.-]*(?:pass|pwd|"
         r"secret|token|key|credential|auth|cookie|session)[\w.-]*[\"']?\s*,?\s*$",
         ("name:", "name\":", "name':", "name\" :"), 0, None,
         r"name[\"']?\s*:\s*[\"']?[\w.-]*(?:pass|pwd|secret|token|key|credential|auth|cookie|"
         r"session)",
         "Kubernetes env lists (YAML); HAR 1.2 headers",
         # a bare value may hold "#"; a comment starts at " #" (YAML)
         then=r"(?i)^\s*[\"']?value[\"']?\s*:\s*(?:\"((?:[^\"\\\r\n]|\\.)*)\"|'([^'\r\n]*)'|"
              r"([^\s\"'#,](?:[^\r\n#]|(?<!\s)#)*?))(?:\s+#[^\r\n]*)?\s*,?\s*$"),
    Rule("xml_secret", r"(?i)<([\w:.-]*(?:password|passwd|secret|token|apikey|api_key|"
         r"accountkey|privatekey|private_key|keymaterial|sharedkey|presharedkey|"
         r"clientsecret))>([^<\r\n]+)</\1>",
         ("password>", "passwd>", "secret>", "token>", "apikey>", "api_key>", "accountkey>",
          "privatekey>", "private_key>", "keymaterial>", "sharedkey>"), 2, secret_value,
         source="detect-secrets keyword_xml; netsh wlan export <keyMaterial>"),
)
