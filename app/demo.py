"""`incubator demo`: the whole system on one machine with demo data.

Prepares the database (migrations, development keys, demo data), starts the
jobs runner in a loop beside the web app and prints the URL and the logins.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from app.extensions import db


def _banner(url: str, password: str) -> str:
    from app.services.demo import DEMO_LOGINS

    lines = [
        "",
        "=" * 66,
        f"  Makers incubator demo is running at {url}",
        "",
        "  Log in as (password for every account: " + password + "):",
    ]
    lines += [f"    {email:<34} {role}" for email, role in DEMO_LOGINS]
    lines += ["", "  Stop with Ctrl-C.", "=" * 66, ""]
    return "\n".join(lines)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--password", default="demo-password", show_default=True)
def demo_command(host: str, port: int, password: str) -> None:
    """Prepare a demo database and run the web app and the jobs runner."""
    from app.keys import keys_init
    from app.services.demo import seed

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["ENV"] == "production":
        raise click.UsageError("the demo refuses to run with INCUBATOR_ENV=production")
    upgrade()
    click.get_current_context().invoke(keys_init, force=False)
    created = seed(password=password, now=dt.datetime.now(dt.UTC))
    db.session.commit()
    click.echo("demo data created" if created else "demo data already present")

    jobs = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "jobs", "run", "--loop", "30"], env=os.environ.copy()
    )
    click.echo(_banner(f"http://{host}:{port}", password))
    # A plain `kill` should stop the jobs runner too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        jobs.terminate()
        jobs.wait(timeout=10)
