"""Redmine, through its REST API (JSON; tested against Debian's Redmine 5.0).

Push:
1. ``GET /users/current.json`` — a wrong key fails here, before anything is made;
2. ``GET /projects/P.json?include=trackers,issue_custom_fields`` and the
   tracker, priority and status lists, to turn configured names into ids;
3. the issue: the linked one (``GET /issues/N.json?include=attachments``),
   else one whose subject starts with ``[SUP-…]`` (a push that died after
   creating it), else ``POST /issues.json`` — reported at once so that it is
   recorded on the ticket before the long part;
4. each new bundle: ``POST /uploads.json?filename=…`` with the file streamed
   as the body (``application/octet-stream``), which returns a token;
5. one ``PUT /issues/N.json``: changed fields, ``uploads`` (the tokens; the
   attachment's description carries the bundle's sha256, because Redmine's
   API reports no digest) and ``notes`` (the escalation summary, only when
   it changed since the last push) — one journal entry per push.

The remote status is set only when ours changed since the last push, so a
re-push never undoes a status L2 set in Redmine. ``pull`` reads
``GET /issues/N.json`` and maps the status name with ``status_from``.
API reference: https://www.redmine.org/projects/redmine/wiki/Rest_api
"""

from __future__ import annotations

import re
import time
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
from toolkit.connectors.http import Client, FileBody, HttpError, Response, error_text

SIZE_IN_ERROR = re.compile(r"\((\d+)\)")  # "... maximum allowed file size (5242880)"


