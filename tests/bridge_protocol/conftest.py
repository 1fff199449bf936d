"""Builders of valid messages as plain dicts; a test changes what it is about."""

import json

import pytest

DEV = "door-main"
BOOT = "0a1b2c3d"
T0 = 1_711_846_800_000  # 2024-03-31T01:00:00Z
EVENT_ID = "0b7e3f1a-5c2d-4e8f-9a1b-2c3d4e5f6a7b"
SID = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
REQ = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
CID = "3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a098"
HMAC_A = "_EjiZFkh_2KGHJai7Pgd6uSXQR6QVy6zzMLkLt9kOTE"
HMAC_B = "HylSQVccFgKIBVCsI3QUGoP6bFRJCMiPhs_zuD0pUB0"

EVENT_DATA = {
    "access.decision": {
        "badge": "04A22B1C",
        "member": 42,
        "granted": True,
        "reason": "ok",
        "mode": "online",
        "req": REQ,
        "acl_ver": 7,
    },
    "session.start": {
        "sid": SID,
        "member": 42,
        "badge": "04A22B1C",
        "mode": "cache",
        "max_s": 7200,
    },
    "session.tick": {"sid": SID, "elapsed_s": 600, "busy_s": 420, "idle_s": 180, "busy": True},
    "session.end": {
        "sid": SID,
        "reason": "badge_out",
        "elapsed_s": 3600,
        "busy_s": 3000,
        "idle_s": 600,
    },
    "door.opened": {"by": "badge"},
    "door.closed": {"open_s": 4},
    "door.held_open": {"open_s": 30},
    "door.forced": {},
    "acl.applied": {"ver": 7, "entries": 120, "exp": T0 + 7 * 86_400_000},
    "acl.rejected": {"ver": 6, "reason": "old_version"},
    "reader.error": {"code": "bad_format", "detail": "Wiegand parity error"},
    "cmd.executed": {"cid": CID, "command": "unlock", "result": "executed", "reason": None},
}


def to_bytes(message):
    return json.dumps(message).encode()


@pytest.fixture
def make_event():
    def build(event_type="door.forced", **fields):
        event = {
            "v": 1,
            "id": EVENT_ID,
            "dev": DEV,
            "boot": BOOT,
            "seq": 17,
            "ts": T0,
            "mono": 5025,
            "clk": "sync",
            "type": event_type,
            "data": dict(EVENT_DATA[event_type]),
        }
        event.update(fields)
        return event

    return build


@pytest.fixture
def make_entry():
    def build(**fields):
        entry = {
            "badge": HMAC_A,
            "member": 42,
            "staff": False,
            "offline_ok": True,
            "max_s": None,
            "valid": [[T0, T0 + 8 * 3_600_000]],
            "outside_reason": "outside_hours",
        }
        entry.update(fields)
        return entry

    return build


@pytest.fixture
def make_allow_list(make_entry):
    def build(**fields):
        body = {
            "dev": DEV,
            "type": "acl",
            "iat": T0,
            "exp": T0 + 7 * 86_400_000,
            "ver": 7,
            "locked_out": False,
            "unlock": [],
            "stale_policy": "staff_only",
            "entries": [make_entry()],
        }
        body.update(fields)
        return body

    return build


@pytest.fixture
def make_command():
    def build(command=None, **fields):
        body = {
            "dev": DEV,
            "type": "cmd",
            "iat": T0,
            "exp": T0 + 30_000,
            "nonce": "q0mC3V9x7yq4kS1LwZ2pAg",
            "cid": CID,
            "command": command or {"name": "unlock", "seconds": 5},
        }
        body.update(fields)
        return body

    return build


@pytest.fixture
def make_auth_response():
    def build(**fields):
        body = {
            "dev": DEV,
            "type": "auth",
            "iat": T0,
            "exp": T0 + 2000,
            "req": REQ,
            "granted": True,
            "reason": "ok",
            "member": 42,
            "staff": False,
            "max_s": None,
        }
        body.update(fields)
        return body

    return build
