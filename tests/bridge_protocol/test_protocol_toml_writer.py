import math
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from bridge_protocol.toml_writer import dump_toml

TRICKY_STRINGS = [
    "",
    "plain",
    'say "hi"',
    "back\\slash",
    "C:\\path\\to",
    "line\nbreak",
    "tab\there",
    "cr\rlf",
    "bell\x07 and nul\x00",
    "del\x7f",
    "caf\u00e9 \u2603 \U0001f6aa",
    "'single' quotes",
    "trailing backslash\\",
    '"""',
    "# not a comment",
    "[not.a.table]",
]


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_strings_round_trip(text):
    data = {"value": text, "section": {"value": text}}
    assert tomllib.loads(dump_toml(data)) == data


@pytest.mark.parametrize(
    "key", ["plain", "with space", "dot.ted", "caf\u00e9", "", 'quote"d', "123", "a-b_c"]
)
def test_keys_round_trip(key):
    data = {key: 1, "table": {key: {key: True}}}
    assert tomllib.loads(dump_toml(data)) == data


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        2**63 - 1,
        -(2**63),
        0.1,
        -2.5,
        1e300,
        5e-324,
        1.0,
        True,
        False,
        [],
        [1, 2, 3],
        ["a", "b"],
        [[1, 2], [3, 4]],
        [True, False],
    ],
)
def test_values_round_trip_with_their_type(value):
    loaded = tomllib.loads(dump_toml({"v": value}))["v"]
    assert loaded == value
    assert type(loaded) is type(value)


def test_nested_tables_and_arrays_of_tables():
    data = {
        "top": "level",
        "device": {"id": "door-main", "kind": "door"},
        "keys": {
            "server_public_keys": [{"kid": "a", "key": "b"}, {"kid": "c", "key": "d"}],
            "badge_key_env": "K",
        },
        "only": {"nested": {"deep": {"x": 1}}},
        "empty": {},
    }
    assert tomllib.loads(dump_toml(data)) == data


def test_none_values_are_left_out():
    assert tomllib.loads(dump_toml({"a": None, "t": {"b": None, "c": 1}})) == {"t": {"c": 1}}


def test_paths_are_written_as_strings():
    assert tomllib.loads(dump_toml({"p": Path("/var/lib/x")})) == {"p": "/var/lib/x"}


def test_output_is_readable():
    text = dump_toml({"device": {"id": "door-main"}, "mqtt": {"url": "mqtt://h"}})
    assert text == '[device]\nid = "door-main"\n\n[mqtt]\nurl = "mqtt://h"\n'


@pytest.mark.parametrize("value", [datetime(2024, 1, 1), {1, 2}, object(), b"bytes"])
def test_unsupported_values_are_refused(value):
    with pytest.raises(TypeError, match="cannot write"):
        dump_toml({"v": value})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(value):
    with pytest.raises(ValueError, match="finite"):
        dump_toml({"v": value})


def test_lone_surrogates_are_refused():
    with pytest.raises(ValueError, match="surrogate"):
        dump_toml({"v": "\ud800"})


def test_mixed_arrays_are_refused():
    with pytest.raises(TypeError, match="mix"):
        dump_toml({"v": [1, {"a": 1}]})


def test_non_string_keys_are_refused():
    with pytest.raises(TypeError, match="keys are strings"):
        dump_toml({1: "x"})
