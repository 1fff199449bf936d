"""Badge numbers: the one normaliser used by the server, the bridges and the web forms.

The canonical form of a badge is the upper-case hex of its UID bytes in the
order the card transmits them, e.g. ``04A22B1C``. Every reader format is turned
into that form here, so a badge enrolled from a web form matches the same badge
read at a door.

Accepted UID lengths are 3 to 16 bytes. The usual ISO 14443 UIDs are 4, 7 or 10
bytes, but 125 kHz cards (EM4100: 5 bytes), HID iCLASS and FeliCa (8 bytes) and
the 24 data bits of a Wiegand-26 frame (3 bytes) are real badges too; anything
shorter than 3 bytes is far more likely a typing mistake than a card.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from bridge_protocol.errors import BadgeFormatError

__all__ = [
    "CANONICAL_UID_PATTERN",
    "MAX_RAW_LENGTH",
    "MAX_UID_BYTES",
    "MIN_UID_BYTES",
    "READER_FORMATS",
    "BadgeFormatError",
    "ReaderFormat",
    "is_canonical",
    "normalize",
]

ReaderFormat = Literal["hex", "dec10_le", "dec10_be", "wiegand26", "wiegand34"]
READER_FORMATS: tuple[str, ...] = get_args(ReaderFormat)

MAX_RAW_LENGTH = 64
MIN_UID_BYTES = 3
MAX_UID_BYTES = 16

CANONICAL_UID_PATTERN = r"^(?:[0-9A-F]{2}){3,16}$"
_CANONICAL_UID = re.compile(CANONICAL_UID_PATTERN)

_HEX_SEPARATORS = re.compile(r"[:\- ]")
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]+")
_DECIMAL = re.compile(r"[0-9]+")
_FOUR_BYTE_MAX = 0xFFFF_FFFF


def normalize(raw: str, reader_format: str = "hex") -> str:
    """Return the canonical UID for `raw` as typed or sent by a reader in `reader_format`.

    Raises `BadgeFormatError` with a message meant for the person who typed it.
    """
    text = _prepare(raw)
    if reader_format == "hex":
        return _from_hex(text)
    if reader_format == "dec10_le":
        return _from_dec10(text, byteorder="little")
    if reader_format == "dec10_be":
        return _from_dec10(text, byteorder="big")
    if reader_format == "wiegand26":
        return _from_wiegand(text, frame_bits=26)
    if reader_format == "wiegand34":
        return _from_wiegand(text, frame_bits=34)
    raise BadgeFormatError(
        f"unknown reader format {reader_format!r}; expected one of {', '.join(READER_FORMATS)}"
    )


def is_canonical(uid: object) -> bool:
    """True if `uid` is already a canonical badge UID."""
    return isinstance(uid, str) and _CANONICAL_UID.fullmatch(uid) is not None


def _prepare(raw: object) -> str:
    if not isinstance(raw, str):
        raise BadgeFormatError("a badge number must be text")
    if len(raw) > MAX_RAW_LENGTH:
        raise BadgeFormatError(
            f"the badge number is too long (at most {MAX_RAW_LENGTH} characters)"
        )
    text = raw.strip()
    if not text:
        raise BadgeFormatError("the badge number is empty")
    return text


def _from_hex(text: str) -> str:
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    if not text:
        raise BadgeFormatError("the badge number has no digits")
    groups = _HEX_SEPARATORS.split(text)
    if any(group == "" for group in groups):
        raise BadgeFormatError("the badge number has a misplaced separator")
    if any(_HEX_GROUP.fullmatch(group) is None for group in groups):
        raise BadgeFormatError(
            "the badge number may contain only hexadecimal digits (0-9, A-F) "
            "and the separators ':', '-' or space"
        )
    # "4:A2:B" as printed by code that drops leading zeros: one byte per group.
    if len(groups) > 1 and all(len(group) <= 2 for group in groups):
        groups = [group.rjust(2, "0") for group in groups]
    if any(len(group) % 2 for group in groups):
        raise BadgeFormatError(
            "the badge number has an odd number of hexadecimal digits; each byte needs two digits"
        )
    digits = "".join(groups).upper()
    return _checked_length(digits)


def _checked_length(digits: str) -> str:
    size = len(digits) // 2
    if not MIN_UID_BYTES <= size <= MAX_UID_BYTES:
        raise BadgeFormatError(
            f"a badge UID has {MIN_UID_BYTES} to {MAX_UID_BYTES} bytes "
            f"({MIN_UID_BYTES * 2} to {MAX_UID_BYTES * 2} hex digits); this one has {size}"
        )
    return digits


def _from_dec10(text: str, *, byteorder: Literal["little", "big"]) -> str:
    if _DECIMAL.fullmatch(text) is None:
        raise BadgeFormatError("a decimal badge number may contain only the digits 0-9")
    if len(text) > 10:
        raise BadgeFormatError("a decimal badge number has at most 10 digits")
    value = int(text)
    if value > _FOUR_BYTE_MAX:
        raise BadgeFormatError(
            f"the decimal badge number is too large for a 4-byte UID (at most {_FOUR_BYTE_MAX})"
        )
    return value.to_bytes(4, byteorder).hex().upper()


def _from_wiegand(text: str, *, frame_bits: int) -> str:
    bits = _wiegand_bits(text, frame_bits)
    data_bits = frame_bits - 2
    split = 1 + data_bits // 2
    if bits[:split].count("1") % 2 != 0:
        raise BadgeFormatError(
            f"Wiegand {frame_bits}-bit frame fails its leading (even) parity check"
        )
    if bits[split:].count("1") % 2 != 1:
        raise BadgeFormatError(
            f"Wiegand {frame_bits}-bit frame fails its trailing (odd) parity check"
        )
    data = int(bits[1:-1], 2)
    return data.to_bytes(data_bits // 8, "big").hex().upper()


def _wiegand_bits(text: str, frame_bits: int) -> str:
    explicit_binary = text[:2] in ("0b", "0B")
    if explicit_binary:
        text = text[2:]
    if (explicit_binary or len(text) == frame_bits) and set(text) <= {"0", "1"}:
        if len(text) != frame_bits:
            raise BadgeFormatError(
                f"a Wiegand {frame_bits}-bit frame has exactly {frame_bits} bits"
            )
        return text
    if explicit_binary:
        raise BadgeFormatError("a binary Wiegand frame may contain only the digits 0 and 1")
    if _DECIMAL.fullmatch(text) is None:
        raise BadgeFormatError(
            f"a Wiegand {frame_bits}-bit frame is {frame_bits} binary digits "
            "or its value as a decimal number"
        )
    largest = (1 << frame_bits) - 1
    if len(text) > len(str(largest)) or int(text) > largest:
        raise BadgeFormatError(
            f"the number is too large for a Wiegand {frame_bits}-bit frame (at most {largest})"
        )
    return format(int(text), f"0{frame_bits}b")
