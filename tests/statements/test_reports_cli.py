"""`incubator reports export` and `incubator retention run`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.statements.conftest import local


@pytest.fixture
def october(member_a, member_b, resources, store_booking):  # type: ignore[no-untyped-def]
    store_booking(member_a, resources["room"], local(2026, 10, 5, 9), local(2026, 10, 5, 16))
    store_booking(member_b, resources["room"], local(2026, 10, 6, 9), local(2026, 10, 6, 12))


def invoke(app, *, args: list[str]):  # type: ignore[no-untyped-def]
    with app.app_context():  # as FlaskGroup runs every command
        return app.test_cli_runner().invoke(args=args)


@pytest.mark.db
@pytest.mark.parametrize(
    ("fmt", "start"), [("csv", b"\xef\xbb\xbf"), ("pdf", b"%PDF"), ("json", b"{")]
)
def test_export_writes_a_statement_per_tenant(app, db_session, october, tmp_path, fmt, start):  # type: ignore[no-untyped-def]
    result = invoke(
        app,
        args=[
            "reports",
            "export",
            "--month",
            "2026-10",
            "--format",
            fmt,
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"statement-atelier-2026-10.{fmt}", f"statement-bravo-2026-10.{fmt}"]
    assert all((tmp_path / "out" / name).read_bytes().startswith(start) for name in files)
    assert result.stdout.splitlines() == [str(tmp_path / "out" / name) for name in files]
    assert "statements 2026-10" in result.stderr  # the progress bar's label
    assert "2 statements written" in result.stderr


@pytest.mark.db
def test_export_of_one_tenant(app, db_session, october, tmp_path):  # type: ignore[no-untyped-def]
    result = invoke(
        app,
        args=[
            "reports",
            "export",
            "--month",
            "2026-10",
            "--tenant",
            "bravo",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.iterdir()
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1][0] == "Brouwerij Bravo"
    assert rows[-1][-1] == "0,00"  # 3 h of 10 included


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "YYYY-MM"),
        (["--month", "2026-10", "--tenant", "nobody"], "nobody"),
        (["--month", "2026-10", "--format", "xls"], "xls"),
    ],
)
@pytest.mark.db
def test_export_refuses_bad_options(app, db_session, tmp_path, args, message):  # type: ignore[no-untyped-def]
    result = invoke(app, args=["reports", "export", *args, "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.db
def test_retention_run_and_dry_run(app, db_session, member_a, store_event):  # type: ignore[no-untyped-def]
    old = store_event(member_a, dt.datetime.now(dt.UTC) - dt.timedelta(days=800))
    dry = invoke(app, args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would anonymise 1 access events" in dry.output
    db_session.expire_all()
    assert old.member_id == member_a.id
    done = invoke(app, args=["retention", "run"])
    assert "anonymised 1 access events" in done.output
    db_session.expire_all()
    assert old.member_id is None
    assert "anonymised 0 access events" in invoke(app, args=["retention", "run"]).output


# -- through the real entry point ------------------------------------------------


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):  # type: ignore[no-untyped-def]
    instance = tmp_path_factory.mktemp("statements-cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_INSTANCE_PATH=str(instance),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'cli.sqlite'}",
        INCUBATOR_ENV="development",
    )
    incubator(env, "db", "upgrade")
    return env


def incubator(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_incubator_command_runs_both(cli_env, tmp_path: Path):  # type: ignore[no-untyped-def]
    retention = incubator(cli_env, "retention", "run", "--days", "30")
    assert "anonymised 0 access events, 0 sessions and 0 quarantined events" in retention.stdout
    export = incubator(
        cli_env, "reports", "export", "--month", "2026-11", "--output", str(tmp_path)
    )
    assert "0 statements written" in export.stderr
