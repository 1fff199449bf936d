"""Test doubles for the bridge: a fake broker link, a fake server that signs, recording feedback.

The `make_bridge` fixture (conftest.py) puts them together around a started `Bridge`.
"""

import json
import os

# Set before anything builds a device, so no test can reach for real pins.
os.environ["GPIOZERO_PIN_FACTORY"] = "mock"

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gpiozero.pins.mock import MockFactory

from bridge_protocol import topics
from bridge_protocol.badge_keys import badge_hmac, derive_device_key
from bridge_protocol.config import dump_toml, parse_config
from bridge_protocol.keys import encode_b64, key_id, public_key_to_b64
from bridge_protocol.signing import Signer
from bridge_protocol.wire import new_uuid
from devices.timing import ManualScheduler
from firmware_bridge.clock import ManualClock
from firmware_bridge.daemon import Bridge, BridgeOptions

SERVER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
SITE_BADGE_KEY = bytes(range(100, 132))
PASSWORD = "mqtt-password-for-tests"
T0 = 1_711_846_800_000  # 2024-03-31T01:00:00Z, the ManualClock's wall start
HOUR = 3_600_000
DAY = 24 * HOUR
UID = "04A22B1C"  # a member's badge
STAFF_UID = "04B33C2D"  # a manager's badge
OTHER_UID = "04C44D3E"  # another member's badge
UNKNOWN_UID = "DEADBEEF"


def device_badge_key(dev):
    return derive_device_key(SITE_BADGE_KEY, dev)


