"""Pure parsing of smartctl JSON for ``disk.health``: verdicts, reasons, exit bits.

The rules and their sources are documented in ``collectors/disk_health.py``
(the collector's docstring, which users see); the thresholds live here.
"""

from __future__ import annotations

import json
import re
from typing import Any

VERDICT_RANK = {"ok": 0, "unknown": 1, "warning": 2, "failing": 3}

# smartctl's exit status is a bit mask (man smartctl, RETURN VALUES).
EXIT_BITS = (
    ("command_line", "the command line did not parse"),
    ("open_failed", "the device could not be opened or did not identify itself"),
    ("command_failed", "some SMART or other command to the disk failed, or a SMART "
                       "data checksum was wrong: the output may be incomplete"),
    ("disk_failing", "SMART status says DISK FAILING"),
    ("prefail_below_threshold", "a pre-failure attribute is at or below its threshold"),
    ("past_below_threshold", "attributes were at or below their threshold in the past"),
    ("error_log", "the device error log holds errors"),
    ("self_test_log", "the self-test log holds errors"),
)

# ATA attribute id -> (rule verdict, what a count above zero means).
ATA_COUNTERS: dict[int, tuple[str, str]] = {
    5: ("warning", "sectors already moved to the spare area"),
    10: ("warning", "the motor needed retries to spin up"),
    184: ("warning", "data was corrupted between the host and the media inside the drive"),
    187: ("failing", "reads the drive could not correct: data was lost"),
    188: ("warning", "commands timed out (drive, cable or power trouble)"),
    196: ("warning", "remapping events"),
    197: ("failing", "sectors the drive cannot read now and waits to remap"),
    198: ("failing", "sectors found unreadable by the offline scan"),
    199: ("warning", "transfer CRC errors: usually the SATA cable or connector, not the disk"),
}

# NVMe critical_warning bits (NVMe base spec, SMART / Health log, byte 0).
NVME_CRITICAL_BITS = (
    (0, "failing", "available spare has fallen below its threshold"),
    (1, "warning", "temperature is above or below its threshold"),
    (2, "failing", "NVM subsystem reliability is degraded by media or internal errors"),
    (3, "failing", "the media has been placed in read-only mode"),
    (4, "failing", "the volatile memory backup device has failed"),
    (5, "failing", "the persistent memory region became read-only or unreliable"),
)
NVME_USED_WARNING = 80  # percentage_used; 100 means the rated endurance is used up
NVME_SPARE_MARGIN = 10  # warn this many points above available_spare_threshold

# ATA self-test status values whose high nibble says the test failed (ATA ACS
# self-test log): 3-8 are failures; 1, 2 aborted/interrupted; 15 in progress.
_SCSI_TEST_FAILED = range(3, 8)  # SPC self-test results 3-7: failed
_NVME_TEST_FAILED = (5, 6, 7)  # NVMe self-test result: fatal, failed segment(s)
PERMISSION = re.compile(r"permission denied|operation not permitted|access denied|"
                         r"error=5\b|requires? (root|admin)", re.IGNORECASE)


def reason(rule: str, verdict: str, attribute: str, value: Any, text: str) -> dict[str, Any]:
    return {"rule": rule, "verdict": verdict, "attribute": attribute, "value": value,
            "text": text}


def decode_exit_status(status: int | None) -> list[str]:
    """The names of the bits set in smartctl's exit status (man smartctl, RETURN VALUES)."""
    if not status:
        return []
    return [name for bit, (name, _) in enumerate(EXIT_BITS) if status & (1 << bit)]


