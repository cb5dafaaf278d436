"""The inbox as an ASGI application (Starlette), served by uvicorn (``serve.run``).

One upload is one ``PUT /v1/tickets/{ticket}/bundle`` whose body is the file. The
token is checked and claimed *before* a byte of the body is read; the body is streamed
to a private file in 1 chunk at a time (uvicorn stops reading the socket while a chunk
waits, so memory stays flat whatever the size), counted against the link's cap and the
server's, and only when it is complete is it opened, verified and attached, in a
worker thread (``inbox.receive``). Every refusal is JSON ``{"error", "fix"}`` with the
status the OpenAPI document lists; no header is ever logged (the token is one).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from typing import Any
from urllib.parse import unquote

from anyio import to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from toolkit import __version__
from toolkit.serve import openapi
from toolkit.serve.client import TOKEN_RE
from toolkit.serve.inbox import InboxConfig, Refused, new_upload_dir, receive
from toolkit.serve.tokens import Grant, TokenRefused

_TICKET = re.compile(openapi.TICKET_PATTERN)
_MB = 1_000_000


def _error(status: int, what: str, fix: str, problems: list[str] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": what, "fix": fix}
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status, headers=headers)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and TOKEN_RE.match(value) else None


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def create_app(cfg: InboxConfig) -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def spec(request: Request) -> Response:
        return JSONResponse(openapi.spec())

    async def upload(request: Request) -> Response:
        ticket = request.path_params["ticket"]
        if not _TICKET.match(ticket):
            return _error(400, "that is not a ticket id", "use the link as it was given")
        token = _bearer(request)
        if token is None:
            return _error(401, "no upload token", "send the part after '#' of the upload "
                          "link as 'Authorization: Bearer TOKEN'",
                          headers={"WWW-Authenticate": "Bearer"})
        name = unquote(request.headers.get("x-bundle-name", ""))
        if len(name) > 255:
            return _error(400, "X-Bundle-Name is longer than 255 characters",
                          "send the bundle's file name")
        try:
            grant = await to_thread.run_sync(cfg.tokens.claim, token, ticket, cfg.clock())
        except TokenRefused as exc:
            return _error(exc.status, exc.what, exc.fix,
                          headers={"WWW-Authenticate": "Bearer"} if exc.status == 401 else None)
        try:
            return await _take(request, grant, name)
        except BaseException:
            await to_thread.run_sync(cfg.tokens.release, grant)
            raise

    async def _take(request: Request, grant: Grant, name: str) -> Response:
        cap = min(grant.max_size, cfg.max_size)
        declared = request.headers.get("content-length")
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        refusal: Response | None = None
        if declared is not None and not declared.isdigit():
            refusal = _error(400, "Content-Length is not a number", "send the file as it is")
        elif declared is not None and int(declared) > cap:
            refusal = _error(413, f"the bundle is {int(declared) / _MB:.1f} MB; this link "
                             f"takes up to {cap / _MB:.0f} MB", "ask support for a link "
                             "that takes more (ticket upload-link --max-size)")
        elif declared is None and not chunked:
            refusal = _error(411, "no Content-Length", "send the file with its length")
        elif declared == "0":
            refusal = _error(400, "the upload is empty", "send the bundle file")
        if refusal is not None:
            await to_thread.run_sync(cfg.tokens.release, grant)
            return refusal
        folder = await to_thread.run_sync(new_upload_dir, cfg)
        try:
            body, size = folder / "body.partial", 0
            fd = os.open(body, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > cap:
                        await to_thread.run_sync(cfg.tokens.release, grant)
                        return _error(413, f"the bundle is more than the {cap / _MB:.0f} MB "
                                      "this link takes", "ask support for a link that takes "
                                      "more (ticket upload-link --max-size)")
                    fh.write(chunk)
            if size == 0:
                await to_thread.run_sync(cfg.tokens.release, grant)
                return _error(400, "the upload is empty", "send the bundle file")
            remote = request.client.host if request.client else None
            try:
                answer = await to_thread.run_sync(receive, cfg, grant, body, name, remote)
            except Refused as exc:
                await to_thread.run_sync(cfg.tokens.release, grant)
                _log(f"{grant.ticket}: refused an upload of {size / _MB:.1f} MB from "
                     f"{remote}: {exc.what}")
                return _error(exc.status, exc.what, exc.fix, exc.problems)
            sig = answer.get("signature") or {}
            _log(f"{answer['ticket']}: attached {answer['attachment']['name']} "
                 f"({size / _MB:.1f} MB{', sealed' if answer['sealed'] else ''}, "
                 f"signature {sig.get('status')}"
                 f"{' by ' + sig['signer'] if sig.get('signer') else ''}) from {remote}")
            return JSONResponse(answer, status_code=201)
        except ClientDisconnect:
            await to_thread.run_sync(cfg.tokens.release, grant)
            return Response(status_code=400)
        finally:
            await to_thread.run_sync(shutil.rmtree, folder, True)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        fix = {404: "see /openapi.json for the paths", 405: "see /openapi.json for the methods"}
        return _error(exc.status_code, str(exc.detail), fix.get(exc.status_code, "see "
                      "/openapi.json"), headers=dict(exc.headers or {}))

    async def internal(request: Request, exc: Exception) -> Response:
        _log(f"internal error: {type(exc).__name__}: {exc}")
        return _error(500, "internal error", "tell the inbox's operator")

    routes = [Route("/v1/health", health, methods=["GET"]),
              Route("/openapi.json", spec, methods=["GET"]),
              Route("/v1/tickets/{ticket}/bundle", upload, methods=["PUT"])]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error,
                                                        Exception: internal})
