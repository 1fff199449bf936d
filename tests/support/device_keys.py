"""The server's key files for tests that make bridge configs (registering, rotating)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.keys import load_signing_key, make_badge_key, make_signing_key


def ensure_server_keys(app: Flask) -> None:
    """Write the signing key and badge key where the test app looks, once per session."""
    for name, maker in (("SIGNING_KEY_FILE", make_signing_key), ("BADGE_KEY_FILE", make_badge_key)):
        path = Path(app.config[name])
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(maker())
            path.chmod(0o600)


def server_public_key(app: Flask):  # type: ignore[no-untyped-def]
    return load_signing_key(app.config["SIGNING_KEY_FILE"]).public_key()
