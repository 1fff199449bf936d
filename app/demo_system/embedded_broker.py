"""The demo's broker when Mosquitto is not installed: amqtt, in a process of its own.

``python -m app.demo_system.embedded_broker --port N --accounts FILE``

amqtt speaks MQTT 3.1.1 only and has no dynamic-security plugin, so the demo
runs the gateway and the bridges on 3.1.1 and hands this broker the accounts
itself: a JSON file of ``{username: {"salt", "hash"}}`` (PBKDF2-SHA256), read
again at every login, so a password rotated by the demo works at once.
Accounts are checked; topics are not confined per device (that needs
Mosquitto). Stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amqtt.broker import Broker
from amqtt.plugins.base import BaseAuthPlugin

log = logging.getLogger("demo.broker")
ITERATIONS = 10_000


def hash_password(password: str, *, salt: bytes | None = None) -> dict[str, str]:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, ITERATIONS)
    return {"salt": base64.b64encode(salt).decode(), "hash": base64.b64encode(digest).decode()}


def password_matches(password: str, entry: Mapping[str, Any]) -> bool:
    try:
        salt = base64.b64decode(str(entry["salt"]))
        expected = base64.b64decode(str(entry["hash"]))
    except (KeyError, ValueError):
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, ITERATIONS)
    return hmac.compare_digest(digest, expected)


def write_accounts(path: Path, accounts: Mapping[str, str]) -> None:
    """Write the accounts file (mode 600) for `accounts` (username -> password)."""
    data = {name: hash_password(password) for name, password in accounts.items()}
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


class AccountsFileAuth(BaseAuthPlugin):
    """Logins by username and password from the demo's accounts file; anonymous refused."""

    @dataclass
    class Config:
        accounts_file: str = ""

    async def authenticate(self, *, session: Any) -> bool | None:
        username = getattr(session, "username", None)
        password = getattr(session, "password", None)
        if not username or password is None:
            return False
        try:
            accounts = json.loads(Path(self.config.accounts_file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.error("cannot read the accounts file %s", self.config.accounts_file)
            return False
        entry = accounts.get(username) if isinstance(accounts, dict) else None
        if not isinstance(entry, dict):
            return False
        text = password.decode("utf-8", "replace") if isinstance(password, bytes) else password
        return password_matches(str(text), entry)


def broker_config(*, host: str, port: int, accounts_file: Path) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {
            f"{__name__}.AccountsFileAuth": {"accounts_file": str(accounts_file)},
        },
    }


async def serve(host: str, port: int, accounts_file: Path) -> None:
    broker = Broker(broker_config(host=host, port=port, accounts_file=accounts_file))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await broker.start()
    log.info("embedded MQTT broker (amqtt, MQTT 3.1.1) on %s:%d", host, port)
    await stop.wait()
    await broker.shutdown()
    log.info("embedded MQTT broker stopped")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The demo's embedded MQTT broker (amqtt).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--accounts", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(serve(args.host, args.port, args.accounts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
