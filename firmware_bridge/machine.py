"""The machine: sessions that switch a machine's power, and never cut it while it works.

A badge at a machine with no session asks for a decision; a grant switches the
relay on (first, for speed), records ``access.decision`` and ``session.start``
(with a session id made here) and stores the open session. While it runs, a
``session.tick`` every ``machine.tick_s`` stores how far it got, so a crash or
power cut is closed at its last tick with ``reboot_recovered`` at the next start.

How a session ends (``session.end`` reason):

* ``badge_out``: the same badge again. Idle machine: power off now. Busy
  machine: the session runs on until the machine goes idle, then ends and powers
  off. With ``badge_out_keeps_power`` (3D printers) the session ends at once
  (the member stops paying) and the machine keeps power, unattended, until it
  goes idle; a new session can take the unattended machine over under the
  takeover rule below.
* ``idle_timeout``: the busy input stayed idle ``machine.idle_timeout_s``.
  A machine without a busy input has no idle timeout (nothing tells idle from
  working); wire one for anything that runs long.
* ``max_duration``: the session's limit fell due: ``max_s`` of the decision or
  the end of the entry's current ``valid`` interval in the allow-list (closing
  time, the end of a booking), whichever comes first. Warnings (`Feedback.warn`)
  go out ``machine.warn_before_s`` (10 and 2 minutes) ahead.
* ``takeover``: another member badged in and was granted, while the machine is
  idle (or at any time when ``takeover_only_when_idle`` is false). Power stays on.
* ``remote_power_off``: a ``power_off`` command (refused with ``machine_busy``
  while busy, unless it says ``force``).
* ``locked_out``: a lockout (command or allow-list) ends a non-staff session.

Never off while busy: every stop that falls due while the busy input is active
(badge-out, maximum duration, lockout) waits until the machine goes idle, and
is forced only by a manager's ``power_off`` with ``force``, or by
``machine.hard_limit_s`` seconds after the stop fell due when the resource has
a hard limit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from bridge_protocol.config_sections import MachineSection
from bridge_protocol.reasons import CommandRefusal, DecisionReason, SessionEndReason
from bridge_protocol.wire import new_uuid
from devices.machine import MachineInterlock
from devices.timing import Scheduler
from firmware_bridge.acl_cache import AllowListCache
from firmware_bridge.authority import Authority, Decision
from firmware_bridge.clock import Clock
from firmware_bridge.events import EventRecorder
from firmware_bridge.ports import Feedback
from firmware_bridge.resource import ResourceState
from firmware_bridge.scans import canonical_or_report
from firmware_bridge.session import BusyMeter, Session, recovered_end
from firmware_bridge.store import SessionTable, Store
from firmware_bridge.timers import Timers

logger = logging.getLogger(__name__)


class MachineController:
    def __init__(
        self,
        *,
        interlock: MachineInterlock,
        feedback: Feedback,
        authority: Authority,
        recorder: EventRecorder,
        store: Store,
        acl: AllowListCache,
        resource: ResourceState,
        scheduler: Scheduler,
        clock: Clock,
        settings: MachineSection,
        reader_format: str = "hex",
    ) -> None:
        self.interlock = interlock
        self._feedback = feedback
        self._authority = authority
        self._recorder = recorder
        self._store = store
        self._acl = acl
        self._resource = resource
        self._clock = clock
        self.settings = settings
        self._format = reader_format
        self._lock = threading.RLock()
        self._timers = Timers(scheduler)
        self._gen = 0
        self._session: Session | None = None
        self._stop_reason: SessionEndReason | None = None
        self._unattended = False
        self._running = False

    # State, for status and tests ----------------------------------------------

    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def stopping(self) -> SessionEndReason | None:
        """The stop waiting for the machine to go idle, if any."""
        return self._stop_reason

    @property
    def unattended(self) -> bool:
        """Powered after a badge-out that kept power, waiting for idle."""
        return self._unattended

    # Life cycle ----------------------------------------------------------------

    def recover(self) -> None:
        """End a session left open by a crash or power cut, at its last tick."""
        row = self._store.session.load()
        if row is None:
            return
        logger.warning("session %s was left open; ending it at its last tick", row.sid)
        self._recorder.record(recovered_end(row), also=SessionTable.clearer())

    def start(self) -> None:
        self.interlock.when_busy = self._machine_busy
        self.interlock.when_idle = self._machine_idle
        self._resource.add_listener(self._lockout_changed)
        with self._lock:
            self._running = True

    def stop(self) -> None:
        """Shutting down: store a last tick and leave the session for ``reboot_recovered``."""
        with self._lock:
            self._running = False
            self._timers.cancel_all()
            if self._session is not None:
                self._tick(self._gen)
        self.interlock.when_busy = None
        self.interlock.when_idle = None

    # Badges --------------------------------------------------------------------

    def on_badge(self, raw: str, reader_format: str | None = None) -> Decision | None:
        uid = canonical_or_report(
            raw, reader_format or self._format, recorder=self._recorder, feedback=self._feedback
        )
        if uid is None:
            return None
        with self._lock:
            if self._session is not None and self._session.badge == uid:
                self._badge_out()
                return None
            if self._in_use_and_busy():
                return self._refuse(uid)
        decision = self._authority.decide(uid)
        with self._lock:
            return self._act_on(decision)

    def _act_on(self, decision: Decision) -> Decision:
        if not decision.granted or decision.member is None:
            if decision.granted:
                logger.error("a grant without a member id cannot start a session")
            self._recorder.record(decision.event())
            self._feedback.denied()
            return decision
        current = self._session
        if current is not None and current.member == decision.member:
            self._recorder.record(decision.event())  # another badge of the same member
            self._feedback.granted(1.0)
            return decision
        if self._in_use_and_busy():  # it started working while we asked
            return self._refuse(decision.badge)
        self._switch_on()
        self._recorder.record(decision.event())
        if current is not None:
            self._end(SessionEndReason.TAKEOVER, power_off=False)
        self._stop_reason, self._unattended = None, False
        self._timers.cancel("hard")
        self._start_session(decision)
        self._feedback.granted()
        return decision

    def _refuse(self, uid: str) -> Decision:
        logger.info("machine in use and busy: takeover refused")
        decision = self._authority.local_refusal(uid, DecisionReason.RESOURCE_UNAVAILABLE)
        self._recorder.record(decision.event())
        self._feedback.denied()
        return decision

    def _in_use_and_busy(self) -> bool:
        in_use = self._session is not None or self._unattended
        return in_use and self.settings.takeover_only_when_idle and self._busy()

    def _badge_out(self) -> None:
        self._feedback.granted(1.0)
        if self._stop_reason is not None:
            return  # already ending when the machine goes idle
        if not self._busy():
            self._end(SessionEndReason.BADGE_OUT, power_off=True)
        elif self.settings.badge_out_keeps_power:
            self._end(SessionEndReason.BADGE_OUT, power_off=False)
            self._unattended = True
            self._request_stop(SessionEndReason.BADGE_OUT)
            logger.info("badge-out: session ended, power kept until the machine is idle")
        else:
            self._request_stop(SessionEndReason.BADGE_OUT)

    # Sessions ------------------------------------------------------------------

    def _start_session(self, decision: Decision) -> None:
        assert decision.member is not None
        now = self._clock.mono_ms()
        session = Session(
            sid=new_uuid(),
            member=decision.member,
            badge=decision.badge,
            staff=decision.staff,
            mode=decision.mode,
            max_s=decision.max_s,
            started_ms=now,
            meter=BusyMeter(now, self._busy()),
            due_ms=self._due_ms(decision, now),
        )
        self._session = session
        self._gen += 1
        row = session.row(self._recorder.boot, now)
        self._recorder.record(session.start_event(), also=SessionTable.saver(row))
        self._timers.set("tick", self.settings.tick_s, self._guarded(self._tick))
        self._arm_idle_timeout()
        self._arm_due(session, now)
        logger.info("session %s started", session.sid)

    def _due_ms(self, decision: Decision, now: int) -> int | None:
        candidates = []
        if decision.max_s is not None:
            candidates.append(now + decision.max_s * 1000)
        closing = self._closing_in_ms(decision)
        if closing is not None:
            candidates.append(now + closing)
        return min(candidates, default=None)

    def _closing_in_ms(self, decision: Decision) -> int | None:
        """Time left in the entry's current ``valid`` interval (closing, booking end)."""
        entry, allow_list, now = decision.entry, self._acl.current, self._acl.list_now_ms()
        if entry is None or decision.staff or allow_list is None or now is None:
            return None
        if now >= allow_list.exp:
            return None
        for start, end in entry.valid:
            if start <= now < end:
                return end - now
        return None

    def _arm_due(self, session: Session, now: int) -> None:
        if session.due_ms is None:
            return
        for before_s in self.settings.warn_before_s:
            at = session.due_ms - before_s * 1000
            if at > now:
                self._timers.set(
                    f"warn-{before_s}",
                    (at - now) / 1000,
                    self._guarded(partial(self._warn, before_s)),
                )
        self._timers.set("due", (session.due_ms - now) / 1000, self._guarded(self._due))

    def _end(self, reason: SessionEndReason, *, power_off: bool, force: bool = False) -> None:
        session = self._session
        if session is None:
            return
        now = self._clock.mono_ms()
        self._session = None
        self._gen += 1
        self._timers.cancel_all()
        if power_off:
            self._switch_off(reason, force=force)
        self._recorder.record(session.end_event(now, reason), also=SessionTable.clearer())
        logger.info("session %s ended: %s", session.sid, reason)

    def _request_stop(self, reason: SessionEndReason) -> None:
        """Stop now if idle, else when the machine goes idle (or at the hard limit)."""
        if self._stop_reason is not None:
            return
        if not self._busy():
            self._stop_now(reason, force=False)
            return
        logger.warning("machine busy: stop (%s) waits until it is idle", reason)
        self._defer_stop(reason)

    def _defer_stop(self, reason: SessionEndReason) -> None:
        """Switch off when the machine goes idle, or at the hard limit."""
        self._stop_reason = self._stop_reason or reason
        if self.settings.hard_limit_s is not None:
            self._timers.set("hard", self.settings.hard_limit_s, self._guarded(self._hard_limit))

    def _stop_now(self, reason: SessionEndReason, *, force: bool) -> None:
        if self._session is not None:
            self._end(reason, power_off=True, force=force)
        else:
            self._switch_off(reason, force=force)

    # Power ---------------------------------------------------------------------

    def _busy(self) -> bool:
        return bool(self.interlock.is_busy)

    def _switch_on(self) -> None:
        if not self.interlock.is_enabled:
            self.interlock.enable()

    def _switch_off(self, reason: SessionEndReason, *, force: bool) -> None:
        if self._busy() and not force:
            # It started working a moment ago (the busy input changed while we
            # decided): keep the power, unattended, and switch off once idle.
            logger.warning("machine busy: keeping power until it is idle")
            self._unattended = True
            self._defer_stop(reason)
            return
        self.interlock.disable()
        self._stop_reason, self._unattended = None, False
        self._timers.cancel("hard")

    def power_off(self, *, force: bool) -> str | None:
        """A ``power_off`` command; returns a refusal code, or None when done."""
        with self._lock:
            if self._busy() and not force:
                return CommandRefusal.MACHINE_BUSY.value
            if force and self._busy():
                logger.warning("power_off with force: switching off a busy machine")
            self._stop_now(SessionEndReason.REMOTE_POWER_OFF, force=force)
        return None

    # Timers and inputs ---------------------------------------------------------

    def _guarded(self, action: Callable[[int], None]) -> Callable[[], None]:
        """A timer callback that does nothing once the session it was set for is over."""
        gen = self._gen

        def run() -> None:
            with self._lock:
                if self._running and gen == self._gen:
                    action(gen)

        return run

    def _tick(self, gen: int) -> None:
        session = self._session
        if session is None:
            return
        now = self._clock.mono_ms()
        row = session.row(self._recorder.boot, now)
        self._recorder.record(session.tick_event(now), also=SessionTable.saver(row))
        if self._running:
            self._timers.set("tick", self.settings.tick_s, self._guarded(self._tick))

    def _warn(self, before_s: int, gen: int) -> None:
        logger.warning("session stops in %d s", before_s)
        self._feedback.warn(before_s)

    def _due(self, gen: int) -> None:
        logger.info("session reached its maximum duration or closing time")
        self._request_stop(SessionEndReason.MAX_DURATION)

    def _idle_timeout(self, gen: int) -> None:
        if self._session is not None and not self._busy():
            self._end(SessionEndReason.IDLE_TIMEOUT, power_off=True)

    def _hard_limit(self, gen: int) -> None:
        reason = self._stop_reason or SessionEndReason.MAX_DURATION
        logger.warning("hard limit reached: switching the machine off although it is busy")
        self._stop_now(reason, force=True)

    def _arm_idle_timeout(self) -> None:
        if self._session is None or not self.interlock.has_busy_input or self._busy():
            return
        self._timers.set("idle", self.settings.idle_timeout_s, self._guarded(self._idle_timeout))

    def _machine_busy(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.meter.change(self._clock.mono_ms(), True)
            self._timers.cancel("idle")

    def _machine_idle(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.meter.change(self._clock.mono_ms(), False)
            if self._stop_reason is not None:
                self._stop_now(self._stop_reason, force=False)
            else:
                self._arm_idle_timeout()

    def _lockout_changed(self, locked: bool) -> None:
        with self._lock:
            session = self._session
            if locked and session is not None and not session.staff:
                self._request_stop(SessionEndReason.LOCKED_OUT)
