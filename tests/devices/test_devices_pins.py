import subprocess
import sys

import pytest

from devices import pins


def header_pin(factory, gpio):
    [(header, info)] = factory.board_info.find_pin(f"GPIO{gpio}")
    assert header.name == "J8"
    return info.number


@pytest.mark.parametrize("gpio", sorted(pins.HEADER_PIN))
def test_documented_header_pin_matches_the_board(mock_factory, gpio):
    assert header_pin(mock_factory, gpio) == pins.HEADER_PIN[gpio]


def test_every_default_pin_has_a_documented_header_pin():
    assert set(pins.OUTPUTS + pins.INPUTS) == set(pins.HEADER_PIN)


def test_default_pins_are_all_different():
    defaults = pins.OUTPUTS + pins.INPUTS
    assert len(set(defaults)) == len(defaults)


@pytest.mark.parametrize("gpio", pins.OUTPUTS)
def test_outputs_are_pulled_down_at_reset_so_they_stay_off_at_boot(gpio):
    assert gpio in pins.PULLED_DOWN_AT_RESET
    assert gpio not in pins.UNSUITABLE_FOR_RELAYS


def test_importing_devices_pulls_in_neither_evdev_nor_the_mqtt_client():
    code = "import sys, devices; print(sorted({'evdev', 'paho'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