def raw_count(attr: dict[str, Any]) -> int | None:
    """An ATA attribute's raw counter: the leading number smartctl prints.

    ``raw.value`` is the whole 48-bit field, where some vendors pack several
    values (Seagate 196 reads ``2111 (12437 0)``); smartctl's drive database
    knows the layout and prints the counter first.
    """
    raw = attr.get("raw") or {}
    text = str(raw.get("string", "")).strip()
    m = re.match(r"\d+", text)
    if m:
        return int(m.group(0))
    value = raw.get("value")
    return value if isinstance(value, int) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ata_reasons(doc: dict[str, Any], counters: dict[str, Any]) -> list[dict[str, Any]]:
    reasons = []
    for attr in (doc.get("ata_smart_attributes") or {}).get("table") or []:
        aid, name = attr.get("id"), attr.get("name", "?")
        label = f"{aid} {name}"
        raw = raw_count(attr)
        when = attr.get("when_failed") or ""
        if aid in ATA_COUNTERS:
            counters[name] = raw
        if when == "now":
            reasons.append(reason("ata-now", "failing", label, raw,
                                   f"{label}: normalised value {attr.get('value')} is at or "
                                   f"below the vendor threshold {attr.get('thresh')} "
                                   f"(raw {raw}): the drive rates itself as failing"))
            continue
        if aid in ATA_COUNTERS and raw:
            verdict, meaning = ATA_COUNTERS[aid]
            reasons.append(reason(f"ata-{aid}", verdict, label, raw,
                                   f"{label} = {raw}: {meaning}"))
        if when == "past":
            reasons.append(reason("ata-past", "warning", label, raw,
                                   f"{label}: was at or below the vendor threshold "
                                   f"{attr.get('thresh')} in the past (worst "
                                   f"{attr.get('worst')}, raw {raw})"))
    errors = _int(((doc.get("ata_smart_error_log") or {}).get("extended") or {}).get("count"))
    if errors is None:
        errors = _int(((doc.get("ata_smart_error_log") or {}).get("summary") or {}).get("count"))
    if errors:
        reasons.append(reason("error-log", "warning", "ATA error log", errors,
                               f"ATA error log: the drive logged {errors} errors"))
    return reasons


def _ata_self_test(doc: dict[str, Any]) -> list[dict[str, Any]]:
    log = doc.get("ata_smart_self_test_log") or {}
    table = (log.get("extended") or {}).get("table") or (log.get("standard") or {}).get(
        "table") or []
    # Newest first, as smartctl lists them. A failure counts until a later
    # *extended* test passes; smartctl's own exit bit 7 uses the same rule.
    for entry in table:
        status = entry.get("status") or {}
        kind = str((entry.get("type") or {}).get("string", ""))
        if status.get("passed") is True and "xtended" in kind:
            return []
        if status.get("passed") is False:
            lba = f", first bad LBA {entry['lba']}" if "lba" in entry else ""
            text = (f"self-test log: {kind} test {status.get('string', 'failed')} at "
                    f"{entry.get('lifetime_hours')} h{lba}")
            return [reason("self-test", "failing", "self-test log", status.get("string"),
                            text)]
    return []


