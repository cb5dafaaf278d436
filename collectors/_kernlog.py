"""Pure parser: the Linux kernel log lines that report disk I/O errors or resets.

A parser of a text format, not a platform fact: the kernel log comes from the
commands ``toolkit._platform.KERNEL_LOG_COMMANDS`` names, and this reads it (also a
saved copy, on any OS).
"""

from __future__ import annotations

# Lines the block layer, SCSI disk, libata and NVMe drivers log when a disk
# misbehaves; group 1 is the device (or ata port) named in the line.
_KERNEL_DISK_ERRORS = (
    r"\berror, dev (\w+), sector",                    # blk: I/O error / critical medium error
    r"Buffer I/O error on dev(?:ice)? (\w+)",
    r"\[(sd[a-z]+)\] .*(?:FAILED Result|Medium Error|Hardware Error|Unrecovered read error"
    r"|timing out command|Sense Key : (?:Medium|Hardware|Aborted))",
    r"\b(nvme\d+)(?:n\d+)?: .*(?:timeout|[Rr]eset|I/O error|controller is down"
    r"|Device not ready|failed)",
    r"\b(ata\d+)(?:\.\d+)?: (?:failed command|exception Emask|hard resetting link"
    r"|COMRESET failed|reset failed|limiting SATA link speed)",
)
_PARTITION = (r"^((?:sd|vd|xvd|hd)[a-z]+)\d+$|^(nvme\d+)n\d+(?:p\d+)?$"
              r"|^(mmcblk\d+)p\d+$")


def disk_errors_from_kernel_log(text: str) -> dict[str, list[str]]:
    """Kernel log lines reporting disk I/O errors or resets, by disk.

    Keys are disk names as smartctl uses them (``sda``, ``nvme0``) or libata
    ports (``ata3``) — ``block_disks`` says which port a disk hangs on.
    """
    import re

    patterns = [re.compile(p) for p in _KERNEL_DISK_ERRORS]
    partition = re.compile(_PARTITION)
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        for pattern in patterns:
            m = pattern.search(line)
            if m:
                name = m.group(1)
                whole = partition.match(name)
                key = next((g for g in whole.groups() if g), name) if whole else name
                found.setdefault(key, []).append(line.strip()[:240])
                break
    return found
