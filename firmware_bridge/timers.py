"""Named one-shot timers on a `devices.timing.Scheduler` (threads, or a test's manual clock)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from devices.timing import Cancellable, Scheduler

logger = logging.getLogger(__name__)


class Timers:
    """Named one-shot timers; setting a name again replaces its timer."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._handles: dict[str, Cancellable] = {}

    def set(self, name: str, delay_s: float, callback: Callable[[], None]) -> None:
        self.cancel(name)
        self._handles[name] = self._scheduler.call_later(max(delay_s, 0.0), callback)

    def cancel(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        for name in list(self._handles):
            self.cancel(name)


class _Handle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class LoopScheduler:
    """Real time on one thread: every delayed call runs there, in the order it falls due.

    The devices' `ThreadScheduler` starts a thread per call, which costs a
    fraction of a millisecond each time a door unlocks (its re-lock timer),
    on the path from badge to relay. Here `call_later` only pushes onto a heap.
    Callbacks must be short; one that raises is logged and the loop goes on.
    """

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, _Handle, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._wakeup = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="bridge-timers", daemon=True)
        self._thread.start()

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        handle = _Handle()
        with self._wakeup:
            due = time.monotonic() + max(delay, 0.0)
            heapq.heappush(self._queue, (due, next(self._counter), handle, callback))
            self._wakeup.notify()
        return handle

    def close(self, timeout: float = 5.0) -> None:
        with self._wakeup:
            self._closed = True
            self._wakeup.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wakeup:
                callback = self._next_due()
                if callback is None:
                    return
            try:
                callback()
            except Exception:
                logger.exception("timer callback %r failed", callback)

    def _next_due(self) -> Callable[[], None] | None:
        """Wait (holding the condition) for the next live call that is due; None when closed."""
        while not self._closed:
            if not self._queue:
                self._wakeup.wait()
                continue
            due, _n, handle, callback = self._queue[0]
            wait = due - time.monotonic()
            if wait > 0:
                self._wakeup.wait(wait)
                continue
            heapq.heappop(self._queue)
            if not handle.cancelled:
                return callback
        return None
