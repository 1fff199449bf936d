"""A relay output that always lets go before it lets go of its pin."""

from __future__ import annotations

import logging

from gpiozero import OutputDevice

logger = logging.getLogger(__name__)


class Relay(OutputDevice):
    """A relay coil driven by one GPIO pin.

    ``on()`` energises the coil, ``off()`` releases it; *active_high* says
    which pin level energises it (``False`` for the common active-low boards).
    It starts released unless *initial_value* says otherwise.

    :meth:`close` releases the coil *before* it frees the pin. gpiozero's
    own :class:`~gpiozero.OutputDevice` frees the pin as it is, and a freed
    pin becomes a floating input (lgpio) whose level then depends on the
    board's resistors; writing the released level first means the relay drops
    out at once, whichever path closes the device: our own ``close()``, a
    ``with`` block, or gpiozero's shutdown hook at interpreter exit.
    """

    def __init__(
        self,
        pin: int | str | None = None,
        *,
        active_high: bool = True,
        initial_value: bool = False,
        pin_factory: object = None,
    ) -> None:
        super().__init__(
            pin, active_high=active_high, initial_value=initial_value, pin_factory=pin_factory
        )

    @property
    def is_energised(self) -> bool:
        return bool(self.is_active)

    def close(self) -> None:
        # close() may run from __del__ on a half-built object: check first.
        if getattr(self, "_pin", None) is not None:
            try:
                self.off()
            except Exception:
                logger.exception("could not release relay on %r before closing", self._pin)
        super().close()
