"""Badge reads: from raw reader text to a canonical UID, and one worker that handles them in order.

Every source (the evdev reader, standard input, the demo's ``sim/{dev}/scan``
topic) submits raw text to the `BadgeQueue`; its one worker thread hands each
read to the controller. So reads never overlap, and no source's thread (above
all paho's network thread, which must deliver the server's answer) ever waits
for an access decision.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from bridge_protocol.badges import normalize
from bridge_protocol.errors import BadgeFormatError
from bridge_protocol.events import ReaderError
from firmware_bridge.events import EventRecorder
from firmware_bridge.ports import Feedback

logger = logging.getLogger(__name__)

BadgeCallback = Callable[[str, "str | None"], object]


def canonical_or_report(
    raw: str, reader_format: str, *, recorder: EventRecorder, feedback: Feedback
) -> str | None:
    """The canonical UID of `raw`, or None after reporting a ``reader.error`` (never the number)."""
    try:
        return normalize(raw, reader_format)
    except BadgeFormatError as exc:
        logger.warning("unreadable badge: %s", exc)
        recorder.record(ReaderError(code="bad_format", detail=str(exc)[:200]))
        feedback.denied()
        return None


class BadgeQueue:
    def __init__(self, handler: BadgeCallback, *, maxsize: int = 16) -> None:
        self._handler = handler
        self._queue: queue.Queue[tuple[str, str | None] | None] = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def submit(self, raw: str, reader_format: str | None = None) -> bool:
        """Queue one read; False (dropped and counted) when reads pile up."""
        try:
            self._queue.put_nowait((raw, reader_format))
        except queue.Full:
            self.dropped += 1
            logger.warning("badge reads pile up; one dropped")
            return False
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="badge-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        # Make room for the stop marker, so stop() never blocks on a full queue.
        while True:
            try:
                self._queue.put_nowait(None)
                break
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._handler(*item)
            except Exception:
                logger.exception("badge handling failed")
