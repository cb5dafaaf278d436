"""What a file is before it goes into a bundle: encodings written back as they came,
compressed members recompressed, JSON and YAML kept valid, binaries kept only without
secret-looking text inside, archives that cannot be checked refused — each noted in
the manifest, never with a value."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from redact_cases import pw, rand

from toolkit.redact import Redactor
from toolkit.redact.content import prepare, sniff


def run(data: bytes, name: str, red: Redactor | None = None) -> tuple[bytes | None, dict | None]:
    red = red or Redactor()
    plan = prepare(io.BytesIO(data), name, red)
    out = None if plan.chunks is None else b"".join(plan.chunks)
    return out, plan.note


TRANSCRIPT = ("**********************\r\nWindows PowerShell transcript start\r\n"
              "Start time: 20240103101500\r\nUsername: CORP\\bob\r\n"
              "**********************\r\nPS C:\\> $env:DB_PASSWORD = '{pw}'\r\n"
              "PS C:\\> net use Z: \\\\srv\\share /user:bob password={pw2}\r\n")


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_text_is_redacted_and_written_back_in_utf16(bom: bool) -> None:
    secret, secret2 = pw(), pw()
    text = TRANSCRIPT.format(pw=secret, pw2=secret2)
    data = ("\ufeff" if bom else "").encode("utf-16-le") + text.encode("utf-16-le")
    assert sniff(data) == "utf-16-le"
    out, note = run(data, "attachments/transcript.txt")
    assert out is not None and note == {"encoding": "utf-16-le"}
    assert out.startswith(b"\xff\xfe") == bom
    back = out.decode("utf-16")
    assert secret not in back and secret2 not in back and "[REDACTED:" in back
    assert "Windows PowerShell transcript start" in back and back.count("\r\n") == 7
    for enc in ("utf-8", "utf-16-le"):
        assert secret.encode(enc) not in out


def test_utf16_big_endian() -> None:
    secret = pw()
    data = f"\ufeffpassword={secret}\n".encode("utf-16-be")
    out, note = run(data, "a.txt")
    assert out is not None and note == {"encoding": "utf-16-be"}
    assert out.startswith(b"\xfe\xff") and secret not in out.decode("utf-16")


def test_gbk_text_is_redacted_and_written_back_in_gbk() -> None:
    secret, secret2 = pw(), "Zq" + rand(8) + "7"
    text = f"数据库连接配置\r\n服务器=db01\r\n密码={secret}\r\n管理员密码是{secret2}\r\n"
    data = text.encode("gbk")
    assert sniff(data) == "gb18030"
    out, note = run(data, "attachments/配置.txt")
    assert out is not None and note == {"encoding": "gb18030"}
    back = out.decode("gbk")  # still GBK bytes: Chinese Windows opens it as it was
    assert secret not in back and secret2 not in back
    assert back.startswith("数据库连接配置\r\n服务器=db01\r\n密码=[REDACTED:")


def test_latin1_text_keeps_its_bytes() -> None:
    secret = pw()
    data = f"caf\xe9 ouvert\npassword={secret}\n".encode("latin-1")
    out, note = run(data, "a.log")
    assert not note and out is not None
    assert out.startswith(b"caf\xe9 ouvert\n") and secret.encode() not in out


def test_log_with_nul_runs_is_still_text() -> None:
    secret = pw()
    data = b"Jan 1 boot ok\n" + b"\0" * 300 + f"\npassword={secret}\n".encode()
    out, _ = run(data, "messages")
    assert out is not None and secret.encode() not in out and b"\0" * 300 in out


@pytest.mark.parametrize(("kind", "compress", "opener", "suffix"), [
    ("gzip", gzip.compress, gzip.decompress, ".gz"),
    ("bzip2", bz2.compress, bz2.decompress, ".bz2"),
    ("xz", lzma.compress, lzma.decompress, ".xz"),
])
def test_compressed_logs_are_decompressed_redacted_and_recompressed(kind, compress, opener,
                                                                     suffix) -> None:
    secret = pw()
    log = (LOG + f"Jan  3 10:00:01 web app: db password={secret} ok\n").encode()
    out, note = run(compress(log), f"attachments/syslog.1{suffix}")
    assert out is not None and note == {"container": kind}
    plain = opener(out)
    assert secret.encode() not in plain and secret.encode() not in out
    assert plain.replace(b"[REDACTED:key_value_secret]", secret.encode()) == log


def test_gzipped_utf16_keeps_both() -> None:
    secret = pw()
    data = gzip.compress(f"\ufeffpassword={secret}\r\n".encode("utf-16-le"))
    out, note = run(data, "t.txt.gz")
    assert out is not None and note == {"container": "gzip", "encoding": "utf-16-le"}
    assert secret not in gzip.decompress(out).decode("utf-16")


def test_damaged_gzip_is_cut_and_says_so() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"  # no token shape: nothing here is redacted
    log = "".join(f"Jan  3 10:00:00 web app[7]: request {rand(40, letters)} done\n"
                  for _ in range(3000))
    data = gzip.compress(log.encode())
    out, note = run(data[: len(data) // 2], "x.log.gz")
    assert note is not None and "damaged" in note["cut"]
    assert out is not None
    kept = gzip.decompress(out)  # what could be read, recompressed whole and valid
    assert len(kept) > len(log) // 3 and log.encode().startswith(kept)


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def test_tarball_with_a_secret_is_refused_and_a_clean_one_kept() -> None:
    secret = pw()
    out, note = run(_tar({"etc/app.conf": f"password={secret}\n".encode()}), "logs.tar.gz")
    assert out is None and note is not None and note["stored"] is False
    assert "key_value_secret" in note["why"] and secret not in json.dumps(note)
    clean = _tar({"var/log/boot.log": LOG.encode()})
    out, note = run(clean, "logs.tar.gz")
    assert out == clean and note is not None and note["redacted"] is False


def test_archives_and_key_stores_that_cannot_be_checked_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "hello")
    out, note = run(buf.getvalue(), "attachments/logs.zip")
    assert out is None and note is not None and "zip archive" in note["why"]
    out, note = run(b"\x30\x82\x0a\x01" + bytes(200), "attachments/client.pfx")
    assert out is None and note is not None and "PKCS#12" in note["why"]
    out, note = run(b"%PDF-1.7\n" + bytes(range(256)), "report.pdf")
    assert out is None and note is not None and "PDF" in note["why"]


def test_utf16_strings_inside_a_binary_are_checked_too() -> None:
    secret = pw()
    blob = b"MZ" + bytes(range(256)) + f"ConnectionString=Password={secret};".encode("utf-16-le")
    out, note = run(blob, "app.exe")
    assert out is None and note is not None and "key_value_secret" in note["why"]


def test_short_lookalikes_in_random_bytes_do_not_refuse_a_binary() -> None:
    """Random data (a capture, a compressed blob) holds printable runs such as
    ``PSK:_*`` that a rule matches; a two-character "secret" is no reason to refuse
    the file, while a real one beside it still is."""
    noise = bytes(range(128, 256)) * 4
    blob = b"\x7fELF" + noise + b"PSK:_*" + noise + b" -UF%mw" + noise
    out, note = run(blob, "attachments/capture.bin")
    assert out == blob and note is not None and note["redacted"] is False
    secret = pw()
    out, note = run(blob + f"psk={secret}".encode() + noise, "attachments/capture.bin")
    assert out is None and note is not None and "key_value_secret" in note["why"]


# --------------------------------------------------------------------- structure

LOG = "Jan  3 10:00:00 web systemd[1]: Started Session 1 of user bob.\n"


def test_docker_inspect_json_stays_valid_and_loses_its_secrets() -> None:
    secret, token = pw(), rand(40)
    doc = [{"Id": "4f2a", "Config": {"Env": [f"MYSQL_ROOT_PASSWORD={secret}", "PATH=/usr/bin"],
                                     "Labels": {"auth_token": token}}}]
    for text in (json.dumps(doc, indent=4), json.dumps(doc)):
        out, note = run(text.encode(), "steps/03-docker/inspect.json")
        assert not note and out is not None
        back = json.loads(out)
        assert back[0]["Config"]["Env"] == ["MYSQL_ROOT_PASSWORD=[REDACTED:env_secret]",
                                           "PATH=/usr/bin"]
        assert secret.encode() not in out and token.encode() not in out
        assert out.count(b"\n") == text.count("\n")  # layout kept


def test_aws_cli_credentials_keep_their_structure() -> None:
    key, session = rand(40), rand(300)
    doc = {"Credentials": {"AccessKeyId": "ASIA" + rand(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                           "SecretAccessKey": key, "SessionToken": session,
                           "Expiration": "2030-01-01T00:00:00Z"}}
    text = json.dumps(doc, indent=4)
    out, _ = run(text.encode(), "sts.json")
    assert out is not None
    back = json.loads(out)["Credentials"]
    assert back["Expiration"] == "2030-01-01T00:00:00Z" and "[REDACTED:" in back["AccessKeyId"]
    assert key.encode() not in out and session.encode() not in out
    # line by line (a log holding the same JSON) the object survives as an object too
    lines = "".join(Redactor().lines(text.splitlines(keepends=True)))
    assert json.loads(lines)["Credentials"]["Expiration"] == "2030-01-01T00:00:00Z"


def test_har_cookies_and_secret_headers_go_whole() -> None:
    sid, auth = rand(32), rand(40)
    har = {"log": {"entries": [{"request": {
        "headers": [{"name": "Accept", "value": "*/*"},
                    {"name": "Authorization", "value": f"Bearer {auth}"},
                    {"name": "X-Api-Key", "value": "k" + rand(20)}],
        "cookies": [{"name": "theme", "value": sid}]}}]}}
    out, _ = run(json.dumps(har, indent=2).encode(), "attachments/session.har")
    assert out is not None
    req = json.loads(out)["log"]["entries"][0]["request"]
    assert req["headers"][0]["value"] == "*/*"
    assert all("[REDACTED:" in h["value"] for h in req["headers"][1:])
    assert req["cookies"][0]["value"].startswith("[REDACTED:")
    assert sid.encode() not in out and auth.encode() not in out


def test_jsonc_falls_back_to_lines_and_says_so() -> None:
    secret = pw()
    text = f'{{\n  // editor settings\n  "http.proxy": "http://bob:{secret}@proxy:3128",\n}}\n'
    out, note = run(text.encode(), "attachments/settings.json")
    assert note is not None and note["structure"] == "lines" and "not strict JSON" in note["why"]
    assert out is not None and secret.encode() not in out and b"// editor settings" in out


def test_yaml_marks_are_quoted_so_the_document_stays_valid() -> None:
    key = rand(64)
    text = (f"services:\n  web:\n    environment:\n      - API=sk_live_{key} extra\n"
            f"    command: sk_live_{key} --serve   # the key\n"
            f"  db:\n    password: {pw()}\n")
    out, _ = run(text.encode(), "docker-compose.yml")
    assert out is not None and key.encode() not in out
    doc = yaml.safe_load(out)
    assert doc["services"]["web"]["command"] == "[REDACTED:stripe_key] --serve"
    assert doc["services"]["db"]["password"] == "[REDACTED:key_value_secret]"


def test_bundle_redact_of_a_jsonc_attachment_falls_back_and_says_so(tmp_path: Path,
                                                                    cli) -> None:
    settings = tmp_path / "settings.json"
    secret = pw()
    settings.write_text(f'{{\n  // comment\n  "token": "{rand(30)}",\n}}\n', encoding="utf-8")
    r = cli("run", "general", "--non-interactive", "--json", "--only", "disk",
            "--out", str(tmp_path / "o"), "--attach", str(settings))
    assert r.code == 0, r.err
    bundle = json.loads(r.out)["bundle"]
    r = cli("bundle", "redact", bundle, "--keyword", "comment", "--json")
    assert r.code == 0, r.err
    new = json.loads(r.out)["bundle"]
    with zipfile.ZipFile(new) as zf:
        top = zf.namelist()[0].split("/")[0]
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
        body = zf.read(f"{top}/attachments/settings.json")
    assert manifest["redaction"]["files"]["attachments/settings.json"]["structure"] == "lines"
    assert secret.encode() not in body and b"[REDACTED:" in body
    assert cli("bundle", "verify", new).code == 0


def test_attach_takes_several_files_after_one_flag(tmp_path: Path, cli) -> None:
    files = []
    for i in range(3):
        f = tmp_path / f"note{i}.txt"
        f.write_text(f"note {i} password={pw()}\n", encoding="utf-8")
        files.append(str(f))
    more = tmp_path / "more.log"
    more.write_text("plain\n", encoding="utf-8")
    r = cli("run", "--attach", *files, "general", "--non-interactive", "--json", "--only",
            "disk", "--out", str(tmp_path / "o"), "--attach", str(more))
    assert r.code == 0, r.err
    with zipfile.ZipFile(json.loads(r.out)["bundle"]) as zf:
        names = sorted(n.split("/", 1)[1] for n in zf.namelist() if "/attachments/" in n)
    assert names == ["attachments/more.log", "attachments/note0.txt", "attachments/note1.txt",
                     "attachments/note2.txt"]
    r = cli("run", "general", "--plan", "--attach", files[0], str(tmp_path / "missing.txt"))
    assert r.code == 2  # not a file: taken as an extra argument, refused as bad usage


def test_refused_attachment_is_said_on_stderr(tmp_path: Path, cli) -> None:
    z = tmp_path / "logs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "hello")
    r = cli("run", "general", "--non-interactive", "--only", "disk", "--quiet",
            "--out", str(tmp_path / "o"), "--attach", str(z))
    assert r.code == 0 and "Not stored: attachments/logs.zip — zip archive" in r.err
