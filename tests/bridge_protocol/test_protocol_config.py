import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bridge_protocol.acl import StalePolicy
from bridge_protocol.config import (
    BridgeConfig,
    ConfigError,
    config_to_dict,
    dump_toml,
    load_config,
    parse_config,
)
from bridge_protocol.keys import encode_b64, key_id, public_key_to_b64
from bridge_protocol.signing import Signer

SERVER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KID = key_id(SERVER_KEY.public_key())
PUBLIC_B64 = public_key_to_b64(SERVER_KEY.public_key())
BADGE_KEY = bytes(range(100, 132))
BADGE_KEY_B64 = encode_b64(BADGE_KEY)
PASSWORD = "s3cret-mqtt-password"

DOOR_TOML = f"""
[device]
id = "door-main"
kind = "door"

[mqtt]
url = "mqtts://broker.example.org:8883"
password_env = "BRIDGE_MQTT_PASSWORD"
ca_file = "/etc/incubator/ca.pem"
keepalive_s = 2
reconnect_min_s = 0.1
reconnect_max_s = 1

[store]
path = "/var/lib/incubator-bridge/door.sqlite3"

[[keys.server_public_keys]]
kid = "{KID}"
key = "{PUBLIC_B64}"

[keys]
badge_key_env = "BRIDGE_BADGE_KEY"

[reader]
kind = "evdev"
device = "/dev/input/by-id/usb-reader-event-kbd"
format = "dec10_le"

[gpio]
door_strike = 17
door_contact = "GPIO27"
led_green = 5
led_red = 6
buzzer = 13
door_strike_active_high = false

[door]
unlock_s = 4
held_open_s = 45

[log]
level = "debug"
"""

ENV = {"BRIDGE_MQTT_PASSWORD": PASSWORD, "BRIDGE_BADGE_KEY": BADGE_KEY_B64}


def machine_config(**sections):
    data = {
        "device": {"id": "laser-1", "kind": "machine", "resource": "laser-cutter"},
        "mqtt": {"url": "mqtt://127.0.0.1:1883", "username": "laser-1", "password": PASSWORD},
        "keys": {
            "server_public_keys": [{"kid": KID, "key": PUBLIC_B64}],
            "badge_key": BADGE_KEY_B64,
        },
        "reader": {"kind": "simulated"},
        "gpio": {"machine_relay": 22, "busy_input": 23},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return data


def load_dict(data, environ=None):
    return parse_config(dump_toml(data), environ=environ or {})


def problems_of(text, environ=None):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, environ=ENV if environ is None else environ)
    return caught.value.errors


# A valid config ------------------------------------------------------------------


def test_door_config_loads(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_text(DOOR_TOML)
    config = load_config(path, environ=ENV)
    assert config.device.id == "door-main"
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.tls) == (
        "broker.example.org",
        8883,
        True,
    )
    assert config.mqtt.resolved_password(ENV) == PASSWORD
    assert config.keys.resolved_badge_key(ENV) == BADGE_KEY
    assert config.reader.format == "dec10_le"
    assert config.gpio.door_contact == "GPIO27"
    assert config.gpio.door_strike_active_high is False
    assert config.log.level == "DEBUG"
    assert config.mqtt.reconnect_max_s == 1.0


def test_defaults_fill_what_is_left_out():
    config = load_dict(machine_config())
    assert config.mqtt.protocol == "auto"
    assert config.mqtt.request_timeout_ms == 300
    assert config.mqtt.port == 1883
    assert config.machine.warn_before_s == (600, 120)
    assert config.machine.takeover_only_when_idle is True
    assert config.policy.resend_s == 30
    assert config.door.unlock_s == 5


@pytest.mark.parametrize(
    ("kind", "gpio", "policy", "expected"),
    [
        ("machine", {"machine_relay": 22}, {}, StalePolicy.STAFF_ONLY),
        ("door", {"door_strike": 17}, {}, StalePolicy.KEEP),
        ("door", {"door_strike": 17}, {"stale": "deny_all"}, StalePolicy.DENY_ALL),
    ],
)
def test_stale_policy_defaults_by_kind(kind, gpio, policy, expected):
    data = machine_config(device={"kind": kind}, policy=policy)
    data["gpio"] = gpio
    assert load_dict(data).stale_policy is expected


def test_config_is_frozen():
    config = load_dict(machine_config())
    with pytest.raises(ValueError, match="frozen"):
        config.device.id = "other"


def test_the_config_verifier_checks_server_signatures():
    config = load_dict(machine_config())
    body = {"dev": "laser-1", "type": "cmd", "iat": 1, "exp": 2}
    assert config.keys.verifier().verify(Signer(SERVER_KEY).sign(body))


