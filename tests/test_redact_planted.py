"""The promise, end to end: fresh random secrets of every kind the catalogue knows,
planted in real logs and real configuration files (tests/fixtures/redact/SOURCES.md),
some of them gzipped, in UTF-16 and in GBK, attached to a real ``supportkit run``
process; the test fails naming every kind of which any meaningful part survives
anywhere in the zip, searched as UTF-8, UTF-16 and GBK, inside compressed members too."""

from __future__ import annotations

import base64
import gzip
import json
import random
import zipfile
from pathlib import Path

from conftest import FIXTURES, REALDATA, run_process
from redact_cases import B64, cases, pw, rand
from test_redact_rules import _parts

CONFIGS = FIXTURES / "redact"


def _insert(lines: list[str], planted: list[str], rng: random.Random) -> list[str]:
    out = [line if line.endswith("\n") else line + "\n" for line in lines]  # a last line
    # without its newline would glue the next secret to it
    for text in planted:
        out.insert(rng.randrange(len(out) + 1), text if text.endswith("\n") else text + "\n")
    return out


def _configs(tmp: Path, kinds: dict[str, list[str]]) -> list[Path]:
    """The real configuration files with secrets where their owners would put them."""
    def plant(kind: str, value: str) -> str:
        kinds.setdefault(kind, []).append(value)
        return value

    files: list[Path] = []

    def write(name: str, text: str, encoding: str = "utf-8") -> None:
        path = tmp / name
        path.write_bytes(text.encode(encoding))
        files.append(path)

    redis = (CONFIGS / "redis.conf").read_text(encoding="utf-8")
    redis = redis.replace("# requirepass foobared\n", "# requirepass foobared\nrequirepass "
                          f"{plant('redis requirepass', pw())}\n")
    redis = redis.replace("# masterauth <master-password>\n", "# masterauth <master-password>\n"
                          f"masterauth {plant('redis masterauth', pw())}\n")
    write("redis.conf", redis)
    nginx = (CONFIGS / "nginx.conf").read_text(encoding="utf-8")
    basic = base64.b64encode(f"ops:{plant('nginx basic auth', pw())}".encode()).decode()
    plant("nginx basic auth (base64)", basic)
    nginx = nginx.replace("    sendfile        on;", "    sendfile        on;\n"
                          f"    proxy_set_header Authorization \"Basic {basic}\";")
    write("nginx.conf", nginx)
    write("sshd_config", (CONFIGS / "sshd_config").read_text(encoding="utf-8") +
          f"# build note: ssh -i key deploy@host, sshpass -p {plant('sshpass', pw())} ssh x\n")
    env = (CONFIGS / "laravel.env").read_text(encoding="utf-8")
    env = env.replace("DB_PASSWORD=", f"DB_PASSWORD={plant('.env DB_PASSWORD', pw())}")
    env = env.replace("APP_KEY=", f"APP_KEY=base64:{plant('.env APP_KEY', rand(43, B64))}=")
    env = env.replace("REDIS_PASSWORD=null", f"REDIS_PASSWORD={plant('.env REDIS_PASSWORD', pw())}")
    env = env.replace("AWS_SECRET_ACCESS_KEY=",
                      f"AWS_SECRET_ACCESS_KEY={plant('.env AWS secret', rand(40, B64))}")
    write(".env", env)
    compose = (CONFIGS / "wordpress-mysql.compose.yaml").read_text(encoding="utf-8")
    compose = compose.replace("MYSQL_ROOT_PASSWORD=somewordpress",
                              f"MYSQL_ROOT_PASSWORD={plant('compose root password', pw())}")
    compose = compose.replace("WORDPRESS_DB_PASSWORD=wordpress",
                              f"WORDPRESS_DB_PASSWORD={plant('compose db password', pw())}")
    write("docker-compose.yml", compose)
    web = (CONFIGS / "Web.config").read_text(encoding="utf-8")
    web = web.replace('<add name="MyConnection" connectionString="foo"/>',
                      '<add name="MyConnection" connectionString="Server=db;User Id=sa;Password='
                      f'{plant("web.config connection string", pw())};Database=app"/>')
    web = web.replace('<appSettings configBuilders="AppSettingsJsonConfigurationBuilder">\n',
                      '<appSettings configBuilders="AppSettingsJsonConfigurationBuilder">\n'
                      '    <add key="SmtpPassword" value="'
                      f'{plant("web.config add key", pw())}" />\n')
    write("Web.config", web)
    kube = (CONFIGS / "kubeconfig").read_text(encoding="utf-8")
    kube = kube.replace("token: TOKEN", f"token: {plant('kubeconfig token', rand(64))}\n"
                        "    client-key-data: "
                        f"{plant('kubeconfig client-key-data', rand(96, B64))}")
    write("config", kube)
    wpa = (CONFIGS / "wpa_supplicant.conf").read_text(encoding="utf-8")
    write("wpa_supplicant.conf", wpa + f'\nnetwork={{\n\tssid="home"\n\tpsk="'
          f'{plant("wpa_supplicant psk", pw())}"\n\tkey_mgmt=WPA-PSK\n}}\n')
    for lang in ("en", "zh"):
        text = (CONFIGS / f"netsh-wlan-{lang}.txt").read_text(encoding="utf-8")
        write(f"netsh-{lang}.txt", text.replace(": KEY", f": {plant(f'netsh {lang}', pw())}"),
              "utf-8" if lang == "en" else "gbk")
    header = (CONFIGS / "powershell-transcript-header.txt").read_text(encoding="utf-8")
    session = (f"PS C:\\> $env:DB_PASSWORD = '{plant('transcript env', pw())}'\n"
               f"PS C:\\> $s = ConvertTo-SecureString \"{plant('transcript securestring', pw())}"
               "\" -AsPlainText -Force\n"
               f"PS C:\\> net use Z: \\\\srv\\share /user:CORP\\bob "
               f"{plant('transcript net use', pw())}\n"
               "**********************\nWindows PowerShell transcript end\n")
    write("PowerShell_transcript.txt", "\ufeff" + (header + session).replace("\n", "\r\n"),
          "utf-16-le")
    write("数据库配置.ini", "[数据库]\r\n服务器=db01\r\n"
          f"密码={plant('GBK 密码=', pw())}\r\n"
          f"备注=管理员密码是{plant('GBK 密码是', pw())}\r\n", "gbk")
    return files


