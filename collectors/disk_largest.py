"""disk.largest — which folders and files take the space under a path.

Walks ``path`` (default: the user's home folder; the disk-full playbook gives
the fullest filesystem's mount point) on that one filesystem only — other
mounts below it are listed, not entered — and stops after ``max_seconds`` or
``max_entries``, whichever comes first, reporting what it saw so far
(``complete: false`` and why). Sizes are the space allocated on disk, as
``du`` counts it (the file size where the OS does not say). Symbolic links
are not followed.

Output::

    {
      "path": "/home/alice", "complete": true, "stopped": null | "time" | "entries",
      "scanned_files": 48211, "scanned_dirs": 5120, "total_bytes": 21474836480,
      "unreadable": 3,                      # folders that could not be listed
      "other_filesystems": ["/home/alice/mnt/usb"],
      "largest_dirs": [{"path": "/home/alice/.cache", "bytes": 8589934592,
                        "percent": 40.0}],   # up to ``depth`` levels below path
      "largest_files": [{"path": "/home/alice/vm.qcow2", "bytes": 4294967296,
                         "modified": "2026-11-20T08:12:03+00:00"}]
    }
"""

from __future__ import annotations

import heapq
import os
import stat
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, text
from toolkit.schema import BOOL, INT, NUM, STR, arr, enum, nullable, obj

OUTPUT = obj(
    path=STR, complete=BOOL, stopped=nullable(enum("time", "entries")),
    scanned_files=INT, scanned_dirs=INT, total_bytes=INT, unreadable=INT,
    other_filesystems=arr(STR),
    largest_dirs=arr(obj(path=STR, bytes=INT, percent=NUM)),
    largest_files=arr(obj(path=STR, bytes=INT, modified=STR)),
)


def rollup(dir_bytes: dict[str, int], root: str, depth: int) -> dict[str, int]:
    """Pure: bytes held directly in each folder → bytes under each folder at most
    ``depth`` levels below ``root`` (deeper folders count towards their ancestor)."""
    out: dict[str, int] = {}
    root = root.rstrip(os.sep) or os.sep
    for folder, size in dir_bytes.items():
        rel = os.path.relpath(folder, root)
        parts = [] if rel == os.curdir else rel.split(os.sep)
        for level in range(1, min(depth, len(parts)) + 1):
            key = os.path.join(root, *parts[:level])
            out[key] = out.get(key, 0) + size
    return out


def top_n(sizes: Iterable[tuple[str, int]], n: int) -> list[tuple[str, int]]:
    # On a tie the shallower folder comes first: it is the one to open.
    return heapq.nlargest(n, sizes, key=lambda kv: (kv[1], -kv[0].count(os.sep)))


def _allocated(st: os.stat_result) -> int:
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size


def walk(root: str, *, max_entries: int, max_seconds: float, top: int) -> dict[str, Any]:
    """Walk one filesystem under ``root``; bounded in entries and time."""
    start = time.monotonic()
    device = os.lstat(root).st_dev
    dir_bytes: dict[str, int] = {}
    files: list[tuple[int, str, float]] = []  # a min-heap of the largest files
    stack = [root]
    counts = {"files": 0, "dirs": 0, "unreadable": 0}
    others: list[str] = []
    stopped = None
    while stack:
        folder = stack.pop()
        counts["dirs"] += 1
        here = 0
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if counts["files"] + counts["dirs"] >= max_entries:
                        stopped = "entries"
                        break
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        if st.st_dev != device:
                            others.append(entry.path)
                        else:
                            stack.append(entry.path)
                        continue
                    counts["files"] += 1
                    size = _allocated(st)
                    here += size
                    item = (size, entry.path, st.st_mtime)
                    if len(files) < top:
                        heapq.heappush(files, item)
                    elif size > files[0][0]:
                        heapq.heapreplace(files, item)
        except OSError:
            counts["unreadable"] += 1
        dir_bytes[folder] = dir_bytes.get(folder, 0) + here
        if stopped is None and time.monotonic() - start > max_seconds:
            stopped = "time"
        if stopped:
            break
    return {"dir_bytes": dir_bytes, "files": sorted(files, reverse=True), "counts": counts,
            "others": sorted(others), "stopped": stopped}


def summarise(root: str, walked: dict[str, Any], depth: int, top: int) -> dict[str, Any]:
    total = sum(walked["dir_bytes"].values())
    dirs = top_n(rollup(walked["dir_bytes"], root, depth).items(), top)
    return {
        "path": root, "complete": walked["stopped"] is None, "stopped": walked["stopped"],
        "scanned_files": walked["counts"]["files"], "scanned_dirs": walked["counts"]["dirs"],
        "total_bytes": total, "unreadable": walked["counts"]["unreadable"],
        "other_filesystems": walked["others"][:50],
        "largest_dirs": [{"path": p, "bytes": b,
                          "percent": round(100.0 * b / total, 1) if total else 0.0}
                         for p, b in dirs],
        "largest_files": [{"path": p, "bytes": b, "modified": datetime.fromtimestamp(
            m, timezone.utc).isoformat(timespec="seconds")} for b, p, m in walked["files"]],
    }


def plan(params: dict[str, Any]) -> Plan:
    return Plan(files=[text(params.get("path"), "~")],
                notes=["walks the folders below it on that one filesystem, at most "
                       f"{text(params.get('max_seconds'))} s and "
                       f"{text(params.get('max_entries'))} entries; reads no file's content"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    root = os.path.abspath(os.path.expanduser(str(params.get("path") or "~")))
    if not os.path.isdir(root):
        raise Failed(f"{root} is not a folder — give an existing folder as path=")
    # Leave time to write the result: the runner stops the step at its deadline.
    budget = min(float(params["max_seconds"]), max(1.0, ctx.remaining() - 3))
    walked = walk(root, max_entries=int(params["max_entries"]), max_seconds=budget,
                  top=int(params["top"]))
    return summarise(root, walked, int(params["depth"]), int(params["top"]))


COLLECTOR = Collector(
    name="disk.largest",
    output=OUTPUT,
    summary="The largest folders and files under a path (one filesystem, bounded in time)",
    gather=gather,
    params=(
        Param("path", "str", "~", "the folder to measure, e.g. / or C:\\"),
        Param("top", "int", 10, "how many folders and files to list", min=1),
        Param("depth", "int", 2, "folder levels below path to report", min=0),
        Param("max_seconds", "float", 20.0, "stop walking after this many seconds", min=0.1),
        Param("max_entries", "int", 300000, "stop walking after this many files and folders",
              min=1),
    ),
    plan=plan,
    doc=__doc__ or "",
)