def test_two_server_keys_for_rotation():
    other = Ed25519PrivateKey.generate().public_key()
    entries = [
        {"kid": KID, "key": PUBLIC_B64},
        {"kid": key_id(other), "key": public_key_to_b64(other)},
    ]
    config = load_dict(machine_config(keys={"server_public_keys": entries}))
    assert len(config.keys.verifier().kids) == 2


# Secrets -------------------------------------------------------------------------


def test_secrets_never_show_in_repr_or_str():
    config = load_dict(machine_config())
    for text in (repr(config), str(config), repr(config.mqtt), repr(config.keys)):
        assert PASSWORD not in text
        assert BADGE_KEY_B64 not in text


def test_invalid_secrets_are_not_echoed_in_errors():
    data = machine_config(keys={"badge_key": "not-a-key-" + PASSWORD})
    data["mqtt"]["password"] = 12345
    with pytest.raises(ConfigError) as caught:
        load_dict(data)
    assert PASSWORD not in str(caught.value)
    assert "12345" not in str(caught.value)


def test_config_to_dict_masks_secrets_unless_told():
    config = load_dict(machine_config())
    masked = config_to_dict(config)
    assert masked["mqtt"]["password"] == "**********"
    assert masked["keys"]["badge_key"] == "**********"
    revealed = config_to_dict(config, reveal_secrets=True)
    assert revealed["mqtt"]["password"] == PASSWORD


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"BRIDGE_BADGE_KEY": BADGE_KEY_B64}, "mqtt.password_env: BRIDGE_MQTT_PASSWORD is not set"),
        ({"BRIDGE_MQTT_PASSWORD": "x"}, "keys.badge_key_env: BRIDGE_BADGE_KEY is not set"),
        ({**ENV, "BRIDGE_BADGE_KEY": "c2hvcnQ="}, "keys.badge_key_env: BRIDGE_BADGE_KEY: must be"),
    ],
)
def test_secrets_named_by_environment_variables_must_be_there(environ, problem):
    errors = problems_of(DOOR_TOML, environ)
    assert any(error.startswith(problem) for error in errors), errors


def test_both_missing_environment_variables_are_reported():
    assert len(problems_of(DOOR_TOML, {})) == 2


# Every problem at once ---------------------------------------------------------------

BAD_TOML = """
[device]
id = "Door Main"
kind = "gate"

[mqtt]
url = "http://broker"
keepalive_s = 2.5
pasword = "typo"

[keys]
server_public_keys = []
badge_key = "short"

[reader]
kind = "evdev"

[gpio]
door_strike = 64
buzzer = "GPIO 4"

[machine]
warn_before_s = [120, 600]

[log]
level = "loud"

[extra_section]
x = 1
"""


def test_every_problem_is_reported_at_once():
    errors = problems_of(BAD_TOML)
    expected = [
        "device.id:",
        "device.kind:",
        "mqtt.url: the URL must start with mqtt:// or mqtts://",
        "mqtt.keepalive_s:",
        "mqtt.pasword: unknown key",
        "keys.server_public_keys:",
        "keys.badge_key: must be base64 of 32 bytes",
        "reader: an evdev reader needs device",
        "gpio.door_strike: a pin number is 0 to 63",
        "gpio.buzzer: a pin name looks like",
        "machine.warn_before_s: warnings must be listed from the earliest",
        "log.level:",
        "extra_section: unknown key",
    ]
    for start in expected:
        assert any(error.startswith(start) for error in errors), (start, errors)
    assert len(errors) == len(expected)


def test_config_error_message_lists_every_problem():
    with pytest.raises(ConfigError) as caught:
        parse_config(BAD_TOML, source="bridge.toml", environ={})
    message = str(caught.value)
    assert message.startswith("bridge.toml: 13 problems:")
    assert message.count("\n  - ") == 13


def test_missing_sections_are_reported():
    errors = problems_of("")
    assert errors == ["device: missing", "mqtt: missing", "keys: missing", "reader: missing"]


