import time

import pytest
from gpiozero.exc import DeviceClosed

from devices import StatusLight
from devices.pins import BUZZER, GREEN_LED, RED_LED


@pytest.fixture
def make_light(mock_factory, closing):
    def make(**options):
        options.setdefault("buzzer_pin", BUZZER)
        return closing(StatusLight(GREEN_LED, RED_LED, pin_factory=mock_factory, **options))

    return make


def lit(factory, *, buzzer=True):
    """(green, red[, buzzer]) pin levels right now."""
    numbers = (GREEN_LED, RED_LED, BUZZER) if buzzer else (GREEN_LED, RED_LED)
    return tuple(factory.pin(number).state for number in numbers)


def eventually(condition, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_starts_dark(make_light, mock_factory):
    light = make_light()
    assert light.pattern == "off"
    assert lit(mock_factory) == (False, False, False)


def test_granted_shows_green_and_beeps_at_once(make_light, mock_factory):
    light = make_light()
    light.granted()
    assert light.pattern == "granted"
    assert lit(mock_factory) == (True, False, True)


def test_denied_shows_red_and_beeps_at_once(make_light, mock_factory):
    light = make_light()
    light.denied()
    assert light.pattern == "denied"
    assert lit(mock_factory) == (False, True, True)


def test_granted_returns_to_the_background_pattern(make_light, mock_factory):
    light = make_light()
    light.granted(seconds=0.05)
    assert eventually(lambda: light.pattern == "off")
    assert lit(mock_factory) == (False, False, False)


def test_denied_while_offline_returns_to_offline(make_light):
    light = make_light()
    light.offline()
    light.denied(seconds=0.05)
    assert eventually(lambda: light.pattern == "offline")


def test_offline_shows_amber(make_light, mock_factory):
    light = make_light()
    light.offline()
    assert light.pattern == "offline"
    assert lit(mock_factory) == (True, True, False)


def test_offline_blinks(make_light, mock_factory):
    light = make_light()
    light.offline()
    assert eventually(lambda: lit(mock_factory) == (False, False, False))


def test_error_shows_red(make_light, mock_factory):
    light = make_light()
    light.error()
    assert light.pattern == "error"
    assert lit(mock_factory) == (False, True, False)


def test_idle_flashes_green(make_light, mock_factory):
    light = make_light()
    light.idle()
    assert light.pattern == "idle"
    assert lit(mock_factory) == (True, False, False)


def test_off_stops_a_pattern_and_goes_dark(make_light, mock_factory):
    light = make_light()
    light.error()
    light.off()
    assert light.pattern == "off"
    assert lit(mock_factory) == (False, False, False)


def test_works_without_a_buzzer(make_light, mock_factory):
    light = make_light(buzzer_pin=None)
    light.denied()
    assert lit(mock_factory, buzzer=False) == (False, True)


def test_active_low_leds_are_driven_low_to_light(make_light, mock_factory):
    light = make_light(active_high=False)
    light.granted()
    assert mock_factory.pin(GREEN_LED).state is False
    assert mock_factory.pin(RED_LED).state is True


@pytest.mark.parametrize("seconds", [0, -2])
def test_granted_refuses_a_senseless_time(make_light, seconds):
    light = make_light()
    with pytest.raises(ValueError, match="seconds"):
        light.granted(seconds)


def test_closed_light_refuses_patterns(make_light):
    light = make_light()
    light.close()
    with pytest.raises(DeviceClosed):
        light.idle()
