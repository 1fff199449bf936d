"""The gateway's counters and gauges, rendered as Prometheus text (exposition format 0.0.4).

Small and dependency-free: labelled counters and gauges read through a
callback. Every method is thread-safe; paho's thread, the workers and the
metrics server all touch them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _render_labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


class Counter:
    def __init__(self, name: str, help_text: str, labelnames: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.labelnames = name, help_text, labelnames
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()
        if not labelnames:
            self._values[()] = 0

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = tuple((name, str(labels[name])) for name in self.labelnames)
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        key = tuple((name, str(labels[name])) for name in self.labelnames)
        with self._lock:
            return self._values.get(key, 0)

    def total(self) -> float:
        with self._lock:
            return sum(self._values.values())

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        lines += [f"{self.name}{_render_labels(k)} {_number(v)}" for k, v in items]
        return lines


class Gauge:
    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.name, self.help, self._read = name, help_text, read

    def render(self) -> list[str]:
        try:
            value = float(self._read())
        except Exception:  # a gauge must never break the page
            value = float("nan")
        return [
            f"# HELP {self.name} {self.help}",
            f"# TYPE {self.name} gauge",
            f"{self.name} {_number(value)}",
        ]


def _number(value: float) -> str:
    if value != value:  # NaN
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class GatewayMetrics:
    """Everything the gateway counts. Gauges are attached by the parts that own the state."""

    def __init__(self) -> None:
        self.auth_answered = Counter(
            "gateway_auth_answered_total", "Access requests answered, by reason.", ("reason",)
        )
        self.auth_expired = Counter(
            "gateway_auth_expired_total", "Access requests dropped because their exp had passed."
        )
        self.events_stored = Counter("gateway_events_stored_total", "Events stored.")
        self.events_duplicate = Counter(
            "gateway_events_duplicate_total", "Events received again (acked, not stored twice)."
        )
        self.events_quarantined = Counter(
            "gateway_events_quarantined_total", "Events refused and acked as rejected.", ("reason",)
        )
        self.rejects = Counter(
            "gateway_rejects_total",
            "Messages dropped, by topic kind and reason.",
            ("topic", "reason"),
        )
        self.ack_batches = Counter("gateway_ack_batches_total", "Event acks published.")
        self.batches = Counter(
            "gateway_ingest_batches_total", "Ingest batches, by outcome.", ("outcome",)
        )
        self.outbox_rows = Counter(
            "gateway_outbox_rows_total",
            "Outbox rows processed, by kind and outcome.",
            ("kind", "outcome"),
        )
        self.acl_published = Counter("gateway_acl_published_total", "Allow-lists published.")
        self.commands_sent = Counter("gateway_commands_sent_total", "Commands published.")
        self.presence = Counter(
            "gateway_presence_total", "Device status messages applied, by outcome.", ("outcome",)
        )
        self.handler_errors = Counter(
            "gateway_handler_errors_total", "Unexpected errors caught in a handler.", ("where",)
        )
        self._gauges: list[Gauge] = []

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self._gauges.append(Gauge(name, help_text, read))

    def reject(self, topic: str, reason: str) -> None:
        self.rejects.inc(topic=topic, reason=reason)

    def render(self) -> str:
        lines: list[str] = []
        for metric in vars(self).values():
            if isinstance(metric, Counter):
                lines += metric.render()
        for gauge in self._gauges:
            lines += gauge.render()
        return "\n".join(lines) + "\n"
