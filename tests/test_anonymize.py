"""--anonymize: consistent pseudonyms across the whole bundle, mapping beside it, never in it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from toolkit.redact.anonymize import Pseudonymizer


def test_same_value_same_pseudonym_and_non_addresses_kept() -> None:
    p = Pseudonymizer(hostnames=("pc-0042",), users=("alice",))
    a = p.apply("alice@corp.example from 10.1.2.3 via pc-0042 at 10:15:30, 127.0.0.1, ::1")
    b = p.apply("again 10.1.2.3 and ALICE@corp.example; fe80::1ff:fe23:4567:890a; "
                "aa:bb:cc:dd:ee:ff; /home/alice; version 1.2.3")
    assert a == ("user1@example.invalid from 192.0.2.1 via host-1 at 10:15:30, 127.0.0.1, ::1")
    assert b == ("again 192.0.2.1 and user1@example.invalid; 2001:db8::1; "
                 "02:00:00:00:00:01; /home/user-1; version 1.2.3")
    assert p.apply(a) == a  # pseudonyms are never pseudonymized again
    doc = p.document("b.zip")["pseudonyms"]
    assert doc["ipv4"] == {"192.0.2.1": "10.1.2.3"} and doc["user"] == {"user-1": "alice"}


def test_words_containing_a_name_are_not_touched() -> None:
    p = Pseudonymizer(hostnames=("vm",), users=("bob",))
    assert p.apply("vmstat bobcat vm bob-backup bob") == "vmstat bobcat host-1 bob-backup user-1"


@pytest.mark.parametrize("text", ["2026-11-25T13:30:21+00:00", "sha256 0a:1b:2c", "999.1.1.1",
                                  "12:34:56:78", "v1.2.3.4.5"])
def test_times_hashes_and_versions_are_not_addresses(text: str) -> None:
    assert Pseudonymizer().apply(text) == text


def test_one_ip_in_two_files_gets_one_pseudonym_across_the_bundle(tmp_path: Path, cli) -> None:
    log_a = tmp_path / "a.log"
    log_b = tmp_path / "b.log"
    log_a.write_text("Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from "
                     "173.234.31.186 port 38926 ssh2\n")
    log_b.write_text("client 173.234.31.186 mailed ops@corp.example; gateway 10.0.0.1\n")
    r = cli("run", "general", "--non-interactive", "--json", "--anonymize", "--only", "disk",
            "--out", str(tmp_path / "o"), "--attach", str(log_a), "--attach", str(log_b))
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    bundle, mapping = Path(doc["bundle"]), Path(doc["mapping"])
    assert mapping.parent == bundle.parent and (mapping.stat().st_mode & 0o777) == 0o600
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        top = names[0].split("/")[0]
        a = zf.read(f"{top}/attachments/a.log").decode()
        b = zf.read(f"{top}/attachments/b.log").decode()
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
        blob = b"".join(zf.read(n) for n in names)
    assert "192.0.2.1" in a and "client 192.0.2.1 mailed user1@example.invalid" in b
    assert b"173.234.31.186" not in blob and b"ops@corp.example" not in blob
    assert not any(n.endswith("mapping.json") for n in names)
    table = json.loads(mapping.read_text())["pseudonyms"]
    assert table["ipv4"]["192.0.2.1"] == "173.234.31.186"
    # The host's own name is gone from the bundle, its file name and the manifest.
    import socket

    host = socket.gethostname()
    assert manifest["host"]["hostname"] != host and f"_{host}_" not in bundle.name
    assert manifest["redaction"]["pseudonymized"]["ipv4"] >= 2
    assert cli("bundle", "verify", str(bundle)).code == 0


def test_bundle_redact_with_extra_rules_makes_a_new_verifying_bundle(tmp_path: Path,
                                                                      cli) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("badge EMP-123456 opened the door; customer ref=CUST-9\nplain line\n")
    r = cli("run", "general", "--non-interactive", "--json", "--only", "disk",
            "--out", str(tmp_path / "o"), "--attach", str(notes))
    original = Path(json.loads(r.out)["bundle"])
    before = original.read_bytes()
    r = cli("bundle", "redact", str(original), "--pattern", r"EMP-\d{6}", "--keyword",
            "ref", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    new = Path(doc["bundle"])
    assert new != original and original.read_bytes() == before  # the source is untouched
    assert new.name.endswith(".redacted.zip")
    assert doc["redaction"]["rules"] == {"key_value_secret": 1, "site_pattern_1": 1}
    with zipfile.ZipFile(new) as zf:
        top = zf.namelist()[0].split("/")[0]
        text = zf.read(f"{top}/attachments/notes.txt").decode()
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    assert "EMP-123456" not in text and "CUST-9" not in text and "plain line" in text
    assert manifest["redacted_from"]["file"] == original.name
    assert cli("bundle", "verify", str(new)).code == 0


def test_bundle_redact_refuses_a_tampered_bundle_and_a_bad_pattern(tmp_path: Path,
                                                                   cli) -> None:
    r = cli("run", "general", "--non-interactive", "--json", "--only", "disk",
            "--out", str(tmp_path / "o"))
    original = Path(json.loads(r.out)["bundle"])
    r = cli("bundle", "redact", str(original), "--pattern", "EMP-(")
    assert r.code == 2 and "unusable --keyword/--pattern" in r.err
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(original) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data + b" " if info.filename.endswith("findings.json") else data)
    r = cli("bundle", "redact", str(tampered))
    assert r.code == 4 and "does not match its manifest" in r.err
    assert list((tmp_path / "o").glob("*.redacted.zip")) == []


def test_bundle_redact_anonymize_writes_mapping_beside(tmp_path: Path, cli) -> None:
    log = tmp_path / "a.log"
    log.write_text("from 173.234.31.186 and 173.234.31.186\n")
    r = cli("run", "general", "--non-interactive", "--json", "--only", "disk",
            "--out", str(tmp_path / "o"), "--attach", str(log))
    original = Path(json.loads(r.out)["bundle"])
    r = cli("bundle", "redact", str(original), "--anonymize", "--json")
    doc = json.loads(r.out)
    with zipfile.ZipFile(doc["bundle"]) as zf:
        top = zf.namelist()[0].split("/")[0]
        assert zf.read(f"{top}/attachments/a.log") == b"from 192.0.2.1 and 192.0.2.1\n"
    assert Path(doc["mapping"]).is_file()
