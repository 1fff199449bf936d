"""`incubator demo`: the whole system on one machine with demo data.

Prepares the database (migrations, development keys, demo data), then runs a
broker, the gateway, four simulated Pis, the jobs runner and the web app
(`app.demo_system`), and prints the URL, the logins, the demo badges and what
to try. `incubator demo scan DEVICE BADGE` presents a badge to a simulated Pi
of the running demo.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade

from app.extensions import db


@click.group("demo", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--password", default="demo-password", show_default=True)
@click.option(
    "--mqtt-port",
    type=click.IntRange(1, 65535),
    default=1884,
    show_default=True,
    help="The demo broker's port (1884, beside a system broker on 1883).",
)
@click.option(
    "--broker",
    type=click.Choice(["auto", "mosquitto", "embedded"]),
    envvar="INCUBATOR_DEMO_BROKER",
    default="auto",
    show_default=True,
    help="auto: Mosquitto when installed, else the embedded Python broker (amqtt).",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=0,
    help="The gateway's metrics port on 127.0.0.1 (default: a free one).",
)
@click.option("--verbose", is_flag=True, help="Echo every line the processes log.")
@click.pass_context
def demo_command(
    ctx: click.Context,
    host: str,
    port: int,
    password: str,
    mqtt_port: int,
    broker: str,
    metrics_port: int,
    verbose: bool,
) -> None:
    """Run the whole system with demo data: broker, gateway, simulated Pis, jobs, web."""
    if ctx.invoked_subcommand is not None:
        return
    from app.demo_system.broker import BrokerUnavailable
    from app.demo_system.system import (
        DemoFailed,
        DemoOptions,
        check_ports,
        free_port,
        run_demo,
    )
    from app.keys import keys_init
    from app.services.demo import seed

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["ENV"] == "production":
        raise click.UsageError("the demo refuses to run with INCUBATOR_ENV=production")
    options = DemoOptions(
        host=host,
        port=port,
        password=password,
        mqtt_port=mqtt_port,
        broker=broker,
        metrics_port=metrics_port or free_port(),
        verbose=verbose,
    )
    try:
        check_ports(options)
        upgrade()
        ctx.invoke(keys_init, force=False)
        created = seed(password=password, now=dt.datetime.now(dt.UTC))
        db.session.commit()
        click.echo("demo data created" if created else "demo data already present")
        code = run_demo(app, options, echo=lambda text: click.echo(text, err=True))
    except (BrokerUnavailable, DemoFailed) as exc:
        raise click.ClickException(str(exc)) from None
    ctx.exit(code)


@demo_command.command("scan")
@click.argument("device_id", metavar="DEVICE")
@click.argument("badge")
def demo_scan(device_id: str, badge: str) -> None:
    """Present BADGE (hex, as printed on the card) to the simulated Pi DEVICE."""
    from app.demo_system.scans import ScanNotSent, publish_scan
    from app.demo_system.state import DemoState

    state = DemoState.load(Path(current_app.instance_path) / "demo")
    if state is None:
        raise click.ClickException("no demo has run here: start `incubator demo` first")
    try:
        uid = publish_scan(state, device_id, badge)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except ScanNotSent as exc:
        raise click.ClickException(f"{exc} (is `incubator demo` running?)") from None
    click.echo(f"scanned {uid} at {device_id}")
