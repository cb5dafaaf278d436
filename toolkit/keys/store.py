"""The key folder: ``$SUPPORTKIT_HOME/keys/NAME.json`` + ``NAME.key`` (or the keyring).

Every file is created exclusively, 0600, never through a symbolic link, written to a
``.partial`` and linked into place (so a crash never leaves half a key, and an existing
key is never overwritten). A secret is read only from a file that its owner alone can
read, in a folder nobody else can write: the same rule as ssh's, for the same reason.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput, SupportkitError

KINDS = ("sign", "seal")
KEYRING_SERVICE = "supportkit-keys"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_MAX_FILE = 64 * 1024  # no key file, public or private, is anywhere near this
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
SIGN_PREFIX = "ed25519:"
AGE_SECRET = "AGE-SECRET-KEY-1"


class KeyProblem(BadInput):
    """A key that cannot be made, found, read or trusted; the text says which and why."""


@dataclass(frozen=True)
class Key:
    name: str
    kind: str  # sign | seal
    public: str  # ed25519:… or age1…
    created: str
    secret: str | None  # "file", "keyring", or None: someone else's public key
    default: bool = False  # the signing key 'run' signs with

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "key_id": self.key_id}


def key_id(public: str) -> str:
    """A short, stable name for a public key: 16 hex digits of its sha256."""
    import hashlib

    return hashlib.sha256(public.encode("ascii")).hexdigest()[:16]


def keys_dir() -> Path:
    from toolkit import paths

    return paths.home() / "keys"


def _check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise KeyProblem(f"{name!r} is not a usable key name",
                         "use letters, digits and . _ @ - (up to 64), e.g. alice or team-l2")
    return name


def _folder(create: bool) -> Path | None:
    """The key folder, checked: not a link, nobody else may write it or its parent."""
    from toolkit import _platform

    where = keys_dir()
    if where.is_symlink():
        raise KeyProblem(f"{where} is a symbolic link", f"give the real folder: rm {where}")
    if not where.exists():
        if not create:
            return None
        where.mkdir(parents=True, mode=0o700)
    why = _platform.unsafe_owner(where)
    if why:
        raise KeyProblem(f"the key folder {where} is not safe to use: {why}",
                         f"chmod 700 '{where}' (and chown it to yourself)")
    return where


def _read_small(path: Path, secret: bool) -> str:
    """A key file's text: regular, no link, bounded; a secret readable by its owner only."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        raise KeyProblem(f"{path}: no such file", "check the key name: supportkit keys list") \
            from None
    except OSError as exc:
        raise KeyProblem(f"cannot read {path}: {exc.strerror or exc}",
                         "check the file (a symbolic link is refused)") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyProblem(f"{path} is not a regular file", "give a key file")
        # Mode bits say who may read only where there are uids; on Windows the ACL is
        # not checked yet (as for playbooks: docs/security.md).
        if secret and hasattr(os, "geteuid") and (st.st_mode & 0o077
                                                  or st.st_uid not in (0, os.geteuid())):
            raise KeyProblem(f"the private key {path} can be read by others or is not yours",
                             f"chmod 600 '{path}' (and chown it to yourself)")
        data = fh.read(_MAX_FILE + 1)
    if len(data) > _MAX_FILE:
        raise KeyProblem(f"{path} is too large to be a key", "give a key file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyProblem(f"{path} is not a text key file", "give a key file") from None


def _place(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (0600) atomically; refuse to replace what exists."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(partial, path)  # fails if the name is taken: never overwrites a key
    except FileExistsError:
        raise KeyProblem(f"a key file {path.name} exists already",
                         "choose another name, or remove the old key first") from None
    finally:
        partial.unlink(missing_ok=True)


# ----------------------------------------------------------------------- key material

def parse_public(text: str) -> tuple[str, str]:
    """(kind, normalised public key) of ``ed25519:…`` or ``age1…``; KeyProblem otherwise."""
    value = text.strip()
    if value.startswith(SIGN_PREFIX):
        try:
            raw = base64.b64decode(value[len(SIGN_PREFIX):], validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise KeyProblem(f"{value[:60]!r} is not an Ed25519 public key",
                             "it is ed25519: followed by 44 base64 characters")
        return "sign", SIGN_PREFIX + base64.b64encode(raw).decode("ascii")
    if value.startswith("age1"):
        from pyrage import RecipientError, x25519

        try:
            x25519.Recipient.from_str(value)
        except RecipientError:
            raise KeyProblem(f"{value[:70]!r} is not an age recipient",
                             "it is age1 followed by 58 characters (age-keygen -y prints it)") \
                from None
        return "seal", value
    raise KeyProblem(f"{value[:40]!r} is not a public key supportkit knows",
                     "give an ed25519:… signing key or an age1… recipient")


def _sign_public(private: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    return SIGN_PREFIX + base64.b64encode(raw).decode("ascii")


def load_sign_secret(text: str, where: str) -> Any:
    """An Ed25519PrivateKey from its PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        private = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise KeyProblem(f"{where} is not an unencrypted PEM private key",
                         "give the file 'supportkit keys export --secret' wrote") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyProblem(f"{where} is not an Ed25519 key", "supportkit signs with Ed25519")
    return private


def load_seal_secret(text: str, where: str) -> Any:
    """A pyrage x25519 Identity from an age identity file (comments allowed)."""
    from pyrage import IdentityError, x25519

    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(AGE_SECRET)]
    if len(lines) != 1:
        raise KeyProblem(f"{where} holds {len(lines)} age identities, not one",
                         "give one identity file (age-keygen writes one)")
    try:
        return x25519.Identity.from_str(lines[0])
    except IdentityError:
        raise KeyProblem(f"{where} holds no valid age identity", "check the file") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _seal_text(identity: Any, created: str) -> str:
    # The layout age-keygen writes, so `age -d -i NAME.key` takes the file as it is.
    return (f"# created: {created}\n# public key: {identity.to_public()}\n{identity}\n")


def _sign_text(private: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return private.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode("ascii")


# ----------------------------------------------------------------------- the folder

def all_keys() -> list[Key]:
    where = _folder(create=False)
    if where is None:
        return []
    out = []
    for path in sorted(where.glob("*.json")):
        try:
            doc = json.loads(_read_small(path, secret=False))
            key = Key(**{k: doc[k] for k in ("name", "kind", "public", "created", "secret")},
                      default=bool(doc.get("default")))
        except (ValueError, KeyError, TypeError):
            raise KeyProblem(f"{path} is not a supportkit key record",
                             "remove it or import the key again") from None
        parse_public(key.public)
        out.append(key)
    return out


def get(name: str) -> Key:
    for key in all_keys():
        if key.name == name:
            return key
    raise KeyProblem(f"no key named {name!r}", "see supportkit keys list")


def _record(key: Key) -> None:
    where = _folder(create=True)
    assert where is not None
    _place(where / f"{key.name}.json", json.dumps(asdict(key), indent=2) + "\n")


def _store_secret(name: str, text: str, use_keyring: bool) -> str:
    where = _folder(create=True)
    assert where is not None
    if (where / f"{name}.json").exists() or (where / f"{name}.key").exists():
        raise KeyProblem(f"a key named {name!r} exists already",
                         "choose another name (supportkit keys list)")
    if not use_keyring:
        _place(where / f"{name}.key", text)
        return "file"
    try:
        import keyring
    except ImportError:
        raise KeyProblem("--keyring needs the keyring package",
                         "pip install 'supportkit[keyring]', or keep the key in a file") from None
    try:
        keyring.set_password(KEYRING_SERVICE, name, text)
    except Exception as exc:  # no back-end, locked, no D-Bus: each back-end raises its own
        raise KeyProblem(f"the OS keyring refused the key ({type(exc).__name__})",
                         "unlock the keyring, or keep the key in a file") from None
    return "keyring"


def secret_text(key: Key) -> str:
    """The private key's text, from its file or the keyring (never shown)."""
    if key.secret == "file":
        return _read_small(keys_dir() / f"{key.name}.key", secret=True)
    if key.secret == "keyring":
        try:
            import keyring

            text = keyring.get_password(KEYRING_SERVICE, key.name)
        except Exception as exc:  # ImportError, or the back-end failed
            raise KeyProblem(f"the private key {key.name!r} is in the OS keyring, which "
                             f"cannot be read here ({type(exc).__name__})",
                             "pip install 'supportkit[keyring]' and unlock the keyring") \
                from None
        if not text:
            raise KeyProblem(f"the OS keyring has no private key {key.name!r}",
                             "import it again: supportkit keys import NAME FILE")
        return str(text)
    raise KeyProblem(f"{key.name!r} is someone else's public key: no private key here",
                     "use one of your own keys (supportkit keys list)")


def new_key(name: str, kind: str, use_keyring: bool = False, default: bool = False) -> Key:
    _check_name(name)
    created = _now()
    if kind == "sign":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.generate()
        public, text = _sign_public(private), _sign_text(private)
    elif kind == "seal":
        from pyrage import x25519

        identity = x25519.Identity.generate()
        public, text = str(identity.to_public()), _seal_text(identity, created)
    else:
        raise KeyProblem(f"unknown key kind {kind!r}", "use sign or seal")
    where = _store_secret(name, text, use_keyring)
    first = kind == "sign" and not any(k.default for k in all_keys())
    key = Key(name, kind, public, created, where, default=first)
    _record(key)
    return set_default(name) if default and not first else key


def set_default(name: str) -> Key:
    """Make NAME the signing key ``run`` signs with (records are rewritten, not edited)."""
    where = _folder(create=True)
    assert where is not None
    chosen = get(name)
    if chosen.kind != "sign" or chosen.secret is None:
        raise KeyProblem(f"{name!r} is not one of your signing keys", "see supportkit keys list")
    for key in all_keys():
        if key.default != (key.name == name):
            path = where / f"{key.name}.json"
            path.unlink()
            _place(path, json.dumps({**asdict(key), "default": key.name == name}, indent=2)
                   + "\n")
    return get(name)


def import_key(name: str, text: str, source: str, use_keyring: bool = False) -> Key:
    """A key from a file's text: a private key (yours, or the team's identity) or a
    public key (a signer to trust, a recipient to seal to)."""
    _check_name(name)
    created = _now()
    if "PRIVATE KEY-----" in text:
        private = load_sign_secret(text, source)
        where = _store_secret(name, _sign_text(private), use_keyring)
        key = Key(name, "sign", _sign_public(private), created, where,
                  default=not any(k.default for k in all_keys()))
    elif AGE_SECRET in text:
        identity = load_seal_secret(text, source)
        where = _store_secret(name, _seal_text(identity, created), use_keyring)
        key = Key(name, "seal", str(identity.to_public()), created, where)
    else:
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        if len(lines) != 1:
            raise KeyProblem(f"{source} holds {len(lines)} lines, not one public key",
                             "give one ed25519:… or age1… key")
        kind, public = parse_public(lines[0])
        if any(k.name == name for k in all_keys()):
            raise KeyProblem(f"a key named {name!r} exists already", "choose another name")
        key = Key(name, kind, public, created, None)
    _record(key)
    return key


def export_secret(name: str, dest: Path) -> Path:
    """Copy a private key to a new 0600 file (to carry the team identity to another L2
    machine); never to the terminal."""
    key = get(name)
    text = secret_text(key)
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    except FileExistsError:
        raise KeyProblem(f"{dest} exists already", "give a new file name") from None
    except OSError as exc:
        raise SupportkitError(f"cannot write {dest}: {exc.strerror or exc}",
                              "choose another place") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return dest
