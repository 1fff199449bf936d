"""The `incubator` command, run as a person would run it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    instance = tmp_path_factory.mktemp("cli-instance")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_INSTANCE_PATH=str(instance),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'cli.sqlite'}",
        INCUBATOR_ENV="development",
    )
    run(env, "db", "upgrade")
    return env


def run(env, *args, stdin=None, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed: {result.stderr}")
    return result


def test_create_manager_then_api_token_prints_the_token_last(cli_env):
    created = run(
        cli_env,
        "create-manager",
        "boss@example.org",
        "--name",
        "Boss",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert "boss@example.org" in created.stdout
    token = run(cli_env, "api-token", "create", "boss@example.org")
    last_line = token.stdout.strip().splitlines()[-1]
    assert last_line.startswith("inc_")
    assert len(last_line) >= 40


def test_created_token_works_on_the_api(cli_env):
    run(
        cli_env,
        "create-manager",
        "api@example.org",
        "--name",
        "Api",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    secret = run(cli_env, "api-token", "create", "api@example.org").stdout.strip().splitlines()[-1]
    os.environ["INCUBATOR_INSTANCE_PATH"] = cli_env["INCUBATOR_INSTANCE_PATH"]
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": cli_env["INCUBATOR_SQLALCHEMY_DATABASE_URI"]})
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == "api@example.org"


@pytest.mark.parametrize(
    "args",
    [
        ("create-manager", "not-an-email", "--name", "X", "--password-stdin"),
        ("create-manager", "x@example.org"),
        ("api-token", "create", "nobody@example.org"),
        ("api-token", "create", "nobody@example.org", "--days", "0"),
        ("jobs", "run", "--loop", "abc"),
        ("no-such-command",),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(cli_env, args):
    result = run(cli_env, *args, stdin="a long enough password\n", check=False)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("incubator: error:")


def test_keys_init_writes_private_files_and_keeps_them(cli_env):
    first = run(cli_env, "keys", "init")
    assert "written" in first.stdout
    keys = Path(cli_env["INCUBATOR_INSTANCE_PATH"]) / "keys"
    for name in ("signing.key", "badge.key"):
        assert (keys / name).stat().st_mode & 0o777 == 0o600
    before = (keys / "signing.key").read_bytes()
    second = run(cli_env, "keys", "init")
    assert "kept" in second.stdout
    assert (keys / "signing.key").read_bytes() == before


def test_seed_demo_is_idempotent(cli_env):
    assert "created" in run(cli_env, "seed-demo").stdout
    assert "already present" in run(cli_env, "seed-demo").stdout


def test_jobs_run_does_one_pass(cli_env):
    result = run(cli_env, "jobs", "run")
    assert "mail.deliver" in result.stdout
