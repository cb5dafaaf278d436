"""disk.health — is a disk dying? SMART health of every disk, a verdict and the reasons.

Live: finds the disks with ``smartctl --scan-open -j`` (plus any disk the OS
lists that smartctl's scan missed, such as virtio disks), reads each with
``smartctl -x -j`` and keeps every raw JSON output in the bundle; on Linux it
also counts the I/O errors and resets the kernel logged for each disk since
boot. With ``source=FILE`` it analyses a saved ``smartctl -j`` output: one
device document, a JSON list of them, or several documents one after another.
Needs smartmontools 7.0 or later (the first with ``-j``) and, to open the
disks, root or administrator rights.

Output::

    {
      "source": "live" | "<path of the saved output>",
      "verdict": "failing",                # worst device: failing > warning > unknown > ok
      "summary": "1 failing (/dev/sdc); 1 ok",
      "devices": [
        {"name": "/dev/sdc", "type": "usbjmicron", "protocol": "ATA",
         "model": "Hitachi HDS721050DLE630", "serial": "MSK423Y20S3HBC",
         "firmware": "MS1OA650", "capacity_bytes": 500107862016,
         "rotation_rate": 7200 | 0 (SSD) | null,
         "smart_passed": false | true | null, "temperature_c": 25 | null,
         "power_on_hours": 65592 | null,
         "verdict": "ok" | "warning" | "failing" | "unknown",
         "reasons": [
           {"rule": "ata-197", "verdict": "failing",
            "attribute": "197 Current_Pending_Sector", "value": 8,
            "text": "197 Current_Pending_Sector = 8: sectors the drive cannot read now ..."}
         ],
         "notes": ["only the overall health check is in this output ..."],
         "counters": {"Reallocated_Sector_Ct": 1975, "Current_Pending_Sector": 8},
         "smartctl_exit": {"status": 216, "bits": ["disk_failing", "prefail_below_threshold",
                                                   "error_log", "self_test_log"]} | null,
         "kernel_errors": {"count": 3, "examples": ["I/O error, dev sdc, sector 104870168 ..."]}
                          | null,
         "raw_file": "smartctl-x-sdc.json" | null}
      ]
    }

Verdicts: ``failing`` — replace the disk (back up first); ``warning`` — it
works but shows wear or errors: back up and watch it; ``ok`` — the health
data shows nothing wrong; ``unknown`` — no health data (no SMART, RAID
volume, device could not be opened), the reason says why.

Rules (the principle: *failing* when the drive itself says so or data it
holds can no longer be read; *warning* for spare sectors used, transport or
mechanical trouble, and wear):

========== ===================================================== ======== ===========
rule       evidence                                              verdict  source
========== ===================================================== ======== ===========
smart      overall-health self-assessment FAILED                 failing  [smartctl]
ata-now    a normalised attribute at or below its threshold now  failing  [smartctl]
ata-past   … at or below its threshold in the past               warning  [smartctl]
ata-5      5 Reallocated_Sector_Ct raw > 0                       warning  [backblaze]
ata-10     10 Spin_Retry_Count raw > 0                           warning  [wiki]
ata-184    184 End-to-End_Error raw > 0                          warning  [wiki]
ata-187    187 Reported_Uncorrect raw > 0                        failing  [backblaze]
ata-188    188 Command_Timeout raw > 0                           warning  [backblaze]
ata-196    196 Reallocated_Event_Count raw > 0                   warning  [wiki]
ata-197    197 Current_Pending_Sector raw > 0                    failing  [backblaze]
ata-198    198 Offline_Uncorrectable raw > 0                     failing  [backblaze]
ata-199    199 UDMA_CRC_Error_Count raw > 0 (cable, not media)   warning  [wiki]
error-log  ATA error log holds entries                           warning  [smartctl]
self-test  a self-test failed and no later extended test passed  failing  [smartctl]
nvme-cw    critical_warning bit 0, 2, 3, 4 or 5 set              failing  [nvme]
nvme-temp  critical_warning bit 1 (temperature out of range)     warning  [nvme]
nvme-spare available_spare below available_spare_threshold       failing  [nvme]
nvme-spare available_spare within 10 points of its threshold     warning  [nvme]
nvme-used  percentage_used >= 100 (rated endurance used up)      failing  [nvme]
nvme-used  percentage_used >= 80                                 warning  [nvme]
nvme-media media_errors > 0 (unrecovered data integrity errors)  failing  [nvme]
scsi-gdl   grown defect list > 0                                 warning  [smartctl]
scsi-unc   read/write/verify total_uncorrected_errors > 0        failing  [smartctl]
exit-N     smartctl exit status bits 3, 4, 5, 6, 7 when the      as above [smartctl]
           JSON lacks the section they summarise
kernel     the kernel logged I/O errors or resets for the disk   warning  [kernel]
========== ===================================================== ======== ===========

Raw ATA counts are the leading number of smartctl's ``raw.string``: for
vendor-packed raw values (Seagate's 196, 9) that is the counter and
``raw.value`` is not. NVMe ``num_err_log_entries`` and ATA attributes 1
and 7 are *not* rules: they count benign events on many healthy drives.

Sources:
[smartctl] smartmontools ``man smartctl``: -H, -A (WHEN_FAILED), -l selftest,
RETURN VALUES. [backblaze] Backblaze, "What SMART stats tell us about hard
drives" (2016): 5, 187, 188, 197, 198 above 0 mark most failed drives.
[wiki] Wikipedia "S.M.A.R.T." attribute table (critical attributes).
[nvme] NVM Express Base Specification, SMART / Health Information log page
(02h): Critical Warning byte 0 bits 0-5, Available Spare, Available Spare
Threshold, Percentage Used, Media and Data Integrity Errors.
[kernel] Linux block layer and libata/NVMe driver messages.
"""