INVALID = [
    ({"mqtt": {"url": "mqtt://"}}, "mqtt.url: the URL needs a host"),
    ({"mqtt": {"url": "mqtt://u:p@broker"}}, "mqtt.url: put credentials"),
    ({"mqtt": {"url": "mqtt://broker/topic"}}, "mqtt.url: the URL may hold only"),
    ({"mqtt": {"url": "mqtt://broker?x=1"}}, "mqtt.url: the URL may hold only"),
    ({"mqtt": {"url": "mqtt://broker:99999"}}, "mqtt.url: not a valid URL"),
    ({"mqtt": {"url": "mqtt://broker:0"}}, "mqtt.url: the port must be"),
    ({"mqtt": {"password_env": "X"}}, "mqtt: give password or password_env, not both"),
    ({"mqtt": {"password_env": "1X"}}, "mqtt.password_env:"),
    ({"mqtt": {"protocol": "4"}}, "mqtt.protocol:"),
    ({"mqtt": {"protocol": 5}}, "mqtt.protocol:"),
    ({"mqtt": {"reconnect_min_s": 5, "reconnect_max_s": 1}}, "mqtt: reconnect_min_s must not"),
    ({"mqtt": {"ca_file": "/ca.pem"}}, "mqtt: ca_file needs an mqtts:// URL"),
    ({"mqtt": {"request_timeout_ms": 0}}, "mqtt.request_timeout_ms:"),
    ({"mqtt": {"keepalive_s": True}}, "mqtt.keepalive_s:"),
    ({"mqtt": {"username": "door-main"}}, "config: mqtt.username must equal device.id"),
    ({"keys": {"server_public_keys": [{"kid": "0" * 16, "key": PUBLIC_B64}]}}, "kid does not"),
    ({"keys": {"server_public_keys": [{"kid": KID, "key": "AAAA"}]}}, "key is not a base64"),
    ({"keys": {"server_public_keys": [{"kid": KID, "key": PUBLIC_B64}] * 2}}, "the same key twice"),
    ({"keys": {"server_public_keys": [{"kid": KID, "key": PUBLIC_B64}] * 3}}, "at most 2"),
    ({"keys": {"badge_key_env": "K"}}, "keys: give exactly one of badge_key and badge_key_env"),
    ({"reader": {"kind": "serial"}}, "reader.kind:"),
    ({"reader": {"format": "dec8"}}, "reader.format:"),
    ({"gpio": {"busy_input": 22}}, "gpio: a pin is assigned to more than one role"),
    ({"gpio": {"machine_relay": True}}, "gpio.machine_relay:"),
    ({"gpio": {"machine_relay": 2.0}}, "gpio.machine_relay:"),
    ({"device": {"kind": "door"}}, "config: a door needs gpio.door_strike"),
    ({"device": {"resource": "Laser Cutter"}}, "device.resource:"),
    ({"machine": {"warn_before_s": [600, 600]}}, "machine.warn_before_s:"),
    ({"machine": {"warn_before_s": [0]}}, "machine.warn_before_s.0:"),
    ({"machine": {"hard_limit_s": 10}}, "machine.hard_limit_s:"),
    ({"machine": {"idle_timeout_s": "900"}}, "machine.idle_timeout_s:"),
    ({"policy": {"stale": "open"}}, "policy.stale:"),
    ({"policy": {"resend_s": 0}}, "policy.resend_s:"),
    ({"door": {"unlock_s": 0}}, "door.unlock_s:"),
    ({"store": {"path": 5}}, "store.path:"),
]


@pytest.mark.parametrize(("change", "problem"), INVALID)
def test_invalid_settings_are_reported(change, problem):
    with pytest.raises(ConfigError) as caught:
        load_dict(machine_config(**change))
    assert any(error.startswith(problem) or problem in error for error in caught.value.errors), (
        caught.value.errors
    )


def test_missing_machine_relay_is_reported():
    data = machine_config()
    data["gpio"] = {}
    with pytest.raises(ConfigError, match=r"a machine needs gpio\.machine_relay"):
        load_dict(data)


@pytest.mark.parametrize(
    ("url", "host", "port", "tls"),
    [
        ("mqtt://localhost", "localhost", 1883, False),
        ("mqtts://broker.example.org", "broker.example.org", 8883, True),
        ("mqtt://127.0.0.1:1884/", "127.0.0.1", 1884, False),
        ("mqtt://[::1]:1883", "::1", 1883, False),
    ],
)
def test_mqtt_url_parts(url, host, port, tls):
    config = load_dict(machine_config(mqtt={"url": url}))
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.tls) == (host, port, tls)


# Files -----------------------------------------------------------------------------


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "nope.toml")


def test_broken_toml_is_a_config_error():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[device\nid = 1")


def test_non_utf8_file_is_a_config_error(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_bytes(b'[device]\nid = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


# Round trip: what the server writes, the bridge reads ---------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        machine_config(),
        machine_config(
            machine={"warn_before_s": [900, 300, 60], "hard_limit_s": 14_400},
            policy={"stale": "keep"},
            mqtt={"protocol": "3.1.1", "reconnect_min_s": 0.25},
            store={"path": '/tmp/caf\u00e9 "bridge"\\store.sqlite3'},
        ),
    ],
)
def test_load_config_accepts_what_dump_toml_wrote(data):
    config = BridgeConfig.model_validate(data)
    text = dump_toml(config_to_dict(config, reveal_secrets=True))
    assert parse_config(text, environ={}) == config


def test_door_config_survives_a_round_trip():
    config = parse_config(DOOR_TOML, environ=ENV)
    again = parse_config(dump_toml(config_to_dict(config, reveal_secrets=True)), environ=ENV)
    assert again == config
