"""Request bodies for the connectors' HTTP client: sendable more than once (a retry
re-opens the file), streamed from the file in 1 MiB chunks with an exact length."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

CHUNK = 1 << 20


class Body:
    """A request body that can be sent more than once (retries re-open the file)."""

    content_type = "application/octet-stream"

    def length(self) -> int:
        raise NotImplementedError

    def chunks(self) -> Iterator[bytes]:
        raise NotImplementedError


@dataclass
class BytesBody(Body):
    data: bytes
    content_type: str = "application/json"

    def length(self) -> int:
        return len(self.data)

    def chunks(self) -> Iterator[bytes]:
        yield self.data


@dataclass
class FileBody(Body):
    """The raw file, as Redmine's and Zendesk's upload endpoints take it."""

    path: Path
    content_type: str = "application/octet-stream"

    def length(self) -> int:
        return self.path.stat().st_size

    def chunks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")


@dataclass
class MultipartBody(Body):
    """One file as ``multipart/form-data`` (Jira's attachments endpoint), streamed:
    the head and tail are built here, the file is read in chunks between them."""

    path: Path
    filename: str
    field_name: str = "file"
    file_type: str = "application/zip"
    boundary: str = field(default_factory=lambda: f"supportkit-{random.getrandbits(96):024x}")

    @property
    def content_type(self) -> str:  # type: ignore[override]
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self) -> bytes:
        # RFC 7578: a quoted filename; non-ASCII names also as filename* (RFC 5987).
        ascii_name = self.filename.encode("ascii", "replace").decode().replace('"', "_")
        disposition = f'form-data; name="{self.field_name}"; filename="{ascii_name}"'
        if ascii_name != self.filename:
            disposition += f"; filename*=UTF-8''{quote(self.filename)}"
        return (f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\n"
                f"Content-Type: {self.file_type}\r\n\r\n").encode()

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    def length(self) -> int:
        return len(self._head()) + self.path.stat().st_size + len(self._tail())

    def chunks(self) -> Iterator[bytes]:
        yield self._head()
        with open(self.path, "rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")
        yield self._tail()
