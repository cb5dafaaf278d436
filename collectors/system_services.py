"""system.services — services that failed, and whether the system as a whole is healthy.

Linux with systemd: ``systemctl is-system-running`` (the overall state) and
``systemctl list-units --failed --output=json``; systemd before 246 has no
JSON tables and prints the plain table instead, which is parsed the same
way. With ``source=FILE``, a saved ``systemctl list-units`` / ``systemctl
--failed`` / ``systemctl list-units --all`` output (plain or JSON) is read.
A machine whose PID 1 is not systemd (containers, sandboxes, SysV init) is
``skipped`` with that reason. Windows services and macOS launchd jobs are
not read yet: the collector declares Linux only, so elsewhere it is skipped,
and a future back-end fills the same result.

Output::

    {
      "source": "live" | "<path of the saved output>",
      "manager": "systemd",              # "windows-scm", "launchd" later
      "state": "degraded" | "running" | "starting" | "maintenance" | … | null,
      "units_listed": 220,               # rows in the output read
      "failed": [UNIT, …],               # active state "failed"
      "broken": [UNIT, …],               # unit file not loadable: load "error"/"bad-setting"
      "not_found": ["cloud-init.service", …],   # referenced but not installed (usually harmless)
      "summary": "2 failed: nginx.service, backup.timer"
    }

    UNIT = {"unit": "nginx.service", "kind": "service", "load": "loaded",
            "active": "failed", "sub": "failed", "description": "A high performance web server"}

``state`` is what systemd itself says (null for a saved list): ``degraded``
means at least one unit failed; ``maintenance`` is the rescue/emergency
shell; ``starting``/``stopping`` mean boot or shutdown has not finished.
See ``man systemctl`` (is-system-running) for the full table.
"""

from __future__ import annotations

import json
import re
from typing import Any

from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan
from toolkit.schema import INT, STR, arr, nullable, obj
from toolkit.sources import SavedOutput, Source

_UNIT = obj(unit=STR, kind=nullable(STR), load=STR, active=STR, sub=STR, description=STR)
OUTPUT = obj(
    source=STR, manager=STR, state=nullable(STR), units_listed=INT,
    failed=arr(_UNIT), broken=arr(_UNIT), not_found=arr(STR), summary=STR,
)

_FIELDS = ("unit", "load", "active", "sub", "description")
# list-units marks units that are failed or not found with a bullet ("●", or "*"
# when the terminal cannot show it); it is not part of the unit name.
_BULLET = re.compile(r"^\s*(?:●|\*)?\s*")
_UNIT_NAME = re.compile(r"^\S+\.(service|socket|target|device|mount|automount|swap|timer"
                        r"|path|slice|scope)$")


def parse_units(data: bytes | str) -> list[dict[str, Any]]:
    """Units from ``systemctl list-units`` output: its JSON (systemd ≥ 246) or its table."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"systemctl JSON output is cut or damaged: {exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("systemctl JSON output is not a list of units")
        return [_unit({k: str(r.get(k) or "") for k in _FIELDS}) for r in rows]
    units: list[dict[str, Any]] = []
    seen_header = False
    for line in text.splitlines():
        body = _BULLET.sub("", line, count=1)
        if not body.strip():
            if units:
                break  # the blank line before the LOAD/ACTIVE/SUB legend
            continue
        if body.startswith("UNIT ") and "LOAD" in body:
            seen_header = True
            continue
        parts = body.split(None, 4)
        if len(parts) >= 4 and _UNIT_NAME.match(parts[0]):
            units.append(_unit(dict(zip(_FIELDS, [*parts, ""][:5], strict=True))))
        elif re.match(r"^\d+ loaded units? listed", body.strip()):
            seen_header = True  # "0 loaded units listed." — a valid, empty answer
    if not units and not seen_header:
        raise ValueError("not systemctl list-units output: no UNIT header and no unit rows")
    return units


def _unit(row: dict[str, str]) -> dict[str, Any]:
    name = row["unit"]
    return {**row, "description": row.get("description", "").strip(),
            "kind": name.rsplit(".", 1)[-1] if "." in name else None}


def summarise(units: list[dict[str, Any]], state: str | None, source: str) -> dict[str, Any]:
    failed = [u for u in units if u["active"] == "failed"]
    broken = [u for u in units if u["load"] in ("error", "bad-setting") and u not in failed]
    not_found = [u["unit"] for u in units if u["load"] == "not-found"]
    if failed:
        summary = f"{len(failed)} failed: " + ", ".join(u["unit"] for u in failed[:5])
    elif broken:
        summary = f"{len(broken)} unit files cannot be loaded"
    else:
        summary = "no failed units"
    if state and state not in ("running", "degraded"):
        summary += f"; system state {state}"
    return {"source": source, "manager": "systemd", "state": state,
            "units_listed": len(units), "failed": failed, "broken": broken,
            "not_found": not_found, "summary": summary}


_LIST_UNITS = ["list-units", "--failed", "--all", "--no-pager", "--plain"]


def is_json(head: bytes) -> bool:
    return head.lstrip().startswith(b"[")


def from_units(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a saved ``systemctl list-units`` output (its JSON or its table)."""
    return summarise(parse_units(saved.data), None, saved.path)


