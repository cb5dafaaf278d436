"""disk.usage — space and inodes of every mounted filesystem.

Live, from psutil (``disk_partitions`` + ``disk_usage``) and ``statvfs`` for
inodes where the OS has them; or, with ``source=FILE``, from a saved ``df``,
``df -h`` or macOS ``df`` output (the inode columns are read when present).

Output::

    {
      "source": "live" | "<path of the saved output>",
      "filesystems": [
        {"device": "/dev/sda2", "mountpoint": "/", "fstype": "ext4" | null,
         "total_bytes": 21474836480, "used_bytes": 5905580032,
         "free_bytes": 15032385536, "percent": 30.0,
         "inodes_total": 1310720 | null, "inodes_used": 201312 | null,
         "inodes_free": 1109408 | null, "inodes_percent": 15.4 | null,
         "approximate": false,        # true when read from df -h's rounded sizes
         "read_only": false | null,   # mounted read-only ("ro"); null from a saved df
         "pseudo": false}             # devfs, autofs maps…: always "full", never a finding
      ],
      "fullest": {"mountpoint": "/", "percent": 30.0} | null
    }

``percent`` is used / (used + free), as df computes ``Use%``: the space
reserved for root is not counted as free. ``read_only`` comes from the mount
options: a filesystem the kernel remounted read-only after an error (ext4's
``errors=remount-ro``) shows here while df still shows it as it was.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.collector import Collector, Context, Param
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, NUM, STR, arr, nullable, obj
from toolkit.sources import SavedOutput, Source

OUTPUT = obj(
    source=STR,
    filesystems=arr(obj(
        device=STR, mountpoint=STR, fstype=nullable(STR), total_bytes=INT, used_bytes=INT,
        free_bytes=INT, percent=NUM, inodes_total=nullable(INT), inodes_used=nullable(INT),
        inodes_free=nullable(INT), inodes_percent=nullable(NUM), approximate=BOOL,
        pseudo=BOOL, read_only=nullable(BOOL))),
    fullest=nullable(obj(mountpoint=STR, percent=NUM)),
)

# Rows df shows that hold no data: macOS devfs is always 100 % "used", autofs maps 0 bytes,
# and snap packages are read-only squashfs images on loop devices, always 100 % "full".
_PSEUDO_DEVICES = re.compile(r"^(devfs|map .*|proc|sysfs|none)$")


def _pseudo(device: str, mountpoint: str, total: int, free: int) -> bool:
    if total == 0 or _PSEUDO_DEVICES.match(device) or mountpoint.startswith("/snap/"):
        return True
    return bool(re.match(r"^/dev/loop\d+$", device)) and free == 0
_HUMAN = re.compile(r"^(\d+(?:\.\d+)?)([KMGTPE]?)(i?)B?$", re.IGNORECASE)
_UNITS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def _size(token: str, block: int) -> tuple[int, bool] | None:
    """A df size token in bytes, and whether it was rounded (``-h``)."""
    if token.isdigit():
        return int(token) * block, False
    m = _HUMAN.match(token)
    if not m:
        return None
    number, unit, _ = m.groups()
    return int(float(number) * 1024 ** _UNITS[unit.upper()]), True


def _block_size(header: str) -> int:
    m = re.search(r"(\d+)([KMG]?)-blocks", header)
    if not m:
        return 1  # "Size" columns carry their own unit
    return int(m.group(1)) * 1024 ** _UNITS[m.group(2).upper()]


def parse_df(text: str) -> list[dict[str, Any]]:
    """Parse ``df``/``df -k``/``df -h`` (Linux) or macOS ``df`` output.

    Device names and mount points may contain spaces ("map auto_home"), so a
    row is anchored on its run of three sizes followed by a percentage.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].lower().startswith("filesystem"):
        raise ValueError("not df output: the first line is not df's 'Filesystem …' header")
    header = lines[0]
    block = _block_size(header)
    has_inodes = "iused" in header
    rows = []
    for line in lines[1:]:
        tokens = line.split()
        for i in range(1, len(tokens) - 3):
            sizes = [_size(t, block) for t in tokens[i:i + 3]]
            if all(sizes) and tokens[i + 3].endswith("%"):
                break
        else:
            continue  # a wrapped or foreign line; df -P never wraps
        total, used, free = (s[0] for s in sizes if s)
        rest = tokens[i + 4:]
        inodes: dict[str, Any] = dict.fromkeys(
            ("inodes_total", "inodes_used", "inodes_free", "inodes_percent"))
        if has_inodes and len(rest) >= 4 and rest[0].isdigit() and rest[1].isdigit():
            iused, ifree = int(rest[0]), int(rest[1])
            inodes = {"inodes_total": iused + ifree, "inodes_used": iused,
                      "inodes_free": ifree, "inodes_percent": float(rest[2].rstrip("%"))}
            rest = rest[3:]
        rows.append({
            "device": " ".join(tokens[:i]),
            "mountpoint": " ".join(rest),
            "fstype": None,
            "total_bytes": total,
            "used_bytes": used,
            "free_bytes": free,
            "percent": float(tokens[i + 3].rstrip("%")),
            **inodes,
            "approximate": any(s[1] for s in sizes if s),
            "pseudo": _pseudo(" ".join(tokens[:i]), " ".join(rest), total, free),
        })
    return rows


def summarise(filesystems: list[dict[str, Any]], source: str) -> dict[str, Any]:
    for f in filesystems:
        f.setdefault("read_only", None)
    real = [f for f in filesystems if not f["pseudo"]]
    fullest = max(real, key=lambda f: f["percent"], default=None)
    return {
        "source": source,
        "filesystems": filesystems,
        "fullest": {"mountpoint": fullest["mountpoint"], "percent": fullest["percent"]}
        if fullest else None,
    }


def _live() -> list[dict[str, Any]]:
    import psutil

    from toolkit import _platform

    rows = []
    seen: set[str] = set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _platform.PSEUDO_FSTYPES or part.mountpoint in seen:
            continue
        seen.add(part.mountpoint)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:  # a removable drive without media, a dead network share
            continue
        inodes = _platform.inode_usage(part.mountpoint) or dict.fromkeys(
            ("inodes_total", "inodes_used", "inodes_free", "inodes_percent"))
        rows.append({
            "device": part.device,
            "mountpoint": part.mountpoint,
            "fstype": part.fstype or None,
            "total_bytes": usage.total,
            "used_bytes": usage.used,
            "free_bytes": usage.free,
            "percent": round(100.0 * usage.used / (usage.used + usage.free), 1)
            if usage.used + usage.free else 0.0,
            **inodes,
            "approximate": False,
            "pseudo": usage.total == 0,
            "read_only": "ro" in (part.opts or "").split(","),
        })
    return rows


def from_df(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a saved ``df``/``df -h``/macOS ``df`` output → the result."""
    return summarise(parse_df(saved.text), saved.path)


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["psutil: the mounted filesystems, and space and inodes (statvfs) of "
                       "each; no command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return summarise(_live(), "live")


COLLECTOR = Collector(
    name="disk.usage",
    output=OUTPUT,
    summary="Space and inodes used on every mounted filesystem",
    gather=gather,
    params=(Param("source", "str", None, "analyse a saved df / df -h output instead"),),
    sources=(Source("df", from_df, "a saved df, df -h or macOS df output"),),
    plan=plan,
    doc=__doc__ or "",
)