from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from collectors._kernlog import disk_errors_from_kernel_log
from collectors._smart import (
    ATA_COUNTERS,
    EXIT_BITS,
    NVME_CRITICAL_BITS,
    PERMISSION,
    VERDICT_RANK,
    analyse,
    decode_exit_status,
    is_scan,
    load_documents,
    parse_device,
    parse_scan,
    reason,
    summarise,
)
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, known, text
from toolkit.schema import BOOL, INT, NULL, STR, any_of, arr, enum, mapping, nullable, obj
from toolkit.sources import SavedOutput, Source

_VERDICT = enum(*VERDICT_RANK)
OUTPUT = obj(
    source=STR, verdict=_VERDICT, summary=STR,
    devices=arr(obj(
        name=nullable(STR), type=nullable(STR), protocol=nullable(STR), model=nullable(STR),
        serial=nullable(STR), firmware=nullable(STR), capacity_bytes=nullable(INT),
        rotation_rate=nullable(INT), smart_passed=nullable(BOOL),
        temperature_c=nullable(INT), power_on_hours=nullable(INT), verdict=_VERDICT,
        reasons=arr(obj(rule=STR, verdict=_VERDICT, attribute=STR,
                        value=any_of(INT, STR, NULL), text=STR)),
        notes=arr(STR),
        counters=mapping(nullable(INT)),  # by attribute or log field name
        smartctl_exit=nullable(obj(status=INT, bits=arr(enum(*dict(EXIT_BITS))))),
        kernel_errors=nullable(obj(count=INT, examples=arr(STR))),
        raw_file=nullable(STR))),
)

__all__ = ["ATA_COUNTERS", "COLLECTOR", "EXIT_BITS", "NVME_CRITICAL_BITS", "VERDICT_RANK",
           "analyse", "decode_exit_status", "gather", "parse_device", "parse_scan"]


# --- live -------------------------------------------------------------------

def _file_name(target: dict[str, Any]) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", str(target["name"]).removeprefix("/dev/")).strip("-")
    if target.get("type") and "," in str(target["type"]):  # megaraid,0 behind one /dev/bus/0
        stem += "-" + re.sub(r"[^A-Za-z0-9]+", "-", str(target["type"])).strip("-")
    return f"smartctl-x-{stem or 'device'}.json"


def _unreadable(target: dict[str, Any], why: str) -> dict[str, Any]:
    doc = {"device": {"name": target["name"], "type": target.get("type"),
                      "protocol": target.get("protocol")}}
    report = parse_device(doc)
    report["reasons"] = [reason("no-data", "unknown", "smartctl", None, why)]
    return report


def _read_device(ctx: Context, smartctl: str, target: dict[str, Any],
                 timeout: float) -> dict[str, Any]:
    argv = [smartctl, "-x", "-j"]
    if target.get("type") and target.get("from_scan"):
        argv += ["-d", str(target["type"])]
    name = _file_name(target)
    got = ctx.run([*argv, str(target["name"])], timeout=timeout, save_as=name)
    if got.record.timed_out:
        got.record.stdout_file = ctx.save(name, got.stdout)
        return _unreadable(target, f"smartctl -x did not answer within {timeout:g}s and was "
                                   "stopped: the device or its USB bridge hangs — check "
                                   "the kernel log")
    try:
        docs = [d for d in load_documents(got.stdout) if not is_scan(d)]
    except ValueError as exc:
        err = got.stderr.decode("utf-8", errors="replace").strip()[:200]
        return _unreadable(target, f"smartctl -x printed no usable JSON (exit "
                                   f"{got.record.returncode}; {exc}){': ' + err if err else ''}")
    report = parse_device(docs[0]) if docs else _unreadable(target, "no device document")
    report["name"] = target["name"]  # what was asked, as the OS and the user name it
    report["raw_file"] = got.record.stdout_file
    if (target.get("hint") and report["verdict"] == "unknown"
            and "virtual" not in report["reasons"][0]["text"]):
        report["notes"].append(target["hint"])
    return report


