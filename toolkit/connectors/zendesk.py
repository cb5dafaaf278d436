"""Zendesk Support, through its Ticketing API v2 (contract-tested; see README).

Push:
1. ``GET /api/v2/users/me.json`` — wrong credentials fail before anything is made;
2. the linked ticket (``GET /api/v2/tickets/N.json``), else one whose
   ``external_id`` is our ticket id (a push that died after creating it:
   ``GET /api/v2/tickets.json?external_id=…``), else ``POST
   /api/v2/tickets.json`` with the description as its first, private comment;
3. each new bundle: ``POST /api/v2/uploads.json?filename=…``, the file streamed
   as the body, which returns a token (valid for an hour);
4. one ``PUT /api/v2/tickets/N.json``: changed fields, the status when ours
   changed since the last push, and a private comment — the escalation
   summary — carrying the upload tokens. Zendesk attaches files only to
   comments, so new bundles without a new summary get a short comment.

Authentication: an agent's e-mail (``user:``) and an API token, sent as
HTTP Basic ``EMAIL/token:TOKEN``; ``auth: bearer`` for an OAuth access token.
References: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
and …/tickets/ticket-attachments/
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from toolkit.connectors.base import (
    Case,
    Connector,
    ConnectorConfigError,
    ConnectorError,
    Events,
    FileToSend,
    Link,
    PushResult,
    RemoteStatus,
    Secret,
    Settings,
    digest,
    fill,
    human_size,
)
from toolkit.connectors.http import Client, FileBody, HttpError, error_text

API = "/api/v2"


class ZendeskConnector(Connector):
    def __init__(self, settings: Settings, secret: Secret, events: Events | None = None) -> None:
        super().__init__(settings, secret, events)
        mode = str(settings.extra.get("auth") or "token")
        if mode == "token":
            pair = f"{settings.user}/token:{secret.reveal()}".encode()
            auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        elif mode == "bearer":
            auth = {"Authorization": f"Bearer {secret.reveal()}"}
        else:
            raise ConnectorConfigError(f"connectors.{settings.name}.auth: '{mode}'",
                                       "use token (e-mail + API token) or bearer (OAuth)")
        self.http = Client("Zendesk", settings.url, auth, secrets=(secret.reveal(),
                                                                  auth["Authorization"]),
                           timeout_s=settings.timeout_s, retries=settings.retries,
                           progress=self.events.progress)
        self.public = bool(settings.extra.get("public_comments", False))

    def proxy(self) -> dict[str, Any] | None:
        return self.http.proxy.as_json()

    def _explain(self, exc: HttpError, what: str, size: int | None = None) -> ConnectorError:
        r = exc.response
        said = self.http.scrub(error_text(r))
        if r.status == 401:
            return ConnectorError(f"Zendesk refused the credentials from {self.secret.source} "
                                  "(HTTP 401)", "user is an agent's e-mail and the secret an API "
                                  "token (Admin Center › Apps and integrations › Zendesk API)")
        if r.status == 403:
            return ConnectorError(f"Zendesk does not let this agent {what} (HTTP 403)",
                                  "use an agent who may edit tickets; token access must be on")
        if r.status == 404:
            return ConnectorError(f"Zendesk has no {what} visible to this agent (HTTP 404)",
                                  f"check connectors.{self.settings.name}.url")
        if r.status == 413:
            return ConnectorError(
                f"Zendesk refused the {human_size(size or 0)} file as too large (HTTP 413)",
                "Zendesk takes files up to the account's attachment limit (50 MB at most) — "
                "trim the bundle (run with --only) or share it another way")
        if r.status == 422:
            return ConnectorError(f"Zendesk refused to {what}: {said}",
                                  f"check connectors.{self.settings.name} (priority, status, "
                                  "custom fields) against the account's ticket fields")
        return ConnectorError(f"Zendesk answered HTTP {r.status} to {exc.method} {exc.path}"
                              + (f": {said}" if said else ""), "try again later")

    def _call(self, method: str, path: str, what: str, **kw: Any) -> Any:
        try:
            return self.http.request(method, API + path, **kw).json()
        except HttpError as exc:
            raise self._explain(exc, what) from None

    def _ticket(self, remote_id: str) -> dict[str, Any]:
        try:
            doc = self.http.request("GET", f"{API}/tickets/{remote_id}.json").json()
        except HttpError as exc:
            if exc.status == 404:
                raise ConnectorError(f"Zendesk ticket #{remote_id}, linked to this ticket, no "
                                     "longer exists", "push with --new to create another") \
                    from None
            raise self._explain(exc, f"read ticket #{remote_id}") from None
        return dict(doc.get("ticket") or {})

    def _fields(self, case: Case) -> dict[str, Any]:
        s = self.settings
        out: dict[str, Any] = {"subject": case.subject(), "external_id": case.id}
        if s.priority_map.get(case.priority):
            out["priority"] = s.priority_map[case.priority]
        if s.custom_fields:
            out["custom_fields"] = [{"id": int(k) if k.isdigit() else k,
                                     "value": fill(v, case.fields)}
                                    for k, v in s.custom_fields.items()]
        return out

    def _remote_files(self, remote_id: str) -> set[tuple[Any, Any]]:
        doc = self._call("GET", f"/tickets/{remote_id}/comments.json", "read comments")
        return {(a.get("file_name"), a.get("size")) for c in doc.get("comments") or []
                for a in c.get("attachments") or []}

    def _upload(self, f: FileToSend) -> str:
        self.events.progress(f"Zendesk: uploading {f.name} ({human_size(f.size)})…")
        try:
            r = self.http.request("POST", f"{API}/uploads.json", query={"filename": f.name},
                                  body=FileBody(f.path, "application/zip"))
        except HttpError as exc:
            raise self._explain(exc, f"take {f.name}", size=f.size) from None
        token = (r.json().get("upload") or {}).get("token")
        if not token:
            raise ConnectorError("Zendesk accepted the upload but returned no token",
                                 "try again; if it persists, contact Zendesk support")
        return str(token)

    def push(self, case: Case, files: Sequence[FileToSend], link: Link) -> PushResult:
        s = self.settings
        self._call("GET", "/users/me.json", "read its own account")
        fields = self._fields(case)
        created = False
        ticket: dict[str, Any] | None = self._ticket(link.remote_id) if link.remote_id else None
        if ticket is None:
            found = self._call("GET", "/tickets.json", "search tickets",
                               query={"external_id": case.id}).get("tickets") or []
            # Our ids are unique per store only: the marker tells this case from a namesake.
            ticket = next((dict(t) for t in found
                           if case.marker in str(t.get("description") or "")), None)
            if ticket is None:
                doc = self._call("POST", "/tickets.json", "create tickets", creates=True,
                                 json_body={"ticket": {**fields, "tags": ["supportkit"],
                                                       "comment": {"body": case.description,
                                                                   "public": self.public}}})
                ticket, created = dict(doc.get("ticket") or {}), True
            self.events.created(str(ticket["id"]), self._url(str(ticket["id"])))
        remote_id = str(ticket["id"])
        named = set() if created else self._remote_files(remote_id)
        send = [f for f in files if f.sha256 not in link.uploaded and (f.name, f.size)
                not in named]
        already = [f for f in files if f not in send]
        tokens = [self._upload(f) for f in send]
        update: dict[str, Any] = {} if created else dict(fields)
        status_set = None
        wanted = s.status_map.get(case.status)
        if wanted and case.status != link.status_sent and ticket.get("status") != wanted:
            update["status"] = status_set = wanted
        noted = bool(case.summary) and digest(case.summary) != link.note_digest
        if noted or tokens:
            body = case.summary if noted else "Evidence bundles from supportkit:\n" + "\n".join(
                f"- {f.name} — sha256 {f.sha256}" for f in send)
            update["comment"] = {"body": body, "public": self.public, "uploads": tokens}
        if update:
            self._call("PUT", f"/tickets/{remote_id}.json", f"update ticket #{remote_id}",
                       json_body={"ticket": update})
        return PushResult(remote_id, self._url(remote_id), created, uploaded=send,
                          already=already, noted=noted, status=status_set)

    def _url(self, remote_id: str) -> str:
        return self.http.url(f"/agent/tickets/{remote_id}")

    def pull(self, remote_id: str) -> RemoteStatus:
        name = str(self._ticket(remote_id).get("status", ""))
        return RemoteStatus(remote_id, self._url(remote_id), name, self.map_from(name),
                            name in ("solved", "closed"))
