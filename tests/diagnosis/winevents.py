"""Windows event exports built from Microsoft's documented event schema
(https://learn.microsoft.com/windows/win32/wes/eventschema-schema) and the documented
fields of the crash events: BugCheck 1001 (param1 = stop code and its four parameters,
param2 = dump, param3 = report id), Kernel-Power 41 (BugcheckCode in decimal,
BugcheckParameter1..4), EventLog 6008, Windows Error Reporting 1001 (BlueScreen, its
fault bucket) and Application Error 1000. Times are relative to now, so the suite
passes on any date. Host names, ids and drivers' parameters are invented."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def _data(fields: list[tuple[str | None, str]]) -> str:
    return "".join(f"<Data Name='{n}'>{escape(v)}</Data>" if n else f"<Data>{escape(v)}</Data>"
                   for n, v in fields)


def event(provider: str, event_id: int, when: datetime, fields: list[tuple[str | None, str]],
          *, level: int = 2, channel: str = "System", source_name: str | None = None,
          message: str | None = None, record: int = 1000) -> str:
    """One ``<Event>`` as ``wevtutil qe /f:xml`` writes it (RenderedXml with a message)."""
    src = f" EventSourceName='{source_name}'" if source_name else ""
    rendering = (f"<RenderingInfo Culture='en-US'><Message>{escape(message)}</Message>"
                 f"</RenderingInfo>" if message else "")
    return (f"<Event xmlns='{NS}'><System><Provider Name='{provider}'{src}/>"
            f"<EventID>{event_id}</EventID><Version>0</Version><Level>{level}</Level>"
            f"<Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>"
            f"<TimeCreated SystemTime='{when.strftime('%Y-%m-%dT%H:%M:%S.%f')}0Z'/>"
            f"<EventRecordID>{record}</EventRecordID><Correlation/>"
            f"<Execution ProcessID='4' ThreadID='112'/><Channel>{channel}</Channel>"
            f"<Computer>PC-0042.corp.example</Computer><Security UserID='S-1-5-18'/></System>"
            f"<EventData>{_data(fields)}</EventData>{rendering}</Event>")


def bugcheck_1001(when: datetime, code: int, params: tuple[int, int, int, int],
                  dump: str = r"C:\Windows\MEMORY.DMP") -> str:
    p = ", ".join(f"0x{x:016x}" for x in params)
    first = f"0x{code:08x} ({p})"
    report = when.strftime("%m%d%y-%H%M-01")
    return event("Microsoft-Windows-WER-SystemErrorReporting", 1001, when,
                 [("param1", first), ("param2", dump), ("param3", report)],
                 source_name="BugCheck",
                 message=f"The computer has rebooted from a bugcheck.  The bugcheck was: "
                         f"{first}. A dump was saved in: {dump}. Report Id: {report}.")


def kernel_power_41(when: datetime, code: int = 0,
                    params: tuple[int, int, int, int] = (0, 0, 0, 0)) -> str:
    fields: list[tuple[str | None, str]] = [("BugcheckCode", str(code))]
    fields += [(f"BugcheckParameter{i}", f"0x{v:x}") for i, v in enumerate(params, 1)]
    fields += [("SleepInProgress", "0"), ("PowerButtonTimestamp", "0"),
               ("BootAppStatus", "0"), ("Checkpoint", "0")]
    return event("Microsoft-Windows-Kernel-Power", 41, when, fields, level=1,
                 message="The system has rebooted without cleanly shutting down first. This "
                         "error could be caused if the system stopped responding, crashed, "
                         "or lost power unexpectedly.")


def eventlog_6008(when: datetime, down: datetime) -> str:
    t, d = down.strftime("%H:%M:%S"), down.strftime("%d/%m/%Y")
    return event("EventLog", 6008, when,
                 [(None, t), (None, d), (None, ""), (None, ""), (None, "1234"), (None, "")],
                 message=f"The previous system shutdown at {t} on {d} was unexpected.")


def wer_bluescreen(when: datetime, bucket: str, code: int) -> str:
    values = [bucket, "0", "BlueScreen", "Not available", "0", "10.0.19045.2.0.0.256.48",
              f"{code:x}", "3", "ffffc30b1a0e2060", "fffff8023c6c7850", "ffffc30b1f45a8a0",
              "10_0_19045", "0", "0", "0"]
    return event("Windows Error Reporting", 1001, when, [(None, v) for v in values],
                 level=4, channel="Application",
                 message=f"Fault bucket {bucket}, type 0\nEvent Name: BlueScreen\n"
                         f"Response: Not available\nCab Id: 0")


def app_error_1000(when: datetime, app: str, module: str, code: str = "c0000005") -> str:
    fields: list[tuple[str | None, str]] = [
        ("AppName", app), ("AppVersion", "4.2.1.0"), ("AppTimeStamp", "65a1b2c3"),
        ("ModuleName", module), ("ModuleVersion", "4.2.1.0"), ("ModuleTimeStamp", "65a1b2c0"),
        ("ExceptionCode", code), ("FaultingOffset", "00000000000a1b2c"), ("ProcessId", "0x1f2c"),
        ("ProcessCreationTime", "0x1db2f1a2b3c4d5e"), ("AppPath", rf"C:\Program Files\Acme\{app}"),
        ("ModulePath", rf"C:\Program Files\Acme\{module}")]
    return event("Application Error", 1000, when, fields, channel="Application",
                 message=f"Faulting application name: {app}, version: 4.2.1.0\n"
                         f"Faulting module name: {module}, version: 4.2.1.0\n"
                         f"Exception code: 0x{code}")


def xml_export(*events: str) -> bytes:
    """``wevtutil qe System /f:xml``: events back to back, no root element."""
    return "".join(events).encode("utf-8")


def text_export(*records: tuple[str, int, datetime, str, str]) -> str:
    """``wevtutil qe System /f:text``: (source, id, time, level, description) records."""
    out = []
    for i, (source, eid, when, level, desc) in enumerate(records):
        out.append(f"Event[{i}]:\n  Log Name: System\n  Source: {source}\n"
                   f"  Date: {when.strftime('%Y-%m-%dT%H:%M:%S.%f')}0Z\n  Event ID: {eid}\n"
                   f"  Task: N/A\n  Level: {level}\n  Opcode: N/A\n  Keyword: Classic\n"
                   f"  User: N/A\n  User Name: N/A\n  Computer: PC-0042\n  Description: \n"
                   f"{desc}\n")
    return "\n".join(out)
