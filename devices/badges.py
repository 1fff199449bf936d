"""Badge readers: a common base, a simulated reader and a line-per-badge reader.

A reader calls :attr:`BadgeReader.when_badge` with the raw text it read,
exactly as the reader produced it. What the digits mean is the reader's
:attr:`~BadgeReader.reader_format` (``hex``, ``dec10_le``, ``dec10_be``,
``wiegand26``, ``wiegand34``), which the reader only carries along: turning
raw text into a canonical UID is ``bridge_protocol.badges.normalize``'s job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from devices._callbacks import fire
from devices.exc import ReaderClosed

logger = logging.getLogger(__name__)

BadgeHandler = Callable[[str], Any]
ErrorHandler = Callable[[BaseException], Any]


class BadgeReader:
    """Base of the badge readers.

    :attr:`when_badge` is called with the raw string of each badge read;
    :attr:`when_error` with an exception when the reader fails (it may
    recover on its own: see the subclass). Both run in the reader's thread.
    """

    def __init__(self, *, reader_format: str = "hex") -> None:
        self.reader_format = reader_format
        self._when_badge: BadgeHandler | None = None
        self._when_error: ErrorHandler | None = None
        self._closed = False

    @property
    def when_badge(self) -> BadgeHandler | None:
        return self._when_badge

    @when_badge.setter
    def when_badge(self, handler: BadgeHandler | None) -> None:
        self._when_badge = _checked(handler)
        self._handler_set()

    @property
    def when_error(self) -> ErrorHandler | None:
        return self._when_error

    @when_error.setter
    def when_error(self, handler: ErrorHandler | None) -> None:
        self._when_error = _checked(handler)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> BadgeReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _handler_set(self) -> None:
        """Hook for readers that wait for a handler before reading."""

    def _badge_read(self, raw: str) -> None:
        if self._closed:
            return
        handler = self._when_badge
        if handler is None:
            logger.debug("badge read with no handler set; dropped")
            return
        logger.debug("badge read (%d characters)", len(raw))
        fire(handler, raw)

    def _failed(self, error: BaseException) -> None:
        logger.error("badge reader failed: %s", error)
        fire(self._when_error, error)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"reader_format={self.reader_format!r}"
        return f"<{type(self).__name__} {state}>"


def _checked(handler: Any) -> Any:
    if handler is not None and not callable(handler):
        raise TypeError("handler must be None or a callable")
    return handler


class SimulatedBadgeReader(BadgeReader):
    """A reader you badge with code: :meth:`scan` fires :attr:`when_badge`."""

    def scan(self, raw: str) -> None:
        """Pretend *raw* was just read; the handler runs in the caller's thread."""
        if self._closed:
            raise ReaderClosed("reader is closed")
        self._badge_read(raw)

    def fail(self, error: BaseException) -> None:
        """Pretend the reader failed: fires :attr:`when_error` with *error*."""
        self._failed(error)


class LineBadgeReader(BadgeReader):
    """Reads one badge per line from a text stream (standard input, a pipe).

    Reading starts when :attr:`when_badge` is first set, so no line is lost to
    a handler set a moment late. Blank lines are skipped; the end of the
    stream ends the reader (:meth:`wait_for_end`). :meth:`close` cannot
    interrupt a blocked read of a terminal: the thread is a daemon and stops
    at the next line.
    """

    def __init__(self, stream: TextIO, *, reader_format: str = "hex") -> None:
        super().__init__(reader_format=reader_format)
        self._stream = stream
        self._armed = threading.Event()
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name="LineBadgeReader", daemon=True)
        self._thread.start()

    def _handler_set(self) -> None:
        if self._when_badge is not None:
            self._armed.set()

    def wait_for_end(self, timeout: float | None = None) -> bool:
        """Block until the stream has ended (or the reader closed)."""
        return self._ended.wait(timeout)

    def close(self) -> None:
        super().close()
        self._armed.set()

    def _run(self) -> None:
        try:
            self._armed.wait()
            while not self._closed:
                line = self._stream.readline()
                if not line:
                    logger.info("badge stream ended")
                    break
                raw = line.strip()
                if raw:
                    self._badge_read(raw)
        except (OSError, ValueError) as exc:  # ValueError: read from a closed file
            if not self._closed:
                self._failed(exc)
        finally:
            self._ended.set()
