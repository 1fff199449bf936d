"""A door lock: a strike or maglock relay, and optionally a door contact."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from gpiozero import CompositeDevice, DigitalInputDevice

from devices._callbacks import Handler, bind_handler, fire
from devices.exc import NoSuchInput
from devices.relay import Relay
from devices.timing import Cancellable, Scheduler, ThreadScheduler

logger = logging.getLogger(__name__)


class DoorLock(CompositeDevice):
    """A door lock driven through a relay, with an optional door contact.

    Wiring of the lock (*fail_safe*):

    * ``fail_safe=False`` (fail-secure strike, the default): the relay is
      energised to unlock. Released relay = locked door.
    * ``fail_safe=True`` (fail-safe maglock or strike): the relay is energised
      to lock. Released relay = unlocked door. Construction energises it at once,
      so the door is locked while the driver runs.

    Either way the driver's safe state is *relay released*, the state the lock
    itself falls back to on a power cut: :meth:`close` (and gpiozero's exit
    hook) releases the relay before freeing the pin. For a fail-secure strike
    that leaves the door locked; for a fail-safe lock it frees the door, which
    is what fire codes ask of a fail-safe lock on an escape route. A door that
    must stay shut while the bridge is down needs a fail-secure strike.

    *active_high* is the relay board's input polarity (``False`` for the
    common active-low boards).

    The door contact (*contact_pin*) is read with the Pi's pull-up by default
    (a reed switch to ground); *door_closed_when_active* says that the input
    reads active while the door is shut, as a normally-closed reed does.

    Events, each a callable taking no argument or the lock:

    * :attr:`when_opened`, :attr:`when_closed`
    * :attr:`when_held_open`: the door stayed open *held_open_after* seconds
      (once per opening)
    * :attr:`when_forced`: the door opened while locked (no unlock running);
      fired after :attr:`when_opened`

    *scheduler* supplies the clock and the timers (re-lock, held open);
    tests pass a :class:`~devices.timing.ManualScheduler`.
    """

    def __init__(
        self,
        strike_pin: int | str | None = None,
        *,
        contact_pin: int | str | None = None,
        active_high: bool = True,
        fail_safe: bool = False,
        contact_pull_up: bool = True,
        door_closed_when_active: bool = True,
        contact_bounce_time: float | None = 0.05,
        held_open_after: float = 30.0,
        scheduler: Scheduler | None = None,
        pin_factory: Any = None,
    ) -> None:
        if not held_open_after > 0:
            raise ValueError("held_open_after must be positive")
        # Attributes first: close() may run (via __del__) if construction fails.
        self._state_lock = threading.RLock()
        self._closing = False
        self._fail_safe = fail_safe
        self._door_closed_when_active = door_closed_when_active
        self._held_open_after = float(held_open_after)
        self._scheduler: Scheduler = scheduler or ThreadScheduler()
        self._relock_timer: Cancellable | None = None
        self._relock_token = 0
        self._relock_at: float | None = None
        self._held_timer: Cancellable | None = None
        self._opening = 0
        self._opened_at: float | None = None
        self._held_open = False
        self._when_opened: Callable[[], Any] | None = None
        self._when_closed: Callable[[], Any] | None = None
        self._when_held_open: Callable[[], Any] | None = None
        self._when_forced: Callable[[], Any] | None = None

        # A fail-safe lock is energised to lock, so "locked" starts energised.
        parts: dict[str, Any] = {
            "strike": Relay(
                strike_pin,
                active_high=active_high,
                initial_value=fail_safe,
                pin_factory=pin_factory,
            )
        }
        if contact_pin is not None:
            try:
                parts["contact"] = DigitalInputDevice(
                    contact_pin,
                    pull_up=contact_pull_up,
                    bounce_time=contact_bounce_time,
                    pin_factory=pin_factory,
                )
            except BaseException:
                parts["strike"].close()
                raise
        super().__init__(_order=tuple(parts), pin_factory=pin_factory, **parts)

        contact = self._contact
        if contact is not None:
            contact.when_activated = self._contact_activated
            contact.when_deactivated = self._contact_deactivated
            if self.is_open:
                self._door_opened(at_start=True)

    # -- the lock ---------------------------------------------------------

    @property
    def fail_safe(self) -> bool:
        """True when the relay is energised to lock (released = unlocked)."""
        return self._fail_safe

    @property
    def is_locked(self) -> bool:
        return bool(self.strike.is_active) == self._fail_safe

    @property
    def unlocked_until(self) -> float | None:
        """Scheduler time at which a running unlock ends, or None when locked."""
        with self._state_lock:
            return self._relock_at

    def unlock(self, seconds: float = 5.0) -> None:
        """Unlock now and re-lock after *seconds*; returns at once.

        An unlock while one is running keeps whichever ends later.
        """
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError("seconds must be a positive, finite number")
        with self._state_lock:
            self._check_open()
            until = self._scheduler.now() + seconds
            if self._relock_at is not None and self._relock_at >= until:
                return
            self._cancel_relock()
            self._relock_token += 1
            self._relock_at = until
            self._relock_timer = self._scheduler.call_later(
                seconds, partial(self._relock_due, self._relock_token)
            )
            self._drive(unlocked=True)
        logger.info("door unlocked for %.1f s", seconds)

    def lock(self) -> None:
        """Lock now, ending any unlock."""
        with self._state_lock:
            self._check_open()
            self._cancel_relock()
            self._drive(unlocked=False)
        logger.info("door locked")

    def _relock_due(self, token: int) -> None:
        with self._state_lock:
            if self._closing or token != self._relock_token or self._relock_at is None:
                return
            self._relock_timer = None
            self._relock_at = None
            self._drive(unlocked=False)
        logger.info("door re-locked after unlock time")

    def _cancel_relock(self) -> None:
        if self._relock_timer is not None:
            self._relock_timer.cancel()
        self._relock_timer = None
        self._relock_at = None

    def _drive(self, *, unlocked: bool) -> None:
        # fail-secure: energise to unlock; fail-safe: energise to lock.
        self.strike.value = unlocked != self._fail_safe

    # -- the door contact -------------------------------------------------

    @property
    def _contact(self) -> Any:
        return self._named.get("contact")

    @property
    def has_contact(self) -> bool:
        return self._contact is not None

    @property
    def is_open(self) -> bool | None:
        """True when the door is open; None when there is no door contact."""
        contact = self._contact
        if contact is None:
            return None
        return bool(contact.is_active) != self._door_closed_when_active

    @property
    def door_closed_when_active(self) -> bool:
        return self._door_closed_when_active

    @property
    def is_held_open(self) -> bool:
        """True once the current opening has lasted *held_open_after* seconds."""
        with self._state_lock:
            return self._held_open

    @property
    def held_open_after(self) -> float:
        return self._held_open_after

    def wait_for_open(self, timeout: float | None = None) -> bool:
        """Block until the door is open; False if *timeout* passed first."""
        return self._wait_for(opened=True, timeout=timeout)

    def wait_for_close(self, timeout: float | None = None) -> bool:
        """Block until the door is closed; False if *timeout* passed first."""
        return self._wait_for(opened=False, timeout=timeout)

    def _wait_for(self, *, opened: bool, timeout: float | None) -> bool:
        contact = self._contact
        if contact is None:
            raise NoSuchInput("this DoorLock has no door contact")
        want_active = opened != self._door_closed_when_active
        if want_active:
            return bool(contact.wait_for_active(timeout))
        return bool(contact.wait_for_inactive(timeout))

    def _contact_activated(self) -> None:
        self._contact_changed(active=True)

    def _contact_deactivated(self) -> None:
        self._contact_changed(active=False)

    def _contact_changed(self, *, active: bool) -> None:
        if active == self._door_closed_when_active:
            self._door_closed()
        else:
            self._door_opened()

    def _door_opened(self, *, at_start: bool = False) -> None:
        with self._state_lock:
            if self._closing:
                return
            forced = not at_start and self.is_locked
            self._opening += 1
            self._opened_at = self._scheduler.now()
            self._held_open = False
            self._cancel_held_timer()
            self._held_timer = self._scheduler.call_later(
                self._held_open_after, partial(self._held_open_due, self._opening)
            )
            handlers = [self._when_opened] if not at_start else []
            if forced:
                handlers.append(self._when_forced)
        if forced:
            logger.warning("door forced: opened while locked")
        else:
            logger.info("door opened")
        for handler in handlers:
            fire(handler)

    def _door_closed(self) -> None:
        with self._state_lock:
            if self._closing:
                return
            self._cancel_held_timer()
            self._opened_at = None
            self._held_open = False
            handler = self._when_closed
        logger.info("door closed")
        fire(handler)

    def _held_open_due(self, opening: int) -> None:
        with self._state_lock:
            if self._closing or opening != self._opening or self._opened_at is None:
                return
            self._held_timer = None
            self._held_open = True
            handler = self._when_held_open
        logger.warning("door held open for %.0f s", self._held_open_after)
        fire(handler)

    def _cancel_held_timer(self) -> None:
        if self._held_timer is not None:
            self._held_timer.cancel()
        self._held_timer = None

    # -- events -----------------------------------------------------------

    @property
    def when_opened(self) -> Callable[[], Any] | None:
        return self._when_opened

    @when_opened.setter
    def when_opened(self, handler: Handler | None) -> None:
        self._when_opened = bind_handler(handler, self)

    @property
    def when_closed(self) -> Callable[[], Any] | None:
        return self._when_closed

    @when_closed.setter
    def when_closed(self, handler: Handler | None) -> None:
        self._when_closed = bind_handler(handler, self)

    @property
    def when_held_open(self) -> Callable[[], Any] | None:
        return self._when_held_open

    @when_held_open.setter
    def when_held_open(self, handler: Handler | None) -> None:
        self._when_held_open = bind_handler(handler, self)

    @property
    def when_forced(self) -> Callable[[], Any] | None:
        return self._when_forced

    @when_forced.setter
    def when_forced(self, handler: Handler | None) -> None:
        self._when_forced = bind_handler(handler, self)

    # -- life cycle -------------------------------------------------------

    def close(self) -> None:
        """Stop the timers, release the relay, then free the pins."""
        lock = getattr(self, "_state_lock", None)
        if lock is not None:
            with lock:
                self._closing = True
                self._cancel_relock()
                self._cancel_held_timer()
        # The strike comes first in _order, and Relay.close() releases it
        # before its pin is freed.
        super().close()
