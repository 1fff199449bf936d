"""`incubator gateway`: run the MQTT gateway until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app

from .settings import GatewaySettings, SettingsError


@click.command("gateway")
@click.option(
    "--metrics-port",
    type=click.IntRange(-1, 65535),
    default=None,
    help="Prometheus metrics on 127.0.0.1:PORT (default GATEWAY_METRICS_PORT or 9108; -1: off).",
)
def gateway_command(metrics_port: int | None) -> None:
    """Answer access requests, ingest events, publish allow-lists and commands."""
    from .service import Gateway

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = dict(app.config)
    if metrics_port is not None:
        config["GATEWAY_METRICS_PORT"] = metrics_port
    try:
        settings = GatewaySettings.from_config(config)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        gateway = Gateway(app, settings)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load the keys: {exc}") from None
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    gateway.start()
    click.echo(f"gateway running as {settings.broker!r}", err=True)
    stop.wait()
    gateway.stop()
