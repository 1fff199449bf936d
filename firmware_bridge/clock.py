"""Time for the bridge: the wall clock, the monotonic clock and whether the wall clock is trusted.

Every part of the bridge asks a `Clock` instead of the `time` module, so tests
run on a `ManualClock` driven by the devices' `ManualScheduler` and never wait.

Synchronisation: the Linux kernel keeps an "unsynchronised" flag (``STA_UNSYNC``)
that chrony and systemd-timesyncd clear once they discipline the clock;
``adjtimex`` with no modes reads it without privileges (this is what
``timedatectl`` shows as "System clock synchronized"). `kernel_clock_synced`
reads it through ctypes; where that is impossible the clock counts as not
synchronised, which is the safe side (commands refused, allow-lists judged by
monotonic age).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from devices.timing import ManualScheduler

logger = logging.getLogger(__name__)

ClockMode = Literal["auto", "sync", "unsync"]
_TIME_ERROR = 5  # adjtimex() result while the kernel clock is unsynchronised
_BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    """What the bridge needs from time."""

    def wall_ms(self) -> int:
        """Milliseconds since the Unix epoch (UTC), trusted only when `synced`."""
        ...

    def mono_ms(self) -> int:
        """The system's monotonic clock in milliseconds (never jumps, resets at OS boot)."""
        ...

    def synced(self) -> bool:
        """Whether the wall clock is synchronised (NTP)."""
        ...

    def os_boot_id(self) -> str:
        """Changes when the operating system restarts (and the monotonic clock with it)."""
        ...

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        """Wait for `event` at most `timeout_s` seconds; True if it was set."""
        ...


def kernel_clock_synced() -> bool:
    """True when the kernel says its clock is synchronised (``adjtimex`` is not TIME_ERROR)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex, modes = 0: read only
        state = int(libc.adjtimex(timex))
    except (OSError, AttributeError):
        return False
    return 0 <= state < _TIME_ERROR


def read_os_boot_id() -> str:
    try:
        return _BOOT_ID_FILE.read_text(encoding="ascii").strip() or "unknown"
    except OSError:
        return "unknown"


class SystemClock:
    """The real clocks. `mode` ``auto`` asks the kernel, at most every `recheck_s` seconds."""

    def __init__(
        self,
        mode: ClockMode = "auto",
        *,
        probe: Callable[[], bool] = kernel_clock_synced,
        recheck_s: float = 10.0,
    ) -> None:
        self.mode = mode
        self._probe = probe
        self._recheck_ms = int(recheck_s * 1000)
        self._checked_at: int | None = None
        self._synced = False
        self._boot_id = read_os_boot_id()
        self._lock = threading.Lock()

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def mono_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def synced(self) -> bool:
        if self.mode != "auto":
            return self.mode == "sync"
        now = self.mono_ms()
        with self._lock:
            if self._checked_at is None or now - self._checked_at >= self._recheck_ms:
                synced = self._probe()
                if synced != self._synced or self._checked_at is None:
                    logger.info("wall clock %s", "synchronised" if synced else "NOT synchronised")
                self._synced, self._checked_at = synced, now
            return self._synced

    def os_boot_id(self) -> str:
        return self._boot_id

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        return event.wait(timeout_s)


class ManualClock:
    """A clock that follows a `ManualScheduler`: time moves only when the test moves it.

    `wait` never blocks: it records the timeout it was given and reports
    whether the event is already set (a fake server answers synchronously, or
    not at all). `wall_offset_ms` lets a test step the wall clock alone.
    """

    def __init__(
        self,
        scheduler: ManualScheduler,
        *,
        wall_start_ms: int = 1_711_846_800_000,
        mono_start_ms: int = 1_000_000,
        synced: bool = True,
        os_boot_id: str = "manual-boot",
    ) -> None:
        self.scheduler = scheduler
        self._wall_start = wall_start_ms
        self._mono_start = mono_start_ms
        self._origin = scheduler.now()
        self.wall_offset_ms = 0
        self.is_synced = synced
        self.boot_id = os_boot_id
        self.waits: list[float] = []

    def _elapsed_ms(self) -> int:
        return round((self.scheduler.now() - self._origin) * 1000)

    def wall_ms(self) -> int:
        return self._wall_start + self._elapsed_ms() + self.wall_offset_ms

    def mono_ms(self) -> int:
        return self._mono_start + self._elapsed_ms()

    def synced(self) -> bool:
        return self.is_synced

    def os_boot_id(self) -> str:
        return self.boot_id

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        self.waits.append(timeout_s)
        return event.is_set()