def config_data(kind, store_path, **sections):
    dev = "door-main" if kind == "door" else "laser-1"
    public = SERVER_KEY.public_key()
    gpio = {"door_strike": 17, "door_contact": 27} if kind == "door" else {"machine_relay": 22}
    data = {
        "device": {"id": dev, "kind": kind},
        "mqtt": {"url": "mqtt://127.0.0.1:1883", "username": dev, "password": PASSWORD},
        "store": {"path": str(store_path)},
        "keys": {
            "server_public_keys": [{"kid": key_id(public), "key": public_key_to_b64(public)}],
            "badge_key": encode_b64(device_badge_key(dev)),
        },
        "reader": {"kind": "simulated"},
        "gpio": gpio,
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return data


@dataclass
class Sent:
    topic: str
    payload: bytes
    retain: bool

    def json(self):
        return json.loads(self.payload)


@dataclass
class FakeLink:
    """Records what the bridge publishes; `on_publish(topic, payload)` plays a responder."""

    connected: bool = True
    sent: list = field(default_factory=list)
    on_publish: Any = None
    resubscribes: int = 0

    def publish(self, topic, payload, *, retain=False):
        if not self.connected:
            return False
        self.sent.append(Sent(topic, bytes(payload), retain))
        if self.on_publish is not None:
            self.on_publish(topic, bytes(payload))
        return True

    def resubscribe(self):
        self.resubscribes += 1

    def on(self, topic):
        return [s.json() for s in self.sent if s.topic == topic]


class RecordingFeedback:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        if name not in ("granted", "denied", "idle", "offline", "error", "warn"):
            raise AttributeError(name)

        def record(*args):
            self.calls.append((name, *args))

        return record

    def names(self):
        return [call[0] for call in self.calls]

    def warnings(self):
        return [call[1] for call in self.calls if call[0] == "warn"]


class FakeServer:
    """Signs what the server sends to one device; `answer` plays the server's access decisions."""

    def __init__(self, dev, clock, signer=None):
        self.dev = dev
        self.clock = clock
        self.signer = signer or Signer(SERVER_KEY)
        self.key = device_badge_key(dev)
        self.decisions = {}

    def entry(self, uid=UID, member=42, *, valid=None, **fields):
        now = self.clock.wall_ms()
        entry = {
            "badge": badge_hmac(self.key, uid),
            "member": member,
            "valid": valid if valid is not None else [[now - HOUR, now + 8 * HOUR]],
        }
        entry.update(fields)
        return entry

    def standard_entries(self):
        return [
            self.entry(UID, 42),
            self.entry(STAFF_UID, 7, staff=True),
            self.entry(OTHER_UID, 43),
        ]

    def allow_list(self, entries=None, *, ver=1, signer=None, **fields):
        now = self.clock.wall_ms()
        body = {
            "dev": self.dev,
            "type": "acl",
            "iat": now,
            "exp": now + 7 * DAY,
            "ver": ver,
            "locked_out": False,
            "unlock": [],
            "stale_policy": "keep",
            "entries": entries if entries is not None else self.standard_entries(),
        }
        body.update(fields)
        return (signer or self.signer).sign(body)

    def response(self, req, *, granted=True, reason="ok", member=42, signer=None, **fields):
        now = self.clock.wall_ms()
        body = {
            "dev": self.dev,
            "type": "auth",
            "iat": now,
            "exp": now + 2000,
            "req": req,
            "granted": granted,
            "reason": reason,
            "member": member,
            "staff": False,
            "max_s": None,
        }
        body.update(fields)
        return (signer or self.signer).sign(body)

    def command(self, command, *, signer=None, **fields):
        now = self.clock.wall_ms()
        body = {
            "dev": self.dev,
            "type": "cmd",
            "iat": now,
            "exp": now + 30_000,
            "nonce": new_uuid().replace("-", ""),
            "cid": new_uuid(),
            "command": command,
        }
        body.update(fields)
        return (signer or self.signer).sign(body)

    def answer(self, bridge, link):
        """Answer every access request at once from `self.decisions` (uid -> fields)."""

        def respond(topic, payload):
            if topic != topics.auth_request(self.dev):
                return
            request = json.loads(payload)
            fields = self.decisions.get(request["badge"])
            if fields is None:
                fields = {"granted": False, "reason": "unknown_badge", "member": None}
            bridge.deliver(topics.auth_response(self.dev), self.response(request["req"], **fields))

        link.on_publish = respond


@dataclass
class Harness:
    bridge: Bridge
    link: FakeLink
    server: FakeServer
    clock: ManualClock
    scheduler: ManualScheduler
    factory: MockFactory
    feedback: RecordingFeedback

    @property
    def dev(self):
        return self.bridge.dev

    def events(self, event_type=None):
        """Every event in the outbox (not yet acked), oldest first, decoded."""
        decoded = [json.loads(p) for p in self.bridge.store.outbox.payloads()]
        return [e for e in decoded if event_type is None or e["type"] == event_type]

    def published_events(self, event_type=None):
        sent = self.link.on(topics.events(self.dev))
        return [e for e in sent if event_type is None or e["type"] == event_type]

    def apply_list(self, payload=None, **fields):
        self.bridge.deliver(topics.acl(self.dev), payload or self.server.allow_list(**fields), True)

    def server_status(self, state):
        self.bridge.deliver(
            topics.SERVER_STATUS, json.dumps({"v": 1, "state": state}).encode(), True
        )

    def advance(self, seconds):
        self.scheduler.advance(seconds)

    def pin(self, number):
        return self.factory.pin(number)


def build_harness(
    kind,
    store_path,
    *,
    online=True,
    synced=True,
    acl=True,
    scheduler=None,
    clock=None,
    options=None,
    **sections,
):
    """A started bridge on a hand-moved clock, a fake link and mock pins; the caller stops it."""
    scheduler = scheduler or ManualScheduler()
    clock = clock or ManualClock(scheduler, wall_start_ms=T0, synced=synced)
    config = parse_config(dump_toml(config_data(kind, store_path, **sections)), environ={})
    link = FakeLink(connected=online)
    feedback = RecordingFeedback()
    factory = MockFactory()
    bridge = Bridge(
        config,
        options=options or BridgeOptions(),
        environ={},
        clock=clock,
        scheduler=scheduler,
        link=link,
        pin_factory=factory,
        feedback=feedback,
    )
    if kind == "door":
        factory.pin(27).drive_low()  # the door starts closed (the contact reads active)
    harness = Harness(
        bridge, link, FakeServer(bridge.dev, clock), clock, scheduler, factory, feedback
    )
    bridge.start()
    if online:
        bridge.link_up()
        harness.server_status("online")
    if acl:
        harness.apply_list()
    return harness


def crash(harness):
    """Stop a bridge the way a power cut would: no last tick, nothing said, pins just let go."""
    bridge = harness.bridge
    bridge._stopped = True
    bridge.badges.stop()
    bridge.hardware.close()
    bridge.store.close()