def _kernel_errors(ctx: Context, devices: list[dict[str, Any]]) -> None:
    from toolkit import _platform

    commands = _platform.KERNEL_LOG_COMMANDS
    if not commands:
        return  # this platform has no kernel log we know how to read
    for argv in commands:
        got = ctx.run(argv, timeout=15.0, save_as="kernel-log.txt")
        if got.ok and got.stdout.strip():
            break
    else:
        return
    found = disk_errors_from_kernel_log(got.text)
    # libata names ports (ata3), not disks: the OS's disk list says which is which.
    lister = _platform.block_disks
    aliases = {str(d["name"]): d.get("aliases") or [] for d in (lister() if lister else [])}
    for dev in devices:
        name = str(dev.get("name") or "")
        keys = [name.removeprefix("/dev/"), *aliases.get(name, [])]
        lines = [line for key in keys for line in found.get(key, [])]
        if not lines:
            continue
        dev["kernel_errors"] = {"count": len(lines), "examples": lines[:3]}
        dev["reasons"].append(reason("kernel", "warning", "kernel log", len(lines),
                                      f"kernel log: {len(lines)} I/O errors or resets logged "
                                      f"for {dev['name']} since boot, e.g. {lines[-1]!r}"))
        if dev["verdict"] in ("ok", "unknown"):
            dev["verdict"] = "warning"


def _targets(scan: list[dict[str, Any]], extra: Iterable[dict[str, Any]],
             only: list[str]) -> list[dict[str, Any]]:
    targets = [{**s, "from_scan": True} for s in scan]
    known = {str(s["name"]) for s in scan}
    # smartctl names NVMe controllers /dev/nvme0; the OS lists namespaces nvme0n1.
    known |= {re.sub(r"^(/dev/nvme\d+)n\d+$", r"\1", n) for n in known}
    for disk in extra:
        short = re.sub(r"^(/dev/nvme\d+)n\d+$", r"\1", disk["name"])
        if disk["name"] not in known and short not in known:
            targets.append({"name": disk["name"], "type": None, "protocol": None,
                            "hint": disk.get("hint")})
    if only:
        targets = [t for t in targets if t["name"] in only]
    return targets


def from_smartctl(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a saved ``smartctl -j`` output (one device, a list, several documents)."""
    return analyse(saved.data, saved.path)


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    devices = params.get("devices")
    named = [text(d) for d in devices] if isinstance(devices, list) and known(devices) else []
    commands = [["smartctl", "--scan-open", "-j"],
                *(["smartctl", "-x", "-j", d] for d in named or ["DEVICE"])]
    notes = [] if named else ["'smartctl -x -j DEVICE' for each disk the scan finds and the OS "
                              "lists (with -d TYPE where the scan names one)"]
    if params.get("kernel_log") is not False:
        commands += [list(c) for c in _platform.KERNEL_LOG_COMMANDS or ()]
        notes.append("the kernel log: each command in turn until one answers")
    return Plan(commands=commands, notes=notes)


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    from toolkit import _platform

    smartctl = ctx.require("smartctl", "smartmontools")
    got = ctx.run([smartctl, "--scan-open", "-j"], save_as="smartctl-scan.json")
    if got.record.returncode in (126, 127):
        raise Skipped(f"smartctl could not be started: {got.record.error}")
    try:
        scan_docs = load_documents(got.stdout)
    except ValueError as exc:
        head = got.stdout[:60].decode("utf-8", errors="replace")
        raise Failed(f"'smartctl --scan-open -j' printed no usable JSON ({exc}; starts "
                     f"{head!r}) — smartmontools 7.0 or later is needed for -j; the output "
                     "is kept as smartctl-scan.json") from None
    scan = [s for d in scan_docs if is_scan(d) for s in parse_scan(d)]
    lister = _platform.block_disks
    targets = _targets(scan, lister() if lister else [], list(params.get("devices") or []))
    devices = [_read_device(ctx, smartctl, t, float(params["device_timeout"])) for t in targets]
    if params.get("kernel_log"):
        _kernel_errors(ctx, devices)
    denied = [d for d in devices if d["verdict"] == "unknown"
              and any(PERMISSION.search(r["text"]) for r in d["reasons"])]
    readable = [d for d in devices if d["verdict"] != "unknown"]
    if denied and not readable and not _platform.is_admin():
        raise Skipped("smartctl cannot open the disks without administrator rights "
                      "(permission denied): run it again as root / administrator, "
                      "e.g. sudo supportkit collect disk.health")
    return summarise(devices, "live")


COLLECTOR = Collector(
    name="disk.health",
    output=OUTPUT,
    summary="SMART health of every disk (ATA, NVMe, SCSI): a verdict and the reasons",
    gather=gather,
    needs=Needs(commands=("smartctl",), root=True,
                notes="smartmontools 7.0+; opening disks needs root or administrator"),
    params=(
        Param("source", "str", None, "analyse a saved 'smartctl -j' output (one device, a "
                                     "JSON list, or several documents) instead"),
        Param("devices", "list", None, "only these devices, e.g. /dev/sda,/dev/nvme0"),
        Param("device_timeout", "float", 30.0, "seconds one 'smartctl -x' may take", min=1),
        Param("kernel_log", "bool", True, "count I/O errors the kernel logged per disk"),
    ),
    sources=(Source("smartctl-json", from_smartctl, "a saved 'smartctl -j' output"),),
    plan=plan,
    doc=__doc__ or "",
)
