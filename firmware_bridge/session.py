"""A machine session as the device keeps it: who, since when, busy and idle time.

Durations come from the monotonic clock within one process. The busy input
splits the elapsed time into busy and idle; a machine without a busy input
counts as idle throughout (``busy_s`` 0), since nothing says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge_protocol.events import DecisionMode, SessionEnd, SessionStart, SessionTick
from bridge_protocol.reasons import SessionEndReason
from firmware_bridge.store import SessionRow


class BusyMeter:
    """Adds up busy and idle milliseconds between state changes."""

    def __init__(self, now_ms: int, busy: bool) -> None:
        self._since = now_ms
        self._busy = busy
        self._busy_ms = 0
        self._idle_ms = 0

    @property
    def busy(self) -> bool:
        return self._busy

    def change(self, now_ms: int, busy: bool) -> None:
        self._close_span(now_ms)
        self._busy = busy

    def totals(self, now_ms: int) -> tuple[int, int]:
        """(busy_ms, idle_ms) up to `now_ms`."""
        span = max(now_ms - self._since, 0)
        if self._busy:
            return self._busy_ms + span, self._idle_ms
        return self._busy_ms, self._idle_ms + span

    def _close_span(self, now_ms: int) -> None:
        self._busy_ms, self._idle_ms = self.totals(now_ms)
        self._since = max(now_ms, self._since)


@dataclass(frozen=True)
class Usage:
    elapsed_s: int
    busy_s: int
    idle_s: int
    busy: bool


@dataclass
class Session:
    sid: str
    member: int
    badge: str
    staff: bool
    mode: DecisionMode
    max_s: int | None
    started_ms: int
    meter: BusyMeter
    #: monotonic ms at which a stop falls due (maximum duration or closing time)
    due_ms: int | None = None
    warned: set[int] = field(default_factory=set)

    def usage(self, now_ms: int) -> Usage:
        busy_ms, idle_ms = self.meter.totals(now_ms)
        return Usage(
            elapsed_s=max(now_ms - self.started_ms, 0) // 1000,
            busy_s=busy_ms // 1000,
            idle_s=idle_ms // 1000,
            busy=self.meter.busy,
        )

    def start_event(self) -> SessionStart:
        return SessionStart(
            sid=self.sid, member=self.member, badge=self.badge, mode=self.mode, max_s=self.max_s
        )

    def tick_event(self, now_ms: int) -> SessionTick:
        use = self.usage(now_ms)
        return SessionTick(
            sid=self.sid,
            elapsed_s=use.elapsed_s,
            busy_s=use.busy_s,
            idle_s=use.idle_s,
            busy=use.busy,
        )

    def end_event(self, now_ms: int, reason: SessionEndReason) -> SessionEnd:
        use = self.usage(now_ms)
        return SessionEnd(
            sid=self.sid,
            reason=reason,
            elapsed_s=use.elapsed_s,
            busy_s=use.busy_s,
            idle_s=use.idle_s,
        )

    def row(self, boot: str, now_ms: int) -> SessionRow:
        use = self.usage(now_ms)
        return SessionRow(
            sid=self.sid,
            member=self.member,
            badge=self.badge,
            boot=boot,
            elapsed_s=use.elapsed_s,
            busy_s=use.busy_s,
            idle_s=use.idle_s,
        )


def recovered_end(row: SessionRow) -> SessionEnd:
    """The end of a session found open at start: closed at its last tick."""
    return SessionEnd(
        sid=row.sid,
        reason=SessionEndReason.REBOOT_RECOVERED,
        elapsed_s=row.elapsed_s,
        busy_s=row.busy_s,
        idle_s=row.idle_s,
    )
