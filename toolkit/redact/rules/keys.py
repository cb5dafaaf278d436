"""Private keys in every form a support file carries them, and password hashes.

Blocks: PEM (PKCS#1/#8, OpenSSH, EC, encrypted, PGP), OpenVPN static keys, SSH.com
(RFC 4716) private keys, PuTTY .ppk "Private-Lines". Single values: kubeconfig
``client-key-data``, a Kubernetes Secret's ``.dockerconfigjson``, Docker
``config.json`` ``"auth"``. Hashes are what offline cracking starts from: crypt(3)
(/etc/shadow, htpasswd), NTLM pwdump and NetNTLMv2 lines, Kerberos TGS/AS-REP, LDAP
``{SSHA}``, MySQL, Django, PostgreSQL, grub — formats as hashcat's example hashes and
the programs' own documentation define them.
"""

from __future__ import annotations

from toolkit.redact.rules._base import KeyBlock, Rule

_PEM_LABEL = r"[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?"

BLOCKS: tuple[KeyBlock, ...] = (
    KeyBlock("private_key", r"-----BEGIN " + _PEM_LABEL + r"-----", ("-----begin",),
             r"-----END " + _PEM_LABEL + r"-----", source="RFC 7468; gitleaks private-key"),
    KeyBlock("private_key", r"-----BEGIN OpenVPN Static key V\d-----", ("-----begin",),
             r"-----END OpenVPN Static key V\d-----", source="openvpn --genkey secret"),
    KeyBlock("private_key", r"---- BEGIN SSH2 (?:ENCRYPTED )?PRIVATE KEY ----",
             ("---- begin ssh2",), r"---- END SSH2 (?:ENCRYPTED )?PRIVATE KEY ----",
             source="SSH.com / RFC 4716 key files"),
    KeyBlock("private_key", r"(?i)^\s*Private-Lines:\s*(\d+)", ("private-lines",), count=True,
             source="PuTTY .ppk format (puttygen)"),
)

KEYS: tuple[Rule, ...] = (
    # A whole key on one line: JSON ("private_key": "-----BEGIN …\n…-----END …\n").
    Rule("private_key", r"-----BEGIN " + _PEM_LABEL + r"-----.*?(?:-----END " + _PEM_LABEL +
         r"-----|$)|-----BEGIN OpenVPN Static key V\d-----.*?(?:-----END OpenVPN Static key "
         r"V\d-----|$)", ("-----begin",), source="RFC 7468; gitleaks private-key"),
    Rule("kube_client_key", r"(?i)\bclient-key-data[\"']?\s*:\s*[\"']?([A-Za-z0-9+/=]{16,})",
         ("client-key-data",), source="kubeconfig (client-go clientcmd)"),
    Rule("docker_auth", r"(?i)\.docker(?:config)?(?:json|cfg)[\"']?\s*:\s*[\"']?"
         r"([A-Za-z0-9+/=]{16,})", (".dockerconfigjson", ".dockercfg"),
         source="Kubernetes Secret type kubernetes.io/dockerconfigjson"),
    Rule("docker_auth", r"(?i)\\?\"(?:auth|identitytoken|registrytoken)\\?\"\s*:\s*\\?\""
         r"([A-Za-z0-9+/=._-]{8,})\\?\"", ('auth"', 'identitytoken"', 'registrytoken"',
                                          'auth\\"'), source="Docker config.json"),
    # crypt(3): MD5 $1$, SHA-256/512 $5$ $6$, yescrypt $y$, gost-yescrypt $gy$, scrypt $7$,
    # bcrypt $2a$/$2b$/$2y$, Apache $apr1$, Cisco $8$/$9$, argon2, passlib pbkdf2.
    Rule("password_hash",
         r"\$(?:1|5|6|7|8|9|y|gy|2[abxy]|apr1|md5|sha1|argon2(?:id|i|d)|pbkdf2(?:-sha\d+)?|"
         r"scrypt|bcrypt-sha256)\$[./A-Za-z0-9$=,+-]{8,}",
         ("$1$", "$5$", "$6$", "$7$", "$8$", "$9$", "$y$", "$gy$", "$2a$", "$2b$", "$2x$", "$2y$",
          "$apr1$", "$md5", "$sha1$", "$argon2", "$pbkdf2", "$scrypt$", "$bcrypt-sha256$"),
         source="crypt(5); hashcat example hashes"),
    # pwdump / secretsdump: user:rid:LM:NT:::
    Rule("password_hash", r"(?m)^[^:\r\n]+:\d+:([0-9A-Fa-f]{32}:[0-9A-Fa-f]{32})(?::::|:*\s*$)",
         (":::",), pre=r":\d+:[0-9a-f]{32}:[0-9a-f]{32}", source="pwdump format; hashcat 1000"),
    # NetNTLMv1/v2 as Responder and hashcat 5500/5600 write them: user::domain:chal:resp:blob
    Rule("password_hash", r"(?i)\b[^\s:]+::[^\s:]*:([0-9a-f]{16}:[0-9a-f]{32,48}:[0-9a-f]{16,})",
         ("::",), pre=r"::[^\s:]*:[0-9a-f]{16}:[0-9a-f]{32}", source="hashcat 5500/5600"),
    Rule("password_hash", r"\$krb5(?:tgs|asrep|pa|tgt)\$[^\s\"'<>]+", ("$krb5",),
         source="hashcat 13100/18200/19900 (Kerberoasting, AS-REP roasting)"),
    Rule("password_hash", r"(?i)\{(?:ssha(?:256|512)?|sha(?:256|512)?|smd5|md5|crypt|"
         r"pbkdf2[\w-]*|argon2)\}([A-Za-z0-9+/=.$,_-]{8,})",
         ("{ssha", "{sha", "{smd5}", "{md5}", "{crypt}", "{pbkdf2", "{argon2}"),
         source="RFC 2307 userPassword; OpenLDAP slappasswd"),
    Rule("password_hash", r"(?<![\w*])\*[0-9A-Fa-f]{40}(?![0-9A-Fa-f])",
         ("'*", '"*', "| *", ": *", "=*", "= *", "\t*"),
         pre=r"\*[0-9a-f]{40}", source="MySQL mysql_native_password; hashcat 300"),
    Rule("password_hash", r"\b(?:pbkdf2_sha256|pbkdf2_sha1|bcrypt_sha256|argon2)\$[^\s\"'<>]{20,}",
         ("pbkdf2_", "bcrypt_sha256$", "argon2$"), source="Django password hashers"),
    Rule("password_hash", r"\bgrub\.pbkdf2\.sha512\.\d+\.[0-9A-Fa-f]+\.[0-9A-Fa-f]+",
         ("grub.pbkdf2",), source="grub-mkpasswd-pbkdf2; sos report grub2 plugin"),
    Rule("password_hash", r"\bSCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+|"
         r"(?<![\w$])md5[0-9a-f]{32}\b", ("scram-sha-256$", "md5"), pre=r"scram-sha-256\$|"
         r"(?<![\w$])md5[0-9a-f]{32}\b", source="PostgreSQL pg_authid rolpassword"),
)
