"""`incubator keys init`: the signing key (ed25519) and the site badge key, in files.

Keys never live in the database and are never generated outside this command
(development mode points the files under instance/keys/). Back them up with
the database: without the badge key, the devices' allow-lists cannot be made.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


def make_signing_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def make_badge_key() -> bytes:
    return base64.b64encode(secrets.token_bytes(32)) + b"\n"


def load_signing_key(path: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an ed25519 private key")
    return key


def load_badge_key(path: str) -> bytes:
    key = base64.b64decode(Path(path).read_text().strip(), validate=True)
    if len(key) < 32:
        raise ValueError(f"{path} holds a badge key shorter than 32 bytes")
    return key


@click.group("keys")
def keys_cli() -> None:
    """The server's signing key and badge key."""


@keys_cli.command("init")
@click.option("--force", is_flag=True, help="Replace existing keys (devices must be resynced).")
def keys_init(force: bool) -> None:
    """Write the signing key and the badge key to their configured files."""
    targets = {
        "signing key": (current_app.config.get("SIGNING_KEY_FILE"), make_signing_key),
        "badge key": (current_app.config.get("BADGE_KEY_FILE"), make_badge_key),
    }
    for label, (path, _maker) in targets.items():
        if not path:
            raise click.UsageError(f"no file configured for the {label} (INCUBATOR_*_KEY_FILE)")
    for label, (path, maker) in targets.items():
        target = Path(str(path))
        if target.exists() and not force:
            click.echo(f"{label}: {target} exists, kept (use --force to replace)")
            continue
        _write_private(target, maker())
        click.echo(f"{label}: written to {target} (mode 600)")
