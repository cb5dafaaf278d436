"""supportkit keys: what is made, where the private part lives, what is never shown."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest


def test_new_sign_and_seal_keys_print_only_the_public_part(cli, _isolated_home: Path) -> None:
    r = cli("keys", "new", "alice")
    assert r.code == 0, r.err
    assert r.out.strip().startswith("ed25519:") and "PRIVATE" not in r.out + r.err
    r = cli("keys", "new", "team", "--kind", "seal", "--json")
    doc = json.loads(r.out)
    assert doc["public"].startswith("age1") and doc["secret"] == "file"
    assert "AGE-SECRET-KEY" not in r.out + r.err
    folder = _isolated_home / "keys"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("alice.key", "team.key", "alice.json", "team.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert (folder / "alice.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert "AGE-SECRET-KEY-1" in (folder / "team.key").read_text()
    listed = json.loads(cli("keys", "list", "--json").out)["keys"]
    assert [(k["name"], k["kind"], k["default"]) for k in listed] == [
        ("alice", "sign", True), ("team", "seal", False)]
    assert not any("AGE-SECRET" in json.dumps(k) or "PRIVATE" in json.dumps(k) for k in listed)
    r = cli("keys", "new", "alice")
    assert r.code == 2 and "exists already" in r.err


def test_export_prints_the_public_key_and_a_secret_only_to_a_new_private_file(
        cli, tmp_path: Path) -> None:
    public = cli("keys", "new", "team", "--kind", "seal").out.strip()
    assert cli("keys", "export", "team").out.strip() == public
    r = cli("keys", "export", "team", "--secret")
    assert r.code == 2 and "never printed" in r.err and "AGE-SECRET" not in r.out + r.err
    out = tmp_path / "team.identity"
    r = cli("keys", "export", "team", "--secret", "--out", str(out))
    assert r.code == 0 and "AGE-SECRET" not in r.out + r.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert cli("keys", "export", "team", "--secret", "--out", str(out)).code == 2  # no clobber
    # The age CLI takes the exported identity (and the key file itself) as it is.
    pub = subprocess.run(["age-keygen", "-y", str(out)], capture_output=True, text=True)
    if pub.returncode != 127:
        assert pub.stdout.strip() == public


def test_import_public_and_private_keys(cli, tmp_path: Path, monkeypatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from pyrage import x25519

    ident = x25519.Identity.generate()
    (tmp_path / "id.txt").write_text(f"# created by age-keygen\n{ident}\n")
    os.chmod(tmp_path / "id.txt", 0o600)
    r = cli("keys", "import", "team", str(tmp_path / "id.txt"))
    assert r.code == 0 and r.out.strip() == str(ident.to_public())
    assert "AGE-SECRET" not in r.out + r.err
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    (tmp_path / "bob.pem").write_bytes(pem)
    assert cli("keys", "import", "bob-agent", str(tmp_path / "bob.pem")).code == 0
    (tmp_path / "carol.pub").write_text("ed25519:" + "A" * 43 + "=\n")
    assert cli("keys", "import", "carol", str(tmp_path / "carol.pub")).code == 0
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("ed25519:bm90IGEga2V5\n"))
    r = cli("keys", "import", "bad", "-")
    assert r.code == 2 and "not an Ed25519 public key" in r.err
    rows = {k["name"]: k for k in json.loads(cli("keys", "list", "--json").out)["keys"]}
    assert rows["team"]["secret"] == "file" and rows["bob-agent"]["secret"] == "file"
    assert rows["carol"]["secret"] is None and rows["carol"]["kind"] == "sign"


def test_config_trust_keys_are_listed_and_a_config_others_can_write_is_refused(
        cli, _isolated_home: Path) -> None:
    from toolkit import keys

    _isolated_home.mkdir(parents=True, exist_ok=True)
    os.chmod(_isolated_home, 0o700)
    signer = keys.new_key("alice", "sign")
    config = _isolated_home / "config.yaml"
    config.write_text(f"trust:\n  keys:\n    l2-alice: '{signer.public}'\n"
                      "    bad: ed25519:xyz\n")
    r = cli("keys", "list")
    assert r.code == 2 and "trust.keys.bad" in r.err
    config.write_text(f"trust:\n  keys:\n    l2-alice: '{signer.public}'\n")
    rows = json.loads(cli("keys", "list", "--json").out)["keys"]
    assert {r["source"] for r in rows} == {"keys folder", "config.yaml trust.keys"}
    assert keys.trusted_signers() == {signer.public: "l2-alice"}  # the config's name first
    os.chmod(config, 0o666)
    r = cli("keys", "list")
    assert r.code == 2 and "not safe to use" in r.err and "can be written by everyone" in r.err


def test_a_private_key_others_can_read_is_refused(cli, _isolated_home: Path) -> None:
    from toolkit import keys

    keys.new_key("alice", "sign")
    os.chmod(_isolated_home / "keys" / "alice.key", 0o644)
    with pytest.raises(keys.KeyProblem, match="can be read by others"):
        keys.signer("alice")


def test_keys_in_the_os_keyring(cli, _isolated_home: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """--keyring keeps the private part out of the key folder. A stand-in ``keyring``
    module takes the package's place: the tests have no D-Bus, and the suite runs
    without the optional package (the connectors' tests expect it absent)."""
    import sys
    import types

    store: dict[tuple[str, str], str] = {}
    fake = types.ModuleType("keyring")
    fake.get_password = lambda service, user: store.get((service, user))  # type: ignore
    fake.set_password = lambda service, user, pw: store.__setitem__((service, user), pw)  # type: ignore
    monkeypatch.setitem(sys.modules, "keyring", fake)
    r = cli("keys", "new", "agent", "--keyring", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["secret"] == "keyring"
    assert not (_isolated_home / "keys" / "agent.key").exists()
    assert store[("supportkit-keys", "agent")].startswith("-----BEGIN PRIVATE")
    assert "PRIVATE" not in r.out + r.err
    from toolkit import keys

    signer = keys.default_signer()
    assert signer is not None and signer.name == "agent"
    store.clear()  # the keyring lost it: one line naming the fix, not a traceback
    with pytest.raises(keys.KeyProblem, match="has no private key 'agent'"):
        keys.default_signer()
    monkeypatch.setitem(sys.modules, "keyring", None)  # the package is not installed
    r = cli("keys", "new", "other", "--keyring")
    assert r.code == 2 and "pip install 'supportkit[keyring]'" in r.err


def test_help_and_the_client_import_no_crypto_or_web_framework() -> None:
    """`supportkit --help` stays fast, and a user's machine without the [serve] extra
    can still send bundles: the client imports no web framework."""
    import subprocess
    import sys

    heavy = ("starlette", "uvicorn", "anyio", "cryptography", "pyrage", "keyring")
    code = ("import sys; from toolkit.cli import main; main(['--help']); "
            "import toolkit.serve.client, toolkit.keys, toolkit.evidence.reader; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
