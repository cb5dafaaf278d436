"""Sealed bundles: nothing readable without an identity; the age CLI and supportkit open
each other's; show, verify, report and ticket attach open them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from seal_support import SECRET_MARK, make_bundle

HOST = "pc-0042-accounting"  # a host name long enough that ciphertext cannot hold it by chance
AGE = shutil.which("age")
needs_age = pytest.mark.skipif(AGE is None, reason="the age CLI is not installed (apt install "
                               "age; scripts/system-packages.txt)")


@pytest.fixture
def plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("toolkit.evidence.bundle.socket.gethostname", lambda: HOST)
    return make_bundle(tmp_path / "plain", ticket="SUP-000001")


def _team(cli) -> str:
    r = cli("keys", "new", "team", "--kind", "seal")
    assert r.code == 0, r.err
    return r.out.strip()


def test_a_sealed_bundle_shows_nothing_of_what_it_holds(cli, plain: Path,
                                                         tmp_path: Path) -> None:
    team = _team(cli)
    with zipfile.ZipFile(plain) as zf:
        names = zf.namelist()
        raw = b"".join(zf.read(n) for n in names)
    assert HOST in names[0] and SECRET_MARK.encode() in raw  # there, before sealing
    r = cli("bundle", "seal", str(plain), "--to", team, "--remove")
    assert r.code == 0, r.err
    sealed = Path(r.out.strip())
    assert sealed.name.endswith(".zip.age") and sealed.name.startswith("SUP-000001_")
    assert HOST not in sealed.name and not plain.exists()
    assert oct(sealed.stat().st_mode & 0o777) == "0o600"
    data = sealed.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    for needle in (HOST, SECRET_MARK, "note.txt", "manifest.json", "findings.json",
                   names[0].split("/")[0], "tk-test", f'"hostname": "{HOST}"'):
        assert needle.encode() not in data, needle
    grep = subprocess.run(["grep", "-c", "-a", "-F", "-e", HOST, "-e", SECRET_MARK, "-e",
                           "note.txt", str(sealed)], capture_output=True, text=True)
    assert grep.returncode == 1 and grep.stdout.strip() == "0"  # grep found nothing


def test_show_verify_report_and_attach_open_a_sealed_bundle(cli, plain: Path,
                                                            tmp_path: Path) -> None:
    team = _team(cli)
    sealed = Path(cli("bundle", "seal", str(plain), "--to", team).out.strip())
    before = set(os.listdir(tmp_path.parent)) | set(os.listdir("/tmp"))
    r = cli("bundle", "verify", str(sealed), "--json")
    assert r.code == 0 and json.loads(r.out)["sealed"] is True
    r = cli("bundle", "show", str(sealed), "--json")
    assert r.code == 0 and json.loads(r.out)["host"]["hostname"] == HOST
    r = cli("bundle", "report", str(sealed), "-o", str(tmp_path / "r.html"))
    assert r.code == 0 and "Disk C: is 97% full" in (tmp_path / "r.html").read_text()
    assert cli("ticket", "new", "--title", "x", "--no-collect").code == 0
    r = cli("ticket", "attach", "1", str(sealed), "--json")
    assert r.code == 0, r.err
    att = json.loads(r.out)["attachments"][0]
    assert att["name"] == sealed.name.removesuffix(".age") and att["host"] == HOST
    # No opened copy is left behind in the temporary folder.
    after = set(os.listdir(tmp_path.parent)) | set(os.listdir("/tmp"))
    assert not [n for n in after - before if "-open-" in n]


def test_sealed_to_someone_else_is_refused_with_one_line(cli, plain: Path) -> None:
    from pyrage import x25519

    stranger = str(x25519.Identity.generate().to_public())
    sealed = Path(cli("bundle", "seal", str(plain), "--to", stranger).out.strip())
    r = cli("bundle", "show", str(sealed))
    assert r.code == 2 and "no identity" in r.err
    _team(cli)
    r = cli("bundle", "verify", str(sealed))
    assert r.code == 2 and "sealed to someone else" in r.err and r.err.count("\n") == 1


@needs_age
def test_the_age_cli_opens_what_supportkit_sealed(cli, plain: Path, tmp_path: Path,
                                                  _isolated_home: Path) -> None:
    team = _team(cli)
    r = cli("run", "general", "--non-interactive", "--json", "--only", "system.info",
            "--seal-to", team, "--seal-to", "team", "--out", str(tmp_path / "out"))
    assert r.code == 0, r.err
    sealed = Path(json.loads(r.out)["bundle"])
    assert json.loads(r.out)["sealed"] is True
    assert [p.name for p in (tmp_path / "out").iterdir()] == [sealed.name]  # no plain zip
    opened = tmp_path / "opened.zip"
    subprocess.run([AGE, "-d", "-i", str(_isolated_home / "keys" / "team.key"), "-o",
                    str(opened), str(sealed)], check=True)
    assert cli("bundle", "verify", str(opened)).code == 0
    with zipfile.ZipFile(opened) as zf:
        assert any(n.endswith("/manifest.json") for n in zf.namelist())


@needs_age
def test_supportkit_opens_what_the_age_cli_sealed(cli, plain: Path, tmp_path: Path) -> None:
    team = _team(cli)
    for armor in ([], ["-a"]):
        sealed = tmp_path / f"by-age{len(armor)}.zip.age"
        subprocess.run([AGE, *armor, "-r", team, "-o", str(sealed), str(plain)], check=True)
        r = cli("bundle", "verify", str(sealed), "--json")
        assert r.code == 0, r.err
        assert json.loads(r.out)["sealed"] is True
        assert cli("bundle", "show", str(sealed)).code == 0


def test_a_truncated_sealed_bundle_is_refused(cli, plain: Path, tmp_path: Path) -> None:
    team = _team(cli)
    sealed = Path(cli("bundle", "seal", str(plain), "--to", team).out.strip())
    cut = tmp_path / "cut.zip.age"
    cut.write_bytes(sealed.read_bytes()[:-100])
    r = cli("bundle", "verify", str(cut))
    assert r.code == 2 and "damaged" in r.err


def test_opening_is_bounded(cli, plain: Path, tmp_path: Path) -> None:
    from toolkit import keys
    from toolkit.errors import BadInput
    from toolkit.evidence import seal

    team = _team(cli)
    sealed = Path(cli("bundle", "seal", str(plain), "--to", team).out.strip())
    with pytest.raises(BadInput, match="opens to more than"):
        with seal.opened(sealed, keys.identities(), limit=1024):
            pass
