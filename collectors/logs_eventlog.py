"""logs.eventlog — Windows System and Application events, with blue screens and crashes picked out.

Live (Windows only): ``wevtutil qe CHANNEL /q:XPATH /f:RenderedXml /rd:true
/c:N`` per channel (default ``System``, ``Application``), the XPath holding
the time window and the levels (``max_level``: 1 critical, 2 error,
3 warning — the default —, 4 information, 5 verbose). Newest first, so
``max_entries`` keeps the newest events of each channel; ``max_bytes``
bounds what is saved (``events.xml``: one ``<Event>`` per line inside
``<Events>``, oldest first; newlines inside an event are kept as ``&#10;``).

``source=FILE`` analyses a saved export: ``wevtutil qe … /f:xml`` or
``/f:RenderedXml`` output (events back to back, no root element), or
PowerShell ``Get-WinEvent … | ForEach-Object { $_.ToXml() }`` (UTF-16 with a
BOM when redirected by Windows PowerShell). A binary ``.evtx`` is refused
with the command that turns it into XML. XML with a DOCTYPE is refused (event
XML never has one; entity expansion is how XML bombs work).

Picked out, from Microsoft's documented events:

- **bugchecks** — ``BugCheck`` 1001 (WER-SystemErrorReporting: stop code,
  dump file, report id), ``Kernel-Power`` 41 (rebooted without a clean
  shutdown; its ``BugcheckCode`` when a blue screen caused it) and
  ``EventLog`` 6008 (the previous shutdown was unexpected);
- **app_crashes** — ``Application Error`` 1000 (faulting application,
  module, exception code, offset) and ``Application Hang`` 1002.

Output: the common part of the structured-log collectors (see
``collectors/_logrecords.py``) and::

    {
      "channels": ["System", "Application"],
      "bugchecks": [{"time": "…", "kind": "bugcheck" | "unexpected-shutdown",
                     "event_id": 1001, "provider": "…", "code": "0x0000009f" | null,
                     "dump": "C:\\\\Windows\\\\MEMORY.DMP" | null, "detail": "…"}],
      "app_crashes": [{"time": "…", "kind": "crash" | "hang", "app": "foo.exe",
                       "app_version": "1.2.3.4" | null, "module": "ntdll.dll" | null,
                       "module_version": … | null, "exception_code": "0xc0000005" | null,
                       "offset": "0x…" | null, "path": "C:\\\\…\\\\foo.exe" | null}],
      "crash_counts": [{"app": "foo.exe", "crashes": 3, "hangs": 1, "last": "…"}]
    }

Lists are newest first, at most 50 entries each.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from collectors import _logparse as lp
from collectors import _logrecords as lr
from toolkit import _platform
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, listed, number
from toolkit.schema import INT, STR, arr, enum, extend, nullable, obj
from toolkit.sources import Parsed, SavedOutput, Source, keep

OUTPUT = extend(
    lr.COMMON,
    channels=arr(STR),
    bugchecks=arr(obj(time=nullable(STR), kind=enum("bugcheck", "unexpected-shutdown"),
                      event_id=INT, provider=STR, code=nullable(STR), dump=nullable(STR),
                      detail=nullable(STR))),
    app_crashes=arr(obj(time=nullable(STR), kind=enum("crash", "hang"), event_id=INT,
                        provider=STR, app=nullable(STR), app_version=nullable(STR),
                        module=nullable(STR), module_version=nullable(STR),
                        exception_code=nullable(STR), offset=nullable(STR),
                        path=nullable(STR))),
    crash_counts=arr(obj(app=STR, crashes=INT, hangs=INT, last=nullable(STR))),
)

LEVELS = {0: "info", 1: "critical", 2: "error", 3: "warning", 4: "info", 5: "debug"}
MAX_LISTED = 50
_EVENT = re.compile(rb"<Event[\s>].*?</Event\s*>", re.S)
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")
# Application Error 1000 / Application Hang 1002 on systems that log their
# data without names (before Windows 10): the documented order of the fields.
_CRASH_FIELDS = ("AppName", "AppVersion", "AppTimeStamp", "ModuleName", "ModuleVersion",
                 "ModuleTimeStamp", "ExceptionCode", "FaultingOffset", "ProcessId",
                 "ProcessCreationTime", "AppPath", "ModulePath")
_HANG_FIELDS = ("AppName", "AppVersion", "ProcessID", "StartTime", "TerminationTime",
                "ExeFileName")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: ET.Element | None, name: str) -> ET.Element | None:
    if elem is None:
        return None
    return next((c for c in elem if _local(c.tag) == name), None)


def _when(text: str | None) -> float | None:
    m = _TIME.match(text or "")
    if not m:
        return None
    zone = m.group(3)  # SystemTime is UTC ("Z"); a saved copy may carry an offset
    base = datetime.fromisoformat(m.group(1) + ("+00:00" if zone in (None, "Z") else zone))
    return base.timestamp() + (float("0." + m.group(2)) if m.group(2) else 0.0)


def _decode(data: bytes) -> bytes:
    """Event XML as UTF-8 bytes, whatever PowerShell or wevtutil wrote."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").encode("utf-8")
    return data.removeprefix(b"\xef\xbb\xbf")


