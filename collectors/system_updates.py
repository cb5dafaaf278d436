"""system.updates — what software was installed, upgraded or removed recently.

"It stopped booting after the update" is the first thing to confirm or rule
out on a crashing or unbootable machine. Live, on Debian/Ubuntu, from
``/var/log/dpkg.log`` (every package change) and ``/var/log/apt/history.log``
(each apt run: its command line, who ran it, errors), with their ``.1``
rotations; the list of files comes from ``toolkit/_platform``. Other
package managers (rpm/dnf, Windows Update, macOS softwareupdate) are not
read yet: the collector declares Linux only. With ``source=FILE``, a saved
``dpkg.log`` or ``history.log`` is read (``days`` does not filter it).

Output::

    {
      "source": "live" | "<path>", "window_days": 14 | null, "since": "…" | null,
      "changes": [{"time": "2025-06-24T14:36:25", "action": "upgrade"
                                                | "install" | "remove" | "purge",
                   "package": "libsystemd0", "arch": "amd64" | null,
                   "from": "252.36-1~deb12u1" | null, "to": "252.38-1~deb12u1" | null}],
      "counts": {"install": 12, "upgrade": 2, "remove": 0, "purge": 0},
      "boot_related": [CHANGE, …],   # kernel, boot loader, initramfs, init, firmware, drivers
      "runs": [{"start": "2025-06-24T14:36:25", "end": "…" | null,
                "command": "apt-get -qqy upgrade", "requested_by": "alice (1000)" | null,
                "install": 0, "upgrade": 2, "remove": 0, "error": "…" | null}],
      "last_change": "2025-06-24T14:42:17" | null,
      "files": ["/var/log/dpkg.log", …],
      "summary": "14 package changes, 3 boot-related (linux-image-6.1.0-18-amd64, …)"
    }

Times are the machine's local time as the logs write them. ``changes``
holds at most 500 entries, newest first; ``counts`` counts them all.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit.collector import Collector, Context, Param, Skipped
from toolkit.plans import Plan
from toolkit.schema import INT, STR, arr, enum, nullable, obj
from toolkit.sources import SavedOutput, Source

_CHANGE = obj({"from": nullable(STR)}, time=nullable(STR),
              action=enum("install", "upgrade", "remove", "purge"), package=STR,
              arch=nullable(STR), to=nullable(STR))
OUTPUT = obj(
    source=STR, window_days=nullable(INT), since=nullable(STR),
    changes=arr(_CHANGE),
    counts=obj(install=INT, upgrade=INT, remove=INT, purge=INT),
    boot_related=arr(_CHANGE),
    runs=arr(obj(start=nullable(STR), end=nullable(STR), command=nullable(STR),
                 requested_by=nullable(STR), install=INT, upgrade=INT, remove=INT,
                 error=nullable(STR))),
    last_change=nullable(STR), files=arr(STR), summary=STR,
)

MAX_CHANGES = 500
_DPKG = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (install|upgrade|remove|purge) "
                   r"(\S+) (\S+) (\S+)\s*$")
# Packages whose change can stop a machine from booting or crash its kernel.
_BOOT = re.compile(r"^(linux-(image|modules|headers|firmware|signed)|kernel|grub|shim|systemd"
                   r"|initramfs|dracut|udev|firmware-|intel-microcode|amd64-microcode|nvidia"
                   r"|dkms|zfs|lvm2|mdadm|cryptsetup|plymouth|libc6$)")


def _version(text: str) -> str | None:
    return None if text in ("<none>", "") else text


def parse_dpkg_log(text: str) -> list[dict[str, Any]]:
    changes = []
    for line in text.splitlines():
        m = _DPKG.match(line)
        if not m:
            continue
        day, clock, action, pkg, old, new = m.groups()
        name, _, arch = pkg.partition(":")
        changes.append({"time": f"{day}T{clock}", "action": action, "package": name,
                        "arch": arch or None, "from": _version(old), "to": _version(new)})
    return changes


_PKG_ENTRY = re.compile(r"([^\s,:]+)(?::([^\s,]+))? \(([^)]*)\)")


def parse_apt_history(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """apt's history.log → (runs, changes): one run per Start-Date … End-Date block."""
    runs, changes = [], []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in block.strip().splitlines():
            key, sep, value = line.partition(": ")
            if sep:
                fields[key.strip()] = value.strip()
        if "Start-Date" not in fields:
            continue
        start = _apt_time(fields["Start-Date"])
        run: dict[str, Any] = {"start": start, "end": _apt_time(fields.get("End-Date")),
                               "command": fields.get("Commandline"),
                               "requested_by": fields.get("Requested-By"),
                               "install": 0, "upgrade": 0, "remove": 0,
                               "error": fields.get("Error")}
        for key, action in (("Install", "install"), ("Upgrade", "upgrade"),
                            ("Downgrade", "upgrade"), ("Remove", "remove"), ("Purge", "purge")):
            for name, arch, versions in _PKG_ENTRY.findall(fields.get(key, "")):
                parts = [v.strip() for v in versions.split(",")]
                vers = [p for p in parts if p != "automatic"]
                old, new = ((vers[0], vers[1]) if len(vers) > 1 else
                            (vers[0] if action in ("remove", "purge") and vers else None,
                             vers[0] if action == "install" and vers else None))
                changes.append({"time": start, "action": action, "package": name,
                                "arch": arch or None, "from": old, "to": new})
                run["remove" if action == "purge" else action] += 1
        runs.append(run)
    return runs, changes


