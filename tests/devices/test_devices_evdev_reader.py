"""EvdevBadgeReader against a fake input device: a pipe for select() and queued events."""

import errno
import os
import queue
import threading

import pytest
from evdev import InputEvent, ecodes

from devices import EvdevBadgeReader
from devices.evdev_reader import open_evdev_device


class FakeInputDevice:
    """Looks like evdev.InputDevice to the reader: fd, read(), grab(), ungrab(), close()."""

    def __init__(self):
        self.fd, self._wake = os.pipe()
        self._events = []
        self._lock = threading.Lock()
        self._unplugged = False
        self.grabbed = False
        self.closed = False

    def type(self, text, *, enter=True):
        """Queue the key events a reader sends for *text*."""
        events = []
        for char in text:
            code = ecodes.ecodes[f"KEY_{char.upper()}"]
            events += [InputEvent(0, 0, ecodes.EV_KEY, code, 1), InputEvent(0, 0, 0, 0, 0)]
            events += [InputEvent(0, 0, ecodes.EV_KEY, code, 0)]
        if enter:
            events += [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_ENTER, 1)]
        self._push(events)

    def unplug(self):
        self._unplugged = True
        self._push([])

    def _push(self, events):
        with self._lock:
            self._events += events
        os.write(self._wake, b"x")

    def read(self):
        os.read(self.fd, 1024)
        if self._unplugged:
            raise OSError(errno.ENODEV, "No such device")
        with self._lock:
            events, self._events = self._events, []
        return iter(events)

    def grab(self):
        self.grabbed = True

    def ungrab(self):
        self.grabbed = False

    def close(self):
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            os.close(self._wake)


class FakeOpener:
    """Hands out the queued devices; raises FileNotFoundError while none is plugged in."""

    def __init__(self, *devices):
        self.devices = queue.Queue()
        for device in devices:
            self.devices.put(device)
        self.calls = 0

    def __call__(self, path):
        self.calls += 1
        try:
            return self.devices.get_nowait()
        except queue.Empty:
            raise FileNotFoundError(errno.ENOENT, "No such file", path) from None


@pytest.fixture
def make_reader():
    readers = []

    def make(opener, **options):
        options.setdefault("reconnect_interval", 0.01)
        options.setdefault("poll_interval", 0.01)
        reader = EvdevBadgeReader("/dev/input/by-id/fake-kbd", opener=opener, **options)
        readers.append(reader)
        return reader

    yield make
    for reader in readers:
        reader.close()


def test_reads_a_typed_badge(make_reader):
    device = FakeInputDevice()
    reader = make_reader(FakeOpener(device), reader_format="dec10_be")
    badges = queue.Queue()
    reader.when_badge = badges.put
    assert reader.wait_for_connected(2)
    device.type("0012345678")
    assert badges.get(timeout=2) == "0012345678"
    assert reader.reader_format == "dec10_be"


def test_grabs_the_device_and_lets_go_on_close(make_reader):
    device = FakeInputDevice()
    reader = make_reader(FakeOpener(device))
    assert reader.wait_for_connected(2)
    assert device.grabbed
    reader.close()
    assert not device.grabbed
    assert device.closed
    assert not reader.is_connected


def test_does_not_grab_when_told_not_to(make_reader):
    device = FakeInputDevice()
    reader = make_reader(FakeOpener(device), grab=False)
    assert reader.wait_for_connected(2)
    assert not device.grabbed


def test_missing_device_is_reported_once_then_picked_up(make_reader):
    opener = FakeOpener()
    reader = make_reader(opener)
    errors = queue.Queue()
    reader.when_error = errors.put
    badges = queue.Queue()
    reader.when_badge = badges.put
    first = errors.get(timeout=2)
    assert isinstance(first, FileNotFoundError)
    while opener.calls < 5:  # several retries...
        threading.Event().wait(0.01)
    assert errors.empty()  # ...but one report
    device = FakeInputDevice()
    opener.devices.put(device)
    assert reader.wait_for_connected(2)
    device.type("AB12")
    assert badges.get(timeout=2) == "AB12"


def test_unplugged_device_is_reported_and_reconnected(make_reader):
    first, second = FakeInputDevice(), FakeInputDevice()
    reader = make_reader(FakeOpener(first, second))
    errors = queue.Queue()
    reader.when_error = errors.put
    badges = queue.Queue()
    reader.when_badge = badges.put
    assert reader.wait_for_connected(2)
    first.unplug()
    assert getattr(errors.get(timeout=2), "errno", None) == errno.ENODEV
    second.type("42")
    assert badges.get(timeout=2) == "42"
    assert first.closed


def test_half_typed_badge_does_not_survive_a_reconnect(make_reader):
    first, second = FakeInputDevice(), FakeInputDevice()
    reader = make_reader(FakeOpener(first, second))
    badges = queue.Queue()
    reader.when_badge = badges.put
    assert reader.wait_for_connected(2)
    first.type("99", enter=False)
    first.unplug()
    second.type("7")
    assert badges.get(timeout=2) == "7"


def test_default_opener_uses_evdev():
    with pytest.raises(OSError):  # noqa: PT011 (any OS error: the path does not exist)
        open_evdev_device("/dev/input/no-such-device")
