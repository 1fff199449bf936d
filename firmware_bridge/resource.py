"""Resource state the bridge acts on: is the door or machine locked out?

The allow-list carries ``locked_out`` (so it survives reboots and reaches an
offline device on reconnect). A ``lockout`` command applies the same state at
once, before the server's next list arrives: it overrides the list in force
until a list with a higher ``ver`` replaces it. The override is stored, so a
restart in between does not lift a lockout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bridge_protocol.acl import AllowList
from firmware_bridge.acl_cache import AllowListCache
from firmware_bridge.store import Meta

logger = logging.getLogger(__name__)

_META_KEY = "lockout_override"


class ResourceState:
    def __init__(self, *, acl: AllowListCache, meta: Meta) -> None:
        self._acl = acl
        self._meta = meta
        self._lock = threading.Lock()
        self._override = _read_override(meta.get(_META_KEY))
        self._listeners: list[Callable[[bool], None]] = []
        acl.add_listener(self._list_applied)

    def add_listener(self, callback: Callable[[bool], None]) -> None:
        """`callback(locked_out)` runs whenever the state may have changed."""
        self._listeners.append(callback)

    @property
    def locked_out(self) -> bool:
        with self._lock:
            override = self._override
        if override is not None:
            return override[0]
        current = self._acl.current
        return current is not None and current.locked_out

    def lockout(self, on: bool) -> None:
        """A lockout command: apply `on` now, until a newer allow-list arrives."""
        ver = self._acl.ver or 0
        with self._lock:
            self._override = (on, ver)
            self._meta.set(_META_KEY, f"{int(on)}:{ver}")
        logger.warning("lockout %s by command", "ON" if on else "lifted")
        self._notify()

    def for_decisions(self, allow_list: AllowList | None) -> AllowList | None:
        """`allow_list` with the lockout state in force, for `decide_offline`."""
        locked = self.locked_out
        if allow_list is None or allow_list.locked_out == locked:
            return allow_list
        return allow_list.model_copy(update={"locked_out": locked})

    def _list_applied(self, allow_list: AllowList) -> None:
        with self._lock:
            if self._override is not None and allow_list.ver > self._override[1]:
                self._override = None
                self._meta.set(_META_KEY, None)
        self._notify()

    def _notify(self) -> None:
        locked = self.locked_out
        for listener in self._listeners:
            try:
                listener(locked)
            except Exception:
                logger.exception("lockout listener failed")


def _read_override(text: str | None) -> tuple[bool, int] | None:
    if not text:
        return None
    on, _, ver = text.partition(":")
    try:
        return on == "1", int(ver)
    except ValueError:
        return None
