"""The ticket's environment (docs/support-process.md step 1: device, OS and software
versions) — taken from the machine the evidence came from.

``ticket new`` fills it from ``system.info`` run where the command runs, which is
often the help desk's own PC. So every bundle attached (or run recorded) whose
``system.info`` step succeeded replaces it with the facts of the machine the bundle
was made on, and the history says what changed (``environment``). The rules:

* a bundle's machine beats the intake machine; between bundles, the one written
  last wins, so attaching an old bundle after a newer one changes nothing;
* the machine's facts are taken as a whole (a fact the new machine does not report
  is removed), so the environment never mixes two machines;
* a fact typed by hand (``ticket update --env KEY=VALUE``) is kept unless it is
  empty — a person who wrote down the device model knew something the firmware
  tables may not say; the history lists the facts kept that way (``kept``).
"""

from __future__ import annotations

from typing import Any

from toolkit.tickets.model import Ticket
from toolkit.tickets.store.interface import Changes, utc_key

# The facts system.info gives, in the order the export shows them.
MACHINE_KEYS = ("hostname", "device", "os", "os_version", "kernel", "machine", "cpu", "cpus",
                "memory_bytes", "python", "timezone", "user", "boot_time")
# What says where the facts came from.
SOURCE_KEYS = ("collected_by", "source", "bundle", "collected_at")


def of_system_info(r: dict[str, Any]) -> dict[str, Any]:
    """A ``system.info`` result → the environment's facts (None where it says nothing)."""
    def part(key: str) -> dict[str, Any]:  # a bundle's result is data from elsewhere
        value = r.get(key)
        return value if isinstance(value, dict) else {}
    os_, cpu, dev, mem, py, tz = (part(k) for k in ("os", "cpu", "device", "memory",
                                                     "python", "timezone"))
    device = " ".join(str(x) for x in (dev.get("vendor"), dev.get("model")) if x)
    if dev.get("version") and dev.get("version") != dev.get("model"):
        device = f"{device} ({dev['version']})" if device else str(dev["version"])
    return {"collected_by": "system.info", "hostname": r.get("hostname"),
            "device": device or None, "os": os_.get("pretty_name"),
            "os_version": os_.get("version"), "kernel": r.get("kernel"),
            "machine": os_.get("machine"), "cpu": cpu.get("model"), "cpus": cpu.get("logical"),
            "memory_bytes": mem.get("total_bytes"), "python": py.get("version"),
            "timezone": tz.get("name"), "user": r.get("user"), "boot_time": r.get("boot_time")}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def from_evidence(t: Ticket, ch: Changes, facts: dict[str, Any], bundle: str,
                  written: str | None) -> None:
    """Take the environment from a bundle's machine (the rules are in the docstring).
    ``bundle`` names it (sha256 prefix and file name), ``written`` is when it was made."""
    env = t.environment
    if env.get("source") == "bundle":
        before, now = utc_key(env.get("collected_at")), utc_key(written)
        if before is not None and (now is None or now < before):
            return  # older evidence than what the ticket holds
    others = {k: v for k, v in env.items()
              if k not in MACHINE_KEYS and k not in SOURCE_KEYS and k != "error"}
    facts_now: dict[str, Any] = {}
    changed: dict[str, dict[str, Any]] = {}
    kept: list[str] = []
    for key in MACHINE_KEYS:
        old, got = env.get(key), facts.get(key)
        if key in t.env_typed and not _blank(old):
            facts_now[key] = old
            if not _blank(got) and got != old:
                kept.append(key)
            continue
        if not _blank(got):
            facts_now[key] = got
        if facts_now.get(key) != old:
            changed[key] = {"from": old, "to": facts_now.get(key)}
    was = env.get("bundle") if env.get("source") == "bundle" else env.get("source")
    t.environment = {"collected_by": "system.info", **facts_now, "source": "bundle",
                     "bundle": bundle, "collected_at": written, **others}
    if changed or kept or was != bundle:
        ch.log("environment", source=f"bundle {bundle}", host=t.environment.get("hostname"),
               changed=changed, kept=kept, was=was)


def typed(t: Ticket, ch: Changes, values: dict[str, str]) -> None:
    """Facts L1 typed by hand (``ticket update --env``): kept over later evidence."""
    changed = {}
    for key, value in values.items():
        old = t.environment.get(key)
        if value.strip():
            t.environment[key] = value.strip()
            if key not in t.env_typed:
                t.env_typed.append(key)
        else:  # an empty value removes the hand-typed fact: evidence may fill it again
            t.environment.pop(key, None)
            if key in t.env_typed:
                t.env_typed.remove(key)
        if t.environment.get(key) != old:
            changed[key] = {"from": old, "to": t.environment.get(key)}
    if changed:
        ch.log("environment", source=f"typed by {ch.by}", changed=changed, kept=[])
