"""`incubator device add`, run as an operator would run it."""

import contextlib
import os
import sqlite3
import subprocess
import sys

import pytest

from bridge_protocol.config import parse_config


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    instance = tmp_path_factory.mktemp("device-cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_INSTANCE_PATH=str(instance),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'cli.sqlite'}",
        INCUBATOR_ENV="development",
        INCUBATOR_MQTT_URL="mqtt://gw-prod:gateway-secret@127.0.0.1:1883",
        INCUBATOR_MQTT_PUBLIC_URL="mqtts://broker.incubator.example:8883",
        INCUBATOR_BRIDGE_CA_FILE="/etc/incubator-bridge/ca.pem",
    )
    run(env, "db", "upgrade")
    return env


def run(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed: {result.stderr}")
    return result


def stored(env):
    """Every row of every table, as text."""
    path = env["INCUBATOR_SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db:
        listing = "SELECT name FROM sqlite_master WHERE type='table'"
        tables = [name for (name,) in db.execute(listing)]
        rows = [row for t in tables for row in db.execute(f'SELECT * FROM "{t}"')]  # noqa: S608
    return "\n".join(repr(row) for row in rows)


def test_without_keys_the_command_says_what_to_do(cli_env):
    result = run(cli_env, "device", "add", "door-early", "--kind", "door", check=False)
    assert result.returncode == 1
    assert "incubator keys init" in result.stderr
    assert "door-early" not in stored(cli_env)


def test_add_prints_a_config_the_bridge_loads(cli_env):
    run(cli_env, "keys", "init")
    result = run(cli_env, "device", "add", "door-main", "--kind", "door", "--label", "Front")
    config = parse_config(result.stdout, environ={})
    assert config.device.id == "door-main"
    assert config.mqtt.url == "mqtts://broker.incubator.example:8883"
    assert str(config.mqtt.ca_file) == "/etc/incubator-bridge/ca.pem"
    password = config.mqtt.resolved_password({})
    assert password not in result.stderr
    assert password not in stored(cli_env)
    assert "gateway-secret" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad_Id", "--kind", "door"], "id:"),
        (["gw-prod", "--kind", "door"], "server account"),
        (["laser-9", "--kind", "machine"], "resource"),
        (["door-x", "--kind", "gate"], "gate"),
    ],
)
def test_bad_input_is_refused_with_a_reason(cli_env, args, message):
    result = run(cli_env, "device", "add", *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stdout == ""