class RedmineConnector(Connector):
    def __init__(self, settings: Settings, secret: Secret, events: Events | None = None) -> None:
        super().__init__(settings, secret, events)
        self.http = Client("Redmine", settings.url, {"X-Redmine-API-Key": secret.reveal()},
                           secrets=(secret.reveal(),), timeout_s=settings.timeout_s,
                           retries=settings.retries, progress=self.events.progress)
        self._lists: dict[str, list[dict[str, Any]]] = {}

    def proxy(self) -> dict[str, Any] | None:
        return self.http.proxy.as_json()

    # ----------------------------------------------------------------- errors
    def _explain(self, exc: HttpError, what: str, size: int | None = None) -> ConnectorError:
        """One line a person can act on, for each refusal Redmine is known to give."""
        r, name = exc.response, self.settings.name
        said = self.http.scrub(error_text(r))
        if r.status == 401:
            return ConnectorError(
                f"Redmine refused the API key from {self.secret.source} (HTTP 401)",
                "check the key (Redmine › My account › API access key) and that the REST API "
                "is enabled (Administration › Settings › API)")
        if r.status == 403:
            return ConnectorError(
                f"Redmine's user for this key may not {what} (HTTP 403)",
                f"give it a role in project '{self.settings.project}' with Add issues, Edit "
                "issues, Add notes and file permissions")
        if r.status == 404:
            return ConnectorError(f"Redmine has no {what} visible to this key (HTTP 404)",
                                  f"check connectors.{name} in config.yaml")
        if r.status == 413:
            return ConnectorError(
                f"Redmine (or a proxy before it) refused the {human_size(size or 0)} file as "
                "too large (HTTP 413)", "raise the proxy's limit (nginx client_max_body_size, "
                "Apache LimitRequestBody) or Redmine's attachment_max_size")
        if r.status == 422 and size is not None and "size" in said.lower():
            limit = SIZE_IN_ERROR.search(said)
            shown = human_size(int(limit.group(1))) if limit else "smaller"
            return ConnectorError(
                f"Redmine refused the {human_size(size)} file: attachment_max_size is {shown}",
                "raise it in Administration › Settings › Files (Maximum attachment size)")
        if r.status == 422:
            return ConnectorError(f"Redmine refused to {what}: {said}",
                                  f"check connectors.{name} (tracker, priority, custom fields) "
                                  "against the project's settings")
        return ConnectorError(f"Redmine answered HTTP {r.status} to {exc.method} {exc.path}"
                              + (f": {said}" if said else ""),
                              "try again later; if it persists, look at Redmine's log")

    def _call(self, method: str, path: str, what: str, **kw: Any) -> Response:
        try:
            return self.http.request(method, path, **kw)
        except HttpError as exc:
            raise self._explain(exc, what) from None

    # ----------------------------------------------------------------- names → ids
    def _list(self, path: str, key: str) -> list[dict[str, Any]]:
        if key not in self._lists:
            self._lists[key] = self._call("GET", path, f"list {key}").json().get(key, [])
        return self._lists[key]

    def _id(self, items: list[dict[str, Any]], wanted: str, what: str, option: str) -> int:
        for item in items:
            if str(item.get("id")) == wanted or str(item.get("name", "")).casefold() == \
                    wanted.casefold():
                return int(item["id"])
        have = ", ".join(str(i.get("name")) for i in items) or "none"
        raise ConnectorConfigError(f"Redmine has no {what} '{wanted}' (it has: {have})",
                                   f"fix connectors.{self.settings.name}.{option} in config.yaml")

    def _project(self) -> dict[str, Any]:
        if not self.settings.project:
            raise ConnectorConfigError(f"connectors.{self.settings.name}.project is missing",
                                       "give the project's identifier")
        doc = self._call("GET", f"/projects/{self.settings.project}.json",
                         f"project '{self.settings.project}'",
                         query={"include": "trackers,issue_custom_fields"}).json()
        return dict(doc.get("project") or {})

    def _fields(self, case: Case, project: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        out: dict[str, Any] = {"subject": case.subject(), "description": case.description}
        trackers = project.get("trackers") or self._list("/trackers.json", "trackers")
        if s.tracker:
            out["tracker_id"] = self._id(trackers, s.tracker, "tracker in this project",
                                         "tracker")
        wanted = s.priority_map.get(case.priority)
        if wanted:
            out["priority_id"] = self._id(self._list("/enumerations/issue_priorities.json",
                                                     "issue_priorities"), wanted, "priority",
                                          "priority_map")
        if s.custom_fields:
            out["custom_fields"] = [{"id": self._field_id(key, project),
                                     "value": fill(template, case.fields)}
                                    for key, template in s.custom_fields.items()]
        return out

    def _field_id(self, key: str, project: dict[str, Any]) -> int:
        """A custom field by id, or by name: the project lists only the fields enabled for
        it alone; fields "for all projects" are in /custom_fields.json, which needs admin."""
        if key.isdigit():
            return int(key)
        known = list(project.get("issue_custom_fields") or [])
        if not any(str(f.get("name", "")).casefold() == key.casefold() for f in known):
            try:
                doc = self.http.request("GET", "/custom_fields.json").json()
                known += [f for f in doc.get("custom_fields") or []
                          if f.get("customized_type") == "issue"]
            except HttpError as exc:
                if exc.status not in (401, 403):
                    raise self._explain(exc, "list custom fields") from None
                raise ConnectorConfigError(
                    f"Redmine custom field '{key}': only an administrator may look fields up "
                    "by name", f"give its id in connectors.{self.settings.name}.custom_fields "
                    "(Administration › Custom fields shows it in the link)") from None
        return self._id(known, key, "issue custom field", "custom_fields")

    def _status_id(self, case: Case) -> int | None:
        wanted = self.settings.status_map.get(case.status)
        if not wanted:
            return None
        return self._id(self._list("/issue_statuses.json", "issue_statuses"), wanted, "status",
                        "status_map")

    # ----------------------------------------------------------------- the issue
    def _issue(self, remote_id: str) -> dict[str, Any]:
        try:
            doc = self.http.request("GET", f"/issues/{remote_id}.json",
                                    query={"include": "attachments"}).json()
        except HttpError as exc:
            if exc.status == 404:
                raise ConnectorError(
                    f"Redmine issue #{remote_id}, linked to this ticket, no longer exists "
                    "(or this key cannot see it)",
                    "push with --new to create another issue") from None
            raise self._explain(exc, f"read issue #{remote_id}") from None
        return dict(doc.get("issue") or {})

    def _find(self, case: Case, project_id: int) -> dict[str, Any] | None:
        """An issue a push made but did not live to record (crash, Ctrl-C)."""
        doc = self._call("GET", "/issues.json", "search issues", query={
            "project_id": project_id, "status_id": "*", "subject": f"~[{case.id}]",
            "limit": 10}).json()
        for issue in doc.get("issues") or []:
            if str(issue.get("subject", "")).startswith(f"[{case.id}]") and \
                    case.marker in str(issue.get("description") or ""):
                return self._issue(str(issue["id"]))
        return None

    def _upload(self, f: FileToSend) -> str:
        self.events.progress(f"Redmine: uploading {f.name} ({human_size(f.size)})…")
        t0 = time.monotonic()
        try:
            r = self.http.request("POST", "/uploads.json", query={"filename": f.name},
                                  body=FileBody(f.path))
        except HttpError as exc:
            raise self._explain(exc, f"take {f.name}", size=f.size) from None
        token = (r.json().get("upload") or {}).get("token")
        if not token:
            raise ConnectorError("Redmine accepted the upload but returned no token",
                                 "check Redmine's log; the REST API may be behind a proxy "
                                 "that rewrites answers")
        self.events.progress(f"Redmine: uploaded {f.name} in {time.monotonic() - t0:.1f} s")
        return str(token)

    def push(self, case: Case, files: Sequence[FileToSend], link: Link) -> PushResult:
        self._call("GET", "/users/current.json", "read the current user")
        project = self._project()
        fields = self._fields(case, project)
        status_id = self._status_id(case)
        created = False
        issue = self._issue(link.remote_id) if link.remote_id else None
        if issue is None:
            issue = self._find(case, int(project["id"]))
            if issue is None:
                # No status here: Redmine ignores one on creation; the update below sets it.
                doc = self._call("POST", "/issues.json", "create issues", json_body={
                    "issue": {"project_id": project["id"], **fields}}, creates=True).json()
                issue, created = dict(doc.get("issue") or {}), True
            remote_id = str(issue["id"])
            self.events.created(remote_id, self.http.url(f"/issues/{remote_id}"))
        remote_id = str(issue["id"])
        url = self.http.url(f"/issues/{remote_id}")
        send, already = _new_files(files, link, issue.get("attachments") or [])
        tokens = [{"token": self._upload(f), "filename": f.name,
                   "content_type": "application/zip",
                   "description": f"supportkit evidence bundle, sha256 {f.sha256}"}
                  for f in send]
        update: dict[str, Any] = {} if created else dict(fields)
        status_set = None
        if status_id and case.status != link.status_sent and \
                (issue.get("status") or {}).get("id") != status_id:
            update["status_id"] = status_id
            status_set = self.settings.status_map.get(case.status)
        if tokens:
            update["uploads"] = tokens
        noted = bool(case.summary) and digest(case.summary) != link.note_digest
        if noted:
            update["notes"] = case.summary
        if update:
            what = f"update issue #{remote_id}"
            try:
                self.http.request("PUT", f"/issues/{remote_id}.json", json_body={
                    "issue": update})
            except HttpError as exc:
                raise self._explain(exc, what) from None
        return PushResult(remote_id, url, created, uploaded=send, already=already,
                          noted=noted, status=status_set)

    def pull(self, remote_id: str) -> RemoteStatus:
        issue = self._issue(remote_id)
        status = issue.get("status") or {}
        name = str(status.get("name", ""))
        closed = next((bool(s.get("is_closed")) for s in self._list(
            "/issue_statuses.json", "issue_statuses") if s.get("id") == status.get("id")), None)
        return RemoteStatus(remote_id, self.http.url(f"/issues/{remote_id}"), name,
                            self.map_from(name), closed)


def _new_files(files: Sequence[FileToSend], link: Link,
               remote: list[dict[str, Any]]) -> tuple[list[FileToSend], list[FileToSend]]:
    """Bundles to upload, and those already there: by the sha256 recorded on the ticket,
    or found on the issue (the sha256 in the attachment's description, else the same
    name and size — bundle names carry the host and the time, so they do not repeat)."""
    there = {str(a.get("description") or "").rpartition(" ")[2] for a in remote}
    named = {(a.get("filename"), a.get("filesize")) for a in remote}
    send, already = [], []
    for f in files:
        if f.sha256 in link.uploaded or f.sha256 in there or (f.name, f.size) in named:
            already.append(f)
        else:
            send.append(f)
    return send, already

