"""What a running demo tells its other tools: where the broker is and the simulator's account.

Written to ``<instance>/demo/state.json`` (mode 600) at every start, read by
the simulator page (through the app config) and by `incubator demo scan`. The
passwords are new at every start and worth nothing outside this machine's demo.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_NAME = "state.json"
SIMULATOR_USERNAME = "demo-simulator"
GATEWAY_USERNAME = "gateway"


@dataclass(frozen=True)
class DemoState:
    #: "mosquitto" or "embedded"
    broker: str
    host: str
    port: int
    #: what clients speak: "auto" (Mosquitto) or "3.1.1" (the embedded broker)
    protocol: str
    simulator_username: str
    simulator_password: str

    @property
    def confined(self) -> bool:
        """Whether the broker confines each device to its own topics (Mosquitto only)."""
        return self.broker == "mosquitto"

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / STATE_NAME
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, directory: Path) -> DemoState | None:
        try:
            data = json.loads((directory / STATE_NAME).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None
