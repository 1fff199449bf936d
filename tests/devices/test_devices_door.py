import math
import threading

import pytest

from devices import DoorLock, NoSuchInput
from devices.pins import DOOR_CONTACT, STRIKE_RELAY


@pytest.fixture
def make_door(mock_factory, scheduler, closing):
    """Build a DoorLock on the default pins, door shut, with the manual clock."""

    def make(*, door_open=False, **options):
        options.setdefault("contact_pin", DOOR_CONTACT)
        door = closing(
            DoorLock(STRIKE_RELAY, scheduler=scheduler, pin_factory=mock_factory, **options)
        )
        if options["contact_pin"] is not None:
            set_door(mock_factory, door, opened=door_open)
        return door

    return make


def set_door(factory, door, *, opened):
    """Move the door: drive the contact pin to the level the door's wiring gives."""
    active = opened != door.door_closed_when_active
    active_level = not door.contact.pull_up
    pin = factory.pin(DOOR_CONTACT)
    if active == active_level:
        pin.drive_high()
    else:
        pin.drive_low()


def record(door, *names):
    events = []
    for name in names:
        setattr(door, f"when_{name}", lambda name=name: events.append(name))
    return events


def strike_pin(factory):
    return factory.pin(STRIKE_RELAY)


def test_fail_secure_lock_starts_locked_with_relay_released(make_door, mock_factory):
    door = make_door()
    assert door.is_locked
    assert strike_pin(mock_factory).state is False


def test_fail_safe_lock_starts_locked_with_relay_energised(make_door, mock_factory):
    door = make_door(fail_safe=True)
    assert door.is_locked
    assert strike_pin(mock_factory).state is True


@pytest.mark.parametrize(
    ("fail_safe", "active_high", "unlocked_level"),
    [(False, True, True), (False, False, False), (True, True, False), (True, False, True)],
)
def test_unlock_drives_the_relay_for_the_wiring(
    make_door, mock_factory, fail_safe, active_high, unlocked_level
):
    door = make_door(fail_safe=fail_safe, active_high=active_high)
    door.unlock(5)
    assert not door.is_locked
    assert strike_pin(mock_factory).state is unlocked_level


def test_unlock_returns_at_once_and_relocks_after_the_time(make_door, scheduler):
    door = make_door()
    door.unlock(5)
    scheduler.advance(4.9)
    assert not door.is_locked
    scheduler.advance(0.1)
    assert door.is_locked
    assert door.unlocked_until is None


def test_second_unlock_extends_the_window(make_door, scheduler):
    door = make_door()
    door.unlock(5)
    scheduler.advance(3)
    door.unlock(5)
    scheduler.advance(4)
    assert not door.is_locked
    scheduler.advance(1)
    assert door.is_locked


def test_shorter_unlock_does_not_cut_a_longer_one(make_door, scheduler):
    door = make_door()
    door.unlock(10)
    door.unlock(2)
    scheduler.advance(5)
    assert not door.is_locked
    assert door.unlocked_until == 10


def test_lock_ends_an_unlock_and_its_timer_is_forgotten(make_door, scheduler):
    door = make_door()
    door.unlock(5)
    door.lock()
    assert door.is_locked
    door.unlock(10)
    scheduler.advance(6)
    assert not door.is_locked


@pytest.mark.parametrize("seconds", [0, -1, math.inf, math.nan])
def test_unlock_refuses_a_senseless_time(make_door, seconds):
    door = make_door()
    with pytest.raises(ValueError, match="seconds"):
        door.unlock(seconds)


def test_without_contact_the_door_state_is_unknown(make_door):
    door = make_door(contact_pin=None)
    assert not door.has_contact
    assert door.is_open is None
    with pytest.raises(NoSuchInput):
        door.wait_for_open(0)


def test_contact_reports_open_and_closed(make_door, mock_factory):
    door = make_door()
    events = record(door, "opened", "closed")
    set_door(mock_factory, door, opened=True)
    assert door.is_open is True
    set_door(mock_factory, door, opened=False)
    assert door.is_open is False
    assert events == ["opened", "closed"]


def test_normally_open_contact_is_read_the_other_way(make_door, mock_factory):
    door = make_door(door_closed_when_active=False)
    assert door.is_open is False
    events = record(door, "opened")
    mock_factory.pin(DOOR_CONTACT).drive_low()  # pull-up input, contact closes: active
    assert door.is_open is True
    assert events == ["opened"]


