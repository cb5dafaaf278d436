"""Secrets on command lines: long flags (``--password=x``, ``--client-secret x``), the
short flags of the commands that take a password (``mysql -pSECRET``, ``sshpass -p``,
``docker login -p``, ``ldapsearch -w``, ``redis-cli -a``, ``sqlcmd -P``, ``smbclient
-U user%pass``), ``curl -u/--user name:secret``, piped passwords (``| chpasswd``,
``| sudo -S``) and PowerShell's ``ConvertTo-SecureString "…" -AsPlainText``.

Short flags mean other things elsewhere (-p is a port for ssh, -a "all" for most
tools), so each is tied to its command, as each tool's manual page defines it.
Sources: gitleaks curl-auth-user and curl-auth-header; the commands' own manuals.
"""

from __future__ import annotations

from toolkit.redact.rules._base import Rule, not_variable

# The rest of a command line up to a pipe, ; or && (a flag after them is another command's).
_ARGS = r"[^\r\n|;&]*?\s"
_VAL = r"[\"']?([^\s\"'][^\s\"']*)"  # the value, maybe quoted
# A long flag whose name ends in a secret word: --password, --db-password, --client-secret,
# --api-key, --access-token, --sas-token, --http-passwd, --storepass (not --password-file).
_LONG = (r"--(?:[\w-]*-)?(?:password|passwd|pass|passphrase|secret|token|api-?key|secret-key|"
         r"access-key|client-secret|storepass|keypass)")