def _nvme_reasons(doc: dict[str, Any], counters: dict[str, Any]) -> list[dict[str, Any]]:
    log = doc.get("nvme_smart_health_information_log")
    if not isinstance(log, dict):
        return []
    reasons = []
    cw = _int(log.get("critical_warning")) or 0
    for bit, verdict, meaning in NVME_CRITICAL_BITS:
        if cw & (1 << bit):
            rule = "nvme-temp" if bit == 1 else "nvme-cw"
            reasons.append(reason(rule, verdict, "critical_warning", cw,
                                   f"critical_warning = 0x{cw:02x} (bit {bit}): {meaning}"))
    spare, threshold = _int(log.get("available_spare")), _int(log.get("available_spare_threshold"))
    used, media = _int(log.get("percentage_used")), _int(log.get("media_errors"))
    counters.update({k: log.get(k) for k in ("critical_warning", "available_spare",
                                             "available_spare_threshold", "percentage_used",
                                             "media_errors", "num_err_log_entries")
                     if k in log})
    if spare is not None and threshold is not None:
        if spare < threshold:
            reasons.append(reason("nvme-spare", "failing", "available_spare", spare,
                                   f"available_spare = {spare}% is below the threshold "
                                   f"{threshold}%: the drive is out of spare blocks"))
        elif spare <= threshold + NVME_SPARE_MARGIN and spare < 100:
            reasons.append(reason("nvme-spare", "warning", "available_spare", spare,
                                   f"available_spare = {spare}% is close to the threshold "
                                   f"{threshold}%"))
    if used is not None and used >= 100:
        reasons.append(reason("nvme-used", "failing", "percentage_used", used,
                               f"percentage_used = {used}%: the rated write endurance is "
                               "used up"))
    elif used is not None and used >= NVME_USED_WARNING:
        reasons.append(reason("nvme-used", "warning", "percentage_used", used,
                               f"percentage_used = {used}% of the rated write endurance"))
    if media:
        reasons.append(reason("nvme-media", "failing", "media_errors", media,
                               f"media_errors = {media}: unrecovered data integrity errors"))
    for entry in (doc.get("nvme_self_test_log") or {}).get("table") or []:
        result = entry.get("self_test_result") or {}
        if result.get("value") == 0:
            break  # newest test passed; older failures are history
        if result.get("value") in _NVME_TEST_FAILED:
            reasons.append(reason("self-test", "failing", "self-test log", result.get("string"),
                                   f"self-test log: {result.get('string')} at "
                                   f"{entry.get('power_on_hours')} h"))
            break
    return reasons


def _scsi_reasons(doc: dict[str, Any], counters: dict[str, Any]) -> list[dict[str, Any]]:
    reasons = []
    gdl = _int(doc.get("scsi_grown_defect_list"))
    if gdl is not None:
        counters["grown_defects"] = gdl
    if gdl:
        reasons.append(reason("scsi-gdl", "warning", "scsi_grown_defect_list", gdl,
                               f"scsi_grown_defect_list = {gdl}: blocks remapped since "
                               "manufacture"))
    for op, entry in (doc.get("scsi_error_counter_log") or {}).items():
        unc = _int((entry or {}).get("total_uncorrected_errors"))
        if unc is not None:
            counters[f"{op}_uncorrected"] = unc
        if unc:
            reasons.append(reason("scsi-unc", "failing", f"{op} total_uncorrected_errors", unc,
                                   f"{op} total_uncorrected_errors = {unc}: data the drive "
                                   "could not recover"))
    tests = sorted((k for k in doc if re.fullmatch(r"scsi_self_test_\d+", k)),
                   key=lambda k: int(k.rsplit("_", 1)[1]))
    for key in tests:  # entry 0 is the newest
        result = (doc[key] or {}).get("result") or {}
        if result.get("value") == 0:
            break
        if result.get("value") in _SCSI_TEST_FAILED:
            reasons.append(reason("self-test", "failing", "self-test log", result.get("string"),
                                   f"self-test log: {result.get('string')}"))
            break
    return reasons


