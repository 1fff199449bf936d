"""Every dropped message is counted and logged; a flood is logged, not spammed.

The first reject of each (topic kind, reason) in a window is logged at WARNING,
the others at DEBUG. Payloads and badge numbers are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .metrics import GatewayMetrics

log = logging.getLogger("app.gateway.rejects")


class Rejects:
    def __init__(
        self,
        metrics: GatewayMetrics,
        *,
        window_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._window_s = window_s
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def __call__(self, topic_kind: str, reason: str, dev: str | None = None) -> None:
        self._metrics.reject(topic_kind, reason)
        key = (topic_kind, reason)
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            loud = last is None or now - last >= self._window_s
            if loud:
                self._last[key] = now
        level = logging.WARNING if loud else logging.DEBUG
        log.log(level, "dropped a %s message from %s: %s", topic_kind, dev or "?", reason)
