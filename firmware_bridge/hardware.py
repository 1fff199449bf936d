"""The devices of one bridge, built from its config: lock or interlock, status light, badge reader.

In simulate mode every pin is a gpiozero mock pin (`simulated_pin_factory`):
relay changes are written to the log, the door contact starts "closed" (an
unconnected mock contact would read "open"), the busy input starts idle, and
the reader is a `SimulatedBadgeReader` (plus standard input, one badge per
line, when a stream is given).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, TextIO

from gpiozero.pins.mock import MockFactory, MockPin

from bridge_protocol.config import BridgeConfig
from devices.badges import BadgeReader, LineBadgeReader, SimulatedBadgeReader
from devices.door import DoorLock
from devices.evdev_reader import EvdevBadgeReader
from devices.machine import MachineInterlock
from devices.status_light import StatusLight
from devices.timing import Scheduler
from firmware_bridge.ports import Feedback, NoFeedback

logger = logging.getLogger(__name__)


class LoggedPin(MockPin):
    """A mock pin that logs its changes once it is labelled as a relay."""

    relay_label: str | None = None
    energised_when_high: bool = True

    def _change_state(self, value: bool) -> bool:
        changed = bool(super()._change_state(value))
        if changed and self.relay_label is not None and self._function == "output":
            energised = value == self.energised_when_high
            logger.info(
                "[simulated] %s relay %s",
                self.relay_label,
                "ENERGISED" if energised else "released",
            )
        return changed


def simulated_pin_factory() -> MockFactory:
    return MockFactory(pin_class=LoggedPin)


class LightFeedback:
    """`Feedback` through a `StatusLight`; a failing light never fails a decision."""

    def __init__(self, light: StatusLight) -> None:
        self.light = light

    def _show(self, name: str, *args: float) -> None:
        if self.light.closed:  # shutting down
            return
        try:
            getattr(self.light, name)(*args)
        except Exception:
            logger.exception("status light failed")

    def granted(self, seconds: float = 3.0) -> None:
        self._show("granted", seconds)

    def denied(self, seconds: float = 2.0) -> None:
        self._show("denied", seconds)

    def idle(self) -> None:
        self._show("idle")

    def offline(self) -> None:
        self._show("offline")

    def error(self) -> None:
        self._show("error")

    def warn(self, seconds_left: int) -> None:
        self._show("denied", 3.0)


@dataclass
class Hardware:
    door: DoorLock | None = None
    interlock: MachineInterlock | None = None
    light: StatusLight | None = None
    feedback: Feedback = field(default_factory=NoFeedback)
    readers: list[BadgeReader] = field(default_factory=list)
    simulated_reader: SimulatedBadgeReader | None = None
    pin_factory: Any = None

    def close(self) -> None:
        """Release the relays (the drivers do so before freeing their pins), then the rest."""
        for reader in self.readers:
            reader.close()
        for device in (self.door, self.interlock, self.light):
            if device is not None:
                try:
                    device.close()
                except Exception:
                    logger.exception("could not close %r", device)


def build_hardware(
    config: BridgeConfig,
    *,
    scheduler: Scheduler,
    simulate: bool = False,
    pin_factory: Any = None,
    stdin: TextIO | None = None,
) -> Hardware:
    if simulate and pin_factory is None:
        pin_factory = simulated_pin_factory()
    hardware = Hardware(pin_factory=pin_factory)
    try:
        if config.device.kind == "door":
            hardware.door = _door(config, scheduler, pin_factory, simulate)
        else:
            hardware.interlock = _interlock(config, scheduler, pin_factory, simulate)
        hardware.light = _light(config, pin_factory)
        if hardware.light is not None:
            hardware.feedback = LightFeedback(hardware.light)
        _readers(hardware, config, simulate=simulate, stdin=stdin)
    except BaseException:
        hardware.close()
        raise
    return hardware


def _door(config: BridgeConfig, scheduler: Scheduler, pf: Any, simulate: bool) -> DoorLock:
    gpio = config.gpio
    door = DoorLock(
        gpio.door_strike,
        contact_pin=gpio.door_contact,
        active_high=gpio.door_strike_active_high,
        contact_pull_up=gpio.door_contact_pull_up,
        held_open_after=config.door.held_open_s,
        scheduler=scheduler,
        pin_factory=pf,
    )
    if simulate:
        _label(door.strike.pin, "door strike", gpio.door_strike_active_high)
        contact = getattr(door, "contact", None)
        if contact is not None:
            # Closed door: the contact input reads active (low with the pull-up).
            if gpio.door_contact_pull_up:
                contact.pin.drive_low()
            else:
                contact.pin.drive_high()
    return door


def _interlock(
    config: BridgeConfig, scheduler: Scheduler, pf: Any, simulate: bool
) -> MachineInterlock:
    gpio = config.gpio
    interlock = MachineInterlock(
        gpio.machine_relay,
        busy_pin=gpio.busy_input,
        active_high=gpio.machine_relay_active_high,
        busy_active_high=gpio.busy_input_active_high,
        scheduler=scheduler,
        pin_factory=pf,
    )
    if simulate:
        _label(interlock.relay.pin, "machine power", gpio.machine_relay_active_high)
    return interlock


def _light(config: BridgeConfig, pf: Any) -> StatusLight | None:
    gpio = config.gpio
    if gpio.led_green is None or gpio.led_red is None:
        return None
    return StatusLight(
        gpio.led_green,
        gpio.led_red,
        buzzer_pin=gpio.buzzer,
        active_high=gpio.led_active_high,
        buzzer_active_high=gpio.buzzer_active_high,
        pin_factory=pf,
    )


def _readers(
    hardware: Hardware, config: BridgeConfig, *, simulate: bool, stdin: TextIO | None
) -> None:
    fmt = config.reader.format
    if simulate or config.reader.kind == "simulated":
        hardware.simulated_reader = SimulatedBadgeReader(reader_format=fmt)
        hardware.readers.append(hardware.simulated_reader)
        if simulate and stdin is not None:
            hardware.readers.append(LineBadgeReader(stdin, reader_format=fmt))
    elif config.reader.kind == "stdin":
        import sys

        hardware.readers.append(LineBadgeReader(stdin or sys.stdin, reader_format=fmt))
    else:
        assert config.reader.device is not None  # the config model requires it for evdev
        hardware.readers.append(EvdevBadgeReader(str(config.reader.device), reader_format=fmt))


def _label(pin: Any, label: str, active_high: bool) -> None:
    if isinstance(pin, LoggedPin):
        pin.relay_label = label
        pin.energised_when_high = active_high
