"""A small TOML writer for the subset a bridge config needs.

Tables, arrays of tables, strings, integers, floats, booleans and arrays of
those. ``None`` values are left out (TOML has no null). Anything else is a
TypeError, so a value never turns into something `tomllib` reads differently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def dump_toml(data: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _write_table(lines, (), data, header=False)
    return "\n".join(lines).strip("\n") + "\n"


def _write_table(
    lines: list[str], path: tuple[str, ...], table: Mapping[str, Any], *, header: bool
) -> None:
    scalars, tables, arrays = _split(table)
    if header:
        lines.extend(["", f"[{_dotted(path)}]"])
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        sub_scalars, _, _ = _split(value)
        _write_table(lines, (*path, key), value, header=bool(sub_scalars) or not value)
    for key, items in arrays:
        for item in items:
            lines.extend(["", f"[[{_dotted((*path, key))}]]"])
            _write_table(lines, (*path, key), item, header=False)


def _split(table: Mapping[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
    scalars, tables, arrays = [], [], []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TypeError(f"TOML keys are strings, not {type(key).__name__}")
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif _is_array_of_tables(value):
            arrays.append((key, value))
        else:
            scalars.append((key, value))
    return scalars, tables, arrays


def _is_array_of_tables(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(item, Mapping) for item in value)
    )


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("only finite floats can be written")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, PurePath):
        return _string(str(value))
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if any(isinstance(item, Mapping) for item in value):
            raise TypeError("an array may not mix tables and values")
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} as TOML")


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            raise ValueError("a string with a lone surrogate cannot be written as TOML")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
