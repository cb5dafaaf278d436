"""Fake Jira and Zendesk servers on 127.0.0.1 for the connector contract tests.

Each fake answers with the response shapes the vendors document and checks
every request against the documented request shapes: method, path, auth
header, content type, body. A request that breaks the contract is recorded
in ``problems`` and answered 400, so a test sees both the failure and why.
No live Jira or Zendesk was available; these shapes come from their REST
references (Jira Cloud/Data Center REST v2, Zendesk Ticketing API v2).
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


Reply = tuple[int, Any, dict[str, str]]


class Fake:
    """Routes requests to ``handle``; keeps every request and every contract problem.
    ``cert`` (certificate, key) serves HTTPS; ``name`` is the host name its ``url`` uses
    (a name only a test proxy resolves, so that clients reach it through the proxy)."""

    def __init__(self, auth: str, cert: tuple[Path, Path] | None = None,
                 name: str = "127.0.0.1") -> None:
        self.auth = auth  # the Authorization header the fake expects
        self.scheme, self.name = ("https" if cert else "http"), name
        self.requests: list[Request] = []
        self.problems: list[str] = []
        self.fail_next: list[Reply] = []  # canned answers served before the real ones
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                if self.headers.get("Transfer-Encoding"):
                    fake.problems.append(f"{self.command} {self.path}: chunked body "
                                         "(Content-Length expected)")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                req = Request(self.command, parts.path, parse_qs(parts.query),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                with fake.lock:
                    fake.requests.append(req)
                    if fake.fail_next:
                        status, doc, headers = fake.fail_next.pop(0)
                    elif req.headers.get("authorization") != fake.auth:
                        status, doc, headers = fake.unauthorized()
                    else:
                        try:
                            status, doc, headers = fake.handle(req)
                        except AssertionError as exc:
                            fake.problems.append(f"{req.method} {req.path}: {exc}")
                            status, doc, headers = 400, {"error": str(exc)}, {}
                data = b"" if doc is None else json.dumps(doc).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.name}:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def unauthorized(self) -> Reply:
        return 401, {"error": "Couldn't authenticate you"}, {}

    def handle(self, req: Request) -> Reply:
        raise NotImplementedError

    def count(self, method: str, path_end: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.endswith(path_end))


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _multipart(req: Request) -> list[tuple[str | None, str | None, bytes]]:
    ctype = req.headers.get("content-type", "")
    assert ctype.startswith("multipart/form-data; boundary="), f"content type {ctype!r}"
    msg = BytesParser().parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + req.body)
    assert msg.is_multipart(), "not a multipart body"
    return [(p.get_param("name", header="content-disposition"), p.get_filename(),
             p.get_payload(decode=True)) for p in msg.get_payload()]


# --------------------------------------------------------------------------- Jira

@dataclass
class JiraIssue:
    id: str
    key: str
    fields: dict[str, Any]
    status: str = "To Do"
    category: str = "new"
    attachments: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


class FakeJira(Fake):
    """Jira REST v2: myself, issue create/get/edit, attachments, comment, transitions."""

    TRANSITIONS = {"11": ("To Do", "new"), "21": ("In Progress", "indeterminate"),
                   "31": ("Done", "done")}

    def __init__(self, auth: str, project: str = "OPS", **server: Any) -> None:
        super().__init__(auth, **server)
        self.project = project
        self.issues: dict[str, JiraIssue] = {}
        self.files: dict[str, bytes] = {}  # attachment id → content

    def unauthorized(self) -> Reply:
        return 401, {"errorMessages": ["You are not authenticated."], "errors": {}}, {}

    def _issue(self, key: str) -> JiraIssue | None:
        return self.issues.get(key) or next((i for i in self.issues.values() if i.id == key),
                                            None)

    def handle(self, req: Request) -> Reply:
        p, m = req.path, req.method
        assert req.headers.get("accept") == "application/json", "Accept: application/json"
        if m == "GET" and p == "/rest/api/2/myself":
            return 200, {"accountId": "5b10ac8d82e05b22cc7d4ef5", "active": True}, {}
        if m == "POST" and p == "/rest/api/2/issue":
            f = req.json()["fields"]
            assert f["project"] == {"key": self.project}, "fields.project must be {key}"
            assert isinstance(f["summary"], str) and f["summary"], "fields.summary"
            assert set(f["issuetype"]) == {"name"}, "fields.issuetype must be {name}"
            assert isinstance(f["description"], str), "fields.description: a string in v2"
            assert set(f.get("priority", {"name": 1})) == {"name"}, "priority must be {name}"
            n = len(self.issues) + 1
            issue = JiraIssue(str(10000 + n), f"{self.project}-{n}", f)
            self.issues[issue.key] = issue
            return 201, {"id": issue.id, "key": issue.key,
                         "self": f"{self.url}/rest/api/2/issue/{issue.id}"}, {}
        parts = p.split("/")  # ['', 'rest', 'api', '2', 'issue', KEY, …]
        assert parts[:5] == ["", "rest", "api", "2", "issue"] and len(parts) >= 6, "unknown path"
        issue = self._issue(parts[5])
        if issue is None:
            return 404, {"errorMessages": ["Issue does not exist or you do not have "
                                           "permission to see it."], "errors": {}}, {}
        rest = parts[6:]
        if m == "GET" and not rest:
            return 200, {"id": issue.id, "key": issue.key, "fields": {
                "status": {"name": issue.status, "statusCategory": {"key": issue.category}},
                "attachment": issue.attachments}}, {}
        if m == "PUT" and not rest:
            fields = req.json()["fields"]
            assert "project" not in fields and "issuetype" not in fields, "edit sends no project"
            issue.fields.update(fields)
            return 204, None, {}
        if m == "POST" and rest == ["attachments"]:
            assert req.headers.get("x-atlassian-token") == "no-check", \
                "X-Atlassian-Token: no-check is required"
            parts_ = _multipart(req)
            assert [name for name, _, _ in parts_] == ["file"], "one form field named file"
            out = []
            for _, filename, data in parts_:
                aid = str(20000 + len(self.files))
                self.files[aid] = data
                att = {"id": aid, "filename": filename, "size": len(data),
                       "mimeType": "application/zip",
                       "content": f"{self.url}/secure/attachment/{aid}/{filename}"}
                issue.attachments.append(att)
                out.append(att)
            return 200, out, {}
        if m == "POST" and rest == ["comment"]:
            body = req.json()
            assert set(body) == {"body"} and isinstance(body["body"], str), "comment {body}"
            issue.comments.append(body["body"])
            return 201, {"id": str(len(issue.comments)), "body": body["body"]}, {}
        if rest == ["transitions"] and m == "GET":
            return 200, {"transitions": [{"id": tid, "name": name, "to": {
                "name": name, "statusCategory": {"key": cat}}}
                for tid, (name, cat) in self.TRANSITIONS.items()]}, {}
        if rest == ["transitions"] and m == "POST":
            tid = req.json()["transition"]["id"]
            assert tid in self.TRANSITIONS, f"unknown transition {tid}"
            issue.status, issue.category = self.TRANSITIONS[tid]
            return 204, None, {}
        raise AssertionError("not a Jira endpoint this connector should call")


# --------------------------------------------------------------------------- Zendesk

class FakeZendesk(Fake):
    """Zendesk Ticketing API v2: users/me, tickets, uploads, comments."""

    PRIORITIES = ("urgent", "high", "normal", "low")
    STATUSES = ("new", "open", "pending", "hold", "solved", "closed")

    def __init__(self, auth: str, **server: Any) -> None:
        super().__init__(auth, **server)
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}  # token → attachment (+ content)

    def handle(self, req: Request) -> Reply:
        p, m = req.path, req.method
        if m == "GET" and p == "/api/v2/users/me.json":
            return 200, {"user": {"id": 1, "role": "agent", "email": "agent@example.com"}}, {}
        if m == "GET" and p == "/api/v2/tickets.json":
            ext = req.query.get("external_id", [""])[0]
            found = [t for t in self.tickets.values() if t.get("external_id") == ext]
            return 200, {"tickets": found, "count": len(found)}, {}
        if m == "POST" and p == "/api/v2/tickets.json":
            t = req.json()["ticket"]
            assert isinstance(t["subject"], str) and t["subject"], "ticket.subject"
            assert isinstance(t["comment"]["body"], str), "ticket.comment.body"
            assert t.get("priority", "normal") in self.PRIORITIES, "ticket.priority"
            tid = 35436 + len(self.tickets)
            ticket = {"id": tid, "url": f"{self.url}/api/v2/tickets/{tid}.json",
                      "subject": t["subject"], "status": "new", "priority": t.get("priority"),
                      "external_id": t.get("external_id"), "tags": t.get("tags", []),
                      "description": t["comment"]["body"]}
            self.tickets[tid] = ticket
            self.comments[tid] = [{"id": 1, "body": t["comment"]["body"],
                                   "public": t["comment"].get("public", True),
                                   "attachments": []}]
            return 201, {"ticket": ticket}, {}
        if m == "POST" and p == "/api/v2/uploads.json":
            filename = req.query.get("filename", [""])[0]
            assert filename, "the filename query parameter is required"
            assert req.headers.get("content-type") == "application/zip", \
                "Content-Type must be the file's MIME type"
            token = hashlib.sha256(req.body).hexdigest()[:15]
            att = {"id": 498483 + len(self.uploads), "file_name": filename,
                   "size": len(req.body), "content_type": "application/zip",
                   "content_url": f"{self.url}/attachments/token/{token}/?name={filename}"}
            self.uploads[token] = {**att, "content": req.body}
            return 201, {"upload": {"token": token, "attachment": att,
                                    "attachments": [att]}}, {}
        parts = p.split("/")  # ['', 'api', 'v2', 'tickets', 'N.json'] or …/N/comments.json
        assert parts[:4] == ["", "api", "v2", "tickets"], "unknown path"
        tid = int(parts[4].removesuffix(".json"))
        if tid not in self.tickets:
            return 404, {"error": "RecordNotFound", "description": "Not found"}, {}
        if m == "GET" and len(parts) == 6 and parts[5] == "comments.json":
            return 200, {"comments": [{k: v for k, v in c.items()}
                                      for c in self.comments[tid]]}, {}
        if m == "GET" and len(parts) == 5:
            return 200, {"ticket": self.tickets[tid]}, {}
        if m == "PUT" and len(parts) == 5:
            t = req.json()["ticket"]
            ticket = self.tickets[tid]
            if "status" in t:
                assert t["status"] in self.STATUSES, f"status {t['status']!r}"
                ticket["status"] = t["status"]
            for key in ("subject", "priority", "external_id"):
                if key in t:
                    ticket[key] = t[key]
            if "comment" in t:
                c = t["comment"]
                assert isinstance(c["body"], str) and c["body"], "comment.body is required"
                atts = []
                for token in c.get("uploads", []):
                    assert token in self.uploads, f"unknown upload token {token}"
                    atts.append({k: v for k, v in self.uploads[token].items()
                                 if k != "content"})
                self.comments[tid].append({"id": len(self.comments[tid]) + 1,
                                           "body": c["body"], "public": c.get("public", True),
                                           "attachments": atts})
            return 200, {"ticket": ticket}, {}
        raise AssertionError("not a Zendesk endpoint this connector should call")