def event_fields(elem: ET.Element) -> dict[str, Any]:
    """Pure: one parsed ``<Event>`` → a flat dict (provider, event_id, level, time…)."""
    system = _child(elem, "System")
    provider = _child(system, "Provider")
    ev_id = _child(system, "EventID")
    data: dict[str, str] = {}
    values: list[str] = []
    for holder in ("EventData", "UserData"):
        box = _child(elem, holder)
        if box is None:
            continue
        # UserData holds one provider-specific element whose children are the fields
        items = list(box) if holder == "EventData" else [g for c in box for g in c]
        for item in items:
            value = (item.text or "").strip()
            name = item.get("Name") or (_local(item.tag) if holder == "UserData" else "")
            if name:
                data[name] = value
            values.append(value)
    rendering = _child(elem, "RenderingInfo")
    message = _child(rendering, "Message")
    level = _child(system, "Level")
    try:
        level_no = int((level.text or "4") if level is not None else "4")
    except ValueError:
        level_no = 4
    try:
        event_id = int((ev_id.text or "0").strip()) if ev_id is not None else 0
    except ValueError:
        event_id = 0
    record = _child(system, "EventRecordID")
    created = _child(system, "TimeCreated")
    channel = _child(system, "Channel")
    return {
        "provider": (provider.get("Name") if provider is not None else None) or "",
        "source_name": provider.get("EventSourceName") if provider is not None else None,
        "event_id": event_id, "level": level_no,
        "time": _when(created.get("SystemTime") if created is not None else None),
        "record_id": record.text if record is not None else None,
        "channel": (channel.text or "") if channel is not None else "",
        "data": data, "values": values,
        "message": (message.text or "").strip() if message is not None else "",
    }


