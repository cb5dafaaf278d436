"""Jira Cloud and Data Center, through REST API v2 (contract-tested; see README).

Push:
1. ``GET /rest/api/2/myself`` — wrong credentials fail before anything is made;
2. the linked issue (``GET /rest/api/2/issue/KEY?fields=status,attachment``),
   else ``POST /rest/api/2/issue`` (project key, summary, description, issue
   type, priority, custom fields ``customfield_NNNNN``), recorded at once;
   an existing issue gets its fields with ``PUT /rest/api/2/issue/KEY``;
3. each new bundle: ``POST /rest/api/2/issue/KEY/attachments``, multipart
   form field ``file``, streamed, with ``X-Atlassian-Token: no-check``
   (without it Jira refuses the request as a possible cross-site forgery);
4. the escalation summary: ``POST /rest/api/2/issue/KEY/comment``;
5. the status, when ours changed since the last push: Jira moves issues only
   through workflow transitions, so ``GET …/transitions`` and ``POST`` the one
   that leads to the mapped status; none available → a warning, not an error.

Authentication: Jira Cloud takes the account's e-mail (``user:``) and an API
token as HTTP Basic; Data Center takes a personal access token as Bearer
(no ``user:``). ``auth: basic|bearer`` overrides the choice.
References: https://developer.atlassian.com/cloud/jira/platform/rest/v2/ and
https://docs.atlassian.com/software/jira/docs/api/REST/latest/
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
from toolkit.connectors.http import Client, HttpError, MultipartBody, error_text

API = "/rest/api/2"


class JiraConnector(Connector):
    def __init__(self, settings: Settings, secret: Secret, events: Events | None = None) -> None:
        super().__init__(settings, secret, events)
        mode = str(settings.extra.get("auth") or ("basic" if settings.user else "bearer"))
        if mode == "basic":
            if not settings.user:
                raise ConnectorConfigError(f"connectors.{settings.name}.user is missing",
                                           "Jira Cloud needs the account's e-mail as user")
            pair = f"{settings.user}:{secret.reveal()}".encode()
            auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        elif mode == "bearer":
            auth = {"Authorization": f"Bearer {secret.reveal()}"}
        else:
            raise ConnectorConfigError(f"connectors.{settings.name}.auth: '{mode}'",
                                       "use basic (Cloud: e-mail + API token) or bearer "
                                       "(Data Center: personal access token)")
        self.http = Client("Jira", settings.url, auth, secrets=(secret.reveal(),
                                                               auth["Authorization"]),
                           timeout_s=settings.timeout_s, retries=settings.retries,
                           progress=self.events.progress)

    def proxy(self) -> dict[str, Any] | None:
        return self.http.proxy.as_json()

    def _explain(self, exc: HttpError, what: str, size: int | None = None) -> ConnectorError:
        r = exc.response
        said = self.http.scrub(error_text(r))
        if r.status == 401:
            return ConnectorError(f"Jira refused the credentials from {self.secret.source} "
                                  "(HTTP 401)", "Cloud: user is the account's e-mail and the "
                                  "secret an API token; Data Center: a personal access token")
        if r.status == 403:
            return ConnectorError(f"Jira does not let this account {what} (HTTP 403"
                                  + (f": {said}" if said else "") + ")",
                                  f"give it Create issues, Create attachments and Add comments "
                                  f"in project {self.settings.project}")
        if r.status == 404:
            return ConnectorError(f"Jira has no {what} visible to this account (HTTP 404)",
                                  f"check connectors.{self.settings.name} in config.yaml")
        if r.status == 413:
            return ConnectorError(
                f"Jira refused the {human_size(size or 0)} file as too large (HTTP 413)",
                "Data Center: raise the attachment size in Administration › System › "
                "Attachments; Cloud's limit is fixed — split or trim the bundle")
        if r.status == 400:
            return ConnectorError(f"Jira refused to {what}: {said}",
                                  f"check connectors.{self.settings.name} (project, issue type, "
                                  "priority, custom fields) against the project's screens")
        return ConnectorError(f"Jira answered HTTP {r.status} to {exc.method} {exc.path}"
                              + (f": {said}" if said else ""), "try again later")

    def _call(self, method: str, path: str, what: str, **kw: Any) -> Any:
        try:
            return self.http.request(method, API + path, **kw).json()
        except HttpError as exc:
            raise self._explain(exc, what) from None

    def _fields(self, case: Case) -> dict[str, Any]:
        s = self.settings
        fields: dict[str, Any] = {"summary": case.subject(), "description": case.description}
        priority = s.priority_map.get(case.priority)
        if priority:
            fields["priority"] = {"name": priority}
        for key, template in s.custom_fields.items():
            name = key if key.startswith("customfield_") else f"customfield_{key}"
            fields[name] = fill(template, case.fields)
        return fields

    def _issue(self, key: str) -> dict[str, Any]:
        try:
            return dict(self.http.request("GET", f"{API}/issue/{key}", query={
                "fields": "status,attachment"}).json())
        except HttpError as exc:
            if exc.status == 404:
                raise ConnectorError(f"Jira issue {key}, linked to this ticket, no longer "
                                     "exists (or this account cannot see it)",
                                     "push with --new to create another issue") from None
            raise self._explain(exc, f"read issue {key}") from None

    def _attach(self, key: str, f: FileToSend) -> None:
        self.events.progress(f"Jira: uploading {f.name} ({human_size(f.size)})…")
        try:
            self.http.request("POST", f"{API}/issue/{key}/attachments",
                              body=MultipartBody(f.path, f.name),
                              headers={"X-Atlassian-Token": "no-check"})
        except HttpError as exc:
            raise self._explain(exc, f"attach {f.name}", size=f.size) from None

    def _transition(self, key: str, current: str, target: str) -> bool:
        if current.casefold() == target.casefold():
            return False
        doc = self._call("GET", f"/issue/{key}/transitions", "list transitions")
        for t in doc.get("transitions") or []:
            if str((t.get("to") or {}).get("name", "")).casefold() == target.casefold() or \
                    str(t.get("name", "")).casefold() == target.casefold():
                self._call("POST", f"/issue/{key}/transitions", "change the status",
                           json_body={"transition": {"id": str(t["id"])}})
                return True
        self.events.progress(f"Jira: no transition from '{current}' to '{target}' is open to "
                             f"this account; the status stays '{current}'")
        return False

    def push(self, case: Case, files: Sequence[FileToSend], link: Link) -> PushResult:
        s = self.settings
        self._call("GET", "/myself", "read its own account")
        fields = self._fields(case)
        created = False
        if link.remote_id:
            issue = self._issue(link.remote_id)
            self._call("PUT", f"/issue/{link.remote_id}", f"update {link.remote_id}",
                       json_body={"fields": fields})
        else:
            new = {**fields, "project": {"key": s.project},
                   "issuetype": {"name": s.tracker or "Task"}}
            made = self._call("POST", "/issue", "create issues", json_body={"fields": new},
                              creates=True)
            key = str(made.get("key") or made.get("id"))
            self.events.created(key, self.http.url(f"/browse/{key}"))
            issue, created = self._issue(key), True
        key = str(issue.get("key") or link.remote_id)
        remote = (issue.get("fields") or {}).get("attachment") or []
        named = {(a.get("filename"), a.get("size")) for a in remote}
        send = [f for f in files if f.sha256 not in link.uploaded and (f.name, f.size)
                not in named]
        already = [f for f in files if f not in send]
        for f in send:
            self._attach(key, f)
        noted = bool(case.summary) and digest(case.summary) != link.note_digest
        if noted:
            self._call("POST", f"/issue/{key}/comment", "add comments",
                       json_body={"body": case.summary})
        status_set = None
        target = s.status_map.get(case.status)
        if target and case.status != link.status_sent:
            current = str(((issue.get("fields") or {}).get("status") or {}).get("name", ""))
            if self._transition(key, current, target):
                status_set = target
        return PushResult(key, self.http.url(f"/browse/{key}"), created, uploaded=send,
                          already=already, noted=noted, status=status_set)

    def pull(self, remote_id: str) -> RemoteStatus:
        status = ((self._issue(remote_id).get("fields") or {}).get("status") or {})
        name = str(status.get("name", ""))
        category = str((status.get("statusCategory") or {}).get("key", ""))
        mapped = self.map_from(name)
        if mapped is None:  # an unlisted status: its category still says where it stands
            mapped = {"new": "triaged", "indeterminate": "in_progress",
                      "done": "resolved"}.get(category)
        return RemoteStatus(remote_id, self.http.url(f"/browse/{remote_id}"), name, mapped,
                            category == "done" if category else None)
