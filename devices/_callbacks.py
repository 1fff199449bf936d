"""Callback plumbing shared by the drivers.

Like gpiozero's ``when_*`` events, a handler may take no argument or one (the
device that fired it). Handlers run outside the drivers' locks, and an
exception in one is logged instead of killing the thread that fired it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[..., Any]


def bind_handler(handler: Handler | None, device: object) -> Callable[[], Any] | None:
    """Return a zero-argument callable for *handler*, passing *device* if it wants one."""
    if handler is None:
        return None
    if not callable(handler):
        raise TypeError("handler must be None or a callable")
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return handler  # some builtins hide their signature; assume no argument
    try:
        signature.bind()
    except TypeError:
        pass
    else:
        return handler
    try:
        signature.bind(device)
    except TypeError:
        raise TypeError("handler must accept no argument or one (the device)") from None
    return partial(handler, device)


def fire(handler: Callable[..., Any] | None, *args: Any) -> None:
    """Call *handler* if set; log and swallow what it raises."""
    if handler is None:
        return
    try:
        handler(*args)
    except Exception:
        logger.exception("event handler %r failed", handler)
