"""`incubator reports export` (monthly statements to files), `incubator reports totals`
and `incubator retention run`."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Tenant, TenantStatus

if TYPE_CHECKING:
    from app.services.reports.totals import RollUp


@click.group("reports")
def reports_cli() -> None:
    """Reports and monthly statements."""


def _tenants_of_month(start: dt.datetime, slug: str | None) -> list[Tenant]:
    query = select(Tenant).order_by(Tenant.slug)
    if slug is not None:
        return list(db.session.scalars(query.where(Tenant.slug == slug)))
    # every tenant active during the month: still active, or deactivated after it began
    return list(
        db.session.scalars(
            query.where(or_(Tenant.status == TenantStatus.ACTIVE, Tenant.deactivated_at >= start))
        )
    )


@reports_cli.command("export")
@click.option("--month", required=True, help="The month, as YYYY-MM (facility time).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "pdf"]),
    default="csv",
    show_default=True,
)
@click.option("--tenant", "slug", default=None, help="Only this tenant (its short name).")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The folder to write the files to (made if missing).",
)
@click.option("--locale", type=click.Choice(["en", "nl"]), default="en", show_default=True)
def reports_export(month: str, fmt: str, slug: str | None, output: Path, locale: str) -> None:
    """Write each tenant's statement for MONTH to a file; prints the file names."""
    from app.services.errors import ValidationFailed
    from app.services.statements import Month, compute_statement, render_statement

    try:
        chosen = Month.parse(month)
    except ValidationFailed:
        raise click.BadParameter(
            "give a month as YYYY-MM, e.g. 2026-11", param_hint="--month"
        ) from None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start, _end = chosen.bounds(zone)
    tenants = _tenants_of_month(start, slug)
    if slug is not None and not tenants:
        raise click.BadParameter(f"no tenant with the short name {slug!r}", param_hint="--tenant")
    output.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    written: list[Path] = []
    with click.progressbar(
        tenants,
        label=f"statements {chosen} ({fmt})",
        item_show_func=lambda t: t.slug if t else None,
        file=sys.stderr,
    ) as bar:
        for tenant in bar:
            statement = compute_statement(tenant, month=chosen, zone=zone, now=now)
            rendered = render_statement(
                statement,
                fmt=fmt,
                zone=zone,
                locale=locale,
                site_name=current_app.config["SITE_NAME"],
                font_file=current_app.config.get("STATEMENT_PDF_FONT"),
            )
            path = output / rendered.filename
            path.write_bytes(rendered.body)
            written.append(path)
    db.session.rollback()  # read only
    for path in written:
        click.echo(str(path))
    click.echo(f"{len(written)} statements written to {output}", err=True)


@reports_cli.command("totals")
@click.option("--rebuild", is_flag=True, help="Drop the stored totals and write them all again.")
def reports_totals(rebuild: bool) -> None:
    """Write the usage totals the reports read (the jobs runner does it every 5 minutes)."""
    from app.jobs import write_usage_totals
    from app.services.reports.totals import drop_totals

    holder = f"{socket.gethostname()}:{os.getpid()}:cli"
    bar: Any = None

    def show(done: int, total: int, month: str) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="writing months", file=sys.stderr)
            bar.__enter__()
        bar.label = f"writing {month}"
        bar.update(done - bar.pos)

    def one_pass() -> RollUp:
        nonlocal bar
        try:
            result = write_usage_totals(
                current_app._get_current_object(),  # type: ignore[attr-defined]
                dt.datetime.now(dt.UTC),
                holder=holder,
                progress=show,
            )
        finally:
            if bar is not None:
                bar.update(bar.length - bar.pos)
                bar.__exit__(None, None, None)
                bar = None
        if result is None:
            click.echo("Another pass is writing the totals; try again in a minute.", err=True)
            sys.exit(1)
        return result

    if rebuild:
        drop_totals()
        db.session.commit()
        click.echo("stored totals dropped", err=True)
    passes = [one_pass()]
    if passes[0].horizon_was_empty:
        # A fresh horizon: let writes that were under way land before reading the days.
        time.sleep(2)
        passes.append(one_pass())
    # the last pass did the writing (a first pass on a fresh horizon writes nothing)
    click.echo(f"usage totals up to date ({passes[-1].describe()})")


@click.group("retention")
def retention_cli() -> None:
    """Retention of personal data (GDPR): see docs/privacy.md."""


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@click.option(
    "--days",
    type=click.IntRange(1, 36500),
    default=None,
    help="Anonymise what is older than this (default: INCUBATOR_RETENTION_DAYS).",
)
def retention_run(dry_run: bool, days: int | None) -> None:
    """Anonymise access events, machine sessions and quarantined events past the age."""
    from app.services.retention import run_retention

    result = run_retention(
        now=dt.datetime.now(dt.UTC),
        days=days or int(current_app.config["RETENTION_DAYS"]),
        batch=int(current_app.config["RETENTION_BATCH"]),
        dry_run=dry_run,
    )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(result.describe())
