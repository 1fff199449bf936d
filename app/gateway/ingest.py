"""The ingest worker: events, statuses and command acks, into the database in small batches.

paho's thread only queues what arrives (`submit`); this worker takes up to
``GATEWAY_BATCH_SIZE`` messages (or what came within ``GATEWAY_BATCH_WINDOW_S``),
handles them, commits once, and only then publishes the acks. Nothing is acked
that was not committed: if the commit fails, the devices resend.

A batch is first handled in one go: which of its events are stored already is
read with one query per device, the new rows go to the database together at one
flush (a multi-row INSERT), no SAVEPOINTs. If anything in it fails (a bug, a row
the database refuses), that attempt is rolled back and the batch is handled
again one message at a time, each inside a SAVEPOINT, so one bad message cannot
spoil the others. Both ways store, count and ack exactly the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from dataclasses import dataclass

from flask import Flask

from app.extensions import db
from app.services.device_events import commands, presence
from app.services.device_events.resolve import Resolver
from app.services.device_events.store import EventBatch, IngestResult, Outcome, ingest_event
from bridge_protocol.commands import CommandAck
from bridge_protocol.errors import ProtocolError
from bridge_protocol.events import peek_event_id
from bridge_protocol.messages import parse
from bridge_protocol.status import DeviceStatus
from bridge_protocol.topics import TopicKind

from .acks import AckBook
from .link import Publisher
from .metrics import GatewayMetrics
from .rejects import Rejects
from .snapshots import SnapshotHolder

log = logging.getLogger(__name__)
#: a device's ``last_seen_at`` is moved at most this often by the ingest worker
SEEN_EVERY = dt.timedelta(seconds=1)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Inbound:
    kind: TopicKind
    dev: str
    payload: bytes
    received_at: dt.datetime


@dataclass(frozen=True)
class Handled:
    item: Inbound
    outcome: str  # what to count
    event: IngestResult | None = None


class IngestWorker:
    def __init__(
        self,
        app: Flask,
        *,
        publisher: Publisher,
        snapshots: SnapshotHolder,
        metrics: GatewayMetrics,
        rejects: Rejects,
        batch_size: int = 100,
        batch_window_s: float = 0.05,
        queue_limit: int = 20_000,
    ) -> None:
        self._app = app
        self._publisher = publisher
        self._snapshots = snapshots
        self._metrics = metrics
        self._rejects = rejects
        self._batch_size = batch_size
        self._batch_window_s = batch_window_s
        self._queue: queue.Queue[Inbound] = queue.Queue(maxsize=queue_limit)
        self._stop = threading.Event()
        self._seen_at: dict[str, dt.datetime] = {}  # last_seen_at this worker committed
        self._thread: threading.Thread | None = None

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def submit(self, item: Inbound) -> bool:
        """From paho's thread: queue a message; False (dropped) when the queue is full."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            return False
        return True

    # -- the thread -----------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gateway-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued (within `timeout`), then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        with self._app.app_context():
            while True:
                batch = self._next_batch()
                if batch:
                    self._process_safely(batch)
                elif self._stop.is_set():
                    return

    def _next_batch(self) -> list[Inbound]:
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._batch_window_s
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _process_safely(self, batch: list[Inbound]) -> None:
        try:
            self.process(batch)
        except Exception:
            self._metrics.handler_errors.inc(where="ingest_batch")
            log.exception("ingest batch of %d failed", len(batch))
            db.session.rollback()

    # -- one batch (also called directly by tests) ------------------------------------------

    def process(self, batch: list[Inbound]) -> None:
        try:
            handled = self._handle_together(batch)
        except Exception:
            db.session.rollback()
            self._metrics.batches.inc(outcome="retried_singly")
            log.warning(
                "ingest batch of %d failed as a whole; handling its messages one by one",
                len(batch),
                exc_info=True,
            )
            handled = self._handle_each(batch)
        try:
            latest = max(item.received_at for item in batch)
            seen = self._seen_due({item.dev for item in batch}, latest)
            presence.mark_seen(seen, now=latest)
            db.session.commit()
        except Exception:
            db.session.rollback()
            self._metrics.batches.inc(outcome="failed")
            log.exception("ingest commit failed; %d messages will be resent", len(batch))
            return
        self._seen_at.update(dict.fromkeys(seen, latest))
        self._metrics.batches.inc(outcome="committed")
        acks = AckBook()
        for result in handled:
            self._tally(result, acks)
        self._metrics.ack_batches.inc(acks.publish(self._publisher))

    def _seen_due(self, devices: set[str], now: dt.datetime) -> list[str]:
        """The devices whose ``last_seen_at`` this batch should move: not those marked less
        than `SEEN_EVERY` ago by this worker (a busy device would rewrite its row in
        every batch for nothing)."""
        return sorted(
            dev
            for dev in devices
            if (last := self._seen_at.get(dev)) is None or not now - SEEN_EVERY < last <= now
        )

    def _handle_together(self, batch: list[Inbound]) -> list[Handled]:
        """The fast way: no SAVEPOINTs, duplicates found up front, one flush at the end."""
        resolver = Resolver(self._snapshots.current)
        pairs = []
        for item in batch:
            if item.kind is TopicKind.EVENT and (event_id := peek_event_id(item.payload)):
                pairs.append((item.dev, event_id))
        events = EventBatch.load(pairs)
        handled = [self._handle(item, resolver, events) for item in batch]
        events.write()
        db.session.flush()
        return handled

    def _handle_each(self, batch: list[Inbound]) -> list[Handled]:
        """The careful way: each message in a SAVEPOINT; a failing one is left out, and counted."""
        resolver = Resolver(self._snapshots.current)
        handled: list[Handled] = []
        for item in batch:
            try:
                with db.session.begin_nested():
                    handled.append(self._handle(item, resolver))
            except Exception:
                self._metrics.handler_errors.inc(where=str(item.kind))
                log.exception("handling a %s message from %s failed", item.kind, item.dev)
        return handled

    def _handle(
        self, item: Inbound, resolver: Resolver, events: EventBatch | None = None
    ) -> Handled:
        if item.kind is TopicKind.EVENT:
            result = ingest_event(
                item.payload,
                device_id=item.dev,
                received_at=item.received_at,
                resolver=resolver,
                batch=events,
            )
            return Handled(item, result.outcome.value, result)
        if item.kind is TopicKind.STATUS:
            try:
                status = parse(DeviceStatus, item.payload)
            except ProtocolError as exc:
                return Handled(item, f"reject:{exc.reason}")
            outcome = presence.apply_status(item.dev, status, now=item.received_at)
            return Handled(item, f"presence:{outcome.value}")
        try:
            ack = parse(CommandAck, item.payload)
        except ProtocolError as exc:
            return Handled(item, f"reject:{exc.reason}")
        answer = commands.record_result(
            device_id=item.dev,
            cid=ack.cid,
            result=ack.result,
            reason=ack.reason,
            now=item.received_at,
        )
        if answer is commands.CommandOutcome.UNKNOWN:
            return Handled(item, f"reject:{answer.value}")
        return Handled(item, f"command:{answer.value}")

    def _tally(self, result: Handled, acks: AckBook) -> None:
        item, event = result.item, result.event
        if event is not None:
            self._tally_event(item, event, acks)
            return
        family, _, detail = result.outcome.partition(":")
        if family == "reject":
            self._rejects(str(item.kind), detail, item.dev)
        elif family == "presence":
            self._metrics.presence.inc(outcome=detail)
            if detail in ("stale_will", "unknown_device"):
                self._rejects(str(item.kind), detail, item.dev)

    def _tally_event(self, item: Inbound, event: IngestResult, acks: AckBook) -> None:
        if event.outcome is Outcome.STORED:
            self._metrics.events_stored.inc()
        elif event.outcome is Outcome.DUPLICATE:
            self._metrics.events_duplicate.inc()
        elif event.outcome is Outcome.REJECTED:
            self._metrics.events_quarantined.inc(reason=event.reason or "invalid")
            self._rejects(str(item.kind), event.reason or "invalid", item.dev)
        else:
            self._rejects(str(item.kind), event.reason or "unreadable", item.dev)
            return
        assert event.event_id is not None
        if event.outcome is Outcome.REJECTED:
            acks.rejected(item.dev, event.event_id, event.reason or "invalid")
        else:
            acks.stored(item.dev, event.event_id)
