"""Drivers for the door and machine Pis, in gpiozero's style.

Only the standard library and gpiozero are imported here; evdev is imported
by :class:`EvdevBadgeReader` when it opens a device.
"""

from devices.badges import BadgeReader, LineBadgeReader, SimulatedBadgeReader
from devices.door import DoorLock
from devices.evdev_reader import EvdevBadgeReader
from devices.exc import DevicesError, NoSuchInput, ReaderClosed
from devices.keymap import KeyTranslator
from devices.machine import MachineInterlock
from devices.relay import Relay
from devices.status_light import StatusLight
from devices.timing import ManualScheduler, Scheduler, ThreadScheduler

__all__ = [
    "BadgeReader",
    "DevicesError",
    "DoorLock",
    "EvdevBadgeReader",
    "KeyTranslator",
    "LineBadgeReader",
    "MachineInterlock",
    "ManualScheduler",
    "NoSuchInput",
    "ReaderClosed",
    "Relay",
    "Scheduler",
    "SimulatedBadgeReader",
    "StatusLight",
    "ThreadScheduler",
]
