"""The decision snapshot in memory: the last complete one, swapped in whole.

The outbox worker loads a new snapshot (`load`) when outbox rows appear and at
least every ``GATEWAY_SNAPSHOT_MAX_AGE_S``; access requests read `current`
on paho's thread. A snapshot is built completely before the swap (one
attribute assignment), so a decision never sees half of one.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from app.extensions import db
from app.services.access.snapshot import AccessSnapshot, load_snapshot


class SnapshotHolder:
    def __init__(self) -> None:
        self._snapshot: AccessSnapshot | None = None
        self._loaded_at: float | None = None  # time.monotonic()

    @property
    def current(self) -> AccessSnapshot | None:
        return self._snapshot

    def swap(self, snapshot: AccessSnapshot) -> None:
        self._snapshot = snapshot
        self._loaded_at = time.monotonic()

    def age_s(self) -> float:
        """Seconds since the last swap (infinite before the first)."""
        loaded = self._loaded_at
        return float("inf") if loaded is None else time.monotonic() - loaded

    def load(self, *, now: dt.datetime, zone: ZoneInfo) -> AccessSnapshot:
        """Read a new snapshot, end the read transaction, swap it in."""
        try:
            snapshot = load_snapshot(now=now, zone=zone)
            db.session.commit()  # get_site_settings may create the settings row
        except BaseException:
            db.session.rollback()
            raise
        self.swap(snapshot)
        return snapshot
