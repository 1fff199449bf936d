"""Time and delayed calls for the drivers, so tests can replace the clock.

A driver asks its scheduler for the time and for callbacks a few seconds
ahead (re-lock a door, report a door held open). On a Pi that is
:class:`ThreadScheduler`; tests and simulations pass a
:class:`ManualScheduler` and move time forward themselves, so no test waits
on the wall clock.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)

Callback = Callable[[], None]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """What a driver needs from time: a monotonic clock and delayed calls."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callback) -> Cancellable: ...


def _run_logged(callback: Callback) -> None:
    # A failing callback must not kill the timer machinery or go unseen.
    try:
        callback()
    except Exception:
        logger.exception("scheduled callback %r failed", callback)


class ThreadScheduler:
    """Real time: :func:`time.monotonic` and one daemon timer thread per call."""

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callback) -> Cancellable:
        timer = threading.Timer(max(delay, 0.0), _run_logged, args=(callback,))
        timer.daemon = True
        timer.start()
        return timer


class _ManualHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """Time that moves only when :meth:`advance` is called.

    Callbacks run in the thread that calls :meth:`advance`, in order of due
    time, each with :meth:`now` set to its due time; a callback scheduled by
    another one runs in the same call when it falls due within it.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._queue: list[tuple[float, int, _ManualHandle, Callback]] = []
        self._counter = itertools.count()

    def now(self) -> float:
        with self._lock:
            return self._now

    def call_later(self, delay: float, callback: Callback) -> Cancellable:
        handle = _ManualHandle()
        with self._lock:
            due = self._now + max(delay, 0.0)
            heapq.heappush(self._queue, (due, next(self._counter), handle, callback))
        return handle

    @property
    def pending(self) -> int:
        """How many callbacks are waiting (cancelled ones not counted)."""
        with self._lock:
            return sum(1 for *_, handle, _cb in self._queue if not handle.cancelled)

    def advance(self, seconds: float) -> None:
        """Move the clock forward, running every callback that falls due."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            target = self._now + seconds
        while True:
            with self._lock:
                if not self._queue or self._queue[0][0] > target:
                    self._now = target
                    return
                due, _, handle, callback = heapq.heappop(self._queue)
                self._now = max(self._now, due)
            if not handle.cancelled:
                _run_logged(callback)
