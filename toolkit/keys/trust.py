"""Which keys this machine trusts, seals to and opens with.

* **Trusted signers**: the signing keys in the key folder (your own, and public keys
  imported with ``keys import``) and the ``ed25519:`` keys under ``trust: keys:`` in
  ``config.yaml``. ``bundle verify`` names a signer by the name given *here*, never by
  the name a bundle claims.
* **Recipients** for ``--seal-to``: an ``age1…`` key as given, or the name of a seal key
  (yours, imported, or an ``age1…`` key under ``trust: keys:``).
* **Identities** that open sealed bundles: your seal keys with their private part.

``config.yaml`` names keys that decide what is trusted, so it is honoured only when
nobody else could have written it (``config.check_safe``), as for ``trust: playbooks:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.keys.store import (
    Key,
    KeyProblem,
    all_keys,
    get,
    load_seal_secret,
    load_sign_secret,
    parse_public,
    secret_text,
)


@dataclass(frozen=True)
class Signer:
    """A private signing key ready to use; ``public`` is its ``ed25519:`` text."""

    name: str
    public: str
    private: Any  # cryptography's Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        signature: bytes = self.private.sign(message)
        return signature


def config_keys() -> dict[str, tuple[str, str]]:
    """``trust: keys:`` of config.yaml: name → (kind, public key)."""
    from toolkit import config

    try:
        file, section = config.section("trust")
    except config.ConfigFileError as exc:
        raise KeyProblem(str(exc), "fix config.yaml") from None
    listed = section.get("keys") if isinstance(section, dict) else None
    if listed is None:
        return {}  # a config.yaml that names no key changes nothing here, safe or not
    why = config.check_safe()
    if why:
        raise KeyProblem(f"{file} is not safe to use: {why}",
                         f"chmod go-w '{file.parent}' '{file}' (and chown them to yourself)")
    if not isinstance(listed, dict):
        raise KeyProblem(f"{file}: trust.keys must map names to public keys",
                         "write it as trust: {keys: {alice: 'ed25519:…', team: age1…}}")
    out = {}
    for name, value in listed.items():
        try:
            out[str(name)] = parse_public(str(value))
        except KeyProblem as exc:
            raise KeyProblem(f"{file}: trust.keys.{name}: {exc.what}", exc.fix) from None
    return out


def trusted_signers() -> dict[str, str]:
    """Public signing key → the name this machine knows it by."""
    out: dict[str, str] = {}
    for name, (kind, public) in config_keys().items():
        if kind == "sign":
            out.setdefault(public, name)
    for key in all_keys():
        if key.kind == "sign":
            out.setdefault(key.public, key.name)
    return out


def expects_signatures() -> bool:
    """Does this machine trust any signer? Then a bundle signed by none of them is not
    simply "intact" for ``bundle verify`` (exit 5 unsigned, 6 unknown signer)."""
    return bool(trusted_signers())


def signer(name: str) -> Signer:
    key = get(name)
    if key.kind != "sign":
        raise KeyProblem(f"{name!r} is a seal key, not a signing key",
                         "sign with a key made by 'supportkit keys new NAME --kind sign'")
    return Signer(key.name, key.public, load_sign_secret(secret_text(key), f"key {name!r}"))


def default_signer() -> Signer | None:
    """The signing key ``run`` signs with by default, or None when there is none."""
    for key in all_keys():
        if key.kind == "sign" and key.default and key.secret:
            return signer(key.name)
    return None


def recipients(refs: list[str] | tuple[str, ...]) -> list[Any]:
    """pyrage recipients for ``--seal-to`` values: ``age1…`` keys or key names."""
    from pyrage import x25519

    named: dict[str, str] = {k.name: k.public for k in all_keys() if k.kind == "seal"}
    for name, (kind, public) in config_keys().items():
        if kind == "seal":
            named.setdefault(name, public)
    out = []
    for ref in refs:
        ref = ref.strip()
        if ref.startswith("age1"):
            _, public = parse_public(ref)
        elif ref in named:
            public = named[ref]
        else:
            raise KeyProblem(f"no recipient named {ref!r}",
                             "give an age1… key, or the name of a seal key "
                             "(supportkit keys list; trust: keys: in config.yaml)")
        out.append(x25519.Recipient.from_str(public))
    if not out:
        raise KeyProblem("no recipient given", "name at least one: --seal-to age1… or NAME")
    return out


def identities() -> list[Any]:
    """The age identities of this machine (your seal keys), to open sealed bundles."""
    out = []
    for key in all_keys():
        if key.kind == "seal" and key.secret:
            out.append(load_seal_secret(secret_text(key), f"key {key.name!r}"))
    return out


def own(kind: str) -> list[Key]:
    return [k for k in all_keys() if k.kind == kind and k.secret]
