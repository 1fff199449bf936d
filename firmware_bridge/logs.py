"""Logging for the daemon: one line per record to standard error (journald), secrets never shown.

`RedactingFilter` replaces every known secret (the MQTT password, the badge key)
in a formatted record with ``**********``, whichever logger wrote it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

MASK = "**********"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, MASK)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self._secrets:
                record.exc_text = record.exc_text.replace(secret, MASK)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> logging.Handler:
    """Send every record to standard error, redacted; returns the handler it installed."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # paho logs every packet at DEBUG; keep it quieter unless asked for.
    logging.getLogger("paho.mqtt").setLevel(max(logging.getLevelName(level), logging.INFO))
    return handler
