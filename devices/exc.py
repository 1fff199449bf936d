"""Errors raised by the drivers; :class:`DevicesError` is the root."""

from __future__ import annotations


class DevicesError(Exception):
    """Base of every error the ``devices`` package raises itself."""


class NoSuchInput(DevicesError, RuntimeError):
    """The driver was built without the input this call needs."""


class ReaderClosed(DevicesError, RuntimeError):
    """The badge reader was used after :meth:`~devices.badges.BadgeReader.close`."""
