"""Relays stay released from construction on, and are released before their pins are freed.

The mock pins record how they were left at the moment they were freed
(``closed_as``): still an output, at the released level, means the driver
let go of the relay first.
"""

import pytest
from gpiozero.devices import _devices_shutdown

from devices import DoorLock, MachineInterlock, Relay, StatusLight
from devices.pins import BUZZER, GREEN_LED, MACHINE_RELAY, RED_LED, STRIKE_RELAY

WIRINGS = [
    pytest.param(active_high, fail_safe, id=f"{board}-{lock}")
    for active_high, board in [(True, "active_high"), (False, "active_low")]
    for fail_safe, lock in [(False, "fail_secure"), (True, "fail_safe")]
]


def released_level(active_high):
    return not active_high


@pytest.mark.parametrize(("active_high", "fail_safe"), WIRINGS)
def test_door_lock_releases_its_relay_before_freeing_the_pin(mock_factory, active_high, fail_safe):
    door = DoorLock(
        STRIKE_RELAY, active_high=active_high, fail_safe=fail_safe, pin_factory=mock_factory
    )
    # Leave the relay energised: unlocked (fail-secure) or locked (fail-safe).
    if not fail_safe:
        door.unlock(60)
    pin = mock_factory.pin(STRIKE_RELAY)
    assert pin.state is not released_level(active_high)

    door.close()

    assert pin.closed_as == ("output", released_level(active_high))
    assert pin.state is released_level(active_high)


@pytest.mark.parametrize("active_high", [True, False])
def test_fail_secure_door_never_energises_while_starting(mock_factory, closing, active_high):
    closing(DoorLock(STRIKE_RELAY, active_high=active_high, pin_factory=mock_factory))
    pin = mock_factory.pin(STRIKE_RELAY)
    assert pin.function == "output"
    written = [change.state for change in pin.states[1:]]  # states[0]: before we drove it
    assert all(level is released_level(active_high) for level in written)
    assert pin.state is released_level(active_high)


@pytest.mark.parametrize("active_high", [True, False])
def test_machine_interlock_releases_its_relay_before_freeing_the_pin(mock_factory, active_high):
    interlock = MachineInterlock(MACHINE_RELAY, active_high=active_high, pin_factory=mock_factory)
    interlock.enable()
    pin = mock_factory.pin(MACHINE_RELAY)

    interlock.close()

    assert pin.closed_as == ("output", released_level(active_high))


@pytest.mark.parametrize("active_high", [True, False])
def test_machine_interlock_starts_released(mock_factory, closing, active_high):
    closing(MachineInterlock(MACHINE_RELAY, active_high=active_high, pin_factory=mock_factory))
    pin = mock_factory.pin(MACHINE_RELAY)
    written = [change.state for change in pin.states[1:]]
    assert all(level is released_level(active_high) for level in written)
    assert pin.state is released_level(active_high)


@pytest.mark.parametrize("active_high", [True, False])
def test_gpiozero_exit_hook_releases_the_relay(mock_factory, active_high):
    # At interpreter exit gpiozero closes every device that holds a pin,
    # the Relay itself, not our composite: the relay must let go on its own.
    interlock = MachineInterlock(MACHINE_RELAY, active_high=active_high, pin_factory=mock_factory)
    interlock.enable()
    pin = mock_factory.pin(MACHINE_RELAY)

    _devices_shutdown()  # what gpiozero registers with atexit

    assert pin.closed_as == ("output", released_level(active_high))


def test_relay_close_is_idempotent(mock_factory):
    relay = Relay(MACHINE_RELAY, pin_factory=mock_factory)
    relay.on()
    relay.close()
    relay.close()
    assert relay.closed


def test_status_light_switches_off_before_freeing_its_pins(mock_factory):
    light = StatusLight(GREEN_LED, RED_LED, buzzer_pin=BUZZER, pin_factory=mock_factory)
    light.offline()
    light.close()
    for number in (GREEN_LED, RED_LED, BUZZER):
        assert mock_factory.pin(number).closed_as == ("output", False)
