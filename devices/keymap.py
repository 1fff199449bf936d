"""Turns the key events of a keyboard-wedge badge reader into badge strings.

A USB reader "types" the badge number and presses Enter. This module knows
only Linux key codes (``linux/input-event-codes.h``, a stable ABI) and needs
no evdev, so it is tested without a device.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

KEY_RELEASED, KEY_PRESSED, KEY_REPEATED = 0, 1, 2

#: Key code -> character, for the digit row, the keypad and the hex letters.
#: Letters come out upper-case whatever the shift state; Shift itself, like
#: every key not listed here, is ignored.
CHARACTERS: dict[int, str] = {
    # digit row: KEY_1 .. KEY_9, KEY_0
    2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0",
    # keypad: KEY_KP7 .. KEY_KP0
    71: "7", 72: "8", 73: "9", 75: "4", 76: "5", 77: "6", 79: "1", 80: "2", 81: "3", 82: "0",
    # KEY_A .. KEY_F
    30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F",
}  # fmt: skip

#: KEY_ENTER and KEY_KPENTER end a badge.
END_KEYS = frozenset({28, 96})


class KeyTranslator:
    """Collects key presses into badge strings.

    Feed it ``(code, value)`` pairs of key events; :meth:`feed` returns the
    badge when an end key is pressed, otherwise None. Only presses count
    (not releases or auto-repeat). A half-typed badge is dropped when the
    next key comes more than *max_gap* seconds later (readers type a whole
    badge in a few tens of milliseconds, so a lost Enter must not glue two
    badges together), and when it grows past *max_length* characters.
    """

    def __init__(self, *, max_length: int = 32, max_gap: float = 0.5) -> None:
        if max_length < 1:
            raise ValueError("max_length must be at least 1")
        self.max_length = max_length
        self.max_gap = max_gap
        self._buffer: list[str] = []
        self._overflowed = False
        self._last_key_at: float | None = None

    @property
    def pending(self) -> str:
        """What has been typed since the last end key."""
        return "".join(self._buffer)

    def reset(self) -> None:
        self._buffer.clear()
        self._overflowed = False

    def feed(self, code: int, value: int, timestamp: float | None = None) -> str | None:
        """Take one key event; return a finished badge, or None."""
        if value != KEY_PRESSED:
            return None
        if timestamp is not None:
            if (
                self._last_key_at is not None
                and timestamp - self._last_key_at > self.max_gap
                and (self._buffer or self._overflowed)
            ):
                logger.warning("dropping a half-typed badge (no Enter)")
                self.reset()
            self._last_key_at = timestamp
        if code in END_KEYS:
            badge = None if self._overflowed else self.pending or None
            if self._overflowed:
                logger.warning("dropping a badge longer than %d characters", self.max_length)
            self.reset()
            return badge
        char = CHARACTERS.get(code)
        if char is None:
            logger.debug("ignoring key code %d", code)
            return None
        if self._overflowed:
            return None
        if len(self._buffer) >= self.max_length:
            self._overflowed = True
            self._buffer.clear()
            return None
        self._buffer.append(char)
        return None
