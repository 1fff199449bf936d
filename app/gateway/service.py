"""The gateway assembled: link, router, access answers, ingest, outbox, metrics."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from zoneinfo import ZoneInfo

from flask import Flask

from app.broker.dynsec import DynsecClient
from app.keys import load_badge_key, load_signing_key
from bridge_protocol.signing import Signer

from .accounts import BrokerAccounts
from .auth import AuthResponder, RateLimiter
from .ingest import IngestWorker
from .link import GatewayLink
from .metrics import GatewayMetrics
from .metrics_server import MetricsServer
from .outbox import OutboxWorker
from .rejects import Rejects
from .router import Router
from .settings import GatewaySettings
from .snapshots import SnapshotHolder

log = logging.getLogger(__name__)


class Gateway:
    def __init__(self, app: Flask, settings: GatewaySettings) -> None:
        self._app = app
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self.metrics = GatewayMetrics()
        self.rejects = Rejects(self.metrics)
        self.snapshots = SnapshotHolder()
        signer = Signer(load_signing_key(settings.signing_key_file))
        badge_key = load_badge_key(settings.badge_key_file)
        self.link = GatewayLink(
            settings,
            on_message=self._on_message,
            on_connected=self._on_connected,
            metrics=self.metrics,
        )
        self.ingest = IngestWorker(
            app,
            publisher=self.link,
            snapshots=self.snapshots,
            metrics=self.metrics,
            rejects=self.rejects,
            batch_size=settings.batch_size,
            batch_window_s=settings.batch_window_s,
            queue_limit=settings.queue_limit,
        )
        self.auth = AuthResponder(
            snapshots=self.snapshots,
            signer=signer,
            publisher=self.link,
            metrics=self.metrics,
            rejects=self.rejects,
            limiter=RateLimiter(settings.auth_rate_per_s),
        )
        self.router = Router(auth=self.auth, ingest=self.ingest, rejects=self.rejects)
        self.outbox = OutboxWorker(
            app,
            link=self.link,
            snapshots=self.snapshots,
            signer=signer,
            site_badge_key=badge_key,
            zone=self.zone,
            metrics=self.metrics,
            accounts=BrokerAccounts(
                self.metrics,
                enabled=settings.dynsec,
                secret_key=str(app.config.get("SECRET_KEY") or ""),
                gateway_username=settings.broker.username,
                make_client=functools.partial(DynsecClient, demo_scans=settings.demo_scans),
            ),
            poll_s=settings.outbox_poll_s,
            snapshot_max_age_s=settings.snapshot_max_age_s,
        )
        self.metrics_server = (
            MetricsServer(self.metrics, settings.metrics_port)
            if settings.metrics_port >= 0
            else None
        )
        self._add_gauges()

    def _add_gauges(self) -> None:
        self.metrics.gauge(
            "gateway_connected", "1 while connected to the broker.", lambda: self.link.connected
        )
        self.metrics.gauge(
            "gateway_snapshot_age_seconds",
            "Age of the decision snapshot in memory.",
            self.snapshots.age_s,
        )
        self.metrics.gauge(
            "gateway_ingest_backlog",
            "Messages waiting for the ingest worker.",
            lambda: self.ingest.backlog,
        )

    # paho's thread -------------------------------------------------------------------------

    def _on_message(self, topic: str | None, payload: bytes, retained: bool) -> None:
        self.router.route(topic, payload, retained)

    def _on_connected(self) -> None:
        self.outbox.after_connect()

    # life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the first snapshot, start the workers and the metrics, then connect."""
        with self._app.app_context():
            self.snapshots.load(now=dt.datetime.now(dt.UTC), zone=self.zone)
        self.ingest.start()
        self.outbox.start()
        if self.metrics_server is not None:
            self.metrics_server.start()
        self.link.start()

    def stop(self) -> None:
        """Finish the queued work while still connected, then say offline and disconnect."""
        self.outbox.stop()
        self.ingest.stop()
        self.link.stop()
        if self.metrics_server is not None:
            self.metrics_server.stop()
        log.info("gateway stopped")