def test_handler_may_take_the_lock_as_argument(make_door, mock_factory):
    door = make_door()
    seen = []
    door.when_opened = seen.append
    set_door(mock_factory, door, opened=True)
    assert seen == [door]


def test_handler_with_two_required_arguments_is_refused(make_door):
    door = make_door()
    with pytest.raises(TypeError):
        door.when_opened = lambda a, b: None


def test_opening_while_locked_is_forced(make_door, mock_factory):
    door = make_door()
    events = record(door, "opened", "forced")
    set_door(mock_factory, door, opened=True)
    assert events == ["opened", "forced"]


def test_opening_during_an_unlock_is_not_forced(make_door, mock_factory, scheduler):
    door = make_door()
    events = record(door, "opened", "forced")
    door.unlock(5)
    scheduler.advance(2)
    set_door(mock_factory, door, opened=True)
    scheduler.advance(10)  # re-locks while the door is open: still not forced
    assert events == ["opened"]


def test_opening_after_the_unlock_ran_out_is_forced(make_door, mock_factory, scheduler):
    door = make_door()
    events = record(door, "forced")
    door.unlock(5)
    scheduler.advance(5)
    set_door(mock_factory, door, opened=True)
    assert events == ["forced"]


def test_door_left_open_is_reported_once(make_door, mock_factory, scheduler):
    door = make_door(held_open_after=30)
    events = record(door, "held_open")
    door.unlock(5)
    set_door(mock_factory, door, opened=True)
    scheduler.advance(29.9)
    assert events == []
    assert not door.is_held_open
    scheduler.advance(0.1)
    assert events == ["held_open"]
    assert door.is_held_open
    scheduler.advance(120)
    assert events == ["held_open"]


def test_closing_in_time_cancels_the_held_open_report(make_door, mock_factory, scheduler):
    door = make_door(held_open_after=30)
    events = record(door, "held_open")
    set_door(mock_factory, door, opened=True)
    scheduler.advance(20)
    set_door(mock_factory, door, opened=False)
    scheduler.advance(20)
    assert events == []
    assert not door.is_held_open


def test_each_opening_gets_its_own_held_open_time(make_door, mock_factory, scheduler):
    door = make_door(held_open_after=30)
    events = record(door, "held_open")
    set_door(mock_factory, door, opened=True)
    scheduler.advance(20)
    set_door(mock_factory, door, opened=False)
    set_door(mock_factory, door, opened=True)
    scheduler.advance(20)
    assert events == []
    scheduler.advance(10)
    assert events == ["held_open"]


def test_door_open_at_start_raises_no_alarm_but_counts_as_held(mock_factory, scheduler, closing):
    mock_factory.pin(DOOR_CONTACT).drive_high()  # pulled up, no reed closed: open
    door = closing(
        DoorLock(
            STRIKE_RELAY,
            contact_pin=DOOR_CONTACT,
            held_open_after=30,
            scheduler=scheduler,
            pin_factory=mock_factory,
        )
    )
    events = record(door, "opened", "forced", "held_open")
    assert door.is_open
    scheduler.advance(30)
    assert events == ["held_open"]


def test_wait_for_open_and_close_return_at_once_when_already_there(make_door):
    door = make_door()
    assert door.wait_for_close(0)
    assert not door.wait_for_open(0.01)


def test_wait_for_open_wakes_when_the_door_opens(make_door, mock_factory):
    door = make_door()
    result = []
    waiter = threading.Thread(target=lambda: result.append(door.wait_for_open(timeout=2)))
    waiter.start()
    set_door(mock_factory, door, opened=True)
    waiter.join(timeout=2)
    assert result == [True]


def test_failing_handler_is_logged_and_the_lock_goes_on(make_door, mock_factory, caplog):
    door = make_door()

    def broken():
        raise RuntimeError("boom")

    door.when_opened = broken
    events = record(door, "forced")
    set_door(mock_factory, door, opened=True)
    assert events == ["forced"]
    assert "event handler" in caplog.text


def test_close_cancels_pending_timers(make_door, mock_factory, scheduler):
    door = make_door()
    door.unlock(5)
    set_door(mock_factory, door, opened=True)
    door.close()
    assert scheduler.pending == 0
    scheduler.advance(60)
    assert door.closed
