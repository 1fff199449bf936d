"""The `incubator` command: Flask's CLI over `create_app`, plus our own commands."""

from __future__ import annotations

import datetime as dt
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from app.extensions import db


def _create_app() -> Flask:
    from app import create_app

    return create_app()


def _fail(message: str) -> None:
    raise click.UsageError(message)


def register_commands(app: Flask) -> None:
    from app.keys import keys_cli

    app.cli.add_command(keys_cli)
    app.cli.add_command(create_manager)
    app.cli.add_command(api_token_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(calendars_cli)

    from app.reports_cli import reports_cli, retention_cli

    app.cli.add_command(reports_cli)
    app.cli.add_command(retention_cli)

    from app.broker.cli import mqtt_cli
    from app.devices_cli import device_cli

    app.cli.add_command(mqtt_cli)
    app.cli.add_command(device_cli)

    from app.gateway.cli import gateway_command

    app.cli.add_command(gateway_command)

    from app.demo import demo_command

    app.cli.add_command(demo_command)


@click.command("create-manager")
@click.argument("email")
@click.option("--name", required=True, help="The manager's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_manager(email: str, name: str, password_stdin: bool) -> None:
    """Create a manager account (the first account of a new installation)."""
    from app.services.accounts import MailContext
    from app.services.errors import DomainError
    from app.services.members import create_member
    from app.services.system_actor import system_manager

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password_stdin and not password:
        _fail("--password-stdin was given but standard input held no password")
    try:
        member = create_member(
            actor=system_manager(),
            email=email,
            name=name,
            role="manager",
            tenant_id=None,
            password=password,
            mail_context=MailContext(
                current_app.config["PUBLIC_URL"],
                current_app.config["SITE_NAME"],
                int(current_app.config["INVITE_VALID_HOURS"]),
            ),
            now=dt.datetime.now(dt.UTC),
        )
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        _fail(f"{exc.message} {details}".strip())
    db.session.commit()
    _deliver()
    click.echo(f"manager {member.email} created (id {member.id})")


@click.group("api-token")
def api_token_cli() -> None:
    """Manage API tokens."""


@api_token_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="Expire after N days.")
def api_token_create(email: str, name: str, days: int | None) -> None:
    """Make an API token for EMAIL; the token is the last line printed."""
    from app.services.accounts import find_member_by_email
    from app.services.api_tokens import create_api_token

    member = find_member_by_email(email)
    if member is None or not member.can_log_in:
        _fail(f"no active member with e-mail {email}")
        return
    now = dt.datetime.now(dt.UTC)
    token, secret = create_api_token(
        member=member,
        name=name,
        expires_at=now + dt.timedelta(days=days) if days else None,
        now=now,
    )
    db.session.commit()
    click.echo(f"token {token.id} ({token.prefix}...) for {member.email}", err=True)
    click.echo(secret)


@click.command("seed-demo")
@click.option("--password", default="demo-password", show_default=True)
def seed_demo(password: str) -> None:
    """Fill an empty database with demo tenants, people, resources and badges."""
    from app.services.demo import seed

    created = seed(password=password, now=dt.datetime.now(dt.UTC))
    db.session.commit()
    click.echo("demo data created" if created else "demo data already present")


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("run")
@click.option(
    "--loop",
    "loop_seconds",
    type=click.IntRange(1, 3600),
    default=None,
    help="Keep running, one pass every N seconds.",
)
def jobs_run(loop_seconds: int | None) -> None:
    """Run one pass of every due job (or loop)."""
    from app.jobs import run_due_jobs

    while True:
        result = run_due_jobs(current_app._get_current_object())  # type: ignore[attr-defined]
        if result.skipped_locked:
            click.echo("another runner holds the lease", err=True)
        elif result.ran or result.failed:
            click.echo(
                f"ran: {', '.join(result.ran) or '-'}; failed: {', '.join(result.failed) or '-'}"
            )
        if loop_seconds is None:
            sys.exit(1 if result.failed else 0)
        time.sleep(loop_seconds)


@click.group("calendars")
def calendars_cli() -> None:
    """Imported calendars (closures)."""


@calendars_cli.command("refresh")
@click.option("--all", "everything", is_flag=True, help="Refresh every calendar, due or not.")
def calendars_refresh(everything: bool) -> None:
    """Fetch the due link calendars again and replace their closures; a line per calendar."""
    from app.calendar_refresh import describe, refresh_calendars

    results = refresh_calendars(
        current_app.config, now=dt.datetime.now(dt.UTC), due_only=not everything
    )
    for result in results:
        click.echo(describe(result))
    if not results:
        click.echo("no calendar is due", err=True)
    sys.exit(1 if any(r.outcome == "failed" for r in results) else 0)


def _deliver() -> None:
    from app.mailer import deliver_pending

    deliver_pending(current_app.config)


cli = FlaskGroup(create_app=_create_app, help="Makers incubator: web app, jobs and tools.")


def main() -> None:
    """Entry point: usage errors become one line on stderr and exit code 2."""
    try:
        cli.main(standalone_mode=False, prog_name="incubator")
    except click.UsageError as exc:
        click.echo(f"incubator: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"incubator: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
