"""`incubator device ...`: register a device from the console."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app

from app.extensions import db


@click.group("device")
def device_cli() -> None:
    """Devices: the Raspberry Pis at doors and machines."""


@device_cli.command("add")
@click.argument("device_id", metavar="ID")
@click.option("--kind", type=click.Choice(["door", "machine"]), required=True)
@click.option("--resource", default=None, help="The slug of the resource it guards.")
@click.option("--label", default="", help="A name for people, e.g. 'front door'.")
def device_add(device_id: str, kind: str, resource: str | None, label: str) -> None:
    """Register device ID and print its bridge config (TOML) to standard output.

    The config holds the device's MQTT password: it is printed once and kept
    nowhere. Redirect it to a file (mode 600) and copy that to the Pi.
    """
    from app.device_provisioning import (
        bridge_config_text,
        bridge_material,
        sealing_key,
        server_account_names,
    )
    from app.services.devices import register_device
    from app.services.errors import DomainError
    from app.services.system_actor import system_manager

    now = dt.datetime.now(dt.UTC)
    try:
        material = bridge_material(current_app.config)
        credentials = register_device(
            actor=system_manager(),
            id=device_id,
            kind=kind,
            resource_slug=resource,
            label=label,
            now=now,
            sealing_key=sealing_key(current_app.config),
            reserved_ids=server_account_names(current_app.config),
        )
        text = bridge_config_text(
            credentials.device, password=credentials.password, material=material, now=now
        )
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    db.session.commit()
    click.echo(
        f"device {device_id} registered; the gateway creates its broker account. "
        "Its bridge config follows (shown once):",
        err=True,
    )
    click.echo(text, nl=False)
