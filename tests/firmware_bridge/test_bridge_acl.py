"""Allow-lists: only a valid, newer, unexpired list for this device replaces the one in force."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bridge_protocol.keys import key_id, public_key_to_b64
from bridge_protocol.signing import Signer
from tests.firmware_bridge.support import DAY, OTHER_KEY, UID


def rejections(h):
    return [e["data"] for e in h.events("acl.rejected")]


def test_a_list_is_applied_stored_and_reported(make_bridge):
    h = make_bridge("door", acl=False)
    h.apply_list(h.server.allow_list(ver=3))
    assert h.bridge.acl.ver == 3
    assert h.bridge.store.allow_list.load().ver == 3
    applied = h.events("acl.applied")[-1]["data"]
    assert applied["ver"] == 3
    assert applied["entries"] == 3


def test_a_list_with_a_bad_signature_is_rejected_and_the_old_one_kept(make_bridge):
    h = make_bridge("door")
    forged = h.server.allow_list(
        ver=9, entries=[], signer=Signer(OTHER_KEY, kid=h.server.signer.kid)
    )
    h.apply_list(forged)
    assert h.bridge.acl.ver == 1
    assert rejections(h)[-1] == {"ver": None, "reason": "bad_signature"}
    assert h.bridge.door.on_badge(UID).granted


def test_a_list_signed_by_an_unknown_key_is_rejected(make_bridge):
    h = make_bridge("door")
    h.apply_list(h.server.allow_list(ver=9, signer=Signer(OTHER_KEY)))
    assert h.bridge.acl.ver == 1
    assert rejections(h)[-1]["reason"] == "unknown_kid"


def test_a_lower_version_is_refused(make_bridge):
    h = make_bridge("door", acl=False)
    h.apply_list(h.server.allow_list(ver=5))
    h.apply_list(h.server.allow_list(ver=4, entries=[]))
    assert h.bridge.acl.ver == 5
    assert rejections(h)[-1] == {"ver": 4, "reason": "old_version"}


def test_the_same_version_again_is_ignored_silently(make_bridge):
    h = make_bridge("door", acl=False)
    h.apply_list(h.server.allow_list(ver=5))
    h.apply_list(h.server.allow_list(ver=5))  # the retained copy at every reconnect
    assert rejections(h) == []
    assert len(h.events("acl.applied")) == 1


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"dev": "door-side"}, "foreign_dev"),
        ({"iat": 1_711_846_800_000 - 8 * DAY, "exp": 1_711_846_800_000 - DAY}, "expired"),
        ({"entries": "all"}, "invalid"),
    ],
)
def test_wrong_lists_are_rejected(make_bridge, fields, reason):
    h = make_bridge("door")
    h.apply_list(h.server.allow_list(ver=2, **fields))
    assert h.bridge.acl.ver == 1
    assert rejections(h)[-1]["reason"] == reason


def test_an_expired_list_is_accepted_when_the_clock_cannot_tell(make_bridge):
    h = make_bridge("door", acl=False, synced=False)
    now = h.clock.wall_ms()
    h.apply_list(h.server.allow_list(iat=now - 8 * DAY, exp=now - DAY))
    assert h.bridge.acl.ver == 1
    assert h.bridge.acl.list_now_ms() is None  # received unsynced: no trusted time


def test_the_list_survives_a_restart(make_bridge, tmp_path):
    path = tmp_path / "door.sqlite3"
    first = make_bridge("door", online=False, acl=False, store_path=path)
    first.apply_list(first.server.allow_list(ver=7))
    first.bridge.stop()
    second = make_bridge("door", online=False, acl=False, store_path=path)
    assert second.bridge.acl.ver == 7
    assert second.bridge.door.on_badge(UID).granted


def test_a_stored_list_from_a_key_no_longer_trusted_is_dropped(make_bridge, tmp_path):
    path = tmp_path / "door.sqlite3"
    first = make_bridge("door", online=False, acl=False, store_path=path)
    first.apply_list(first.server.allow_list(ver=7))
    first.bridge.stop()
    rotated = Ed25519PrivateKey.generate().public_key()
    keys = {"server_public_keys": [{"kid": key_id(rotated), "key": public_key_to_b64(rotated)}]}
    second = make_bridge("door", online=False, acl=False, store_path=path, keys=keys)
    assert second.bridge.acl.ver is None
    assert rejections(second)[-1]["reason"] == "unknown_kid"
    assert second.bridge.store.allow_list.load() is None


def test_two_keys_during_rotation(make_bridge):
    new = Ed25519PrivateKey.generate()
    h = make_bridge("door")
    entries = [
        *h.bridge.config.keys.model_dump(mode="json")["server_public_keys"],
        {"kid": key_id(new.public_key()), "key": public_key_to_b64(new.public_key())},
    ]
    rotating = make_bridge("door", keys={"server_public_keys": entries})
    rotating.apply_list(rotating.server.allow_list(ver=2, signer=Signer(new)))
    assert rotating.bridge.acl.ver == 2
