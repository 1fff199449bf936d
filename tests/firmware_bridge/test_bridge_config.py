"""The command line: config validated once, every problem listed, exit 1; the example config."""

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge_protocol.config import BridgeConfig, dump_toml, load_config
from bridge_protocol.keys import encode_b64
from firmware_bridge.__main__ import main
from firmware_bridge.logs import MASK, RedactingFilter
from tests.firmware_bridge.support import PASSWORD, config_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "bridge.example.toml"
EXAMPLE_ENV = {
    "INCUBATOR_BRIDGE_MQTT_PASSWORD": "example-password",
    "INCUBATOR_BRIDGE_BADGE_KEY": encode_b64(bytes(32)),
}


@pytest.fixture(autouse=True)
def restore_logging():
    """main() installs its own log handler on the root logger; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def write(tmp_path, data):
    path = tmp_path / "bridge.toml"
    path.write_text(dump_toml(data) if isinstance(data, dict) else data)
    return path


# The example -----------------------------------------------------------------------


def test_the_example_config_loads():
    config = load_config(EXAMPLE, environ=EXAMPLE_ENV)
    assert config.device.kind == "door"
    assert config.mqtt.tls


def test_the_example_config_documents_every_key():
    text = EXAMPLE.read_text()
    missing = []
    for section, field in BridgeConfig.model_fields.items():
        assert f"[{section}]" in text, section
        for key in field.annotation.model_fields:
            if not re.search(rf"^#? ?{key} = ", text, re.MULTILINE):
                missing.append(f"{section}.{key}")
    assert missing == []


# Errors ----------------------------------------------------------------------------


def test_an_invalid_config_exits_1_listing_every_problem(tmp_path, capsys):
    data = config_data("door", tmp_path / "s.sqlite3")
    data["mqtt"]["url"] = "http://broker"
    data["mqtt"]["keepalive"] = 5
    data["gpio"] = {"door_strike": 17, "door_contact": 17}
    del data["reader"]
    path = write(tmp_path, data)

    assert main(["--config", str(path)]) == 1

    err = capsys.readouterr().err
    assert "mqtt.url: the URL must start with mqtt:// or mqtts://" in err
    assert "mqtt.keepalive: unknown key" in err
    assert "a pin is assigned to more than one role" in err
    assert "reader: missing" in err
    assert "4 problems" in err


def test_a_missing_secret_variable_is_a_config_error(tmp_path, capsys, monkeypatch):
    data = config_data("door", tmp_path / "s.sqlite3")
    del data["mqtt"]["password"]
    data["mqtt"]["password_env"] = "NOT_SET_ANYWHERE_FOR_THIS_TEST"
    monkeypatch.delenv("NOT_SET_ANYWHERE_FOR_THIS_TEST", raising=False)
    assert main(["--config", str(write(tmp_path, data))]) == 1
    assert "NOT_SET_ANYWHERE_FOR_THIS_TEST is not set" in capsys.readouterr().err


def test_a_missing_file_exits_1(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nope.toml")]) == 1
    assert "cannot read the file" in capsys.readouterr().err


def test_the_module_runs_as_a_program(tmp_path):
    path = write(tmp_path, "[device]\nid = 'X'\n")
    result = subprocess.run(
        [sys.executable, "-m", "firmware_bridge", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "device.id" in result.stderr
    assert "mqtt: missing" in result.stderr


def test_the_published_test_key_is_refused_outside_simulate(tmp_path, monkeypatch, capsys):
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)
    text = EXAMPLE.read_text().replace(
        "/var/lib/incubator-bridge/bridge.sqlite3", str(tmp_path / "s.sqlite3")
    )
    path = write(tmp_path, text)
    assert main(["--config", str(path)]) == 1
    assert "TEST key" in capsys.readouterr().err


def test_check_validates_and_prints_the_config_masked(tmp_path, capsys):
    path = write(tmp_path, config_data("door", tmp_path / "s.sqlite3"))
    assert main(["--config", str(path), "--check"]) == 0
    out = capsys.readouterr().out
    assert "configuration OK" in out
    assert 'id = "door-main"' in out
    assert PASSWORD not in out


# Secrets in logs -------------------------------------------------------------------


def test_secrets_are_masked_in_log_lines_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "password is %s", (PASSWORD,), None)
    try:
        raise ValueError(f"bad {PASSWORD}")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingFilter([PASSWORD]).filter(record)
    assert record.getMessage() == f"password is {MASK}"
    assert PASSWORD not in record.exc_text
    assert MASK in record.exc_text
