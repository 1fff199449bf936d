"""A USB keyboard-wedge badge reader, read through Linux evdev."""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable
from typing import Any

from devices._callbacks import fire
from devices.badges import BadgeReader
from devices.keymap import KeyTranslator

logger = logging.getLogger(__name__)

EV_KEY = 1


def open_evdev_device(path: str) -> Any:
    """Open an input device with evdev (imported here: only this reader needs it)."""
    # Lazy on purpose: a Pi without a HID reader needs no evdev.
    import evdev

    return evdev.InputDevice(path)


class EvdevBadgeReader(BadgeReader):
    """A reader that types badges like a keyboard, read from ``/dev/input``.

    *device_path* is best a stable name such as
    ``/dev/input/by-id/usb-<vendor>_<model>-event-kbd``. With *grab* (the
    default) the device is grabbed, so its keystrokes reach only this reader
    and never a console or a desktop session.

    A background thread opens the device, reads key events, and hands them
    to a :class:`~devices.keymap.KeyTranslator`. When the device cannot be
    opened or disappears (unplugged), the reader retries every
    *reconnect_interval* seconds until it is back, and :attr:`when_error` is
    called once per outage with the error (at the next retry if the handler
    was set after the outage began); :attr:`is_connected` tells the state.
    Reading starts at construction, so the device is grabbed at once; a badge
    read before :attr:`when_badge` is set is dropped.

    *opener* opens a device path and returns an object with ``fd``, ``read()``,
    ``grab()``, ``ungrab()`` and ``close()`` like :class:`evdev.InputDevice`;
    tests pass a fake one.
    """

    def __init__(
        self,
        device_path: str,
        *,
        grab: bool = True,
        reader_format: str = "hex",
        reconnect_interval: float = 2.0,
        max_length: int = 32,
        max_gap: float = 0.5,
        poll_interval: float = 0.2,
        opener: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(reader_format=reader_format)
        if reconnect_interval <= 0 or poll_interval <= 0:
            raise ValueError("intervals must be positive")
        self.device_path = device_path
        self.grab = grab
        self.reconnect_interval = reconnect_interval
        self._poll_interval = poll_interval
        self._opener = opener or open_evdev_device
        self._translator = KeyTranslator(max_length=max_length, max_gap=max_gap)
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._failing = False
        self._reported = False
        self._thread = threading.Thread(
            target=self._run, name=f"EvdevBadgeReader({device_path})", daemon=True
        )
        self._thread.start()

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def wait_for_connected(self, timeout: float | None = None) -> bool:
        """Block until the device is open (and grabbed)."""
        return self._connected.wait(timeout)

    def close(self) -> None:
        """Stop reading, ungrab and close the device."""
        super().close()
        self._stopping.set()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(self._poll_interval * 5 + 1.0)
            if thread.is_alive():
                logger.warning("badge reader thread did not stop in time")

    # -- the reading thread -----------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                device = self._open()
            except OSError as exc:
                self._report(exc)
                self._stopping.wait(self.reconnect_interval)
                continue
            try:
                self._pump(device)
            except OSError as exc:
                self._report(exc)
            finally:
                self._connected.clear()
                self._release(device)
            self._stopping.wait(self.reconnect_interval)

    def _open(self) -> Any:
        device = self._opener(self.device_path)
        if self.grab:
            try:
                device.grab()
            except OSError:
                device.close()
                raise
        self._translator.reset()
        if self._failing:
            logger.info("badge reader %s is back", self.device_path)
        else:
            logger.info("badge reader %s opened", self.device_path)
        self._failing = False
        self._reported = False
        self._connected.set()
        return device

    def _pump(self, device: Any) -> None:
        while not self._stopping.is_set():
            readable, _, _ = select.select([device.fd], [], [], self._poll_interval)
            if not readable:
                continue
            try:
                events = list(device.read())
            except BlockingIOError:
                continue
            for event in events:
                if event.type != EV_KEY:
                    continue
                badge = self._translator.feed(event.code, event.value, event.timestamp())
                if badge is not None:
                    self._badge_read(badge)

    def _release(self, device: Any) -> None:
        try:
            if self.grab:
                device.ungrab()
        except OSError:
            pass  # an unplugged device cannot be ungrabbed; closing is enough
        try:
            device.close()
        except OSError:
            logger.debug("closing %s failed", self.device_path, exc_info=True)

    def _report(self, error: OSError) -> None:
        if self._stopping.is_set():
            return
        # One report per failure episode, to a handler: a handler set while the
        # device is already missing still hears of it at the next retry.
        if not self._failing:
            logger.error("badge reader %s unavailable: %s", self.device_path, error)
            self._failing = True
        else:
            logger.debug("badge reader %s still unavailable: %s", self.device_path, error)
        if not self._reported and self.when_error is not None:
            self._reported = True
            fire(self.when_error, error)