def _exit_reasons(bits: list[str], reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reasons from smartctl's exit bits whose JSON section was missing or did not show it."""
    have = {r["rule"] for r in reasons}
    fallback = {"disk_failing": ("smart", "failing"),
                "prefail_below_threshold": ("ata-now", "failing"),
                "past_below_threshold": ("ata-past", "warning"),
                "error_log": ("error-log", "warning"),
                "self_test_log": ("self-test", "failing")}
    text = dict(EXIT_BITS)
    out = []
    for name in bits:
        if name in fallback and fallback[name][0] not in have:
            rule, verdict = fallback[name]
            if rule == "smart" and have & {"nvme-cw", "nvme-temp", "nvme-spare"}:
                continue  # NVMe's FAILED status is its critical_warning, already explained
            out.append(reason(f"exit-{rule}", verdict, "smartctl exit status", name,
                               f"smartctl exit status ({name}): {text[name]}"))
    return out


def _messages(doc: dict[str, Any]) -> list[str]:
    msgs = (doc.get("smartctl") or {}).get("messages") or []
    return [str(m.get("string", "")).strip() for m in msgs if isinstance(m, dict)]


def _smart_support(doc: dict[str, Any]) -> tuple[bool | None, bool | None]:
    support = doc.get("smart_support")
    if isinstance(support, bool):  # smartctl 7.0-7.1 wrote a bare boolean
        return support, None
    if isinstance(support, dict):
        return support.get("available"), support.get("enabled")
    return None, None


def _capacity(doc: dict[str, Any]) -> int | None:
    cap = _int((doc.get("user_capacity") or {}).get("bytes"))
    return cap if cap is not None else _int(doc.get("nvme_total_capacity"))


def _why_no_data(doc: dict[str, Any], bits: list[str], messages: list[str]) -> str:
    errors = "; ".join(messages)
    available, enabled = _smart_support(doc)
    product = f"{doc.get('model_name', '')} {doc.get('product', '')}".lower()
    if "open_failed" in bits or "command_line" in bits:
        if PERMISSION.search(errors):
            return f"smartctl could not open the device ({errors}): run as root or administrator"
        if "unable to detect device type" in errors.lower():
            return (f"{errors}: smartctl does not know this kind of disk; virtual disks "
                    "(virtio, Hyper-V, VMware) have no SMART — check the host's disks")
        return f"smartctl could not read the device: {errors or 'open failed'}"
    if available is False:
        return "the device has no SMART support (virtual disk, memory card or bridge)"
    if enabled is False:
        return "SMART is disabled on the device: enable it with 'smartctl -s on DEVICE'"
    if "raid" in product:
        return ("this is a RAID volume: its member disks are behind the controller — read "
                "them with smartctl -d megaraid,N / -d cciss,N / -d csmi")
    if errors:
        return f"no SMART health data in the output: {errors}"
    return ("no SMART health data in this output (smartctl -i/--info only?) — save "
            "'smartctl -x -j DEVICE' instead")


def parse_device(doc: dict[str, Any]) -> dict[str, Any]:
    """One ``smartctl -j`` device document -> the device report with verdict and reasons."""
    device = doc.get("device") or {}
    status = _int((doc.get("smartctl") or {}).get("exit_status"))
    bits = decode_exit_status(status)
    messages = _messages(doc)
    passed = (doc.get("smart_status") or {}).get("passed")
    counters: dict[str, Any] = {}
    reasons: list[dict[str, Any]] = []
    notes: list[str] = []
    has_data = any(k in doc for k in ("smart_status", "ata_smart_attributes",
                                      "nvme_smart_health_information_log",
                                      "scsi_grown_defect_list", "scsi_error_counter_log"))
    reasons += _nvme_reasons(doc, counters)
    if passed is False and not any(r["rule"] in ("nvme-cw", "nvme-temp") for r in reasons):
        # (NVMe's FAILED is its critical_warning, already explained bit by bit)
        reasons.append(reason("smart", "failing", "SMART overall-health", "FAILED",
                               "SMART overall-health self-assessment: FAILED — the drive "
                               "predicts its own failure"))
    reasons += _ata_reasons(doc, counters) + _ata_self_test(doc) + _scsi_reasons(doc, counters)
    reasons += _exit_reasons(bits, reasons)
    if has_data:
        verdict = max((r["verdict"] for r in reasons), key=VERDICT_RANK.__getitem__,
                      default="ok")
        if "smart_status" not in doc:
            notes.append("the overall health check (smartctl -H) is not in this output")
        if device.get("protocol") == "ATA" and "ata_smart_attributes" not in doc:
            notes.append("only the overall health check is in this output; the attributes "
                         "were not read (save smartctl -x -j for the full picture)")
    else:
        verdict = max((r["verdict"] for r in reasons), key=VERDICT_RANK.__getitem__,
                      default="unknown")
        if verdict == "unknown":
            reasons.append(reason("no-data", "unknown", "SMART", None,
                                   _why_no_data(doc, bits, messages)))
    if "command_failed" in bits and has_data:
        notes.append("smartctl: " + dict(EXIT_BITS)["command_failed"])
    if has_data:
        notes += [m for m in messages if m]
    temperature = _int((doc.get("temperature") or {}).get("current"))
    argv = (doc.get("smartctl") or {}).get("argv") or [""]
    return {
        # an open failure leaves no device section; the command line still names it
        "name": device.get("name") or (argv[-1] if str(argv[-1]).startswith("/") else None),
        "type": device.get("type"),
        "protocol": device.get("protocol"),
        "model": doc.get("model_name") or doc.get("product"),
        "serial": doc.get("serial_number"),
        "firmware": doc.get("firmware_version") or doc.get("revision"),
        "capacity_bytes": _capacity(doc),
        "rotation_rate": _int(doc.get("rotation_rate")),
        "smart_passed": passed if isinstance(passed, bool) else None,
        # RAID volumes and some bridges report 0 for "no sensor".
        "temperature_c": temperature if temperature else None,
        "power_on_hours": _int((doc.get("power_on_time") or {}).get("hours")),
        "verdict": verdict,
        "reasons": reasons,
        "notes": notes,
        "counters": counters,
        "smartctl_exit": {"status": status, "bits": bits} if status is not None else None,
        "kernel_errors": None,
        "raw_file": None,
    }


def load_documents(data: bytes) -> list[dict[str, Any]]:
    """The JSON documents in a saved smartctl output: one, a list, or several in a row."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if not text:
        raise ValueError("the file is empty")
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    pos = 0
    while pos < len(text):
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if not docs and ("smartctl" in text[:400] and "===" in text):
                raise ValueError("this is smartctl's text output; save it with -j "
                                 "(smartctl -x -j DEVICE > file.json)") from None
            raise ValueError(f"not smartctl JSON: {exc.msg} at line {exc.lineno} column "
                             f"{exc.colno}") from None
        docs.extend(value if isinstance(value, list) else [value])
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
    if not all(isinstance(d, dict) for d in docs):
        raise ValueError("not smartctl JSON: expected objects with a 'device' section")
    return docs


def is_scan(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("devices"), list) and "device" not in doc


def parse_scan(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``smartctl --scan[-open] -j`` -> [{name, type, protocol, open_error}]."""
    return [{"name": d.get("name"), "type": d.get("type"), "protocol": d.get("protocol"),
             "open_error": d.get("open_error")}
            for d in doc.get("devices") or [] if isinstance(d, dict) and d.get("name")]


def summarise(devices: list[dict[str, Any]], source: str) -> dict[str, Any]:
    verdict = max((d["verdict"] for d in devices), key=VERDICT_RANK.__getitem__,
                  default="unknown")
    parts = []
    for v in ("failing", "warning", "unknown", "ok"):
        names = [str(d["name"]) for d in devices if d["verdict"] == v]
        if names:
            shown = f" ({', '.join(names)})" if v != "ok" else ""
            parts.append(f"{len(names)} {v}{shown}")
    return {"source": source, "verdict": verdict,
            "summary": "; ".join(parts) or "no disks found", "devices": devices}


def analyse(data: bytes, source: str) -> dict[str, Any]:
    """Parse a saved smartctl -j output into the collector's result (pure)."""
    docs = load_documents(data)
    devices = [parse_device(d) for d in docs if not is_scan(d)]
    if not devices:
        names = [f"{s['name']} ({s['type']})" for d in docs for s in parse_scan(d)]
        if names:
            raise ValueError(f"this is a smartctl --scan output: it lists {', '.join(names)} "
                             "but holds no health data — save 'smartctl -x -j DEVICE' for "
                             "each device and give that file")
        raise ValueError("no smartctl device document in the file")
    return summarise(devices, source)
