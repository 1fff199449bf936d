"""The door: badge -> decision -> strike -> event, door contact events, the unlock schedule.

* A granted badge releases the strike for ``door.unlock_s`` (the relay goes
  first, then the ``access.decision`` event is written, so a slow SD card never
  delays the door).
* Door contact: ``door.opened`` (with what released the strike: badge,
  schedule or remote), or ``door.forced`` instead when the door opened while
  locked; ``door.closed`` with how long it was open; ``door.held_open`` once it
  stayed open ``door.held_open_s`` seconds.
* Unlock schedule: while the allow-list is fresh, the resource is not locked
  out and now is inside one of its ``unlock`` intervals, the door is held
  unlocked, in slices of at most `SCHEDULE_SLICE_S` that never run past the
  interval's end; the schedule is checked every `SCHEDULE_CHECK_S` and whenever
  a list or a lockout arrives. An expired list never holds a door unlocked.
"""

from __future__ import annotations

import logging
import threading
from typing import Literal

from bridge_protocol.events import DoorClosed, DoorForced, DoorHeldOpen, DoorOpened
from devices.door import DoorLock
from devices.timing import Cancellable, Scheduler
from firmware_bridge.acl_cache import AllowListCache
from firmware_bridge.authority import Authority, Decision
from firmware_bridge.clock import Clock
from firmware_bridge.events import EventRecorder
from firmware_bridge.ports import Feedback
from firmware_bridge.resource import ResourceState
from firmware_bridge.scans import canonical_or_report

logger = logging.getLogger(__name__)

SCHEDULE_CHECK_S = 15.0
SCHEDULE_SLICE_S = 60.0
ReleasedBy = Literal["badge", "schedule", "remote"]


class DoorController:
    def __init__(
        self,
        *,
        door: DoorLock,
        feedback: Feedback,
        authority: Authority,
        recorder: EventRecorder,
        acl: AllowListCache,
        resource: ResourceState,
        scheduler: Scheduler,
        clock: Clock,
        unlock_s: int,
        reader_format: str = "hex",
    ) -> None:
        self.door = door
        self._feedback = feedback
        self._authority = authority
        self._recorder = recorder
        self._acl = acl
        self._resource = resource
        self._scheduler = scheduler
        self._clock = clock
        self.unlock_s = unlock_s
        self._format = reader_format
        self._lock = threading.RLock()
        self._released_by: ReleasedBy = "badge"
        self._opened_ms: int | None = None
        self._schedule_until: float | None = None
        self._timer: Cancellable | None = None
        self._running = False

    # Life cycle ----------------------------------------------------------------

    def start(self) -> None:
        self.door.when_opened = self._door_opened
        self.door.when_closed = self._door_closed
        self.door.when_held_open = self._door_held_open
        self._acl.add_listener(lambda _list: self.apply_schedule())
        self._resource.add_listener(lambda _locked: self.apply_schedule())
        with self._lock:
            self._running = True
        self._schedule_tick()

    def stop(self) -> None:
        with self._lock:
            self._running = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.door.when_opened = None
        self.door.when_closed = None
        self.door.when_held_open = None

    # Badges --------------------------------------------------------------------

    def on_badge(self, raw: str, reader_format: str | None = None) -> Decision | None:
        uid = canonical_or_report(
            raw, reader_format or self._format, recorder=self._recorder, feedback=self._feedback
        )
        if uid is None:
            return None
        decision = self._authority.decide(uid)
        if decision.granted:
            self._release("badge", self.unlock_s)
            self._feedback.granted(self.unlock_s)
        else:
            self._feedback.denied()
        logger.info(
            "badge %s at the door (%s, %s)",
            "granted" if decision.granted else "denied",
            decision.reason,
            decision.mode,
        )
        self._recorder.record(decision.event())
        return decision

    def unlock_remote(self, seconds: int) -> None:
        self._release("remote", seconds)

    def _release(self, by: ReleasedBy, seconds: float) -> None:
        with self._lock:
            self._released_by = by
            self.door.unlock(seconds)

    # The door contact ----------------------------------------------------------

    def _door_opened(self) -> None:
        with self._lock:
            self._opened_ms = self._clock.mono_ms()
            forced = self.door.is_locked
            by = self._released_by
        if forced:
            logger.warning("door forced")
            self._recorder.record(DoorForced())
        else:
            self._recorder.record(DoorOpened(by=by))

    def _door_closed(self) -> None:
        with self._lock:
            opened, self._opened_ms = self._opened_ms, None
        self._recorder.record(DoorClosed(open_s=self._open_s(opened)))

    def _door_held_open(self) -> None:
        with self._lock:
            opened = self._opened_ms
        self._recorder.record(DoorHeldOpen(open_s=self._open_s(opened)))

    def _open_s(self, opened_ms: int | None) -> int:
        if opened_ms is None:
            return 0
        return max(self._clock.mono_ms() - opened_ms, 0) // 1000

    # The unlock schedule -------------------------------------------------------

    def _schedule_tick(self) -> None:
        self.apply_schedule()
        with self._lock:
            if self._running:
                self._timer = self._scheduler.call_later(SCHEDULE_CHECK_S, self._schedule_tick)

    def scheduled_open_ms(self) -> int | None:
        """How much longer the schedule holds the door unlocked from now, or None."""
        allow_list = self._acl.current
        now = self._acl.list_now_ms()
        if allow_list is None or now is None or self._resource.locked_out:
            return None
        if not allow_list.is_unlocked_at(now):
            return None
        end = next(end for start, end in allow_list.unlock if start <= now < end)
        return min(end, allow_list.exp) - now

    def apply_schedule(self) -> None:
        remaining_ms = self.scheduled_open_ms()
        with self._lock:
            if not self._running:
                return
            if remaining_ms is not None and remaining_ms > 0:
                seconds = min(remaining_ms / 1000, SCHEDULE_SLICE_S)
                if self._schedule_until is None:
                    logger.info("unlock schedule: door held unlocked")
                self._released_by = "schedule"
                self.door.unlock(seconds)
                self._schedule_until = self._scheduler.now() + seconds
            elif self._schedule_until is not None:
                self._end_schedule(self._schedule_until)

    def _end_schedule(self, until: float) -> None:
        self._schedule_until = None
        running = self.door.unlocked_until
        # Lock only if the unlock running is the schedule's own (not a later badge's).
        if running is not None and running <= until + 0.001:
            self.door.lock()
            logger.info("unlock schedule ended: door locked")
