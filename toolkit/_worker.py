"""Worker process: runs one collector's ``gather`` and writes its response file.

Started by ``toolkit.isolation`` as ``python -m toolkit._worker`` with a JSON
request on stdin. Never prints; the parent reads the response file.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def _respond(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)


def main() -> int:
    request = json.loads(sys.stdin.read())
    from toolkit.collector import Context, Failed, Skipped

    response = Path(request["response"])
    ctx = Context(workdir=Path(request["workdir"]),
                  deadline=time.monotonic() + float(request["timeout"]))
    payload: dict[str, Any]
    try:
        module_name, _, qualname = request["target"].partition(":")
        func: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            func = getattr(func, part)
        result = func(ctx, request["params"])
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
    except Exception as exc:
        payload = {"outcome": "failed", "result": {}, "traceback": traceback.format_exc(),
                   "reason": f"collector crashed: {type(exc).__name__}: {exc} "
                             "(traceback under errors/ in the bundle)"}
    payload["commands"] = [c.as_dict() for c in ctx.commands]
    _respond(response, payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
