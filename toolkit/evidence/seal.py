"""Sealed bundles: the whole zip encrypted to one or more age recipients, ``.zip.age``.

The age format (https://age-encryption.org/v1) through ``pyrage``: X25519 recipients,
ChaCha20-Poly1305 in 64 KiB chunks, so a sealed file is streamed both ways in flat
memory, and Debian's ``age`` opens it (``age -d -i KEY``) as supportkit opens what
``age -r`` sealed (binary or ``-a`` armored). Nothing of the zip shows: member names,
the host, the manifest are all inside the ciphertext. The sealed file's own name
carries no host either: ``<ticket-or-run-id>_<UTC time>.zip.age``.

Opening (``opened``) decrypts to a private temporary file — a 0700 folder named like a
run's staging folder, so the next run removes it if this process is killed — bounded
to the most a bundle may hold, and removes it when done, however that ends.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from toolkit import _platform
from toolkit.errors import BadInput, SupportkitError

MAGIC = b"age-encryption.org/v1\n"
ARMOR = b"-----BEGIN AGE ENCRYPTED FILE-----"
SUFFIX = ".zip.age"
# The most a sealed bundle opens to: the most content a manifest may declare (16 GiB)
# plus room for the zip's own structure and the report.
OPEN_MAX = (16 << 30) + (256 << 20)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_SAFE = re.compile(r"[^A-Za-z0-9.-]+")


class NoIdentity(BadInput):
    """A sealed bundle that none of this machine's identities opens."""


def is_sealed(path: Path) -> bool:
    """Does ``path`` start like an age file (binary or armored)?"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(ARMOR))
    except OSError:
        return False  # the reader that follows names what is wrong with the path
    return head.startswith(MAGIC) or head.startswith(ARMOR)


def sealed_name(manifest: dict[str, Any]) -> str:
    """``<ticket-or-run-id>_<UTC time>.zip.age`` from the manifest: the host stays inside."""
    from datetime import datetime, timezone

    run_id = _SAFE.sub("-", str(manifest.get("run_id") or "bundle")).strip("-") or "bundle"
    try:
        created = datetime.fromisoformat(str(manifest.get("created")))
        stamp = "_" + created.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    except ValueError:
        stamp = ""
    return f"{run_id[:64]}{stamp}{SUFFIX}"


def _private(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)


def seal(bundle: Path, recipients: list[Any], name: str, out_dir: Path | None = None) -> Path:
    """Encrypt ``bundle`` to ``recipients`` (pyrage recipients) as a new file ``name``
    (``sealed_name``) beside it or in ``out_dir``, written to a private ``.partial`` and
    renamed when complete. The plain bundle is left as it is (callers remove it)."""
    import pyrage

    folder = out_dir or bundle.parent
    for n in range(1, 1000):
        final = folder / (name if n == 1 else name.replace(SUFFIX, f"-{n}{SUFFIX}"))
        partial = folder / f".{final.name}.partial"
        if final.exists():
            continue
        try:
            fd = _private(partial)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise SupportkitError(f"cannot write in {folder}: {exc.strerror or exc}",
                                  "choose another folder with --out") from None
    else:
        raise SupportkitError(f"too many sealed bundles named {name} in {folder}",
                              "choose another folder with --out")
    try:
        with open(bundle, "rb") as src, os.fdopen(fd, "wb") as dst:
            pyrage.encrypt_io(src, dst, recipients)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(partial, final)
        _platform.fsync_dir(folder)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, (OSError, pyrage.EncryptError)):
            raise SupportkitError(f"could not seal {bundle.name}: {exc}",
                                  "free some space or choose another folder") from None
        raise
    return final


class _Capped:
    """A writer that refuses to grow past ``limit``: a sealed file may decrypt to
    anything, and the disk it is opened on is not ours to fill."""

    def __init__(self, fh: IO[bytes], limit: int) -> None:
        self.fh, self.limit, self.size = fh, limit, 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise OSError(f"opens to more than {self.limit >> 20} MiB")
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


def open_to(src: IO[bytes], dst: IO[bytes], identities: list[Any],
            limit: int = OPEN_MAX) -> None:
    """Decrypt ``src`` into ``dst`` with the first identity that opens it."""
    import pyrage

    if not identities:
        raise NoIdentity("this bundle is sealed and this machine has no identity to open it",
                         "import the team's identity: supportkit keys import NAME FILE")
    try:
        pyrage.decrypt_io(src, _Capped(dst, limit), identities)
    except pyrage.DecryptError as exc:
        if "No matching keys" in str(exc):
            raise NoIdentity("this bundle is sealed to someone else: none of this machine's "
                             f"{len(identities)} identities opens it",
                             "open it where the recipient's identity is, or import that "
                             "identity: supportkit keys import NAME FILE") from None
        raise BadInput(f"the sealed bundle is damaged or altered ({exc})",
                       "ask for the bundle again") from None
    except OSError as exc:  # pyrage passes our writer's refusal on as an OSError
        if "opens to more than" in str(exc):
            raise BadInput(f"the sealed bundle {exc}, more than a bundle may hold",
                           "ask for a smaller bundle") from None
        raise BadInput(f"the sealed bundle is damaged or cut short ({exc})",
                       "ask for the bundle again") from None


@contextmanager
def opened(path: Path, identities: list[Any] | None = None,
           limit: int = OPEN_MAX) -> Iterator[Path]:
    """``path`` itself when it is a plain bundle; a sealed one decrypted into a private
    temporary file named like the bundle inside (``<id>_<time>.zip``), removed after."""
    if not is_sealed(path):
        yield path
        return
    if identities is None:
        from toolkit.keys import identities as local

        identities = local()
    # Named like a run's staging folder: the next run removes it if we are SIGKILLed.
    folder = Path(tempfile.mkdtemp(prefix=f"supportkit-run-{os.getpid()}-open-"))
    try:
        plain = folder / (path.name.removesuffix(".age") if path.name.endswith(SUFFIX)
                          else "sealed-bundle.zip")
        with open(path, "rb") as src, os.fdopen(_private(plain), "wb") as dst:
            open_to(src, dst, identities, limit)
        yield plain
    finally:
        shutil.rmtree(folder, ignore_errors=True)