def test_no_planted_secret_survives_a_real_run(tmp_path: Path) -> None:
    rng = random.Random()
    kinds: dict[str, list[str]] = {}
    planted: list[str] = []
    for rule, items in cases().items():
        for i, (line, secrets, _) in enumerate(items):
            kinds[f"{rule} #{i}"] = _parts(line, secrets)
            planted.append(line)
    rng.shuffle(planted)
    files = _configs(tmp_path, kinds)
    logs = sorted((REALDATA / "logs").glob("*.log"))
    for n, log in enumerate(logs):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        mine = planted[n::len(logs)]
        text = "".join(_insert(lines, mine, rng))
        if n % 3 == 0:  # rotated logs arrive gzipped
            path = tmp_path / f"{log.stem}.log.1.gz"
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path = tmp_path / log.name
            path.write_text(text, encoding="utf-8")
        files.append(path)
    assert len(kinds) >= 100
    out = tmp_path / "out"
    r = run_process("run", "general", "--non-interactive", "--json", "--only", "disk",
                    "--out", str(out), "--attach", *map(str, files),
                    env={"SUPPORTKIT_HOME": str(tmp_path / "home")}, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    bundle = Path(json.loads(r.stdout)["bundle"])
    with zipfile.ZipFile(bundle) as zf:
        blobs = [zf.read(n) for n in zf.namelist()]
        stored = [n.split("/", 1)[1] for n in zf.namelist()]
        manifest = json.loads(next(zf.read(n) for n in zf.namelist()
                                   if n.endswith("/manifest.json")))
    blobs += [gzip.decompress(b) for b in blobs if b.startswith(b"\x1f\x8b")]
    leaked = []
    for kind, parts in sorted(kinds.items()):
        for part in parts:
            forms = {part.encode(), part.encode("utf-16-le")}
            try:
                forms.add(part.encode("gbk"))
            except UnicodeEncodeError:
                pass
            if any(form in blob for form in forms for blob in blobs):
                leaked.append(f"{kind}: {part[:12]}…")
                break
    assert not leaked, f"{len(leaked)} of {len(kinds)} kinds survive: {leaked}"
    # every file went in (none refused), each in its own encoding and container
    assert len([n for n in stored if n.startswith("attachments/")]) == len(files)
    notes = manifest["redaction"]["files"]
    assert notes["attachments/PowerShell_transcript.txt"] == {"encoding": "utf-16-le"}
    assert notes["attachments/netsh-zh.txt"] == {"encoding": "gb18030"}
    assert all(notes[f"attachments/{p.name}"] == {"container": "gzip"}
               for p in files if p.suffix == ".gz")
    assert sum(manifest["redaction"]["rules"].values()) >= len(kinds)
    assert run_process("bundle", "verify", str(bundle)).returncode == 0