def plan(params: dict[str, Any]) -> Plan:
    return Plan(commands=[["systemctl", "is-system-running"],
                          ["systemctl", *_LIST_UNITS, "--output=json"],
                          ["systemctl", *_LIST_UNITS]],
                notes=["the table (without --output=json) only where systemd is too old for "
                       "JSON; skipped where systemd is not PID 1"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    from toolkit import _platform

    if _platform.systemd_booted is None or not _platform.systemd_booted():
        init = (_platform.init_process_name and _platform.init_process_name()) or "unknown"
        raise Skipped(f"systemd is not running on this machine (PID 1 is '{init}'): "
                      "there are no systemd services to check — containers and sandboxes "
                      "often run without an init system")
    systemctl = ctx.require("systemctl", "systemd")
    state_run = ctx.run([systemctl, "is-system-running"], timeout=15, save_as="state.txt")
    # is-system-running exits non-zero for every state but "running": read what it printed.
    state = state_run.text.strip().splitlines()[0] if state_run.text.strip() else None
    base = [systemctl, *_LIST_UNITS]
    got = ctx.run([*base, "--output=json"], timeout=30, save_as="failed-units.json",
                  env={"LC_ALL": "C", "SYSTEMD_COLORS": "0"})
    try:
        units = parse_units(got.stdout) if got.ok else None
    except ValueError:
        units = None
    if units is None:  # older systemd: no JSON tables, or a rejected option
        got = ctx.run(base, timeout=30, save_as="failed-units.txt",
                      env={"LC_ALL": "C", "SYSTEMD_COLORS": "0"})
        if got.record.timed_out:
            raise Failed("systemctl list-units did not answer in time: the service manager "
                         "hangs (check 'systemctl status' and the journal)")
        try:
            units = parse_units(got.stdout)
        except ValueError as exc:
            err = got.stderr.decode("utf-8", errors="replace").strip()[:200]
            raise Failed(f"systemctl list-units (exit {got.record.returncode}) printed "
                         f"nothing usable: {exc}{'; ' + err if err else ''}") from None
    return summarise(units, state, "live")


COLLECTOR = Collector(
    name="system.services",
    output=OUTPUT,
    summary="Failed and broken services (systemd) and the overall system state",
    gather=gather,
    platforms=("linux",),
    needs=Needs(commands=("systemctl",), notes="systemd must be PID 1; otherwise skipped"),
    params=(Param("source", "str", None, "analyse a saved 'systemctl list-units' "
                                         "output (plain or --output=json) instead"),),
    sources=(Source("systemctl-json", from_units, "systemctl list-units --output=json output",
                    detect=is_json),
             Source("systemctl-table", from_units, "systemctl list-units output (the table)")),
    plan=plan,
    doc=__doc__ or "",
)
