import threading

import pytest
from gpiozero.pins.mock import MockPin

from devices import MachineInterlock, NoSuchInput
from devices.pins import BUSY_INPUT, MACHINE_RELAY


@pytest.fixture
def make_interlock(mock_factory, scheduler, closing):
    """Build a MachineInterlock on the default pins, machine idle, with the manual clock."""

    def make(**options):
        options.setdefault("busy_pin", BUSY_INPUT)
        return closing(
            MachineInterlock(
                MACHINE_RELAY, scheduler=scheduler, pin_factory=mock_factory, **options
            )
        )

    return make


def drive_busy(factory, interlock, busy):
    """Drive the busy input the way the sensor would, for its polarity."""
    pin = factory.pin(BUSY_INPUT)
    active_high = not interlock.busy.pull_up
    if busy == active_high:
        pin.drive_high()
    else:
        pin.drive_low()


def record(interlock):
    events = []
    interlock.when_busy = lambda: events.append("busy")
    interlock.when_idle = lambda: events.append("idle")
    return events


def test_starts_disabled_with_relay_released(make_interlock, mock_factory):
    interlock = make_interlock()
    assert not interlock.is_enabled
    assert mock_factory.pin(MACHINE_RELAY).state is False


@pytest.mark.parametrize(("active_high", "on_level"), [(True, True), (False, False)])
def test_enable_and_disable_drive_the_relay(make_interlock, mock_factory, active_high, on_level):
    interlock = make_interlock(active_high=active_high)
    interlock.enable()
    assert interlock.is_enabled
    assert mock_factory.pin(MACHINE_RELAY).state is on_level
    interlock.disable()
    assert not interlock.is_enabled
    assert mock_factory.pin(MACHINE_RELAY).state is not on_level


def test_without_busy_input_busy_is_unknown(make_interlock):
    interlock = make_interlock(busy_pin=None)
    assert not interlock.has_busy_input
    assert interlock.is_busy is None
    with pytest.raises(NoSuchInput):
        interlock.wait_for_idle(0)


@pytest.mark.parametrize("busy_active_high", [True, False])
def test_busy_input_fires_busy_and_idle(make_interlock, mock_factory, busy_active_high):
    interlock = make_interlock(busy_active_high=busy_active_high)
    events = record(interlock)
    assert interlock.is_busy is False
    drive_busy(mock_factory, interlock, True)
    assert interlock.is_busy is True
    drive_busy(mock_factory, interlock, False)
    assert interlock.is_busy is False
    assert events == ["busy", "idle"]


def test_active_low_sensor_uses_the_pull_up(make_interlock, mock_factory):
    interlock = make_interlock(busy_active_high=False)
    assert mock_factory.pin(BUSY_INPUT).pull == "up"
    mock_factory.pin(BUSY_INPUT).drive_low()
    assert interlock.is_busy is True


class SensorPin(MockPin):
    """An input that a sensor drives high, whatever pull the Pi sets."""

    def _set_pull(self, value):
        super()._set_pull(value)
        self._change_state(True)


def test_machine_already_running_at_start_reads_busy(mock_factory, scheduler, closing):
    mock_factory.pin(BUSY_INPUT, pin_class=SensorPin)
    interlock = closing(
        MachineInterlock(
            MACHINE_RELAY, busy_pin=BUSY_INPUT, scheduler=scheduler, pin_factory=mock_factory
        )
    )
    assert interlock.is_busy is True
    assert interlock.wait_for_busy(0)


def test_hold_time_bridges_short_gaps(make_interlock, mock_factory, scheduler):
    interlock = make_interlock(busy_hold_time=5)
    events = record(interlock)
    drive_busy(mock_factory, interlock, True)
    drive_busy(mock_factory, interlock, False)
    scheduler.advance(4)
    assert interlock.is_busy is True
    drive_busy(mock_factory, interlock, True)
    drive_busy(mock_factory, interlock, False)
    scheduler.advance(4.9)
    assert interlock.is_busy is True
    scheduler.advance(0.1)
    assert interlock.is_busy is False
    assert events == ["busy", "idle"]


def test_wait_for_busy_wakes_when_the_machine_starts(make_interlock, mock_factory):
    interlock = make_interlock()
    assert interlock.wait_for_idle(0)
    result = []
    waiter = threading.Thread(target=lambda: result.append(interlock.wait_for_busy(timeout=2)))
    waiter.start()
    drive_busy(mock_factory, interlock, True)
    waiter.join(timeout=2)
    assert result == [True]
    assert not interlock.wait_for_idle(0.01)


def test_busy_handler_may_take_the_interlock(make_interlock, mock_factory):
    interlock = make_interlock()
    seen = []
    interlock.when_busy = seen.append
    drive_busy(mock_factory, interlock, True)
    assert seen == [interlock]


def test_close_cancels_the_hold_timer(make_interlock, mock_factory, scheduler):
    interlock = make_interlock(busy_hold_time=5)
    events = record(interlock)
    drive_busy(mock_factory, interlock, True)
    drive_busy(mock_factory, interlock, False)
    interlock.close()
    scheduler.advance(10)
    assert events == ["busy"]
    assert scheduler.pending == 0


def test_negative_hold_time_is_refused(mock_factory):
    with pytest.raises(ValueError, match="busy_hold_time"):
        MachineInterlock(MACHINE_RELAY, busy_hold_time=-1, pin_factory=mock_factory)
