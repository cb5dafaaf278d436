"""``supportkit keys new | list | export | import`` — signing keys and sealing identities.

A private key never passes through the command line or the terminal: ``new`` makes
it in place, ``import`` reads it from a file (or stdin), ``export --secret`` writes it
to a new 0600 file. Public keys are printed, to be published (``trust: keys:``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, emit_json, json_option, say
from toolkit.errors import BadInput

NAME = click.argument("name", metavar="NAME")


@click.group(context_settings=CONTEXT_SETTINGS)
def keys() -> None:
    """Signing keys (Ed25519, one per engineer or agent) and sealing identities (age,
    one per team), kept in $SUPPORTKIT_HOME/keys (0600) or the OS keyring.

    \b
    Sign:  supportkit keys new alice            → run signs its bundles with it
    Seal:  supportkit keys new team --kind seal → publish its age1… key; users
           seal to it (run --seal-to age1…), this machine opens what they send
    Trust: supportkit keys import bob bob.pub   (or trust: keys: in config.yaml)
    """


@keys.command(context_settings=CONTEXT_SETTINGS)
@NAME
@click.option("--kind", type=click.Choice(["sign", "seal"]), default="sign", show_default=True,
              help="sign: an Ed25519 key that signs bundles; seal: an age identity that "
                   "opens bundles sealed to its public key.")
@click.option("--keyring", "use_keyring", is_flag=True,
              help="Keep the private key in the OS keyring (pip install "
                   "'supportkit[keyring]') instead of a 0600 file.")
@click.option("--default", "make_default", is_flag=True,
              help="Make it the signing key 'run' signs with (the first one is).")
@json_option
def new(name: str, kind: str, use_keyring: bool, make_default: bool, as_json: bool) -> None:
    """Make a new key NAME; prints its public key (never the private one)."""
    from toolkit.keys import new_key

    key = new_key(name, kind, use_keyring, make_default)
    if as_json:
        emit_json(key.as_json())
        return
    where = "the OS keyring" if key.secret == "keyring" else "a 0600 file in the key folder"
    what = ("signs your bundles" + (" by default" if key.default else " with --sign " + name)
            if kind == "sign" else "opens bundles sealed to it")
    click.echo(f"New {kind} key {name}: it {what}; the private key is in {where}.", err=True)
    click.echo(key.public)


@keys.command(name="list", context_settings=CONTEXT_SETTINGS)
@json_option
def list_(as_json: bool) -> None:
    """Your keys, the public keys you imported, and those config.yaml trusts."""
    from toolkit.keys import all_keys, config_keys
    from toolkit.keys.store import key_id

    rows: list[dict[str, Any]] = [{**k.as_json(), "source": "keys folder"} for k in all_keys()]
    for name, (kind, public) in config_keys().items():
        rows.append({"name": name, "kind": kind, "public": public, "key_id": key_id(public),
                     "created": None, "secret": None, "default": False,
                     "source": "config.yaml trust.keys"})
    if as_json:
        emit_json({"keys": rows})
        return
    if not rows:
        click.echo("No keys. Make one: supportkit keys new NAME [--kind seal]", err=True)
        return
    for r in rows:
        mine = {"file": "private key here", "keyring": "private key in the OS keyring"}.get(
            r["secret"] or "", "public only")
        flag = " (default signer)" if r["default"] else ""
        say(f"{r['name']:<16} {r['kind']:<4} {r['key_id']}  {mine}; {r['source']}{flag}")
        say(f"    {r['public']}")


@keys.command(context_settings=CONTEXT_SETTINGS)
@NAME
@click.option("--secret", is_flag=True, help="Export the private key (to carry a team "
              "identity to another machine) — only into a new file, with --out.")
@click.option("-o", "--out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE (created 0600, never overwritten) instead of stdout.")
def export(name: str, secret: bool, out: Path | None) -> None:
    """Print NAME's public key, to publish or to give to 'keys import' elsewhere."""
    from toolkit.keys import export_secret, get

    if secret:
        if out is None:
            raise BadInput("a private key is never printed", "give --out FILE (a new file)")
        export_secret(name, out)
        click.echo(f"Private key {name} written to {out} (0600). Move it over a private "
                   "channel and remove it after 'keys import'.", err=True)
        return
    public = get(name).public
    if out is None:
        click.echo(public)
        return
    try:
        out.write_text(public + "\n", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {out}: {exc.strerror}", "choose another file") from None


@keys.command(name="import", context_settings=CONTEXT_SETTINGS)
@NAME
@click.argument("source", metavar="FILE", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--keyring", "use_keyring", is_flag=True,
              help="Keep an imported private key in the OS keyring instead of a file.")
@json_option
def import_(name: str, source: Path, use_keyring: bool, as_json: bool) -> None:
    """Import a key from FILE ('-' for stdin) as NAME.

    A public key (ed25519:… or age1…) becomes a trusted signer or a recipient to seal
    to; a private key (a PEM Ed25519 key, or an age identity file from age-keygen or
    'keys export --secret') becomes yours.
    """
    from toolkit.keys import import_key

    if str(source) == "-":
        text = sys.stdin.read(64 * 1024)
    else:
        try:
            text = source.read_text(encoding="utf-8")[: 64 * 1024]
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read {source}: {exc}", "give a key file") from None
    key = import_key(name, text, str(source), use_keyring)
    if as_json:
        emit_json(key.as_json())
        return
    what = {("sign", True): "your signing key", ("seal", True): "your identity: it opens "
            "bundles sealed to it", ("sign", False): "a trusted signer",
            ("seal", False): f"a recipient: --seal-to {name}"}[(key.kind, key.secret is not None)]
    click.echo(f"Imported {name}: {what}.", err=True)
    click.echo(key.public)
