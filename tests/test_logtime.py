"""Timestamps of real log lines in every format read, and the year of year-less ones.

Lines from loghub (tests/fixtures/logs.files and logs.formats, see their SOURCES.md).
Expected times are written as the wall-clock time the line shows, turned into epoch
seconds in this machine's zone (as the logs were written), or as the epoch a line
carries; the year of syslog, logcat and Proxifier stamps is inferred from what the
file shows (a line naming its full date, the file it was rotated into, its
modification time) and must come out right whatever today's date is.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import touch

from collectors import _logread as rd
from collectors import _logtime as lt
from collectors import logs_files
from toolkit.collector import Context

FILES = Path(__file__).parent / "fixtures" / "logs.files"
FORMATS = Path(__file__).parent / "fixtures" / "logs.formats"


def local(*parts: int) -> float:
    return datetime(*parts).timestamp()  # type: ignore[arg-type]


def at(mtime: str) -> float:
    return datetime.fromisoformat(mtime).timestamp()


def look(path: Path, mtime: float) -> tuple[rd.Look, list[float | None]]:
    data = path.read_bytes()
    how = rd.look(data[:rd.SNIFF], data.splitlines()[-1], mtime)
    assert how.fmt is not None
    return how, [lt.stamp(how.fmt, line, how.ref) for line in data.splitlines()]


# ------------------------------------------------------------- formats with their year

@pytest.mark.parametrize("name,fmt,header,first,last", [
    # BGL: the epoch after "- ", and after an alert tag on alert lines
    ("BGL.log", "epoch", "ras", 1117838570.0, 1118536327.0 - 0),
    # HPC: the epoch in the fifth column
    ("HPC.log", "epoch_column", "ras_column", 1077804742.0, 1134671139.0),
    ("Hadoop.log", "iso8601", "log4j", local(2015, 10, 18, 18, 1, 47) + 0.978, None),
    # HealthApp: 20171223-22:15:29:606, milliseconds after a colon
    ("HealthApp.log", "compact", "pipes", local(2017, 12, 23, 22, 15, 29) + 0.606, None),
    # OpenStack: the file name before it holds a date too ("….2017-05-16_13:53:08")
    ("OpenStack.log", "iso8601", "log4j", local(2017, 5, 16, 0, 0, 0) + 0.008, None),
    # Spark: log4j's yy/MM/dd
    ("Spark.log", "yy_slash", "log4j", local(2017, 6, 9, 20, 10, 40), None),
])
def test_real_lines_of_each_format(name: str, fmt: str, header: str, first: float,
                                   last: float | None) -> None:
    how, stamps = look(FORMATS / name, time.time())
    assert (how.fmt.name if how.fmt else None, how.header) == (fmt, header)
    assert how.year_source is None  # these carry their year
    assert None not in stamps, "every line's time is read"
    assert stamps[0] == pytest.approx(first)
    if last is not None:
        assert last in stamps


def test_bgl_alert_lines_and_healthapp_unpadded_fields() -> None:
    fmts = {f.name: f for f in lt.FORMATS}
    line = ("KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 "
            "R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt")
    assert lt.stamp(fmts["epoch"], line, 0) == 1118536327.0
    # HealthApp does not pad: 22:16:0:119 is 22:16:00.119
    when = lt.stamp(fmts["compact"], "20171223-22:16:0:119|Step_LSC|30002312|x", 0)
    assert when == pytest.approx(local(2017, 12, 23, 22, 16, 0) + 0.119)
    assert lt.stamp(fmts["compact"], "20171223-22:16:99:119|x", 0) is None  # no such second


@pytest.mark.parametrize("name,mtime,source,first,last", [
    # Linux 2005: an ftpd line names its full date ("at Fri Jun 17 07:07:00 2005"), so
    # the year is 2005 whatever the file's modification time
    ("Linux_2k.log", "2026-03-01T12:00:00", "line", (2005, 6, 14, 15, 16, 1),
     (2005, 7, 27, 14, 42, 0)),
    ("Mac_2k.log", "2026-03-01T12:00:00", "line", (2017, 7, 1, 9, 0, 55),
     (2017, 7, 8, 8, 10, 46)),
    # no date in the lines: the latest year that puts the last line before the mtime
    ("OpenSSH_2k.log", "2016-01-02T00:00:00", "mtime", (2015, 12, 10, 6, 55, 46),
     (2015, 12, 10, 11, 4, 45)),
    ("Android_2k.log", "2017-03-20T00:00:00", "mtime", (2017, 3, 17, 16, 13, 38),
     (2017, 3, 17, 16, 16, 9)),
    # Proxifier runs from October to July: October is of the year before
    ("Proxifier_2k.log", "2017-01-05T00:00:00", "mtime", (2015, 10, 30, 16, 49, 6),
     (2016, 7, 27, 10, 23, 42)),
])
def test_year_of_yearless_real_logs(name: str, mtime: str, source: str, first: tuple[int, ...],
                                    last: tuple[int, ...]) -> None:
    how, stamps = look(FILES / name, at(mtime))
    assert how.year_source == source
    times = [t for t in stamps if t is not None]
    assert int(times[0]) == local(*first) and int(times[-1]) == local(*last)
    assert times[0] <= times[-1]


# ------------------------------------------------------------- through logs.files

def gather(tmp_path: Path, **params: Any) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="step-", dir=tmp_path))
    ctx = Context(workdir=work, deadline=time.monotonic() + 60)
    result: dict[str, Any] = logs_files.gather(
        ctx, logs_files.COLLECTOR.resolve_params(params))
    return result


def test_rotated_file_takes_its_year_from_the_newer_one(tmp_path: Path) -> None:
    # Real OpenSSH lines (December) rotated into app.log.1, app.log starting in January;
    # app.log.1 was copied here, so its mtime (now) says nothing of its year.
    dec = (FILES / "OpenSSH_2k.log").read_bytes().splitlines(keepends=True)[:50]
    log, old = tmp_path / "auth.log", tmp_path / "auth.log.1.gz"
    log.write_bytes(b"Jan  2 10:00:00 LabSZ sshd[1]: Server listening on 0.0.0.0 port 22.\n"
                    b"Jan  2 10:05:00 LabSZ sshd[2]: Connection closed by 10.0.0.1\n")
    os.utime(log, (at("2016-01-03T00:00:00"),) * 2)
    old.write_bytes(gzip.compress(b"".join(dec)))
    result = gather(tmp_path, paths=[str(log)])
    by_name = {Path(e["path"]).name: e for e in result["files"]}
    assert [Path(e["path"]).name for e in result["files"]] == ["auth.log", "auth.log.1.gz"]
    assert by_name["auth.log"]["year_source"] == "mtime"
    assert by_name["auth.log"]["first_time"].startswith("2016-01-02T10:00:00")
    rotated = by_name["auth.log.1.gz"]
    assert rotated["year_source"] == "rotation"
    assert rotated["first_time"].startswith("2015-12-10T06:55:46")


def test_proxifier_reads_in_order_through_logs_files(tmp_path: Path) -> None:
    log = tmp_path / "proxifier.log"
    log.write_bytes((FILES / "Proxifier_2k.log").read_bytes())
    os.utime(log, (at("2017-01-05T00:00:00"),) * 2)
    entry = gather(tmp_path, paths=[str(log)])["files"][0]
    assert entry["first_time"] < entry["last_time"]
    assert entry["first_time"].startswith("2015-10-30T16:49:06")


def test_file_without_times_is_reported_not_silently_windowed(tmp_path: Path) -> None:
    log = tmp_path / "app.out"
    log.write_text("starting\nconnection refused by backend\nready\n")
    touch(log)  # now as this process sees it (faketime does not move the kernel's clock)
    result = gather(tmp_path, paths=[str(log)], since="2h")
    entry = result["files"][0]
    assert entry["format"] is None and entry["time_source"] == "mtime"
    assert entry["lines_kept"] == 3
    assert "carry no time" in entry["window_note"] and "since/until" in entry["window_note"]
    # without a window there is nothing to warn about
    assert gather(tmp_path, paths=[str(log)])["files"][0]["window_note"] is None