def iter_events(data: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Pure: every ``<Event>`` in an export → (fields, the event's XML on one line)."""
    data = _decode(data)
    if data.startswith(b"ElfFile\x00"):
        raise Failed("this is a binary .evtx file — turn it into XML on Windows with "
                     "'wevtutil qe FILE.evtx /lf:true /f:RenderedXml > events.xml'")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Failed("the XML declares a DOCTYPE or entities, which event exports never "
                     "do — refusing to parse it (XML bomb protection)")
    for m in _EVENT.finditer(data):
        xml = m.group(0)
        try:
            elem = ET.fromstring(xml)
        except ET.ParseError:
            continue  # one mangled event (a cut copy-paste) must not hide the others
        yield event_fields(elem), re.sub(rb"\r?\n", b"&#10;", xml) + b"\n"


def _record(ev: dict[str, Any], raw: bytes) -> lr.Record:
    text = ev["message"] or ", ".join(v for v in ev["values"] if v)
    source = ev["source_name"] or ev["provider"]
    return lr.Record(ev["time"], LEVELS.get(ev["level"], "info"), source,
                     lr.one_line(f"[{ev['event_id']}] {text}"), raw)


def _hexcode(value: str | None, base: int = 10) -> str | None:
    """A stop or exception code as 0x%08x: Kernel-Power writes it in decimal,
    Application Error in hex without 0x."""
    if not value:
        return None
    try:
        number = int(value, 16) if value.lower().startswith("0x") else int(value, base)
    except ValueError:
        return value
    return f"0x{number:08x}" if number else None


def crash_event(ev: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Pure: ("bugcheck" | "app", details) for the crash events named in the docstring."""
    provider, eid, data = ev["provider"], ev["event_id"], ev["data"]
    when = lp.iso(ev["time"])
    base = {"time": when, "event_id": eid, "provider": provider}
    if eid == 1001 and ("SystemErrorReporting" in provider or ev["source_name"] == "BugCheck"):
        first = (data.get("param1") or (ev["values"] or [""])[0]).split()
        dump = data.get("param2") or (ev["values"][1] if len(ev["values"]) > 1 else None)
        return "bugcheck", {**base, "kind": "bugcheck", "code": _hexcode(first[0] if first
                                                                        else None),
                            "dump": dump or None, "detail": ev["message"][:300] or None}
    if eid == 41 and provider.endswith("Kernel-Power"):
        code = _hexcode(data.get("BugcheckCode"))
        return "bugcheck", {**base, "kind": "bugcheck" if code else "unexpected-shutdown",
                            "code": code, "dump": None,
                            "detail": "rebooted without cleanly shutting down first"}
    if eid == 6008 and provider == "EventLog":
        return "bugcheck", {**base, "kind": "unexpected-shutdown", "code": None, "dump": None,
                            "detail": ev["message"][:300] or "the previous shutdown was "
                            "unexpected"}
    if (eid, provider) in ((1000, "Application Error"), (1002, "Application Hang")):
        names = _CRASH_FIELDS if eid == 1000 else _HANG_FIELDS
        named = data if "AppName" in data else dict(zip(names, ev["values"], strict=False))
        return "app", {**base, "kind": "crash" if eid == 1000 else "hang",
                       "app": named.get("AppName") or None,
                       "app_version": named.get("AppVersion") or None,
                       "module": named.get("ModuleName") or None,
                       "module_version": named.get("ModuleVersion") or None,
                       "exception_code": _hexcode(named.get("ExceptionCode"), 16),
                       "offset": named.get("FaultingOffset") or None,
                       "path": named.get("AppPath") or named.get("ExeFileName") or None}
    return None


def analyse(data: bytes) -> tuple[list[lr.Record], dict[str, Any]]:
    """Pure: an export → records (oldest first) and the crash part of the result."""
    events = sorted(iter_events(data), key=lambda pair: pair[0]["time"] or 0.0)
    bugchecks: list[dict[str, Any]] = []
    crashes: list[dict[str, Any]] = []
    counts: dict[str, dict[str, Any]] = {}
    for ev, _ in events:
        found = crash_event(ev)
        if found is None:
            continue
        kind, item = found
        (bugchecks if kind == "bugcheck" else crashes).append(item)
        if kind == "app" and item["app"]:
            row = counts.setdefault(item["app"].lower(), {"app": item["app"], "crashes": 0,
                                                          "hangs": 0, "last": None})
            row["crashes" if item["kind"] == "crash" else "hangs"] += 1
            row["last"] = item["time"]
    ranked = sorted(counts.values(), key=lambda r: (-(r["crashes"] + r["hangs"]), r["app"]))
    return [_record(ev, raw) for ev, raw in events], {
        "bugchecks": bugchecks[::-1][:MAX_LISTED], "app_crashes": crashes[::-1][:MAX_LISTED],
        "crash_counts": ranked[:MAX_LISTED]}


def _window(params: Mapping[str, Any], now: float) -> tuple[float | None, float | None]:
    try:
        return lr.window(dict(params), now)
    except ValueError as exc:
        raise Failed(str(exc)) from None


def _channels(params: Mapping[str, Any]) -> list[str]:
    return [str(c) for c in params.get("channels") or ["System", "Application"]]


def _digest(data: bytes, params: Mapping[str, Any], window: tuple[float | None, float | None],
            source: str, cut: tuple[bool, dict[str, Any] | None] = (False, None)) -> Parsed:
    """Pure: event XML → the result, and the kept events as ``events.xml``. ``cut``:
    whether wevtutil stopped at max_entries, and how its output was cut."""
    channels = _channels(params)
    count = max(1, int(params.get("max_entries") or 1))
    records, crash_part = analyse(data)
    bounds = lr.Bounds(window[0], window[1], count * max(1, len(channels)),
                       int(params.get("max_bytes") or 0))
    digest = lr.digest(records, bounds, lr.new_summary(bool(params.get("summary", True))),
                       cut[0])
    files = {"events.xml": b"<Events>\n" + digest.raw() + b"</Events>\n"} if digest.kept else {}
    if cut[1]:
        digest.result["cut"] = cut[1]
    return Parsed({**digest.result, "source": source, "saved": "events.xml" if files else None,
                   "channels": channels, **crash_part}, files)


def from_events_xml(saved: SavedOutput) -> Parsed:
    """A saved ``wevtutil qe … /f:xml`` or ``Get-WinEvent | ToXml`` export."""
    return _digest(saved.data, saved.params, _window(saved.params, saved.now), saved.path)


def plan(params: dict[str, Any]) -> Plan:
    argv_of = _platform.eventlog_argv
    if argv_of is None:
        return Plan(notes=["the Windows event log exists only on Windows: the step is skipped "
                           "unless source= names a saved export"])
    try:
        since, until = lr.window(params, time.time())
    except ValueError:  # still a template, or refused when the step runs
        since = until = None
    level, count = int(number(params.get("max_level"), 3)), int(number(params.get(
        "max_entries"), 5000))
    return Plan(commands=[argv_of(c, since=since, until=until, max_level=level, count=count)
                          for c in listed(params.get("channels")) or ["System", "Application"]])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    since, until = _window(params, time.time())
    count = max(1, int(params.get("max_entries") or 1))
    more_before = False
    overflow = None
    argv_of = _platform.eventlog_argv
    if argv_of is None:
        raise Skipped("the Windows event log exists only on Windows — give a saved "
                      "export with source=")
    ctx.require("wevtutil")
    parts = []
    for channel in _channels(params):
        res = ctx.run(argv_of(channel, since=since, until=until,
                              max_level=int(params.get("max_level") or 3), count=count))
        if not res.ok and not res.stdout:
            err = res.stderr.decode("utf-8", errors="replace").strip()
            raise Failed(f"wevtutil could not read {channel} ({res.record.returncode}): "
                         f"{err[:200] or 'no message'} — the Security log needs an "
                         "administrator")
        parts.append(res.stdout)
        overflow = overflow or lr.output_cut(res.record.truncated, newest_first=True)
        more_before = more_before or len(_EVENT.findall(_decode(res.stdout))) >= count
    return keep(ctx, _digest(b"\n".join(parts), params, (since, until), "live",
                             (more_before, overflow)))


COLLECTOR = Collector(
    name="logs.eventlog",
    output=OUTPUT,
    summary="Windows System/Application events in a time window, with blue screens and "
            "application crashes picked out",
    gather=gather,
    platforms=("windows",),
    needs=Needs(commands=("wevtutil",),
                notes="System and Application are readable by every user; Security needs "
                      "an administrator"),
    params=(
        Param("since", "str", None, "events from this time: ISO 8601, epoch, or an age (2h)"),
        Param("until", "str", None, "events up to this time (same forms as since)"),
        Param("channels", "list", ("System", "Application"), "event logs to read"),
        Param("max_level", "int", 3, "1 critical, 2 error, 3 warning, 4 information, 5 verbose",
              choices=(1, 2, 3, 4, 5)),
        Param("max_entries", "int", 5000, "keep at most this many events per channel (newest)",
              min=1),
        Param("max_bytes", "int", 16 * 1024 * 1024, "keep at most this much XML (newest)", min=1),
        Param("summary", "bool", True, "count severities and the top recurring error patterns"),
        Param("source", "str", None, "analyse a saved wevtutil/Get-WinEvent XML export"),
    ),
    sources=(Source("event-xml", from_events_xml, "a saved wevtutil qe /f:xml or Get-WinEvent "
                    "XML export", keep=False),),  # the events counted are kept, as events.xml
    plan=plan,
    doc=__doc__ or "",
)
