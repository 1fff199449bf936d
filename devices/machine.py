"""A machine interlock: a power relay and, optionally, a "machine is working" input."""

from __future__ import annotations

import logging
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


class MachineInterlock(CompositeDevice):
    """Switches a machine's power (or its enable line) through a relay.

    The relay starts released (machine off) and :meth:`close` releases it
    before freeing the pin, so the machine is off while no bridge runs.
    *active_high* is the relay board's input polarity.

    *busy_pin* is an optional digital input that is active while the machine
    draws current (a current clamp with a comparator, see docs/hardware.md).
    *busy_active_high* ``True`` reads it with the Pi's pull-down, active when
    high; ``False`` with the pull-up, active when low (open-collector outputs).
    :attr:`is_busy` is ``None`` when there is no busy input: "unknown", which
    is still falsy, so ``if interlock.is_busy`` treats it as idle while callers
    that care can tell "no sensor" from "idle".

    *busy_hold_time* keeps :attr:`is_busy` true until the input has been quiet
    that long, which hides the gaps of a heater that cycles or of a sensor
    that drops out between pulses; 0 follows the input directly.
    """

    def __init__(
        self,
        relay_pin: int | str | None = None,
        *,
        busy_pin: int | str | None = None,
        active_high: bool = True,
        busy_active_high: bool = True,
        busy_bounce_time: float | None = 0.05,
        busy_hold_time: float = 0.0,
        scheduler: Scheduler | None = None,
        pin_factory: Any = None,
    ) -> None:
        if busy_hold_time < 0:
            raise ValueError("busy_hold_time must not be negative")
        self._state_lock = threading.RLock()
        self._closing = False
        self._busy_hold_time = float(busy_hold_time)
        self._scheduler: Scheduler = scheduler or ThreadScheduler()
        self._busy = False
        self._busy_event = threading.Event()
        self._idle_event = threading.Event()
        self._idle_timer: Cancellable | None = None
        self._quiet_token = 0
        self._when_busy: Callable[[], Any] | None = None
        self._when_idle: Callable[[], Any] | None = None

        parts: dict[str, Any] = {
            "relay": Relay(
                relay_pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
            )
        }
        if busy_pin is not None:
            try:
                parts["busy"] = DigitalInputDevice(
                    busy_pin,
                    pull_up=not busy_active_high,
                    bounce_time=busy_bounce_time,
                    pin_factory=pin_factory,
                )
            except BaseException:
                parts["relay"].close()
                raise
        super().__init__(_order=tuple(parts), pin_factory=pin_factory, **parts)

        sensor = self._sensor
        if sensor is not None:
            self._busy = bool(sensor.is_active)
            (self._busy_event if self._busy else self._idle_event).set()
            sensor.when_activated = self._input_active
            sensor.when_deactivated = self._input_quiet

    # -- power ------------------------------------------------------------

    @property
    def is_enabled(self) -> bool:
        """True while the relay lets the machine run."""
        return bool(self.relay.is_active)

    def enable(self) -> None:
        self.relay.on()
        logger.info("machine enabled")

    def disable(self) -> None:
        self.relay.off()
        logger.info("machine disabled")

    # -- busy input -------------------------------------------------------

    @property
    def _sensor(self) -> Any:
        return self._named.get("busy")

    @property
    def has_busy_input(self) -> bool:
        return self._sensor is not None

    @property
    def is_busy(self) -> bool | None:
        """True while the machine works; None when there is no busy input."""
        if self._sensor is None:
            return None
        with self._state_lock:
            return self._busy

    @property
    def busy_hold_time(self) -> float:
        return self._busy_hold_time

    def wait_for_busy(self, timeout: float | None = None) -> bool:
        return self._wait(self._busy_event, timeout)

    def wait_for_idle(self, timeout: float | None = None) -> bool:
        return self._wait(self._idle_event, timeout)

    def _wait(self, event: threading.Event, timeout: float | None) -> bool:
        if self._sensor is None:
            raise NoSuchInput("this MachineInterlock has no busy input")
        return event.wait(timeout)

    def _input_active(self) -> None:
        with self._state_lock:
            if self._closing:
                return
            self._quiet_token += 1
            self._cancel_idle_timer()
        self._set_busy(True)

    def _input_quiet(self) -> None:
        with self._state_lock:
            if self._closing:
                return
            self._quiet_token += 1
            self._cancel_idle_timer()
            if self._busy_hold_time > 0:
                self._idle_timer = self._scheduler.call_later(
                    self._busy_hold_time, partial(self._quiet_long_enough, self._quiet_token)
                )
                return
        self._set_busy(False)

    def _quiet_long_enough(self, token: int) -> None:
        with self._state_lock:
            if self._closing or token != self._quiet_token:
                return
            self._idle_timer = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        with self._state_lock:
            if self._closing or busy == self._busy:
                return
            self._busy = busy
            if busy:
                self._idle_event.clear()
                self._busy_event.set()
            else:
                self._busy_event.clear()
                self._idle_event.set()
            handler = self._when_busy if busy else self._when_idle
        logger.info("machine %s", "busy" if busy else "idle")
        fire(handler)

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = None

    # -- events -----------------------------------------------------------

    @property
    def when_busy(self) -> Callable[[], Any] | None:
        return self._when_busy

    @when_busy.setter
    def when_busy(self, handler: Handler | None) -> None:
        self._when_busy = bind_handler(handler, self)

    @property
    def when_idle(self) -> Callable[[], Any] | None:
        return self._when_idle

    @when_idle.setter
    def when_idle(self, handler: Handler | None) -> None:
        self._when_idle = bind_handler(handler, self)

    # -- life cycle -------------------------------------------------------

    def close(self) -> None:
        """Stop the timer, release the relay (machine off), then free the pins."""
        lock = getattr(self, "_state_lock", None)
        if lock is not None:
            with lock:
                self._closing = True
                self._cancel_idle_timer()
        super().close()
