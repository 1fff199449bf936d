"""Configuration: defaults that run with nothing set, then INCUBATOR_* variables, then tests."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration; the message says why."""


class Config:
    ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    TIMEZONE = "Europe/Brussels"
    MQTT_URL = "mqtt://127.0.0.1:1883"
    MQTT_PUBLIC_URL: str | None = None
    # What a device's bridge config names (`incubator device add`, the devices page):
    # where the Pi finds the broker's CA certificate (mqtts only; None: its system CAs),
    # and its badge reader (better a stable /dev/input/by-id/ name) and number format.
    BRIDGE_CA_FILE: str | None = None
    BRIDGE_READER_DEVICE = "/dev/input/event0"
    BRIDGE_READER_FORMAT = "hex"
    PUBLIC_URL = "http://127.0.0.1:5000"
    PROXY_HOPS = 0
    SITE_NAME = "Makers Incubator"

    MAIL_SERVER: str | None = None  # None: mail goes to the log
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "Makers Incubator <noreply@localhost>"

    SIGNING_KEY_FILE: str | None = None
    BADGE_KEY_FILE: str | None = None

    LANGUAGES = ("en", "nl")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = "translations"

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_IP = "30 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 10 minutes"

    INVITE_VALID_HOURS = 72
    RESET_VALID_HOURS = 1
    API_PAGE_SIZE = 50
    API_MAX_PAGE_SIZE = 200
    # How long one web process reuses the public report's figures (0: never; docs/public-report.md).
    PUBLIC_REPORT_CACHE_SECONDS = 60

    # Calendar feeds (/ical/<token>.ics): the window of bookings they hold, how long a
    # cancelled booking stays in them as STATUS:CANCELLED, how often clients should
    # refresh, and how much rendered output one process keeps.
    ICAL_PAST_DAYS = 60
    ICAL_FUTURE_DAYS = 365
    ICAL_CANCELLED_GRACE_DAYS = 7
    ICAL_REFRESH_MINUTES = 60
    ICAL_CACHE_MB = 64
    # Imported calendars (closures): refresh interval, download limits, how far ahead
    # events are expanded, and networks that may be fetched from although they are not
    # public (CIDRs, e.g. ["10.1.2.0/24"]; none by default: see docs/calendars.md).
    CALENDAR_REFRESH_MINUTES = 60
    CALENDAR_FETCH_TIMEOUT = 10
    CALENDAR_MAX_KB = 2048
    CALENDAR_IMPORT_DAYS = 400
    CALENDAR_ALLOWED_NETWORKS: tuple[str, ...] = ()

    # Alerts to managers, found by the jobs runner's `alerts.check` (docs/gateway.md):
    # a forced door (on/off), a door open longer than N minutes, a device not heard
    # from for N minutes (0 turns either off), and a note when an incident is over.
    ALERT_FORCED_DOOR = True
    ALERT_HELD_OPEN_MINUTES = 5
    ALERT_OFFLINE_MINUTES = 10
    ALERT_RESOLVED_MAIL = True
    # The managers' live view: how often the page asks (seconds) and how many events
    # it lists; unknown badges scanned this many minutes ago are offered on the badge form.
    LIVE_POLL_SECONDS = 3
    LIVE_EVENTS = 20
    UNKNOWN_BADGE_MINUTES = 10

    # Retention (docs/privacy.md): access events, machine sessions and quarantined events
    # older than this many days lose their badge, member and other personal fields
    # (`retention.run` job, `incubator retention run`); rows are updated this many at a time.
    RETENTION_DAYS = 730
    RETENTION_BATCH = 1000
    # Monthly statements as PDF (docs/statements.md): a TrueType font file to write them
    # with (e.g. DejaVuSans.ttf, for the euro sign and any name); None: the PDF's built-in
    # Latin-1 font, amounts in "EUR".
    STATEMENT_PDF_FONT: str | None = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    JSON_SORT_KEYS = False


def finalize(config: dict[str, Any], instance_path: Path) -> None:
    """Fill in the derived settings and refuse a configuration that cannot run."""
    env = str(config.get("ENV", "development"))
    if env not in {"development", "production", "testing"}:
        raise ConfigurationError(
            f"INCUBATOR_ENV must be development, production or testing, not {env!r}"
        )
    production = env == "production"
    config["SESSION_COOKIE_SECURE"] = production
    config["REMEMBER_COOKIE_SECURE"] = production

    try:
        ZoneInfo(str(config["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"INCUBATOR_TIMEZONE {config['TIMEZONE']!r} is not a known time zone"
        ) from exc

    if not config.get("SQLALCHEMY_DATABASE_URI"):
        if production:
            raise ConfigurationError("INCUBATOR_SQLALCHEMY_DATABASE_URI must be set in production")
        instance_path.mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'incubator.sqlite'}"

    config["CALENDAR_ALLOWED_NETWORKS"] = _networks(config.get("CALENDAR_ALLOWED_NETWORKS"))

    keys_dir = instance_path / "keys"
    if production:
        missing = []
        if not config.get("SECRET_KEY"):
            missing.append("INCUBATOR_SECRET_KEY")
        for name in ("SIGNING_KEY_FILE", "BADGE_KEY_FILE"):
            value = config.get(name)
            if not value or not Path(value).is_file():
                missing.append(f"INCUBATOR_{name} (run `incubator keys init`)")
        if missing:
            raise ConfigurationError(
                "production mode needs these settings, missing or pointing at no file: "
                + ", ".join(missing)
            )
    else:
        config.setdefault("SIGNING_KEY_FILE", None)
        config["SIGNING_KEY_FILE"] = config["SIGNING_KEY_FILE"] or str(keys_dir / "signing.key")
        config["BADGE_KEY_FILE"] = config.get("BADGE_KEY_FILE") or str(keys_dir / "badge.key")
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = _development_secret(instance_path)


def _development_secret(instance_path: Path) -> str:
    """A secret kept under instance/ so development logins survive a restart."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _networks(value: Any) -> tuple[str, ...]:
    """CIDRs from a list (JSON in the environment) or a comma-separated text, checked."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        try:
            networks.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
        except ValueError as exc:
            raise ConfigurationError(
                f"INCUBATOR_CALENDAR_ALLOWED_NETWORKS: {item!r} is not a network (CIDR)"
            ) from exc
    return tuple(networks)
