"""``account`` outbox rows and the broker's device accounts (Mosquitto dynamic security).

With ``GATEWAY_DYNSEC`` on (the default), the outbox worker applies pending
``account`` rows in id order with `app.broker.accounts.apply_account_row`
(create/rotate: the sealed password goes to the broker and is wiped from the
row; delete: account gone, retained topics cleared) and, after every connect,
makes the broker's device accounts match the active devices
(`DynsecClient.sync_accounts`). A broker that does not answer (plugin not
loaded, no right to the control topics) is retried after `RETRY_AFTER_S`, so the
outbox worker never waits on it at every pass.

With it off (a broker without the plugin: the tests' password-file broker, the
demo's embedded broker), rows stay pending, untouched, each logged once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.broker.accounts import AccountRowError, apply_account_row
from app.broker.dynsec import DynsecClient, DynsecError
from app.extensions import db
from app.models import Device, DeviceOutbox, OutboxKind
from app.services.device_outbox import MAX_ATTEMPTS

from .metrics import GatewayMetrics

log = logging.getLogger(__name__)
RETRY_AFTER_S = 30.0
ROWS_PER_PASS = 20

ApplyRow = Callable[[DynsecClient, DeviceOutbox], None]


def _pending() -> list[DeviceOutbox]:
    return list(
        db.session.scalars(
            select(DeviceOutbox)
            .where(DeviceOutbox.kind == OutboxKind.ACCOUNT, DeviceOutbox.done_at.is_(None))
            .order_by(DeviceOutbox.id)
            .limit(ROWS_PER_PASS)
        )
    )


class BrokerAccounts:
    def __init__(
        self,
        metrics: GatewayMetrics,
        *,
        enabled: bool,
        secret_key: str,
        gateway_username: str,
        apply_row: ApplyRow | None = None,
        make_client: Callable[[Any], DynsecClient] = DynsecClient,
    ) -> None:
        self._metrics = metrics
        self.enabled = enabled
        self._secret_key = secret_key
        self._gateway_username = gateway_username
        self._apply_row = apply_row or self._apply_with_key
        self._make_client = make_client
        self._reported: set[int] = set()
        self._sync_wanted = True
        self._paused_until = 0.0
        self._rows_left = True

    @property
    def busy(self) -> bool:
        """Whether a pass has something to do without new outbox rows."""
        return self.enabled and (self._sync_wanted or self._rows_left)

    def request_sync(self) -> None:
        """After every connect: the broker may have lost or gained accounts meanwhile."""
        self._sync_wanted = True

    def _apply_with_key(self, dynsec: DynsecClient, row: DeviceOutbox) -> None:
        apply_account_row(dynsec, row, secret_key=self._secret_key)

    # -- one pass (the outbox worker's thread; never paho's) ---------------------------------

    def run(self, paho_client: Any, *, now: dt.datetime) -> None:
        if not self.enabled:
            self._report_waiting()
            return
        if paho_client is None or time.monotonic() < self._paused_until:
            return
        dynsec = self._make_client(paho_client)
        try:
            if self._sync_wanted:
                self._sync(dynsec)
            rows = _pending()
            self._rows_left = len(rows) >= ROWS_PER_PASS
            for row in rows:
                if not self._apply(dynsec, row, now):
                    self._rows_left = True
                    break
        except DynsecError as exc:
            self._rows_left = True
            self._pause(f"broker accounts unavailable: {exc}")
        finally:
            dynsec.close()

    def _sync(self, dynsec: DynsecClient) -> None:
        active = list(db.session.scalars(select(Device.id).where(Device.active.is_(True))))
        db.session.commit()
        dynsec.sync_accounts(active, protected={self._gateway_username})
        self._sync_wanted = False
        log.info("broker device accounts match the %d active devices", len(active))

    def _apply(self, dynsec: DynsecClient, row: DeviceOutbox, now: dt.datetime) -> bool:
        """Apply one row and commit; False to stop this pass (the broker failed)."""
        row.attempts += 1
        try:
            self._apply_row(dynsec, row)
        except AccountRowError as exc:  # the row itself is unusable: done, with the reason
            row.done_at, row.last_error, row.secret = now, str(exc)[:300], None
            db.session.commit()
            self._metrics.outbox_rows.inc(kind="account", outcome="refused")
            log.error("account row %d not applied: %s", row.id, exc)
            return True
        except DynsecError as exc:
            row.last_error = str(exc)[:300]
            if row.attempts >= MAX_ATTEMPTS:  # given up: the sealed password goes too
                row.done_at, row.secret = now, None
            db.session.commit()
            self._metrics.outbox_rows.inc(kind="account", outcome="retry")
            self._pause(f"account row {row.id}: {exc}")
            return False
        row.done_at, row.last_error = now, None
        db.session.commit()
        self._metrics.outbox_rows.inc(kind="account", outcome="done")
        log.info("broker account %s: %s applied", row.device_id, row.reason)
        return True

    def _pause(self, message: str) -> None:
        self._paused_until = time.monotonic() + RETRY_AFTER_S
        log.warning("%s; next try in %d s", message, RETRY_AFTER_S)

    def _report_waiting(self) -> None:
        for row in _pending():
            if row.id in self._reported:
                continue
            self._reported.add(row.id)
            self._metrics.outbox_rows.inc(kind="account", outcome="waiting")
            log.warning(
                "account row %d (%s for %s) left pending: GATEWAY_DYNSEC is off",
                row.id,
                row.reason,
                row.device_id,
            )
        db.session.commit()
