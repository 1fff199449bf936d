"""Fixtures for the driver tests: gpiozero's mock pins and a hand-moved clock."""

import os

# Set before anything builds a device, so no test can reach for real pins.
os.environ["GPIOZERO_PIN_FACTORY"] = "mock"

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from devices.timing import ManualScheduler


class RecordingPin(MockPin):
    """A mock pin that remembers how it was left each time it was freed."""

    def __init__(self, factory, info):
        super().__init__(factory, info)
        self.frees = []

    @property
    def closed_as(self):
        """(function, state) when the pin was first freed; the factory may free it again."""
        return self.frees[0] if self.frees else None

    def close(self):
        self.frees.append((self.function, self.state))
        super().close()


@pytest.fixture
def mock_factory():
    saved = Device.pin_factory
    factory = MockFactory(pin_class=RecordingPin)
    Device.pin_factory = factory
    yield factory
    # As gpiozero's own conftest does: reset() also clears class-level state.
    if Device.pin_factory is not None:
        Device.pin_factory.reset()
    Device.pin_factory = saved


@pytest.fixture
def scheduler():
    return ManualScheduler()


@pytest.fixture
def closing(mock_factory):
    """Register a device to be closed after the test (before the factory resets)."""
    devices = []

    def register(device):
        devices.append(device)
        return device

    yield register
    for device in reversed(devices):
        device.close()
