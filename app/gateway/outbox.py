"""The outbox worker: allow-lists and commands from `DeviceOutbox`, and the decision snapshot.

Every ``GATEWAY_OUTBOX_POLL_S`` (about 250 ms) it

1. claims pending ``acl`` and ``command`` rows (while connected) and commits the claim;
2. loads a new snapshot when rows appeared, on a full republish, or when the
   current one is older than ``GATEWAY_SNAPSHOT_MAX_AGE_S``, and swaps it in;
3. publishes each concerned device's allow-list, signed and retained, with a
   version one above the last (persisted before the publish);
4. sends commands: signed, never retained, with an MQTT 5 message expiry;
5. applies ``account`` rows to the broker (`BrokerAccounts`);
6. once a second, marks commands nobody answered as expired.

It commits after every step, so it never holds the locks of two steps at once
(the ingest worker and the web lock some of the same rows).

A full republish (every device) runs after each (re)connect, so a broker that
lost its retained messages gets them back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flask import Flask

from app.extensions import db
from app.models import CommandState, DeviceCommand, OutboxKind
from app.services import device_outbox
from app.services.access.allowlist import build_allow_list
from app.services.access.snapshot import AccessSnapshot
from app.services.device_events import commands
from app.services.device_outbox import ClaimedRow
from bridge_protocol import topics
from bridge_protocol.signing import Signer
from bridge_protocol.wire import to_ms

from .accounts import BrokerAccounts
from .link import Publisher
from .metrics import GatewayMetrics
from .snapshots import SnapshotHolder

log = logging.getLogger(__name__)
EXPIRE_EVERY_S = 1.0
CLAIM_LIMIT = 100


class Link(Publisher, Protocol):
    @property
    def connected(self) -> bool: ...

    @property
    def client(self) -> Any: ...


class OutboxWorker:
    def __init__(
        self,
        app: Flask,
        *,
        link: Link,
        snapshots: SnapshotHolder,
        signer: Signer,
        site_badge_key: bytes,
        zone: ZoneInfo,
        metrics: GatewayMetrics,
        accounts: BrokerAccounts,
        poll_s: float = 0.25,
        snapshot_max_age_s: float = 60.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._app = app
        self._link = link
        self._snapshots = snapshots
        self._signer = signer
        self._badge_key = site_badge_key
        self._zone = zone
        self._metrics = metrics
        self._accounts = accounts
        self._poll_s = poll_s
        self._max_age_s = snapshot_max_age_s
        self._clock = clock
        self._republish_all = threading.Event()
        self._seen_row_id = 0
        self._last_expiry = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_connect(self) -> None:
        """On paho's thread at every connect: every allow-list again, accounts checked."""
        self._republish_all.set()
        self._accounts.request_sync()

    # -- the thread -----------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gateway-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(self._poll_s):
                try:
                    self.run_once()
                except Exception:
                    self._metrics.handler_errors.inc(where="outbox")
                    log.exception("outbox pass failed")
                    db.session.rollback()

    # -- one pass (also called directly by tests) --------------------------------------------

    def run_once(self) -> None:
        now = self._clock()
        connected = self._link.connected
        kinds = [OutboxKind.ACL, OutboxKind.COMMAND]
        rows = device_outbox.claim_pending(kinds=kinds, limit=CLAIM_LIMIT) if connected else []
        appeared = self._rows_appeared(device_outbox.newest_pending_id())
        db.session.commit()  # the claim, before the data to publish is read
        full = connected and self._republish_all.is_set()
        if full:
            self._republish_all.clear()
        acl_rows = [row for row in rows if row.kind is OutboxKind.ACL]
        if acl_rows or full or appeared or self._snapshots.age_s() >= self._max_age_s:
            self._snapshots.load(now=now, zone=self._zone)
        if acl_rows or full:
            self._publish_acls(acl_rows, full=full, now=now)
        for row in rows:
            if row.kind is OutboxKind.COMMAND:
                self._send_command(row, now)
        if connected and (appeared or self._accounts.busy):
            self._accounts.run(self._link.client, now=now)
        db.session.commit()
        self._expire_commands(now)

    def _rows_appeared(self, newest: int | None) -> bool:
        if newest is None or newest <= self._seen_row_id:
            return False
        self._seen_row_id = newest
        return True

    # -- allow-lists ------------------------------------------------------------------------

    def _publish_acls(self, rows: list[ClaimedRow], *, full: bool, now: dt.datetime) -> None:
        snapshot = self._snapshots.current
        assert snapshot is not None
        active = sorted(d.id for d in snapshot.devices.values() if d.active)
        everyone = full or any(row.device_id is None for row in rows)
        wanted = active if everyone else sorted({row.device_id for row in rows if row.device_id})
        targets = [dev for dev in wanted if dev in active]
        transient: set[str] = set()
        for dev in targets:
            ver = device_outbox.bump_acl_version(dev)
            db.session.commit()
            if ver is not None and not self._publish_acl(snapshot, dev, ver, now):
                transient.add(dev)
        self._settle_acl_rows(rows, active=set(active), transient=transient, now=now)
        db.session.commit()
        if full and transient:
            self._republish_all.set()

    def _publish_acl(self, snapshot: AccessSnapshot, dev: str, ver: int, now: dt.datetime) -> bool:
        """False only when the publish itself failed (worth retrying)."""
        try:
            allow_list = build_allow_list(
                snapshot, device_id=dev, site_badge_key=self._badge_key, ver=ver, now=now
            )
            payload = self._signer.sign(allow_list)
        except Exception:
            self._metrics.outbox_rows.inc(kind="acl", outcome="build_failed")
            log.exception("allow-list %d for %s could not be built", ver, dev)
            return True
        if not self._link.publish(topics.acl(dev), payload, retain=True):
            return False
        self._metrics.acl_published.inc()
        log.info("allow-list %d published to %s (%d entries)", ver, dev, len(allow_list.entries))
        return True

    def _settle_acl_rows(
        self, rows: list[ClaimedRow], *, active: set[str], transient: set[str], now: dt.datetime
    ) -> None:
        done, failed, unknown = [], [], []
        for row in rows:
            # a row for every device waits for all of them; a device's row for its own
            retry = bool(transient) if row.device_id is None else row.device_id in transient
            if row.device_id is not None and row.device_id not in active:
                unknown.append(row.id)
            elif retry:
                failed.append(row.id)
            else:
                done.append(row.id)
        device_outbox.mark_done(done, now=now)
        device_outbox.mark_done(unknown, now=now, error="unknown or inactive device")
        device_outbox.mark_failed(failed, now=now, error="not published (disconnected)")
        for outcome, ids in (("done", done), ("unknown_device", unknown), ("retry", failed)):
            if ids:
                self._metrics.outbox_rows.inc(len(ids), kind="acl", outcome=outcome)

    # -- commands ---------------------------------------------------------------------------

    def _send_command(self, row: ClaimedRow, now: dt.datetime) -> None:
        command = db.session.get(DeviceCommand, row.command_id) if row.command_id else None
        if command is None or command.state is not CommandState.QUEUED:
            device_outbox.mark_done([row.id], now=now, error=None if command else "no command")
            self._metrics.outbox_rows.inc(kind="command", outcome="skipped")
            return
        now_ms = to_ms(now)
        try:
            body = commands.command_body(command, now_ms=now_ms)
        except commands.CommandNotSendable as exc:
            state = CommandState.EXPIRED if exc.reason == "expired" else CommandState.REFUSED
            commands.settle(command, state, reason=exc.reason, now=now)
            device_outbox.mark_done([row.id], now=now, error=exc.reason)
            self._metrics.outbox_rows.inc(kind="command", outcome=exc.reason)
            return
        payload = self._signer.sign(body)
        commands.mark_sent(command, now=now)
        db.session.commit()  # "sent" before it goes out: a command is never sent twice
        expiry_s = (body.exp - now_ms) / 1000
        if self._link.publish(topics.command(body.dev), payload, expiry_s=expiry_s):
            device_outbox.mark_done([row.id], now=now)
            self._metrics.commands_sent.inc()
            self._metrics.outbox_rows.inc(kind="command", outcome="done")
            log.info("command %s (%s) sent to %s", body.cid, command.command, body.dev)
        else:
            commands.mark_unsent(command)
            device_outbox.mark_failed([row.id], now=now, error="not published (disconnected)")
            self._metrics.outbox_rows.inc(kind="command", outcome="retry")
        db.session.commit()

    def _expire_commands(self, now: dt.datetime) -> None:
        if time.monotonic() - self._last_expiry < EXPIRE_EVERY_S:
            return
        self._last_expiry = time.monotonic()
        expired = commands.expire_commands(now=now)
        db.session.commit()
        if expired:
            log.info("%d commands expired unanswered", expired)
