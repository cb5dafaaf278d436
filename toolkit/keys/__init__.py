"""Keys: an Ed25519 signing key per engineer or agent, an age (X25519) identity per team.

Two kinds, one folder (``$SUPPORTKIT_HOME/keys``, 0700):

* **sign** — Ed25519 (``cryptography``). The public key is one line of plain text,
  ``ed25519:<base64 of the 32 raw bytes>``; the private key a PKCS#8 PEM.
* **seal** — an age X25519 identity (``pyrage``). The public key is the age recipient
  ``age1…``; the private key the age identity file, so ``age -d -i keys/NAME.key``
  opens what supportkit sealed.

Each key has ``NAME.json`` (kind, public key, where its secret is) and, when the secret
is held here, ``NAME.key`` (0600) or an entry in the OS keyring (``keys new --keyring``:
service ``supportkit-keys``, user NAME). A public key imported from someone else has no
secret: a signer whose signatures ``bundle verify`` trusts, or a recipient ``--seal-to``
can name. Teams publish their public keys in ``config.yaml`` (``trust: keys: {NAME:
KEY}``), honoured only when nobody else can write it. Secrets are never read from the
command line, printed or logged (``store.py``, ``trust.py``).
"""

from __future__ import annotations

from toolkit.keys.store import (
    KINDS,
    Key,
    KeyProblem,
    all_keys,
    export_secret,
    get,
    import_key,
    keys_dir,
    new_key,
    parse_public,
)
from toolkit.keys.trust import (
    Signer,
    config_keys,
    default_signer,
    expects_signatures,
    identities,
    recipients,
    signer,
    trusted_signers,
)

__all__ = ["KINDS", "Key", "KeyProblem", "Signer", "all_keys", "config_keys",
           "default_signer", "expects_signatures", "export_secret", "get", "identities",
           "import_key", "keys_dir", "new_key", "parse_public", "recipients", "signer",
           "trusted_signers"]
