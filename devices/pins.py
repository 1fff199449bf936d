"""Default BCM pin numbers for the door and machine Pis.

Every output here is on GPIO 9-27, which the SoC resets with its pull-down
on (Pi 1-4; check a Pi 5 with ``pinctrl get``). An active-high relay board
therefore stays released from power-on until the bridge drives the pin, and
``docs/hardware.md`` adds the ``config.txt`` lines that hold the level from the
firmware on. Inputs get their pull from the driver, so any free pin works.

The numbers are defaults: the bridge config may choose others. Door and
machine pins differ so that one Pi can serve a door and a machine side by side.
"""

from __future__ import annotations

# Door Pi
STRIKE_RELAY = 17
DOOR_CONTACT = 27

# Machine Pi
MACHINE_RELAY = 22
BUSY_INPUT = 23

# Status light on either
GREEN_LED = 24
RED_LED = 25
BUZZER = 16

#: Physical pin on the 40-pin header for each default (documentation aid).
HEADER_PIN: dict[int, int] = {
    STRIKE_RELAY: 11,
    DOOR_CONTACT: 13,
    MACHINE_RELAY: 15,
    BUSY_INPUT: 16,
    GREEN_LED: 18,
    RED_LED: 22,
    BUZZER: 36,
}

#: GPIOs the BCM283x/BCM2711 reset with a pull-up (inputs at boot, read high).
PULLED_UP_AT_RESET = frozenset(range(0, 9))
#: GPIOs the BCM283x/BCM2711 reset with a pull-down (inputs at boot, read low).
PULLED_DOWN_AT_RESET = frozenset(range(9, 28))

#: Pins to keep relays off: ID EEPROM (0, 1), I2C with fixed pull-ups (2, 3),
#: and the serial console (14, 15), whose TX line goes high during boot.
UNSUITABLE_FOR_RELAYS = frozenset({0, 1, 2, 3, 14, 15})

RELAY_OUTPUTS = (STRIKE_RELAY, MACHINE_RELAY)
OUTPUTS = (STRIKE_RELAY, MACHINE_RELAY, GREEN_LED, RED_LED, BUZZER)
INPUTS = (DOOR_CONTACT, BUSY_INPUT)
