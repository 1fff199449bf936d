"""The outbox worker: allow-lists and commands from DeviceOutbox rows; the snapshot refresh."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from app.gateway.accounts import BrokerAccounts
from app.gateway.outbox import OutboxWorker
from app.gateway.snapshots import SnapshotHolder
from app.models import CommandState, DeviceOutbox, OutboxKind
from app.services.device_commands import queue_command
from app.services.device_outbox import claim_pending, request_acl_refresh
from app.services.site import get_site_settings
from bridge_protocol import topics
from bridge_protocol.acl import AllowList
from bridge_protocol.badge_keys import badge_hmac, derive_device_key
from bridge_protocol.commands import Command
from bridge_protocol.signing import open_signed
from bridge_protocol.topics import TopicKind
from bridge_protocol.wire import now_ms
from tests.gateway.helpers import ALWAYS_OPEN, BRUSSELS, inbound

pytestmark = pytest.mark.db
SITE_KEY = b"s" * 32


@pytest.fixture
def accounts(metrics):
    return BrokerAccounts(metrics, enabled=False, secret_key="x", gateway_username="gateway")


@pytest.fixture
def worker(app, link, metrics, signer, accounts, db_session):
    get_site_settings().building_hours = ALWAYS_OPEN
    db_session.commit()
    return OutboxWorker(
        app,
        link=link,
        snapshots=SnapshotHolder(),
        signer=signer,
        site_badge_key=SITE_KEY,
        zone=BRUSSELS,
        metrics=metrics,
        accounts=accounts,
    )


@pytest.fixture
def door(make_device):
    return make_device("door")


@pytest.fixture
def holder(make_member, make_badge):
    member = make_member()
    return member, make_badge(member, uid="04DD000001")


def published_list(link, verifier, dev) -> AllowList:
    sent = link.on(topics.acl(dev))[-1]
    assert sent.retain
    return open_signed(sent.payload, verifier, AllowList, expect_dev=dev, now_ms=now_ms())


def pending(db_session, kind=OutboxKind.ACL):
    db_session.expire_all()
    return db_session.scalars(
        select(DeviceOutbox).where(DeviceOutbox.kind == kind, DeviceOutbox.done_at.is_(None))
    ).all()


def test_an_acl_row_publishes_the_devices_signed_list_retained(
    worker, link, verifier, db_session, door, holder
):
    _member, badge = holder
    request_acl_refresh(reason="test", device_id=door.id)
    db_session.commit()

    worker.run_once()

    allow_list = published_list(link, verifier, door.id)
    assert allow_list.ver == 1
    key = derive_device_key(SITE_KEY, door.id)
    assert allow_list.lookup(badge_hmac(key, badge.uid)) is not None
    db_session.expire_all()
    assert door.acl_version_published == 1
    assert pending(db_session) == []


def test_every_active_device_gets_a_list_for_a_row_without_a_device(
    worker, link, db_session, make_device
):
    active, other, gone = make_device(), make_device("door"), make_device(active=False)
    request_acl_refresh(reason="test")
    db_session.commit()

    worker.run_once()

    published = {s.topic for s in link.sent}
    assert published == {topics.acl(active.id), topics.acl(other.id)}
    assert topics.acl(gone.id) not in published


def test_a_revoked_badge_leaves_the_next_list(
    worker, link, verifier, db_session, door, holder, make_member
):
    from app.services.badges import revoke_badge

    _member, badge = holder
    request_acl_refresh(reason="test", device_id=door.id)
    db_session.commit()
    worker.run_once()

    revoke_badge(badge, actor=make_member(role="manager"), now=dt.datetime.now(dt.UTC))
    db_session.commit()
    worker.run_once()

    allow_list = published_list(link, verifier, door.id)
    assert allow_list.ver == 2
    assert allow_list.lookup(badge_hmac(derive_device_key(SITE_KEY, door.id), badge.uid)) is None


def test_nothing_is_claimed_while_disconnected(worker, link, db_session, door):
    link.connected = False
    request_acl_refresh(reason="test", device_id=door.id)
    db_session.commit()

    worker.run_once()

    [row] = pending(db_session)
    assert row.attempts == 0
    link.connected = True
    worker.run_once()
    assert link.on(topics.acl(door.id))
    assert pending(db_session) == []


def test_a_failed_publish_leaves_the_row_for_the_next_pass(
    worker, link, verifier, db_session, monkeypatch, door
):
    request_acl_refresh(reason="test", device_id=door.id)
    db_session.commit()
    monkeypatch.setattr(link, "publish", lambda *a, **k: False)

    worker.run_once()

    [row] = pending(db_session)
    assert (row.attempts, row.last_error) == (1, "not published (disconnected)")
    monkeypatch.undo()
    worker.run_once()
    assert published_list(link, verifier, door.id).ver == 2  # a version is never sent twice


def test_a_row_for_an_unknown_device_is_done_with_an_error(worker, link, db_session):
    request_acl_refresh(reason="test", device_id="no-such-device")
    db_session.commit()

    worker.run_once()

    db_session.expire_all()
    row = db_session.scalar(select(DeviceOutbox).where(DeviceOutbox.device_id == "no-such-device"))
    assert (row.done_at is not None, row.last_error) == (True, "unknown or inactive device")
    assert link.sent == []


def test_every_list_is_republished_after_a_connect(worker, link, db_session, make_device):
    devices = [make_device(), make_device("door")]

    worker.after_connect()
    worker.run_once()

    assert {s.topic for s in link.sent} == {topics.acl(d.id) for d in devices}


# -- the snapshot -------------------------------------------------------------------------


def test_the_snapshot_is_refreshed_when_rows_appear_and_when_it_is_old(
    worker, db_session, monkeypatch, door
):
    snapshots = worker._snapshots
    worker.run_once()
    first = snapshots.current
    worker.run_once()
    assert snapshots.current is first  # nothing new, still young

    request_acl_refresh(reason="test", device_id=door.id)
    db_session.commit()
    worker.run_once()
    second = snapshots.current
    assert second is not first

    monkeypatch.setattr(snapshots, "age_s", lambda: 61.0)
    worker.run_once()
    assert snapshots.current is not second


# -- coalescing ---------------------------------------------------------------------------


def test_a_second_request_joins_the_pending_row(db_session, door):
    first = request_acl_refresh(reason="a", device_id=door.id)
    again = request_acl_refresh(reason="b", device_id=door.id)
    covered = request_acl_refresh(reason="c", device_id=None)
    also_covered = request_acl_refresh(reason="d", device_id=door.id)
    db_session.commit()

    assert again is first
    assert also_covered is first  # the device's own row came first
    assert len(pending(db_session)) == 2
    assert request_acl_refresh(reason="e", device_id="other-device") is covered


def test_a_claimed_row_is_not_joined(db_session, door):
    first = request_acl_refresh(reason="a", device_id=door.id)
    db_session.commit()
    claim_pending(kinds=[OutboxKind.ACL])
    db_session.commit()

    assert request_acl_refresh(reason="b", device_id=door.id) is not first


# -- commands -----------------------------------------------------------------------------


@pytest.fixture
def manager(make_member):
    return make_member(role="manager")


def test_a_command_is_signed_sent_unretained_with_an_expiry(
    worker, link, verifier, db_session, door, manager
):
    command = queue_command(
        actor=manager,
        device=door,
        command="unlock",
        args={"seconds": 5},
        now=dt.datetime.now(dt.UTC),
    )
    db_session.commit()

    worker.run_once()

    [sent] = link.on(topics.command(door.id))
    assert sent.retain is False
    assert 0 < sent.expiry_s <= 30
    body = open_signed(sent.payload, verifier, Command, expect_dev=door.id, now_ms=now_ms())
    assert (body.cid, body.command.name, body.command.seconds) == (command.id, "unlock", 5)
    db_session.expire_all()
    assert command.state is CommandState.SENT
    assert pending(db_session, OutboxKind.COMMAND) == []


@pytest.mark.parametrize(
    ("result", "reason", "state"),
    [("executed", None, CommandState.ACKED), ("refused", "machine_busy", CommandState.REFUSED)],
)
def test_the_devices_answer_settles_the_command(
    worker, ingest, db_session, door, manager, result, reason, state
):
    command = queue_command(
        actor=manager, device=door, command="resync", args={}, now=dt.datetime.now(dt.UTC)
    )
    db_session.commit()
    worker.run_once()
    ack = {"v": 1, "cid": command.id, "result": result, "reason": reason, "ts": now_ms()}

    ingest.process([inbound(door.id, json.dumps(ack).encode(), TopicKind.CMD_ACK)])

    db_session.expire_all()
    assert (command.state, command.reason) == (state, reason)
    assert command.answered_at is not None


def test_an_ack_for_another_devices_command_is_refused(
    worker, ingest, metrics, db_session, door, make_device, manager
):
    command = queue_command(
        actor=manager, device=door, command="resync", args={}, now=dt.datetime.now(dt.UTC)
    )
    db_session.commit()
    worker.run_once()
    other = make_device()
    ack = {"v": 1, "cid": command.id, "result": "executed", "ts": now_ms()}

    ingest.process([inbound(other.id, json.dumps(ack).encode(), TopicKind.CMD_ACK)])

    db_session.expire_all()
    assert command.state is CommandState.SENT
    assert metrics.rejects.value(topic="cmdack", reason="unknown_command") == 1


def test_a_command_past_its_expiry_is_never_sent(worker, link, db_session, door, manager):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    command = queue_command(actor=manager, device=door, command="resync", args={}, now=long_ago)
    db_session.commit()

    worker.run_once()

    assert link.on(topics.command(door.id)) == []
    db_session.expire_all()
    assert command.state is CommandState.EXPIRED


def test_an_unanswered_command_expires(worker, db_session, monkeypatch, door, manager):
    command = queue_command(
        actor=manager, device=door, command="resync", args={}, now=dt.datetime.now(dt.UTC)
    )
    db_session.commit()
    worker.run_once()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    monkeypatch.setattr(worker, "_clock", lambda: later)
    monkeypatch.setattr(worker, "_last_expiry", 0.0)

    worker.run_once()

    db_session.expire_all()
    assert command.state is CommandState.EXPIRED


# -- account rows -------------------------------------------------------------------------


def account_row(db_session, device_id, reason="account.upsert"):
    row = DeviceOutbox(
        kind=OutboxKind.ACCOUNT, device_id=device_id, reason=reason, secret="f1:sealed"
    )
    db_session.add(row)
    db_session.commit()
    return row


def test_account_rows_wait_untouched_without_dynamic_security(worker, metrics, db_session, door):
    row = account_row(db_session, door.id)

    worker.run_once()
    worker.run_once()

    db_session.expire_all()
    assert (row.done_at, row.attempts) == (None, 0)
    assert metrics.outbox_rows.value(kind="account", outcome="waiting") == 1


def test_account_rows_are_applied_in_order(metrics, db_session, door, make_device):
    from app.broker.accounts import AccountRowError
    from app.broker.dynsec import DynsecTimeout

    other = make_device()
    rows = [account_row(db_session, door.id), account_row(db_session, other.id)]
    rows.append(account_row(db_session, door.id, reason="account.delete"))
    applied = []

    def apply_row(_dynsec, row):
        if row.id == rows[1].id:
            raise AccountRowError("no password left")
        if row.id == rows[2].id and not applied[1:]:
            applied.append("timeout")
            raise DynsecTimeout("no answer")
        applied.append(row.id)

    class FakeDynsec:
        def __init__(self, _client):
            pass

        def sync_accounts(self, active, *, protected):
            assert "gateway" in protected

        def close(self):
            pass

    accounts = BrokerAccounts(
        metrics,
        enabled=True,
        secret_key="x",
        gateway_username="gateway",
        apply_row=apply_row,
        make_client=FakeDynsec,
    )
    accounts.run(object(), now=dt.datetime.now(dt.UTC))

    db_session.expire_all()
    assert applied == [rows[0].id, "timeout"]
    assert (rows[0].done_at is not None, rows[0].last_error) == (True, None)
    assert (rows[1].done_at is not None, rows[1].last_error) == (True, "no password left")
    assert (rows[1].secret, rows[2].secret) == (None, "f1:sealed")  # given up / to retry
    assert (rows[2].done_at, rows[2].attempts, rows[2].last_error) == (None, 1, "no answer")
    assert accounts.busy
