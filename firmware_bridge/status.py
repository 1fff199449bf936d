"""The device's retained status on ``up/status``: birth, Last Will, counts.

The birth (``ready``) goes out after every connect with the outbox and
dead-letter counts and the allow-list version; it is published again when the
counts change, at most every `min_interval_s`. The Last Will (``lost``) is
registered at connect time, and published by the bridge itself on a clean
shutdown (a clean disconnect does not fire the Will).
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import threading
from collections.abc import Callable
from typing import Literal

from bridge_protocol import topics
from bridge_protocol.codec import dump
from bridge_protocol.status import DeviceStatus
from devices.timing import Cancellable, Scheduler
from firmware_bridge.clock import Clock
from firmware_bridge.ports import Link
from firmware_bridge.store import Store

logger = logging.getLogger(__name__)


def software_versions() -> dict[str, str]:
    try:
        bridge = importlib.metadata.version("makers-incubator")
    except importlib.metadata.PackageNotFoundError:
        bridge = "unknown"
    return {"bridge": bridge[:40], "python": platform.python_version()}


def lost_status(boot: str) -> bytes:
    """``{"v":1,"state":"lost","boot":...}``, exactly as docs/protocol.md shows the Will."""
    status = DeviceStatus(state="lost", boot=boot)
    return status.model_dump_json(include={"v", "state", "boot"}).encode()


class StatusReporter:
    def __init__(
        self,
        *,
        link: Link,
        store: Store,
        clock: Clock,
        scheduler: Scheduler,
        device_id: str,
        boot: str,
        kind: Literal["door", "machine"],
        acl_ver: Callable[[], int | None],
        min_interval_s: float = 5.0,
    ) -> None:
        self._link = link
        self._store = store
        self._clock = clock
        self._scheduler = scheduler
        self.topic = topics.status(device_id)
        self._boot = boot
        self._kind = kind
        self._acl_ver = acl_ver
        self._min_interval_ms = int(min_interval_s * 1000)
        self._versions = software_versions()
        self._lock = threading.Lock()
        self._last_ms: int | None = None
        self._pending: Cancellable | None = None
        self._closed = False

    def lost(self) -> bytes:
        """The Last Will (and the clean-shutdown status)."""
        return lost_status(self._boot)

    def ready(self) -> bytes:
        counts = self._store.outbox.counts()
        status = DeviceStatus(
            state="ready",
            boot=self._boot,
            ts=self._clock.wall_ms(),
            kind=self._kind,
            outbox=counts.pending,
            dead=counts.dead,
            acl_ver=self._acl_ver(),
            versions=self._versions,
        )
        return dump(status)

    def publish_now(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None
            self._last_ms = self._clock.mono_ms()
        self._link.publish(self.topic, self.ready(), retain=True)

    def changed(self) -> None:
        """Counts changed: publish soon, at most every `min_interval_s`."""
        with self._lock:
            if self._pending is not None or self._closed:
                return
            now = self._clock.mono_ms()
            wait_ms = 0 if self._last_ms is None else self._last_ms + self._min_interval_ms - now
            if wait_ms > 0:
                self._pending = self._scheduler.call_later(wait_ms / 1000, self._due)
                return
        self.publish_now()

    def close(self) -> None:
        """No more publishing (shutting down)."""
        with self._lock:
            self._closed = True
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None

    def _due(self) -> None:
        with self._lock:
            self._pending = None
            if self._closed:
                return
        if self._link.connected:
            self.publish_now()
