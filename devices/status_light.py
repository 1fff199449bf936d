"""A red/green status light with an optional buzzer, showing the reader's state."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, cast

from gpiozero import LED, Buzzer, CompositeDevice
from gpiozero.threads import GPIOThread

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One frame of a pattern: what is on, and for how long (None: hold)."""

    green: bool = False
    red: bool = False
    buzzer: bool = False
    seconds: float | None = None


Pattern = tuple[Step, ...]

DARK: Pattern = (Step(),)
HEARTBEAT: Pattern = (Step(green=True, seconds=0.1), Step(seconds=4.9))
# Red and green together look amber on a bi-colour LED.
OFFLINE: Pattern = (Step(green=True, red=True, seconds=0.5), Step(seconds=1.5))
ERROR: Pattern = (Step(red=True, seconds=0.2), Step(seconds=0.2))


def granted_pattern(seconds: float) -> Pattern:
    beep = min(0.1, seconds)
    return (Step(green=True, buzzer=True, seconds=beep), Step(green=True, seconds=seconds - beep))


def denied_pattern(seconds: float) -> Pattern:
    beep = min(0.1, seconds / 6)
    beeps = (Step(red=True, buzzer=True, seconds=beep), Step(red=True, seconds=beep)) * 3
    return (*beeps, Step(red=True, seconds=max(seconds - 6 * beep, 0.0)))


class StatusLight(CompositeDevice):
    """Green and red LEDs (or one bi-colour LED) and an optional buzzer.

    Background patterns last until the next call: :meth:`off` (dark),
    :meth:`idle` (a short green blink every 5 s: the reader is alive),
    :meth:`offline` (slow amber blink) and :meth:`error` (fast red blink).
    :meth:`granted` and :meth:`denied` show for a few seconds and then return
    to the background pattern. Every call returns at once; a background
    thread plays the pattern. :attr:`pattern` names what is showing.
    """

    def __init__(
        self,
        green_pin: int | str | None = None,
        red_pin: int | str | None = None,
        *,
        buzzer_pin: int | str | None = None,
        active_high: bool = True,
        buzzer_active_high: bool = True,
        pin_factory: Any = None,
    ) -> None:
        self._state_lock = threading.Lock()
        self._thread: Any = None
        self._pattern = "off"
        self._background: tuple[str, Pattern] = ("off", DARK)
        parts: dict[str, Any] = {}
        try:
            parts["green"] = LED(green_pin, active_high=active_high, pin_factory=pin_factory)
            parts["red"] = LED(red_pin, active_high=active_high, pin_factory=pin_factory)
            if buzzer_pin is not None:
                parts["buzzer"] = Buzzer(
                    buzzer_pin, active_high=buzzer_active_high, pin_factory=pin_factory
                )
        except BaseException:
            for part in parts.values():
                part.close()
            raise
        super().__init__(_order=tuple(parts), pin_factory=pin_factory, **parts)

    @property
    def pattern(self) -> str:
        """Name of what is showing: off, idle, offline, error, granted or denied."""
        return self._pattern

    # -- background patterns ----------------------------------------------

    def off(self) -> None:
        self._set_background("off", DARK)

    def idle(self) -> None:
        self._set_background("idle", HEARTBEAT)

    def offline(self) -> None:
        self._set_background("offline", OFFLINE)

    def error(self) -> None:
        self._set_background("error", ERROR)

    # -- transient patterns -----------------------------------------------

    def granted(self, seconds: float = 3.0) -> None:
        """Green (and one beep) for *seconds*, then back to the background."""
        self._show("granted", granted_pattern(self._positive(seconds)))

    def denied(self, seconds: float = 2.0) -> None:
        """Red (and three beeps) for *seconds*, then back to the background."""
        self._show("denied", denied_pattern(self._positive(seconds)))

    @staticmethod
    def _positive(seconds: float) -> float:
        if not seconds > 0:
            raise ValueError("seconds must be positive")
        return float(seconds)

    # -- the player -------------------------------------------------------

    def _set_background(self, name: str, steps: Pattern) -> None:
        with self._state_lock:
            self._background = (name, steps)
            self._start(name, steps, transient=False)

    def _show(self, name: str, steps: Pattern) -> None:
        with self._state_lock:
            self._start(name, steps, transient=True)

    def _start(self, name: str, steps: Pattern, *, transient: bool) -> None:
        self._check_open()
        self._stop_player()
        # The first frame is applied here, so the light has changed when the
        # call returns; the thread plays the rest.
        self._pattern = name
        self._apply(steps[0])
        if transient or len(steps) > 1 or steps[0].seconds is not None:
            self._thread = GPIOThread(self._play, (steps, transient, self._background))
            self._thread.start()

    def _play(self, steps: Pattern, transient: bool, background: tuple[str, Pattern]) -> None:
        stopping = cast(GPIOThread, threading.current_thread()).stopping
        first = True
        while True:
            for step in steps:
                if not first:
                    self._apply(step)
                first = False
                if step.seconds is None:
                    return
                if stopping.wait(step.seconds):
                    return
            if transient:
                transient = False
                self._pattern, steps = background
                first = False
            elif len(steps) == 1:
                return

    def _apply(self, step: Step) -> None:
        self.green.value = step.green
        self.red.value = step.red
        buzzer = self._named.get("buzzer")
        if buzzer is not None:
            buzzer.value = step.buzzer

    def _stop_player(self) -> None:
        thread = self._thread
        self._thread = None
        if thread is not None and thread is not threading.current_thread():
            thread.stop()

    def close(self) -> None:
        """Stop the pattern, switch everything off, then free the pins."""
        lock = getattr(self, "_state_lock", None)
        if lock is not None and getattr(self, "_all", None):
            with lock:
                self._stop_player()
                try:
                    self._apply(Step())
                except Exception:
                    logger.exception("could not switch the status light off")
        super().close()
