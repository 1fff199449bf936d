"""The gateway end to end: a real Mosquitto, a database of its own, real bridges.

One broker, database and gateway serve the whole module; each test uses
devices of its own. Nothing here measures time: every wait polls a condition
(up to 10 s).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.models import (
    AccessEvent,
    Badge,
    Device,
    Member,
    Qualification,
    QuarantinedEvent,
    Resource,
    ResourceKind,
    Role,
    Sector,
    Tenant,
    UsageSession,
)
from bridge_protocol import topics
from bridge_protocol.acl import AllowList
from bridge_protocol.badge_keys import badge_hmac
from bridge_protocol.signing import Verifier
from bridge_protocol.wire import new_boot_id, now_ms
from tests.gateway.helpers import DeviceEvents, event_id
from tests.support import mosquitto
from tests.support.gateway_rig import GatewaySystem, utcnow, wait_until
from tests.support.mosquitto import GATEWAY, MONITOR, Broker

pytestmark = [pytest.mark.mqtt, pytest.mark.db]

MEMBER_BADGE = "04A1000001"
MANAGER_BADGE = "04A1000002"
LEAVER_BADGE = "04A1000003"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewaySystem]:
    binary = mosquitto.require_mosquitto()
    broker = Broker(tmp_path_factory.mktemp("mosquitto"), binary=binary)
    broker.add_server(GATEWAY)
    broker.add_server(MONITOR)
    broker.start()
    instance = GatewaySystem(broker, tmp_path_factory.mktemp("gateway"))
    try:
        seed(instance)
        instance.start_gateway()
        yield instance
    finally:
        instance.close()
        broker.close()


def seed(system: GatewaySystem) -> None:
    with system.db() as session:
        tenant = Tenant(name="Atelier", slug="atelier", sector=Sector.CREATIVE)
        member = Member(email="maker@example.org", name="Maker", role=Role.MEMBER, tenant=tenant)
        leaver = Member(email="leaver@example.org", name="Leaver", role=Role.MEMBER, tenant=tenant)
        manager = Member(email="staff@example.org", name="Staff", role=Role.MANAGER)
        laser = Resource(
            slug="laser-x", name="Laser", kind=ResourceKind.MACHINE, training_required=True
        )
        session.add_all(
            [
                Badge(uid=MEMBER_BADGE, member=member),
                Badge(uid=MANAGER_BADGE, member=manager),
                Badge(uid=LEAVER_BADGE, member=leaver),
                Qualification(member=member, resource=laser),
            ]
        )


def member_id(system: GatewaySystem, email: str) -> int:
    return int(system.scalar(sa.select(Member.id).where(Member.email == email)))


def rows(system: GatewaySystem, model, *where):
    with system.db() as session:
        found = session.scalars(sa.select(model).where(*where)).all()
        session.expunge_all()
        return found


def start_door(system: GatewaySystem):
    dev = system.add_device("door")
    bridge = system.start_bridge(dev)
    bridge.wait_until(lambda: bridge.acl_ver is not None, what="a first allow-list")
    return dev, bridge


def test_a_door_is_decided_online_by_the_gateway(system):
    dev, bridge = start_door(system)

    granted = bridge.scan(MEMBER_BADGE)
    denied = bridge.scan("04FFFF0001")

    assert (granted.granted, granted.reason, granted.mode) == (True, "ok", "online")
    assert granted.member == member_id(system, "maker@example.org")
    assert (denied.granted, denied.reason, denied.mode) == (False, "unknown_badge", "online")
    bridge.wait_drained()
    stored = rows(
        system, AccessEvent, AccessEvent.device_id == dev, AccessEvent.type == "access.decision"
    )
    assert sorted((e.badge_uid, e.granted, e.mode) for e in stored) == [
        (MEMBER_BADGE, True, "online"),
        ("04FFFF0001", False, "online"),
    ]


def test_events_are_stored_exactly_once_and_acked_after_the_commit(system):
    dev = system.add_device("door")
    device = system.device_client(dev)
    device.subscribe(topics.device_down_filter(dev))
    events = DeviceEvents(dev)
    payloads = [events.decision("04BB000001", granted=False) for _ in range(30)]
    ids = [event_id(p) for p in payloads]

    for payload in payloads:
        device.publish(topics.events(dev), payload)

    def acked() -> list[str]:
        return [i for m in device.received(topics.event_ack(dev)) for i in m.json()["ids"]]

    wait_until(lambda: set(acked()) == set(ids), what="an ack for every event")
    assert system.count(AccessEvent, AccessEvent.device_id == dev) == 30
    for payload in payloads[:10]:  # resent, as after a lost ack
        device.publish(topics.events(dev), payload)
    wait_until(lambda: len(acked()) == 40, what="the resent events acked again")
    assert system.count(AccessEvent, AccessEvent.device_id == dev) == 30
    assert all(acked().count(i) == 2 for i in ids[:10])


def test_hostile_payloads_on_every_topic_are_refused_and_the_gateway_keeps_answering(system):
    dev = system.add_device("door")
    device = system.device_client(dev)
    device.subscribe(topics.device_down_filter(dev))
    good = json.loads(DeviceEvents(dev).decision("04BB000002", granted=False))
    hostile = {
        topics.status(dev): [
            b"{",
            b"\xff\xfe\x00",
            b"null",
            b"x" * 5000,
            b'{"v":1,"state":"ready","boot":"NOT-HEX"}',
            b'{"v":1,"state":"ready","boot":"0a1b2c3d","outbox":-1}',
            b'{"v":1,"state":"ready","boot":"0a1b2c3d","evil":true}',
        ],
        topics.events(dev): [
            b"[" * 1000 + b"]" * 1000,
            b"x" * 5000,
            json.dumps(good | {"dev": "another-door"}).encode(),
            json.dumps(good | {"id": str(uuid.uuid4()), "v": 7}).encode(),
            json.dumps(good | {"id": str(uuid.uuid4()), "data": {"badge": "'; DROP"}}).encode(),
        ],
        topics.auth_request(dev): [
            b"",
            b"{}",
            b"x" * 5000,
            json.dumps({"v": 1, "req": "1", "dev": dev, "badge": "04", "ts": 1, "exp": 2}).encode(),
        ],
        topics.cmd_ack(dev): [
            b"\x00",
            json.dumps({"v": 1, "cid": str(uuid.uuid4()), "result": "executed", "ts": 1}).encode(),
            b'{"v":1,"cid":"x","result":"exploded","ts":1}',
        ],
        f"{topics.PREFIX}d/{dev}/up/unknown": [b"{}"],
    }
    expected = sum(len(payloads) for payloads in hostile.values())
    before = system.metrics.rejects.total()

    for topic, payloads in hostile.items():
        for payload in payloads:
            device.publish(topic, payload)
    wait_until(lambda: system.metrics.rejects.total() - before >= expected, what="every reject")

    ts = now_ms()
    request = {"v": 1, "req": str(uuid.uuid4()), "dev": dev, "badge": MANAGER_BADGE}
    device.publish(topics.auth_request(dev), json.dumps(request | {"ts": ts, "exp": ts + 5000}))
    answer = device.wait_for(topic=topics.auth_response(dev))
    assert request["req"] in json.loads(answer.json()["body"])["req"]
    assert system.metrics.rejects.total() - before == expected
    assert system.metrics.handler_errors.total() == 0
    assert system.gateway.link.connected
    quarantined = rows(system, QuarantinedEvent, QuarantinedEvent.device_id == dev)
    assert sorted(q.reason for q in quarantined) == [
        "foreign_dev",
        "invalid",
        "unsupported_version",
    ]
    text = system.metrics_text()
    for kind in ("status", "evt", "req/auth", "cmdack", "other"):
        assert f'gateway_rejects_total{{topic="{kind}"' in text


def status(state: str, boot: str) -> bytes:
    return json.dumps({"v": 1, "state": state, "boot": boot}).encode()


def test_a_late_last_will_from_an_old_boot_is_ignored(system):
    dev = system.add_device("door")
    old, new = new_boot_id(), new_boot_id()
    first = system.device_client(dev, will=(topics.status(dev), status("lost", old), True))
    first.publish(topics.status(dev), status("ready", old), retain=True)

    def device() -> Device:
        with system.db() as session:
            found = session.get(Device, dev)
            session.expunge(found)
            return found

    wait_until(lambda: device().boot == old and device().online, what="the first boot online")
    second = system.device_client(dev)  # takes the client id over: the broker fires the Will
    second.publish(topics.status(dev), status("ready", new), retain=True)
    wait_until(lambda: device().boot == new and device().online, what="the new boot online")
    stale = system.metrics.rejects.value(topic="status", reason="stale_will")

    second.publish(topics.status(dev), status("lost", old), retain=True)  # the old Will, late

    wait_until(
        lambda: system.metrics.rejects.value(topic="status", reason="stale_will") > stale,
        what="the late Will counted",
    )
    assert (device().online, device().boot) == (True, new)


def test_a_revoked_badge_gets_a_new_retained_allow_list_and_an_online_denial(system):
    from app.services.badges import revoke_badge

    dev, bridge = start_door(system)
    assert bridge.scan(LEAVER_BADGE).granted
    before = bridge.acl_ver

    with system.db() as session:
        badge = session.scalar(sa.select(Badge).where(Badge.uid == LEAVER_BADGE))
        manager = session.scalar(sa.select(Member).where(Member.role == Role.MANAGER))
        revoke_badge(badge, actor=manager, now=utcnow())

    bridge.wait_until(lambda: bridge.acl_ver > before, what="a newer allow-list")
    monitor = system.monitor()
    monitor.subscribe(topics.acl(dev))
    retained = monitor.wait_for(topic=topics.acl(dev))
    assert retained.retain
    verifier = Verifier.from_keys(system.server.signing_key.public_key())
    allow_list = AllowList.model_validate_json(verifier.verify(retained.payload))
    assert allow_list.ver == bridge.acl_ver
    key = system.server.device_badge_key(dev)
    assert allow_list.lookup(badge_hmac(key, LEAVER_BADGE)) is None
    assert allow_list.lookup(badge_hmac(key, MEMBER_BADGE)) is not None
    denied = bridge.scan(LEAVER_BADGE)
    assert (denied.granted, denied.reason, denied.mode) == (False, "badge_inactive", "online")


def test_a_machine_session_is_built_and_the_qualification_renewed(system):
    dev = system.add_device("machine", "laser-x")
    bridge = system.start_bridge(dev, kind="machine")
    bridge.wait_until(lambda: bridge.acl_ver is not None, what="a first allow-list")

    decision = bridge.scan(MEMBER_BADGE)
    assert (decision.granted, decision.mode) == (True, "online")
    assert (decision.max_s or 0) > 0
    assert bridge.relay_energised
    bridge.scan(MEMBER_BADGE)  # badge out
    bridge.wait_drained()

    [session] = rows(system, UsageSession, UsageSession.device_id == dev)
    maker = member_id(system, "maker@example.org")
    assert (session.member_id, session.stop_reason) == (maker, "badge_out")
    assert session.ended_at is not None
    assert session.ended_at >= session.started_at
    qualification = rows(system, Qualification, Qualification.member_id == maker)[0]
    assert qualification.last_used_at is not None


def test_events_published_while_the_gateway_is_down_arrive_when_it_is_back(system):
    """The gateway's persistent session: the broker keeps its messages while it is away."""
    dev = system.add_device("door")
    device = system.device_client(dev)
    device.subscribe(topics.device_down_filter(dev))
    device.subscribe(topics.SERVER_STATUS)
    system.stop_gateway()
    device.wait_for(lambda m: m.json()["state"] == "offline", topic=topics.SERVER_STATUS)
    payload = DeviceEvents(dev).decision("04BB000003", granted=False)

    device.publish(topics.events(dev), payload)
    system.start_gateway()

    ack = device.wait_for(topic=topics.event_ack(dev))
    assert ack.json()["ids"] == [event_id(payload)]
    assert system.count(AccessEvent, AccessEvent.device_id == dev) == 1
