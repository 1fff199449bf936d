"""The base of every message model and the one way to decode a payload.

`parse` checks the size before decoding, decodes with pydantic's JSON parser in
strict mode, and turns every failure into a `ProtocolError` whose ``reason`` is
``too_large``, ``bad_json``, ``unsupported_version`` or ``invalid``.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar, overload

import pydantic_core
from pydantic import BaseModel, ConfigDict, Strict, TypeAdapter, ValidationError

from bridge_protocol.errors import BadJson, InvalidMessage, PayloadTooLarge, UnsupportedVersion
from bridge_protocol.version import is_supported

Payload = bytes | bytearray | memoryview | str
ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")

_MAX_ERRORS_SHOWN = 3

#: Marks a field lax in Python only: callers may pass a list for a tuple or an
#: enum's value for the enum. JSON input is unaffected (arrays, enum values).
PY_LAX = Strict(False)


class WireModel(BaseModel):
    """A message or part of one: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    #: the payload limit when this model is a whole message
    MAX_BYTES: ClassVar[int] = 0


def dump(message: BaseModel) -> bytes:
    """Compact JSON of a message, ready to publish."""
    return message.model_dump_json().encode("utf-8")


@overload
def parse(model: type[ModelT], payload: Payload, *, max_bytes: int | None = None) -> ModelT: ...
@overload
def parse(model: TypeAdapter[T], payload: Payload, *, max_bytes: int) -> T: ...
def parse(model: Any, payload: Payload, *, max_bytes: int | None = None) -> Any:
    """Decode `payload` as `model` (a model class or a TypeAdapter), or raise ProtocolError."""
    limit = max_bytes if max_bytes is not None else getattr(model, "MAX_BYTES", 0)
    if limit <= 0:
        raise ValueError(f"no size limit known for {model!r}; pass max_bytes")
    data = _checked_bytes(payload, limit)
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_json(data)
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise _protocol_error(exc, data, _name_of(model)) from None


def _checked_bytes(payload: object, limit: int) -> bytes:
    if isinstance(payload, str):
        if len(payload) > limit:
            raise PayloadTooLarge(f"payload over {limit} bytes")
        try:
            data = payload.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJson("payload is not valid UTF-8") from None
    elif isinstance(payload, bytes | bytearray | memoryview):
        if len(payload) > limit:  # memoryview length is in items; bytes() below is exact
            raise PayloadTooLarge(f"payload over {limit} bytes")
        data = bytes(payload)
    else:
        raise InvalidMessage(f"payload must be bytes or text, not {type(payload).__name__}")
    if len(data) > limit:
        raise PayloadTooLarge(f"payload of {len(data)} bytes is over {limit}")
    return data


def _protocol_error(exc: ValidationError, data: bytes, name: str) -> Exception:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    if any(error["type"] == "json_invalid" for error in errors):
        return BadJson(f"{name}: not valid JSON")
    try:
        decoded = pydantic_core.from_json(data)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and "v" in decoded and not is_supported(decoded["v"]):
        return UnsupportedVersion(f"{name}: unsupported protocol version")
    return InvalidMessage(f"{name}: {describe_errors(errors)}")


def describe_errors(errors: list[Any]) -> str:
    """A short, input-free summary of pydantic errors, for logs."""
    parts = []
    for error in errors[:_MAX_ERRORS_SHOWN]:
        where = ".".join(str(part) for part in error["loc"]) or "message"
        parts.append(f"{where}: {error['msg']}")
    if len(errors) > _MAX_ERRORS_SHOWN:
        parts.append(f"and {len(errors) - _MAX_ERRORS_SHOWN} more")
    return "; ".join(parts)


def _name_of(model: Any) -> str:
    if isinstance(model, TypeAdapter):
        return "message"
    return str(getattr(model, "__name__", "message"))
