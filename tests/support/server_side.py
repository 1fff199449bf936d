"""The server's side of the keys: what it signs and how it names badges, without a broker.

`ServerSide` holds an Ed25519 signing key and a site badge key, and builds what
the server would send (allow-lists with badge HMACs, commands), so tests and the
benchmark can make valid, or deliberately broken, signed payloads.
`write_bridge_config` writes a bridge config that trusts it. `ServerDouble`
(`tests.support.server_double`) adds the MQTT side.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from bridge_protocol import badge_keys, keys
from bridge_protocol.acl import AllowEntry, AllowList, StalePolicy
from bridge_protocol.badges import normalize
from bridge_protocol.commands import Command, Lockout, PowerOff, Resync, Unlock
from bridge_protocol.config import BridgeConfig, dump_toml, load_config
from bridge_protocol.signing import Signer
from bridge_protocol.wire import new_uuid, now_ms

DAY_MS = 86_400_000
Action = Unlock | PowerOff | Lockout | Resync


class ServerSide:
    """The server's keys and what it builds from them (allow-lists, commands), with no broker."""

    def __init__(
        self,
        *,
        signing_key: Ed25519PrivateKey | None = None,
        site_badge_key: bytes | None = None,
    ) -> None:
        self.signing_key = signing_key or keys.generate_signing_key()
        self.signer = Signer(self.signing_key)
        self.site_badge_key = site_badge_key or keys.generate_badge_key()
        self._versions: dict[str, int] = {}

    @property
    def kid(self) -> str:
        return self.signer.kid

    @property
    def public_key_b64(self) -> str:
        return keys.public_key_to_b64(self.signing_key.public_key())

    def device_badge_key(self, dev: str) -> bytes:
        return badge_keys.derive_device_key(self.site_badge_key, dev)

    def badge_hmac(self, dev: str, raw_uid: str, reader_format: str = "hex") -> str:
        return badge_keys.badge_hmac(self.device_badge_key(dev), normalize(raw_uid, reader_format))

    def sign(self, body: BaseModel) -> bytes:
        return self.signer.sign(body)

    def entry(
        self,
        dev: str,
        uid: str,
        member: int,
        *,
        staff: bool = False,
        offline_ok: bool = True,
        max_s: int | None = None,
        valid: Iterable[tuple[int, int]] | None = None,
        outside_reason: Literal["outside_hours", "no_booking"] = "outside_hours",
    ) -> AllowEntry:
        """An entry for badge `uid` (as a reader sends it, hex); valid for a week around now."""
        if valid is None:
            now = now_ms()
            valid = [(now - DAY_MS, now + 8 * DAY_MS)]
        return AllowEntry(
            badge=self.badge_hmac(dev, uid),
            member=member,
            staff=staff,
            offline_ok=offline_ok,
            max_s=max_s,
            valid=tuple(valid),
            outside_reason=outside_reason,
        )

    def make_allow_list(
        self,
        dev: str,
        entries: Iterable[AllowEntry] = (),
        *,
        ver: int | None = None,
        iat: int | None = None,
        exp: int | None = None,
        locked_out: bool = False,
        unlock: Iterable[tuple[int, int]] = (),
        stale_policy: StalePolicy | str = StalePolicy.KEEP,
    ) -> AllowList:
        """A valid list; `ver` defaults to one above the last this double made for `dev`."""
        if ver is None:
            ver = self._versions.get(dev, 0) + 1
        self._versions[dev] = max(ver, self._versions.get(dev, 0))
        iat = now_ms() - 1000 if iat is None else iat
        exp = iat + 7 * DAY_MS if exp is None else exp
        return AllowList(
            dev=dev,
            iat=iat,
            exp=exp,
            ver=ver,
            locked_out=locked_out,
            unlock=tuple(unlock),
            stale_policy=StalePolicy(stale_policy),
            entries=tuple(entries),
        )

    def command_body(
        self,
        dev: str,
        action: Action,
        *,
        ttl_ms: int = 30_000,
        iat: int | None = None,
        nonce: str | None = None,
        cid: str | None = None,
    ) -> Command:
        iat = now_ms() if iat is None else iat
        return Command(
            dev=dev,
            iat=iat,
            exp=iat + ttl_ms,
            nonce=nonce or secrets.token_urlsafe(16),
            cid=cid or new_uuid(),
            command=action,
        )


def tamper_body(payload: bytes) -> bytes:
    """The same envelope with one character of the body changed: the signature no longer fits."""
    envelope = json.loads(payload)
    body = envelope["body"]
    envelope["body"] = body.replace('"iat":', '"iat": ', 1) if '"iat":' in body else body + " "
    return json.dumps(envelope, separators=(",", ":")).encode()


def other_signer() -> Signer:
    """A signer with a key no device knows (``unknown_kid``)."""
    return Signer(keys.generate_signing_key())


def impostor_signer(server: ServerSide) -> Signer:
    """Another key presenting the double's key id: the signature check itself must fail."""
    return Signer(keys.generate_signing_key(), kid=server.kid)


# Bridge configs -----------------------------------------------------------------------


def write_bridge_config(
    path: str | Path,
    *,
    dev: str,
    server: ServerSide,
    broker: Any = None,
    url: str | None = None,
    kind: Literal["door", "machine"] = "door",
    store_path: str | Path | None = None,
    port: int | None = None,
    password: str | None = None,
    protocol: Literal["auto", "5", "3.1.1"] = "auto",
    request_timeout_ms: int = 300,
    resend_s: int = 5,
    stale_policy: StalePolicy | str | None = None,
    reader: Literal["simulated", "stdin"] = "simulated",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> BridgeConfig:
    """Write a bridge config TOML for `dev` against the test broker; returns it validated.

    Fast timings as the tests need them: keepalive 2 s, reconnect 0.1-1 s.
    The broker (a `tests.support.mosquitto.Broker`) gives the URL and the
    device's password; `port` points the bridge elsewhere (a `TcpProxy`),
    `url` and `password` replace both. `overrides` replaces keys per table,
    e.g. ``{"door": {"unlock_s": 1}}``.
    """
    path = Path(path)
    if url is None:
        url = f"mqtt://{broker.host}:{port or broker.port}"
    if password is None:
        password = broker.accounts[dev].password
    data: dict[str, Any] = {
        "device": {"id": dev, "kind": kind},
        "mqtt": {
            "url": url,
            "username": dev,
            "password": password,
            "protocol": protocol,
            "keepalive_s": 2,
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 1.0,
            "request_timeout_ms": request_timeout_ms,
        },
        "store": {"path": str(store_path or path.with_suffix(".sqlite3"))},
        "keys": {
            "server_public_keys": [{"kid": server.kid, "key": server.public_key_b64}],
            "badge_key": keys.encode_b64(server.device_badge_key(dev)),
        },
        "reader": {"kind": reader, "format": "hex"},
        "gpio": (
            {"door_strike": 17, "door_contact": 27, "led_green": 5, "led_red": 6}
            if kind == "door"
            else {"machine_relay": 22, "busy_input": 23, "led_green": 5, "led_red": 6}
        ),
        "policy": {"resend_s": resend_s},
        "log": {"level": "DEBUG"},
    }
    if stale_policy is not None:
        data["policy"]["stale"] = str(StalePolicy(stale_policy))
    for table, values in (overrides or {}).items():
        data.setdefault(table, {}).update(values)
    path.write_text(dump_toml(data), encoding="utf-8")
    path.chmod(0o600)
    return load_config(path)
