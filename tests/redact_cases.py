"""One true positive and one near miss for every rule of the redaction catalogue, with
fresh random values on every run. ``CASES[rule]`` is a list of
``(line, secrets, near_miss)``: ``secrets`` are the parts that must be gone from the
redacted line, ``near_miss`` a line that looks alike and must come through unchanged.
The formats are those each rule's source documents (see the rule's ``source``)."""

from __future__ import annotations

import base64
import secrets
import string

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
UP = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def pw() -> str:
    """A password as people choose them: letters, a digit, a symbol."""
    return rand(10) + secrets.choice("0123456789") + secrets.choice("!#%+-_.")


Case = tuple[str, tuple[str, ...], str]


def cases() -> dict[str, list[Case]]:
    p = [pw() for _ in range(40)]
    basic = base64.b64encode(f"bob:{p[0]}".encode()).decode()
    jwt = f"eyJ{rand(20)}.eyJ{rand(40)}.{rand(43)}"
    key_lines = [rand(64, B64) for _ in range(4)]
    out: dict[str, list[Case]] = {
        "private_key": [
            ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(key_lines) +
             "\n-----END RSA PRIVATE KEY-----\n", tuple(key_lines), "-----BEGIN CERTIFICATE-----"),
            (f'"private_key": "-----BEGIN PRIVATE KEY-----\\n{key_lines[0]}\\n-----END PRIVATE KEY'
             '-----\\n",', (key_lines[0],), '"public_key": "ssh-ed25519 AAAAC3Nza"'),
            ("-----BEGIN OpenVPN Static key V1-----\n" + "\n".join(rand(32, HEX) for _ in range(1))
             + "\n-----END OpenVPN Static key V1-----\n", (), "# OpenVPN static key file"),
            ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n"
             f"{key_lines[1]}\nPrivate-MAC: {rand(64, HEX)}\n", (key_lines[1],),
             "Public-Lines: 2"),
            ("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n" + key_lines[2] +
             "\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n", (key_lines[2],),
             "---- BEGIN SSH2 PUBLIC KEY ----"),
        ],
        "url_credentials": [
            (f"postgres://svc:{p[1]}@10.0.0.5:5432/app", (p[1],), "postgres://10.0.0.5:5432/app"),
            (f"redis://:{p[2]}@cache:6379/0", (p[2],), "see https://example.com/a@b for help"),
        ],
        "jdbc_credentials": [
            (f"jdbc:oracle:thin:scott/{p[3]}@db01:1521:ORCL", (p[3],),
             "jdbc:oracle:thin:@db01:1521:ORCL"),
            (f"sqlplus system/{p[4]}@orcl", (p[4],), "sqlplus /nolog"),
        ],
        "authorization_header": [
            (f"Authorization: Negotiate {rand(60, B64)}", (), "WWW-Authenticate: Negotiate"),
            (f'GET / HTTP/1.1\\r\\nAuthorization: Bearer {rand(40)}\\r\\nHost: x', (),
             "authorization failed for user bob"),
        ],
        "cookie_header": [
            (f"Cookie: session={rand(32)}; theme=dark", (), "cookies are disabled"),
            (f'"GET / HTTP/1.1\\r\\nCookie: sid={rand(32)}\\r\\n"', (), "no cookie sent"),
        ],
        "digest_response": [
            (f'username="bob", uri="/", response="{rand(32, HEX)}", qop=auth', (),
             "response=200 in 32 ms"),
        ],
        "secret_header": [
            (f"X-Auth-Secret: {rand(30)}", (), "X-Forwarded-For: 10.0.0.1"),
            (f"PRIVATE-TOKEN: {rand(26)}", (), "x-request-id: 42"),
        ],
        "bearer_token": [(f"calling api with bearer {rand(36)}7", (), "bearer token expired")],
        "basic_credentials": [(f"auth basic {basic}", (basic,), "basic authentication enabled")],
        "jwt": [(f"id={jwt}", (jwt,), "eyJhbGciOiJIUzI1NiJ9 alone")],
        "signature_param": [
            (f"GET https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig={rand(43)}%3D", (),
             "sig=short"),
        ],
        "webhook_secret": [
            (f"https://hooks.slack.com/services/T{rand(8, UP)}/B{rand(8, UP)}/{rand(24)}", (),
             "https://hooks.slack.com/ docs"),
        ],
        "name_value_secret": [
            (f'<add key="DbPassword" value="{p[5]}" />', (p[5],),
             '<add key="Theme" value="dark" />'),
            (f'<add key="ClearTextPassword" value="{p[6]}" />', (p[6],),
             '<add key="Username" value="bob" />'),
            (f'{{"name":"DB_PASSWORD","value":"{p[7]}"}}', (p[7],),
             '{"name":"DB_HOST","value":"db"}'),
            (f"- name: DB_PASSWORD\n  value: {p[8]}\n", (p[8],), "- name: DB_HOST\n  value: db\n"),
            (f'"name": "Cookie",\n"value": "sid={rand(24)}"\n', (),
             '"name": "Accept",\n"value": "*"'),
        ],
        "xml_secret": [
            (f"<Password>{p[9]}</Password>", (p[9],), "<Password></Password>"),
            (f"<keyMaterial>{p[10]}</keyMaterial>", (p[10],), "<keyType>passPhrase</keyType>"),
        ],
        "kube_client_key": [
            (f"    client-key-data: {rand(80, B64)}", (), "    client-certificate-data: LS0t"),
        ],
        "docker_auth": [
            (f'"auth": "{base64.b64encode(f"bob:{p[11]}".encode()).decode()}"', (),
             '"auths": {'),
            (f'  .dockerconfigjson: {rand(60, B64)}', (), "type: kubernetes.io/dockerconfigjson"),
        ],
        "password_hash": [
            (f"root:$6$rounds=5000${rand(16)}${rand(86, ALNUM + './')}:19000:0:99999:7:::", (),
             "root:*:19000:0:99999:7:::"),
            (f"bob:$apr1${rand(8)}${rand(22)}", (), "bob:x:1000:1000::/home/bob:/bin/bash"),
            (f"Administrator:500:aad3b435b51404eeaad3b435b51404ee:{rand(32, HEX)}:::", (),
             "Administrator:500:::"),
            (f"$krb5tgs$23$*svc$CORP.LOCAL$http/web*${rand(32, HEX)}${rand(64, HEX)}", (),
             "krb5tgs request ok"),
            (f"bob::CORP:{rand(16, HEX)}:{rand(32, HEX)}:{rand(40, HEX)}", (), "fe80::1ff:fe23::"),
            (f"userPassword: {{SSHA}}{rand(32, B64)}", (), "the userPassword attribute"),
            (f"IDENTIFIED BY PASSWORD '*{rand(40, HEX).upper()}'", (), "count: *40"),
            (f"pbkdf2_sha256$600000${rand(22)}${rand(44, B64)}", (),
             "pbkdf2_sha256 is the default"),
            (f"password_pbkdf2 root grub.pbkdf2.sha512.10000.{rand(128, HEX).upper()}."
             f"{rand(128, HEX).upper()}", (), "grub.pbkdf2 hashes are used"),
            (f"rolpassword | md5{rand(32, HEX)}", (), "md5sum ok"),
        ],
        "command_line_password": [
            (f"mysqldump --password={p[12]} db", (p[12],), "mysqldump --password-file=/x db"),
            (f"mysql -u root -p{p[13]} app", (p[13],), "mysql -u root -p app"),
            (f"sshpass -p {p[14]} ssh bob@host", (p[14],), "ssh -p 2222 bob@host"),
            (f"docker login -u bob -p {p[15]} registry.example.com", (p[15],),
             "docker run -p 8080:80 nginx"),
            (f"ldapsearch -x -D cn=admin,dc=x -w {p[16]} -b dc=x", (p[16],),
             "ldapsearch -x -W -b dc=x"),
            (f"curl --user bob:{p[17]} https://api", (p[17],), "curl --user-agent x https://api"),
            (f"curl -u bob:{p[18]} https://api", (p[18],), "curl -u bob https://api"),
            (f"redis-cli -h cache -a {p[19]} ping", (p[19],), "redis-cli -h cache ping"),
            (f"sqlcmd -S db -U sa -P {p[20]} -Q x", (p[20],), "sqlcmd -S db -E -Q x"),
            (f"smbclient //srv/share -U bob%{p[21]}", (p[21],), "smbclient //srv/share -U bob"),
            (f"openssl pkcs12 -in a.p12 -passin pass:{p[22]}", (p[22],),
             "openssl pkcs12 -in a.p12"),
            (f"echo '{p[23]}' | sudo -S apt update", (p[23],), "echo 'hello' | grep h"),
            (f"echo 'bob:{p[24]}' | chpasswd", (p[24],), "chpasswd < list"),
            (f'$s = ConvertTo-SecureString "{p[25]}" -AsPlainText -Force', (p[25],),
             "$s = Read-Host -AsSecureString"),
            (f"net use Z: \\\\srv\\share /user:CORP\\bob {p[25]}x", (p[25] + "x",),
             "net use Z: \\\\srv\\share /persistent:yes"),
            (f"net user bob {p[26]} /add", (p[26],), "net user bob /domain"),
            (f"keytool -list -keystore k.jks -storepass {p[27]}", (p[27],), "keytool -list"),
            (f"ipmitool -I lanplus -H bmc -U admin -P {p[28]} power status", (p[28],),
             "ipmitool power status"),
        ],
        "config_secret": [
            (f"requirepass {p[29]}", (p[29],), "# requirepass foobared"),
            (f"masterauth {p[30]}", (p[30],), "# masterauth <master-password>"),
            (f"bindpw {p[31]}", (p[31],), "#bindpw secret"),
            (f"rootpw --plaintext {p[32]}", (p[32],), "rootpw --lock"),
            (f"machine api.example.com login bob password {p[33]}", (p[33],),
             "machine api.example.com login bob"),
            (f"user alice on >{p[34]} ~cached:* +get", (p[34],), "user default on nopass ~* +@all"),
            (f"    set psksecret ENC {p[35]}", (p[35],), "    set psksecret-type static"),
        ],
        "snmp_community": [
            (f"rocommunity {p[36]} 10.0.0.0/8", (p[36],), "# rocommunity public"),
            (f"snmp-server community {p[37]} RO", (p[37],), "snmp-server location rack 4"),
        ],
        "ipsec_psk": [
            (f'%any : PSK "{p[38]}"', (p[38],), "conn %default"),
            (f"crypto isakmp key {p[39]} address 203.0.113.9", (p[39],), "crypto isakmp policy 10"),
        ],
        "cisco_type7": [
            (f"username admin password 7 {rand(20, HEX).upper()}", (),
             "service password-encryption"),
        ],
        "xfrm_key": [
            (f"\tauth-trunc hmac(sha256) 0x{rand(64, HEX)} 128", (),
             "\tproto esp spi 0x1234 reqid 1"),
            (f"\tenc cbc(aes) 0x{rand(32, HEX)}", (), "\treplay-window 0 flag af-unspec"),
        ],
        "wifi_key": [
            (f"    Key Content            : {pw()}", (), "    Security key           : Present"),
            (f"    关键内容            : {pw()}", (), "    安全密钥               : 存在"),
        ],
        "prose_secret": [
            ("the new password is Summer2024!", ("Summer2024!",), "the password is incorrect"),
            ("密码是abc12345", ("abc12345",), "密码是正确的"),
            ("密码为 Qw3rty!9", ("Qw3rty!9",), "密码为空"),
        ],
        "env_secret": [
            (f"POSTGRES_PW={pw()}", (), "POSTGRES_PW=${POSTGRES_PW}"),
            (f'    "MYSQL_ROOT_PASSWORD={pw()}",', (), '    "MYSQL_DATABASE=app",'),
            (f"SMTP_PASS={pw()}", (), "SMTP_HOST=mail.example.com"),
            (f"APP_KEY=base64:{rand(43, B64)}=", (), "APP_NAME=Laravel"),
            (f'export STRIPE_API_KEY="{rand(30)}"', (), "export SSH_PUBLIC_KEY=ssh-ed25519"),
        ],
        "key_value_secret": [
            (f"connect user=app password={pw()} host=db1", (), "password_expiry_days=90"),
            (f"  password: {pw()}", (), "passwd: files systemd"),
            (f"psk=\"{pw()}\"", (), "key_mgmt=WPA-PSK"),
            (f"802-11-wireless-security.psk:            {pw()}", (),
             "802-11-wireless-security.key-mgmt:       wpa-psk"),
            (f"ldap_default_authtok = {pw()}", (), "ldap_default_authtok_type = password"),
            (f"数据库密码：{pw()}", (), "请输入密码"),
            (f"community: {pw()}", (), "# community strings are set below"),
        ],
        "key_value_token": [
            (f"access_token={rand(32)}", (), "max_tokens=5"),
            (f"AssemblyName, PublicKeyToken=b77a5c561934e089 token={rand(24)}", (),
             "System.Web, Version=4.0.0.0, PublicKeyToken=b03f5f7f11d50a3a"),
        ],
    }
    tokens: dict[str, list[Case]] = {
        "aws_access_key_id": [(f"aws_access_key_id = AKIA{rand(16, UP)}", (),
         "AIDA1234567890ABCDEF")],
        "aws_bedrock_key": [(f"ABSK{rand(120, B64)}", (), "ABSK short")],
        "github_token": [(f"push with ghp_{rand(36)}", (), "ghp_short")],
        "gitlab_token": [(f"PRIVATE: glpat-{rand(20)}", (), "glpat-x")],
        "slack_token": [(f"slack xoxb-{rand(12, string.digits)}-{rand(24)}", (), "xoxb-1")],
        "stripe_key": [(f"stripe sk_live_{rand(24)}", (), "sk_live_")],
        "gcp_api_key": [(f"k AIza{rand(35)}", (), "AIzaSy short")],
        "gcp_oauth": [(f"ya29.{rand(40)}", (), "ya29.1")],
        "azure_client_secret": [(f"secret {rand(3)}8Q~{rand(34)}", (), "Q~ alone")],
        "openai_key": [(f"sk-proj-{rand(40)}T3BlbkFJ{rand(40)}", (), "sk-proj-short")],
        "anthropic_key": [(f"sk-ant-api03-{rand(93)}AA", (), "sk-ant-api03-x")],
        "npm_token": [(f"npm_{rand(36)}", (), "npm_install")],
        "pypi_token": [(f"pypi-AgEIcHlwaS5vcmc{rand(70)}", (), "pypi-AgEI")],
        "sendgrid_key": [(f"SG.{rand(22)}.{rand(43)}", (), "SG.short.x")],
        "vault_token": [(f"hvs.{rand(90)}", (), "hvs.x")],
        "docker_token": [(f"dckr_pat_{rand(27)}", (), "dckr_pat_")],
        "huggingface_token": [(f"hf_{rand(34, string.ascii_letters)}", (), "hf_hub")],
        "digitalocean_token": [(f"dop_v1_{rand(64, HEX)}", (), "dop_v1_x")],
        "shopify_token": [(f"shpat_{rand(32, HEX)}", (), "shpat_")],
        "twilio_key": [(f"twilio SK{rand(32, HEX)}", (), "DISK0123 TASK")],
        "telegram_bot_token": [(f"bot{rand(9, string.digits)}:AA{rand(33)}", (), "12:34:56")],
        "grafana_token": [(f"glsa_{rand(32)}_{rand(8, HEX)}", (), "glsa_x")],
        "atlassian_token": [(f"ATATT3{rand(186)}", (), "ATATT3x")],
        "databricks_token": [(f"dapi{rand(32, HEX)}", (), "dapi is a word")],
        "newrelic_key": [(f"NRAK-{rand(27, UP)}", (), "NRAK-1")],
        "alibaba_access_key_id": [(f"LTAI{rand(20)}", (), "LTAI")],
        "onepassword_token": [(f"A3-{rand(6, UP)}-{rand(11, UP)}-{rand(5, UP)}-{rand(5, UP)}-"
                               f"{rand(5, UP)}", (), "A3-paper")],
        "age_secret_key": [("AGE-SECRET-KEY-1" + rand(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"), (),
                            "AGE-SECRET-KEY-")],
        "artifactory_token": [(f"AKCp{rand(69)}", (), "AKCp8")],
        "doppler_token": [(f"dp.pt.{rand(43)}", (), "dp.pt.")],
        "dynatrace_token": [(f"dt0c01.{rand(24, UP)}.{rand(64, UP)}", (), "dt0c01.")],
        "easypost_key": [(f"EZAK{rand(54)}", (), "EZAK")],
        "facebook_token": [(f"EAAC{rand(120)}", (), "EAACx")],
        "flutterwave_key": [(f"FLWSECK_TEST-{rand(32, 'abcdef0123456789')}-X", (), "FLWSECK_")],
        "flyio_token": [(f"fo1_{rand(43)}", (), "fo1_")],
        "frameio_token": [(f"fio-u-{rand(64)}", (), "fio-u-")],
        "harness_token": [(f"pat.{rand(22)}.{rand(24)}.{rand(20)}", (), "pat.1.2")],
        "terraform_token": [(f"{rand(14)}.atlasv1.{rand(67)}", (), "x.atlasv1.y")],
        "heroku_key": [(f"HRKU-AA{rand(58)}", (), "HRKU-AA")],
        "infracost_token": [(f"ico-{rand(32)}", (), "ico-1")],
        "linear_key": [(f"lin_api_{rand(40)}", (), "lin_api_")],
        "mailchimp_key": [(f"{rand(32, HEX)}-us21", (), "name-us21")],
        "mailgun_key": [(f"key-{rand(32, HEX)}", (), "key-value")],
        "maxmind_key": [(f"{rand(6)}_{rand(29)}_mmk", (), "a_b_mmk")],
        "notion_token": [(f"ntn_{rand(11, string.digits)}{rand(35)}", (), "ntn_1")],
        "octopus_key": [(f"API-{rand(26, UP)}", (), "API-KEY")],
        "openshift_token": [(f"sha256~{rand(43)}", (), "sha256~x")],
        "perplexity_key": [(f"pplx-{rand(48)}", (), "pplx-1")],
        "planetscale_token": [(f"pscale_tkn_{rand(40)}", (), "pscale_tkn_")],
        "postman_key": [(f"PMAK-{rand(24, HEX)}-{rand(34, HEX)}", (), "PMAK-1")],
        "prefect_key": [(f"pnu_{rand(36)}", (), "pnu_")],
        "pulumi_token": [(f"pul-{rand(40, HEX)}", (), "pul-1")],
        "readme_key": [(f"rdme_{rand(70, HEX)}", (), "rdme_")],
        "rubygems_key": [(f"rubygems_{rand(48, HEX)}", (), "rubygems_")],
        "scalingo_token": [(f"tk-us-{rand(48)}", (), "tk-us-")],
        "sendinblue_key": [(f"xkeysib-{rand(64, HEX)}-{rand(16)}", (), "xkeysib-")],
        "sentry_token": [(f"sntryu_{rand(64, HEX)}", (), "sntryu_")],
        "settlemint_token": [(f"sm_pat_{rand(16)}", (), "sm_pat_")],
        "shippo_token": [(f"shippo_live_{rand(40, HEX)}", (), "shippo_live_")],
        "square_token": [(f"sq0atp-{rand(22)}", (), "sq0atp-")],
        "typeform_token": [(f"tfp_{rand(59)}", (), "tfp_")],
        "yandex_key": [(f"AQVN{rand(36)}", (), "AQVN")],
        "tailscale_key": [(f"tskey-auth-{rand(12)}-{rand(30)}", (), "tskey-")],
        "buildkite_token": [(f"bkua_{rand(40, HEX)}", (), "bkua_")],
        "groq_key": [(f"gsk_{rand(52)}", (), "gsk_")],
        "replicate_token": [(f"r8_{rand(37)}", (), "r8_")],
        "langsmith_key": [(f"lsv2_pt_{rand(32, HEX)}_{rand(10, HEX)}", (), "lsv2_pt_")],
        "supabase_token": [(f"sbp_{rand(40, HEX)}", (), "sbp_")],
        "circleci_token": [(f"CCIPAT_{rand(22)}_{rand(40, HEX)}", (), "CCIPAT_")],
        "razorpay_key": [(f"rzp_live_{rand(14)}", (), "rzp_live_")],
        "nuget_key": [(f"oy2{rand(43, string.ascii_lowercase + string.digits)}", (), "oy2")],
        "datadog_key": [(f"ddapp_{rand(34)}", (), "ddapp_")],
        "mapbox_token": [(f"sk.eyJ{rand(60)}.{rand(22)}", (), "sk.eyJ")],
        "adobe_secret": [(f"p8e-{rand(32)}", (), "p8e-")],
        "airtable_token": [(f"pat{rand(14)}.{rand(64, HEX)}", (), "path.to")],
        "sourcegraph_token": [(f"sgp_{rand(40, HEX)}", (), "sgp_")],
        "duffel_token": [(f"duffel_live_{rand(43)}", (), "duffel_live_")],
        "clojars_token": [(f"CLOJARS_{rand(60, string.ascii_lowercase + string.digits)}", (),
                           "CLOJARS_")],
        "braintree_token": [(f"access_token$production${rand(16, HEX)}${rand(32, HEX)}", (),
                             "access_token$production$")],
        "tencent_secret_id": [(f"SecretId: AKID{rand(32)}", (), "AKIDS")],
        "okta_token": [(f"Authorization-ish SSWS 00{rand(40)}", (), "SSWS 00short")],
        "cloudflare_origin_key": [(f"v1.0-{rand(24, HEX)}-{rand(146, HEX)}", (), "v1.0-1")],
    }
    out.update(tokens)
    return out
