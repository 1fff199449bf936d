"""Incoming messages: one handler per subscribed topic, and nothing that can escape into paho.

`Router.dispatch(topic, payload, retained)` checks the topic's size limit
before anything is decoded, calls the handler, and turns every failure into a
log line and a count (`Router.counts`, keyed ``(route, outcome)``):
``ok``, a `ProtocolError` reason (``too_large``, ``bad_json``, ``invalid``,
``bad_signature``, ...), ``error`` for a bug, ``unexpected_topic``; a handler
that returns a string names its own outcome (a refusal it handled). It never raises.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bridge_protocol.errors import ProtocolError

logger = logging.getLogger(__name__)

Handler = Callable[[bytes, bool], object]


@dataclass(frozen=True)
class Route:
    name: str
    handler: Handler
    max_bytes: int


class Router:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, topic: str, name: str, handler: Handler, *, max_bytes: int) -> None:
        self._routes[topic] = Route(name, handler, max_bytes)

    @property
    def topics(self) -> list[str]:
        return list(self._routes)

    @property
    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def count(self, route: str, outcome: str) -> int:
        with self._lock:
            return self._counts[(route, outcome)]

    def dispatch(self, topic: object, payload: object, retained: bool = False) -> None:
        try:
            self._dispatch(topic, payload, bool(retained))
        except Exception:  # the last line of defence: nothing reaches paho's thread
            logger.exception("inbound message handling failed")
            self._bump("?", "error")

    def _dispatch(self, topic: object, payload: object, retained: bool) -> None:
        route = self._routes.get(topic) if isinstance(topic, str) else None
        if route is None:
            logger.warning("message on an unexpected topic dropped")
            self._bump("?", "unexpected_topic")
            return
        data = payload if isinstance(payload, bytes) else _as_bytes(payload)
        if data is None or len(data) > route.max_bytes:
            reason = "invalid" if data is None else "too_large"
            logger.warning("%s message dropped: %s", route.name, reason)
            self._bump(route.name, reason)
            return
        try:
            result = route.handler(data, retained)
        except ProtocolError as exc:
            logger.warning("%s message dropped: %s (%s)", route.name, exc.reason, exc)
            self._bump(route.name, exc.reason)
        except Exception:
            logger.exception("%s handler failed", route.name)
            self._bump(route.name, "error")
        else:
            self._bump(route.name, result if isinstance(result, str) else "ok")

    def _bump(self, route: str, outcome: str) -> None:
        with self._lock:
            self._counts[(route, outcome)] += 1


def _as_bytes(payload: object) -> bytes | None:
    if isinstance(payload, bytearray | memoryview):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8", "replace")
    return None
