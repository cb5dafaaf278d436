"""Worker process: runs one collector step and writes its response file — ``gather``,
or, with ``source=FILE``, the collector's declared saved formats (``toolkit.sources``).

Started by ``toolkit.run.isolation`` (command line and environment from
``toolkit.run._spawn``: ``python -I``, an allow-listed environment, the step's folder
as working folder) with a JSON request on stdin. Never prints; the parent reads
the response file.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any


def _respond(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)


def _watch_parent(parent: int) -> None:
    """Where the kernel cannot kill us with our parent (not Linux), notice it and stop
    what we started: an orphaned worker must not go on collecting."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        _stop_children()
        os._exit(137)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _stop_children() -> None:
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            try:
                child.kill()
            except psutil.Error:
                pass
    except Exception:  # best effort on the way out
        pass


def main() -> int:
    from toolkit import _platform

    # First: no core file can hold what this process reads, and it ends with its parent.
    _platform.protect_process(locked=True)
    dies_with_parent = _platform.die_with_parent()
    request = json.loads(sys.stdin.read())
    parent = int(request.get("parent") or 0)
    if parent and os.getppid() != parent:
        return 137  # the parent died before we could tie ourselves to it
    if parent and not dies_with_parent:
        _watch_parent(parent)
    # Only the folders the parent imported this collector from (never '' or the cwd).
    for folder in reversed(request.get("path") or []):
        if os.path.isabs(folder) and folder not in sys.path:
            sys.path.insert(0, folder)
    from toolkit import sources
    from toolkit.collector import Context, Failed, Skipped

    response = Path(request["response"])
    ctx = Context(workdir=Path(request["workdir"]),
                  deadline=time.monotonic() + float(request["timeout"]))
    payload: dict[str, Any]
    try:
        gather = sources.load(request["target"])
        # source=FILE: read, detected and parsed here by the declared formats, not gather
        result = sources.collect(ctx, gather, sources.from_request(request.get("sources") or []),
                                 request["params"])
        if not isinstance(result, dict):
            raise TypeError(f"gather returned {type(result).__name__}, not a dict")
        json.dumps(result)  # must be plain JSON data
        payload = {"outcome": "ok", "reason": "", "result": result}
    except Skipped as exc:
        payload = {"outcome": "skipped", "reason": str(exc), "result": {}}
    except Failed as exc:
        payload = {"outcome": "failed", "reason": str(exc), "result": {}}
    except KeyboardInterrupt:
        return 130
    except (SystemExit, Exception) as exc:
        # A library that calls sys.exit() must not end the worker without a word either:
        # the step fails with where it was called.
        what = f"collector called sys.exit({exc.code!r})" if isinstance(exc, SystemExit) \
            else f"collector crashed: {type(exc).__name__}: {exc}"
        payload = {"outcome": "failed", "result": {}, "traceback": traceback.format_exc(),
                   "reason": f"{what} (traceback under errors/ in the bundle)"}
    finally:
        ctx.close()
    payload["commands"] = [c.as_dict() for c in ctx.commands]
    _respond(response, payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