CLI: tuple[Rule, ...] = (
    Rule("command_line_password", r"(?i)" + _LONG + r"(?:\s*=\s*|\s+)(?!-)" + _VAL,
         ("--",), 0, not_variable, r"--(?:[\w-]*-)?(?:pass|secret|token|api-?key|access-key|"
         r"storepass|keypass)\w*(?:\s*=\s*|\s+)[^-\s]", "gitleaks generic-api-key; tool manuals"),
    # curl/wget -u user:pass, --user user:pass, --proxy-user user:pass.
    Rule("command_line_password", r"(?i)(?:\s-u\s*|--(?:proxy-)?user(?:\s*=\s*|\s+))[\"']?"
         r"[^\s:\"']+:([^\s\"']+)", ("-u", "--user", "--proxy-user"),
         pre=r"(?:\s-u\s*|--(?:proxy-)?user[\s=]+)[\"']?[^\s:\"']+:", source="gitleaks "
         "curl-auth-user; curl(1)"),
    # mysql -pSECRET: the password joined to -p (a lone -p prompts; -P is the port).
    Rule("command_line_password", r"(?i:\b(?:mysql|mysqldump|mysqladmin|mysqlcheck|mysqlimport|"
         r"mysqlshow|mysqlpump|mariadb(?:-dump|-admin)?)(?:\.exe)?)\b" + _ARGS +
         r"-p([^\s\"'-][^\s\"']*)", ("mysql", "mariadb"), source="mysql(1) --password"),
    Rule("command_line_password", r"\bsshpass\s+(?:-[a-oq-zA-Z]\S*\s+)*-p\s*" + _VAL,
         ("sshpass",), source="sshpass(1) -p"),
    Rule("command_line_password", r"(?i:\b(?:docker|podman|nerdctl|buildah|skopeo|oras|"
         r"helm\s+registry|crane|regctl\s+registry))\s+login\b" + _ARGS + r"-p\s+" + _VAL,
         ("login",), 0, not_variable, r"login\b.*\s-p\s", "docker login -p"),
    Rule("command_line_password", r"\bldap(?:search|modify|add|delete|passwd|whoami|compare|"
         r"modrdn|exop|url)\b" + _ARGS + r"-w\s*" + _VAL, ("ldap",), 0, not_variable,
         r"ldap\w+\b.*\s-w", "ldapsearch(1) -w passwd"),
    Rule("command_line_password", r"\bredis-cli\b" + _ARGS + r"-a\s+" + _VAL, ("redis-cli",),
         0, not_variable, source="redis-cli -a"),
    Rule("command_line_password", r"(?i:\b(?:sqlcmd|bcp|osql|isql|ipmitool|mongo|mongosh|"
         r"mongodump|mongorestore|mongoexport|mongoimport))(?:\.exe)?\b" + _ARGS + r"-P\s*"
         + _VAL, ("sqlcmd", "bcp", "osql", "isql", "ipmitool", "mongo"), 0, not_variable,
         source="sqlcmd -P; ipmitool -P"),
    Rule("command_line_password", r"(?i:\b(?:mongo|mongosh|mongodump|mongorestore|mongoexport|"
         r"mongoimport))\b" + _ARGS + r"-p\s+" + _VAL, ("mongo",), 0, not_variable,
         source="mongosh -p"),
    Rule("command_line_password", r"(?i)\s(?:-U|--user(?:name)?=?)\s*[\"']?[^\s%\"']+%"
         r"([^\s\"']+)", ("%",), pre=r"(?:\s-u|--user)\S*\s*[\"']?[^\s%\"']+%",
         source="smbclient(1) -U user%password"),
    Rule("command_line_password", r"(?i)-pass(?:in|out)?\s+pass:([^\s\"']+)", ("pass:",),
         source="openssl(1) pass phrase arguments"),
    Rule("command_line_password", r"(?i)-(?:src|dest)?(?:storepass|keypass)\s+" + _VAL,
         ("storepass", "keypass"), 0, not_variable, source="keytool -storepass/-keypass"),
    Rule("command_line_password", r"(?i:\b(?:7z|7za|7zr|rar|unrar)(?:\.exe)?)\s"
         r"[^\r\n|;&]*?-p([^\s\"'-][^\s\"']*)",
         ("7z ", "7za ", "7zr ", "7z.exe", "rar ", "rar.exe"), source="7z -p, rar -p"),
    Rule("command_line_password", r"(?i:\b(?:zip|unzip|zipcloak))\b" + _ARGS + r"-P\s+" + _VAL,
         ("zip",), source="zip(1) -P"),
    Rule("command_line_password", r"\bhtpasswd\s+(?:-\w+\s+)*-\w*b\w*\s+(?:-\w+\s+)*\S+\s+\S+\s+"
         + _VAL, ("htpasswd",), source="htpasswd(1) -b"),
    Rule("command_line_password", r"(?i)\becho\s+[\"']?[^\s:\"']+:([^\s\"'|]+)[\"']?\s*\|\s*"
         r"(?:sudo\s+)?chpasswd", ("chpasswd",), source="chpasswd(8)"),
    Rule("command_line_password", r"(?i)\becho\s+[\"']?([^\s\"'|]+)[\"']?\s*\|\s*sudo\s+"
         r"(?:-\w+\s+)*-S\b", ("sudo",), pre=r"\|\s*sudo\s.*-s\b", source="sudo(8) -S"),
    Rule("command_line_password", r"(?i)\bnet(?:\.exe)?\s+user\s+(?:\"[^\"]+\"|\S+)\s+"
         r"(?![/*])([^\s/\"']+)", ("net user", "net.exe user"), source="Windows net user"),
    # net use Z: \\srv\share PASSWORD /user:dom\u, or /user:dom\u PASSWORD after it.
    Rule("command_line_password", r"(?i)\bnet(?:\.exe)?\s+use\s+(?:[a-z]:\s+|\*\s+)?\\\\\S+"
         r"(?:\s+/(?!user:)\S+)*(?:\s+/user:\S+)?\s+(?![/*])([^\s/\"']+)",
         ("net use", "net.exe use"), source="Windows net use"),
    Rule("command_line_password", r"(?i)\brabbitmqctl\s+(?:add_user|change_password)\s+\S+\s+"
         + _VAL, ("rabbitmqctl",), source="rabbitmqctl(8)"),
    Rule("command_line_password", r"(?i)ConvertTo-SecureString\s+(?:-String\s+)?[\"']([^\"'\r\n]+)"
         r"[\"']\s+-AsPlainText", ("convertto-securestring",),
         source="PowerShell ConvertTo-SecureString -AsPlainText"),
    # PowerShell and Windows tools take -Password VALUE with one dash.
    Rule("command_line_password", r"(?i)(?<![\w-])-(?:Password|AccountPassword|ClientSecret|"
         r"ApiKey|AccessToken|Secret|Passphrase)\s+" + _VAL, ("-password", "-accountpassword",
                                                            "-clientsecret", "-apikey",
                                                            "-accesstoken", "-secret",
                                                            "-passphrase"),
         0, not_variable, source="PowerShell parameters"),
)
