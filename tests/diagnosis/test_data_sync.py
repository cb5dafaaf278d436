"""data-sync, run unattended against servers the test starts on 127.0.0.1 (no
root, no names resolved): an expired certificate, a certificate for another
name, an API answering 503, a refused port, a clock 400 s behind or ahead of the
time server, a sync log with recurring errors, and a healthy endpoint. Each
asserts the finding that names the cause, words of its text, and who must act.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from harness import Diagnosis, diagnose
from net_servers import HttpServer, UdpResponder, closed_port, make_cert, sntp_reply

PLAYBOOK = "data-sync"

needs_openssl = pytest.mark.skipif(not shutil.which("openssl"),
                                   reason="openssl command line not installed")


def _run(tmp: Path, **answers: Any) -> Diagnosis:
    return diagnose(PLAYBOOK, tmp, answers)


@needs_openssl
def test_expired_certificate(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "HTTPS endpoint with an expired certificate", "tls_failed",
             "service owner")
    cert = make_cert(tmp_path / "ca", "expired", expired=True)
    with HttpServer(cert=cert) as https:
        result = _run(tmp_path, url=f"https://127.0.0.1:{https.port}/api",
                      ca_file=str(cert[0]))
    text = result.text("tls_failed")
    assert "certificate has expired" in text and "its owner must renew it" in text, text
    assert "valid until 2020-02-01" in text
    assert "expired" in result.text("cert_expiry")
    assert result.escalation_to == "service owner" and result.escalation_reason == text


@needs_openssl
def test_certificate_for_another_name(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "certificate made out for another host name", "tls_failed",
             "service owner")
    cert = make_cert(tmp_path / "ca", "other", san="DNS:sync.other.example")
    with HttpServer(cert=cert) as https:
        result = _run(tmp_path, url=f"https://127.0.0.1:{https.port}/api",
                      ca_file=str(cert[0]))
    text = result.text("tls_failed")
    assert "mismatch" in text and "DNS:sync.other.example" in text, text
    assert "not made out for the name" in text
    assert "cert_expiry" not in result.findings
    assert result.escalation_to == "service owner"


def test_api_answers_503(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "API answers HTTP 503", "server_error", "service owner")
    with HttpServer() as http:
        result = _run(tmp_path, url=f"http://127.0.0.1:{http.port}/broken")
    text = result.text("server_error")
    assert "HTTP 503" in text and "the server side fails" in text, text
    assert result.escalation_to == "service owner"


def test_refused_port(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "sync endpoint's port refused (service stopped)", "tcp_failed",
             "service owner")
    port = closed_port()
    result = _run(tmp_path, url=f"https://127.0.0.1:{port}/api")
    text = result.text("tcp_failed")
    assert "(refused)" in text and "nothing listens on that port" in text, text
    assert result.escalation_to == "service owner"


@pytest.mark.parametrize(("skew", "words"), [(400, "400 s behind"), (-400, "400 s ahead of")])
def test_clock_skew_is_an_l1_fix(tmp_path: Path, skew: int, words: str, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, f"this clock {words} the time server", "clock_skew", "L1")
    with HttpServer() as http, UdpResponder(sntp_reply(skew_s=skew)) as ntp:
        result = _run(tmp_path, url=f"http://127.0.0.1:{http.port}/api",
                      ntp_server=f"127.0.0.1:{ntp.port}")
    text = result.text("clock_skew")
    assert text.startswith(f"This clock is {words} 127.0.0.1"), text
    assert "time synchronisation is off" in text
    assert result.escalation_to == "L1" and result.escalation_reason == text


def test_sync_log_with_recurring_errors(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "sync client log with a recurring upload error", "sync_errors",
             "L2-development")
    log = tmp_path / "sync.log"
    now = datetime.now(timezone.utc)
    stamps = [(now - timedelta(days=5 - d, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
              for d in range(6)]  # the last five days, inside data-sync's 7-day window
    log.write_text("".join(f"{stamps[d]} ERROR sync: upload of batch {d} failed: conflict "
                           "on record 4711\n" for d in range(5))
                   + f"{stamps[5]} INFO sync: idle\n")
    with HttpServer() as http:
        result = _run(tmp_path, url=f"http://127.0.0.1:{http.port}/api", log_paths=str(log))
    text = result.text("sync_errors")
    assert text.startswith("5 error lines in the sync logs") and "conflict" in text, text
    assert result.serious() == []
    assert result.escalation_to == "L2-development"


@needs_openssl
def test_healthy_endpoint(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "none (valid certificate, clock in sync, quiet log)")
    cert = make_cert(tmp_path / "ca", "good")
    log = tmp_path / "sync.log"
    log.write_text(datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                   + " INFO sync: 12 records uploaded\n")
    with HttpServer(cert=cert) as https, UdpResponder(sntp_reply()) as ntp:
        result = _run(tmp_path, url=f"https://127.0.0.1:{https.port}/api",
                      ca_file=str(cert[0]), ntp_server=f"127.0.0.1:{ntp.port}",
                      log_paths=str(log))
    assert result.serious() == [], result.findings
    assert result.escalation_to is None
