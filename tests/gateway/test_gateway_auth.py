"""Access requests answered from memory: device id from the topic, expired ones dropped."""

import datetime as dt
import json
import uuid

import pytest

from app.gateway.auth import AuthResponder, RateLimiter
from app.gateway.ingest import IngestWorker
from app.gateway.rejects import Rejects
from app.gateway.router import Router
from app.gateway.snapshots import SnapshotHolder
from app.services.site import get_site_settings
from bridge_protocol import topics
from bridge_protocol.access import AccessResponse
from bridge_protocol.signing import open_signed
from tests.gateway.helpers import ALWAYS_OPEN, BRUSSELS

pytestmark = pytest.mark.db
NOW_MS = 1_800_000_000_000


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(db_session, make_device, make_member, make_badge):
    get_site_settings().building_hours = ALWAYS_OPEN
    door = make_device("door", id="front-door")
    member = make_member()
    make_badge(member, uid="04EE000001")
    make_badge(member, uid="04EE000002", active=False)
    snapshots = SnapshotHolder()
    snapshots.load(now=dt.datetime.now(dt.UTC), zone=BRUSSELS)
    return door, member, snapshots


@pytest.fixture
def responder(world, link, metrics, signer):
    _door, _member, snapshots = world
    return AuthResponder(
        snapshots=snapshots,
        signer=signer,
        publisher=link,
        metrics=metrics,
        rejects=Rejects(metrics),
        limiter=RateLimiter(10, clock=Clock()),
        clock_ms=lambda: NOW_MS,
    )


def request(dev="front-door", badge="04EE000001", *, ts=NOW_MS - 100, ttl=2000, **fields):
    body = {"v": 1, "req": str(uuid.uuid4()), "dev": dev, "badge": badge, "ts": ts, "exp": ts + ttl}
    body.update(fields)
    return body


def answer(link, verifier, dev="front-door"):
    [sent] = link.on(topics.auth_response(dev))
    assert not sent.retain
    return open_signed(sent.payload, verifier, AccessResponse, expect_dev=dev, now_ms=NOW_MS)


def test_a_known_badge_is_granted_with_req_echoed_and_exp_copied(
    responder, link, verifier, world, metrics
):
    _door, member, _snapshots = world
    asked = request()

    responder.handle("front-door", json.dumps(asked).encode())

    response = answer(link, verifier)
    assert (response.granted, response.reason, response.member) == (True, "ok", member.id)
    assert (response.req, response.exp, response.iat) == (asked["req"], asked["exp"], NOW_MS)
    assert metrics.auth_answered.value(reason="ok") == 1


@pytest.mark.parametrize(
    ("badge", "reason"), [("04EE000002", "badge_inactive"), ("04FFFFFFFF", "unknown_badge")]
)
def test_other_badges_are_denied_with_their_reason(responder, link, verifier, badge, reason):
    responder.handle("front-door", json.dumps(request(badge=badge)).encode())

    response = answer(link, verifier)
    assert (response.granted, response.reason) == (False, reason)


def test_the_device_is_the_topics_not_the_payloads(responder, link, metrics):
    responder.handle("front-door", json.dumps(request(dev="other-door")).encode())

    assert link.sent == []
    assert metrics.rejects.value(topic="req/auth", reason="foreign_dev") == 1


def test_an_expired_request_is_dropped_and_counted(responder, link, metrics):
    responder.handle("front-door", json.dumps(request(ts=NOW_MS - 3000)).encode())

    assert link.sent == []
    assert metrics.auth_expired.total() == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "bad_json"),
        (b"\x00\x01", "bad_json"),
        (b"[]", "invalid"),
        (json.dumps(request(badge="not hex")).encode(), "invalid"),
        (json.dumps(request(ttl=60_000)).encode(), "invalid"),
        (json.dumps(request(v=2)).encode(), "unsupported_version"),
        (json.dumps(request(extra=1)).encode(), "invalid"),
        (b"{" * 2000, "too_large"),
    ],
)
def test_hostile_requests_are_counted_and_not_answered(responder, link, metrics, payload, reason):
    responder.handle("front-door", payload)

    assert link.sent == []
    assert metrics.rejects.value(topic="req/auth", reason=reason) == 1


def test_a_device_asking_too_often_is_not_answered(world, link, metrics, signer):
    _door, _member, snapshots = world
    clock = Clock()
    responder = AuthResponder(
        snapshots=snapshots,
        signer=signer,
        publisher=link,
        metrics=metrics,
        rejects=Rejects(metrics),
        limiter=RateLimiter(2, clock=clock),
        clock_ms=lambda: NOW_MS,
    )
    for _ in range(6):
        responder.handle("front-door", json.dumps(request()).encode())
    assert len(link.sent) == 4  # a burst of twice the rate
    clock.now += 1.0
    responder.handle("front-door", json.dumps(request()).encode())

    assert len(link.sent) == 5
    assert metrics.rejects.value(topic="req/auth", reason="rate_limited") == 2


# -- the router on paho's thread ------------------------------------------------------------


@pytest.fixture
def router(app, responder, link, metrics):
    ingest = IngestWorker(
        app,
        publisher=link,
        snapshots=SnapshotHolder(),
        metrics=metrics,
        rejects=Rejects(metrics),
        queue_limit=1,
    )
    return Router(auth=responder, ingest=ingest, rejects=Rejects(metrics)), ingest


@pytest.mark.parametrize(
    ("topic", "payload", "label", "reason"),
    [
        (None, b"{}", "other", "bad_topic"),
        ("incubator/v1/d/front-door/up/nothing", b"{}", "other", "bad_topic"),
        ("incubator/v1/d/Front_Door/up/evt", b"{}", "other", "bad_topic"),
        ("incubator/v1/d/front-door/down/acl", b"{}", "other", "bad_topic"),
        ("elsewhere", b"{}", "other", "bad_topic"),
        ("incubator/v1/d/front-door/up/evt", b"x" * 2049, "evt", "too_large"),
        ("incubator/v1/d/front-door/up/status", b"x" * 1025, "status", "too_large"),
        ("incubator/v1/d/front-door/up/cmdack", b"x" * 1025, "cmdack", "too_large"),
        ("incubator/v1/d/front-door/up/status", b"", "status", "empty"),
    ],
)
def test_the_router_drops_what_no_handler_takes(router, metrics, topic, payload, label, reason):
    route, ingest = router

    route.route(topic, payload, False)

    assert ingest.backlog == 0
    assert metrics.rejects.value(topic=label, reason=reason) == 1


def test_the_router_answers_requests_at_once_and_queues_the_rest(router, link, metrics):
    route, ingest = router

    route.route(topics.auth_request("front-door"), json.dumps(request()).encode(), False)
    route.route(topics.events("front-door"), b"{}", False)
    route.route(topics.events("front-door"), b"{}", False)  # the queue holds one

    assert len(link.on(topics.auth_response("front-door"))) == 1
    assert ingest.backlog == 1
    assert metrics.rejects.value(topic="evt", reason="queue_full") == 1
