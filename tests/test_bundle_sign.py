"""Signed bundles: the attack hashes cannot catch, and what verify says of each case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from bundle_forge import forge, members
from seal_support import make_bundle, signer


def _verify(cli, path: Path, *extra: str) -> tuple[int, dict]:
    r = cli("bundle", "verify", str(path), "--json", *extra)
    return r.code, json.loads(r.out)


def test_a_member_changed_and_the_manifest_rehashed_fails_the_signature(
        cli, tmp_path: Path) -> None:
    signed = make_bundle(tmp_path / "b", signer=signer("alice"))
    code, doc = _verify(cli, signed)
    assert code == 0 and doc["result"] == "trusted"
    assert doc["signature"]["signer"] == "alice" and doc["signature"]["valid"] is True
    # The attack: change a finding and make every hash in the manifest match again.
    _, content = members(signed)
    findings = json.loads(content["findings.json"])
    findings["findings"] = []
    bad = forge(signed, tmp_path / "forged.zip",
                files={"findings.json": json.dumps(findings).encode()})
    unsigned_view = forge(signed, tmp_path / "forged-nosig.zip", files={
        "findings.json": json.dumps(findings).encode(), "signature.json": None})
    # Hashes alone say intact: this is what verify missed before signatures.
    from toolkit.evidence.reader import verify

    assert verify(unsigned_view).ok
    r = cli("bundle", "verify", str(bad))
    assert r.code == 4, r.out
    assert "TAMPERED" in r.out and "signature does not match the manifest" in r.out
    code, doc = _verify(cli, bad)
    assert code == 4 and doc["signature"]["status"] == "bad" and doc["intact"] is False
    # Stripping the signature instead leaves an unsigned bundle: exit 5 here, where a
    # signer is trusted — never the 0 of a trusted signature.
    code, doc = _verify(cli, unsigned_view)
    assert code == 5 and doc["result"] == "unsigned" and doc["intact"] is True
    # A tampered bundle is refused by ticket attach and bundle sign too.
    assert cli("ticket", "new", "--title", "x", "--no-collect").code == 0
    assert cli("ticket", "attach", "1", str(bad)).code == 2
    assert cli("bundle", "sign", str(bad)).code == 4


def test_unsigned_and_unknown_signers_are_distinct_results(cli, tmp_path: Path) -> None:
    plain = make_bundle(tmp_path / "a")
    # No signer trusted on this machine: verify checks hashes as it always did.
    code, doc = _verify(cli, plain)
    assert code == 0 and doc["result"] == "intact" and doc["signature"]["status"] == "unsigned"
    assert cli("bundle", "verify", str(plain)).out.rstrip().endswith("not signed")
    code, doc = _verify(cli, plain, "--require-signature")
    assert code == 5 and doc["result"] == "unsigned"
    # A bundle signed elsewhere, by a key this machine has never seen.
    other_home = tmp_path / "other-home"
    env = {**os.environ, "SUPPORTKIT_HOME": str(other_home)}
    subprocess.run([sys.executable, "-m", "toolkit", "keys", "new", "mallory"], env=env,
                   check=True, capture_output=True)
    script = ("import sys; sys.path[:0] = sys.argv[2:]; from pathlib import Path; "
              "from seal_support import make_bundle; from toolkit import keys; "
              "print(make_bundle(Path(sys.argv[1]), signer=keys.signer('mallory')))")
    tests = str(Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "m"), tests], env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    foreign = Path(out)
    code, doc = _verify(cli, foreign, "--require-signature")
    assert code == 6 and doc["result"] == "unknown-key"
    assert doc["signature"]["claimed_signer"] == "mallory" and doc["signature"]["signer"] is None
    signer("alice")  # now this machine trusts a signer: both become distinct exit codes
    assert _verify(cli, plain)[0] == 5
    r = cli("bundle", "verify", str(foreign))
    assert r.code == 6 and "UNKNOWN SIGNER" in r.out and "'mallory'" in r.out
    # Trusting mallory's key (under a name of our choosing) makes it a trusted signer.
    public = subprocess.run([sys.executable, "-m", "toolkit", "keys", "export", "mallory"],
                            env=env, check=True, capture_output=True, text=True).stdout
    (tmp_path / "m.pub").write_text(public)
    assert cli("keys", "import", "vendor-agent", str(tmp_path / "m.pub")).code == 0
    code, doc = _verify(cli, foreign)
    assert code == 0 and doc["signature"]["signer"] == "vendor-agent"


def test_run_signs_by_default_once_a_key_exists_and_bundle_sign_adds_one(
        cli, tmp_path: Path) -> None:
    r = cli("run", "general", "--non-interactive", "--json", "--out", str(tmp_path),
            "--only", "system.info")
    doc = json.loads(r.out)
    assert doc["signed_by"] is None
    unsigned = Path(doc["bundle"])
    with zipfile.ZipFile(unsigned) as zf:
        assert not any(n.endswith("/signature.json") for n in zf.namelist())
    signer("alice")
    r = cli("run", "general", "--non-interactive", "--json", "--out", str(tmp_path),
            "--only", "system.info")
    doc = json.loads(r.out)
    assert doc["signed_by"] == "alice"
    assert _verify(cli, Path(doc["bundle"]))[1]["result"] == "trusted"
    r = cli("run", "general", "--non-interactive", "--json", "--out", str(tmp_path),
            "--only", "system.info", "--no-sign")
    assert json.loads(r.out)["signed_by"] is None
    r = cli("run", "general", "--non-interactive", "--sign", "nobody")
    assert r.code == 2 and "no key named 'nobody'" in r.err
    # An old, unsigned bundle gets its signature afterwards; its members are unchanged.
    before = members(unsigned)[1]
    assert cli("bundle", "sign", str(unsigned)).code == 0
    after = members(unsigned)[1]
    assert set(after) - set(before) == {"signature.json"}
    assert all(after[k] == v for k, v in before.items())
    assert _verify(cli, unsigned)[1]["signature"]["signer"] == "alice"


def test_a_garbled_signature_document_is_a_bad_signature(cli, tmp_path: Path) -> None:
    signed = make_bundle(tmp_path / "b", signer=signer())
    for garbage in (b"not json", b"[]", json.dumps({"format": "other"}).encode(),
                    b"{" * 200 + b"}" * 200):
        bad = tmp_path / "g.zip"
        top, content = members(signed)
        with zipfile.ZipFile(bad, "w") as zf:
            for rel, data in content.items():
                zf.writestr(f"{top}/{rel}", garbage if rel == "signature.json" else data)
        code, doc = _verify(cli, bad)
        assert code == 4 and doc["signature"]["status"] == "bad", garbage[:20]


def test_bundle_redact_signs_the_new_bundle_with_your_key(cli, tmp_path: Path) -> None:
    signed = make_bundle(tmp_path / "b", signer=signer("alice"))
    r = cli("bundle", "redact", str(signed), "--pattern", "planted-[0-9a-f]+", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["signed_by"] == "alice"
    code, check = _verify(cli, Path(doc["bundle"]))
    assert code == 0 and check["signature"]["signer"] == "alice"