def _apt_time(value: str | None) -> str | None:
    if not value:
        return None
    try:  # apt writes "2025-06-24  14:36:25" (two spaces)
        return datetime.strptime(" ".join(value.split()), "%Y-%m-%d %H:%M:%S").isoformat()
    except ValueError:
        return value


def summarise(changes: list[dict[str, Any]], runs: list[dict[str, Any]],
              meta: dict[str, Any]) -> dict[str, Any]:
    # The same change can be in two files (a log and its rotation): keep one.
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for c in sorted(changes, key=lambda c: c["time"] or "", reverse=True):
        key = (c["time"][:16] if c["time"] else None, c["action"], c["package"], c["to"])
        if key not in seen:
            seen.add(key)
            unique.append(c)
    counts = dict.fromkeys(("install", "upgrade", "remove", "purge"), 0)
    for c in unique:
        counts[c["action"]] += 1
    boot = [c for c in unique if _BOOT.match(c["package"])]
    summary = f"{len(unique)} package changes" if unique else "no package changes"
    if boot:
        names = sorted({c["package"] for c in boot})
        summary += f", {len(boot)} boot-related ({', '.join(names[:4])}" + \
                   (", …)" if len(names) > 4 else ")")
    return {**meta, "changes": unique[:MAX_CHANGES], "counts": counts,
            "boot_related": boot[:MAX_CHANGES],
            "runs": sorted(runs, key=lambda r: r["start"] or "", reverse=True),
            "last_change": unique[0]["time"] if unique else None, "summary": summary}


def is_apt_history(head: bytes) -> bool:
    return b"Start-Date:" in head


def dpkg_changes(text: str) -> list[dict[str, Any]]:
    changes = parse_dpkg_log(text)
    if not changes and not re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (status|startup|"
                                     r"configure|trigproc) ", text, re.MULTILINE):
        raise ValueError("neither dpkg.log lines nor apt history.log blocks")
    return changes


def parse_saved(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pure: a saved dpkg.log or apt history.log → (changes, runs)."""
    if is_apt_history(text.encode("utf-8", errors="replace")):
        runs, changes = parse_apt_history(text)
        return changes, runs
    return dpkg_changes(text), []


def _saved(saved: SavedOutput, changes: list[dict[str, Any]], runs: list[dict[str, Any]]
           ) -> dict[str, Any]:
    return summarise(changes, runs, {"source": saved.path, "window_days": None,
                                     "since": None, "files": [saved.path]})


def from_apt_history(saved: SavedOutput) -> dict[str, Any]:
    runs, changes = parse_apt_history(saved.text)
    return _saved(saved, changes, runs)


def from_dpkg_log(saved: SavedOutput) -> dict[str, Any]:
    return _saved(saved, dpkg_changes(saved.text), [])


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    return Plan(files=[path for _, path in _platform.PACKAGE_LOGS],
                notes=["the package logs that exist are read whole; no command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    from toolkit import _platform

    days = int(params["days"])
    since = (datetime.now() - timedelta(days=days)).isoformat(timespec="seconds")
    changes: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    apt_changes: list[dict[str, Any]] = []
    read = []
    for kind, path in _platform.PACKAGE_LOGS:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        except PermissionError:
            raise Skipped(f"cannot read {path}: permission denied — run as root or as a "
                          "member of the 'adm' group") from None
        read.append(path)
        if kind == "apt-history":
            more_runs, more = parse_apt_history(text)
            runs += [r for r in more_runs if (r["start"] or "") >= since]
            apt_changes += [c for c in more if (c["time"] or "") >= since]
        else:
            changes += [c for c in parse_dpkg_log(text) if c["time"] >= since]
    # dpkg.log has every change with its own time; apt's list is the fallback
    # (apt stamps its whole run with the start time, so the two never line up).
    if not any(kind == "dpkg" and path in read for kind, path in _platform.PACKAGE_LOGS):
        changes = apt_changes
    if not read:
        raise Skipped("no package log found (looked for " + ", ".join(
            p for _, p in _platform.PACKAGE_LOGS) + "): this is not a Debian/Ubuntu system, "
            "or its logs were removed")
    return summarise(changes, runs, {"source": "live", "window_days": days, "since": since,
                                     "files": read})


COLLECTOR = Collector(
    name="system.updates",
    output=OUTPUT,
    summary="Recent package installs, upgrades and removals (Debian/Ubuntu dpkg and apt)",
    gather=gather,
    platforms=("linux",),
    params=(
        Param("days", "int", 14, "how many days back to look", min=1),
        Param("source", "str", None, "analyse a saved dpkg.log or apt history.log instead"),
    ),
    sources=(Source("apt-history", from_apt_history, "a saved apt history.log",
                    detect=is_apt_history),
             Source("dpkg-log", from_dpkg_log, "a saved dpkg.log")),
    plan=plan,
    doc=__doc__ or "",
)
