import pytest

from bridge_protocol.badges import READER_FORMATS, is_canonical, normalize
from bridge_protocol.errors import BadgeFormatError

# The same vectors are listed in docs/protocol.md; keep both in step.
VALID = [
    # hex: separators, case, prefix, surrounding whitespace
    ("04A22B1C", "hex", "04A22B1C"),
    ("04:a2:2b:1c", "hex", "04A22B1C"),
    ("04-A2-2B-1C", "hex", "04A22B1C"),
    ("04 a2 2b 1c", "hex", "04A22B1C"),
    ("0x04a22b1c", "hex", "04A22B1C"),
    ("0X04A22B1C", "hex", "04A22B1C"),
    ("  04A22B1C\r\n", "hex", "04A22B1C"),
    ("04A2-2B1C", "hex", "04A22B1C"),
    ("4:A2:2B:1C", "hex", "04A22B1C"),
    ("4 a2 2b 1c", "hex", "04A22B1C"),
    ("04A2231C2B3C80", "hex", "04A2231C2B3C80"),
    ("123039", "hex", "123039"),
    ("00112233445566778899AABBCCDDEEFF", "hex", "00112233445566778899AABBCCDDEEFF"),
    # dec10_le: keyboard-wedge readers type the 4-byte UID as a little-endian number
    ("0472621572", "dec10_le", "04A22B1C"),
    ("472621572", "dec10_le", "04A22B1C"),
    ("3809090348", "dec10_le", "2C1B0AE3"),
    ("0000000001", "dec10_le", "01000000"),
    ("4294967295", "dec10_le", "FFFFFFFF"),
    # dec10_be: the same number read big-endian
    ("0077736732", "dec10_be", "04A22B1C"),
    ("3809090348", "dec10_be", "E30A1B2C"),
    ("0000000001", "dec10_be", "00000001"),
    # wiegand26: even parity, 8-bit facility, 16-bit card, odd parity
    ("00001001000110000001110011", "wiegand26", "123039"),
    ("2383987", "wiegand26", "123039"),
    ("0b00001001000110000001110011", "wiegand26", "123039"),
    ("10000000100000000000000010", "wiegand26", "010001"),
    ("33685506", "wiegand26", "010001"),
    ("01111111111111111111111111", "wiegand26", "FFFFFF"),
    ("1", "wiegand26", "000000"),
    # wiegand34: even parity, 32 bits, odd parity
    ("0000001001010001000101011000111000", "wiegand34", "04A22B1C"),
    ("155473464", "wiegand34", "04A22B1C"),
    ("1000100100011010001010110011110001", "wiegand34", "12345678"),
    ("9200774385", "wiegand34", "12345678"),
    ("8589934591", "wiegand34", "FFFFFFFF"),
]


@pytest.mark.parametrize(("raw", "reader_format", "expected"), VALID)
def test_normalize_gives_canonical_uid(raw, reader_format, expected):
    assert normalize(raw, reader_format) == expected


@pytest.mark.parametrize(("raw", "reader_format", "expected"), VALID)
def test_canonical_uid_normalizes_to_itself_as_hex(raw, reader_format, expected):
    assert normalize(expected) == expected
    assert is_canonical(expected)


def test_hex_is_the_default_format():
    assert normalize("04:a2:2b:1c") == "04A22B1C"


def test_reader_formats_are_listed():
    assert READER_FORMATS == ("hex", "dec10_le", "dec10_be", "wiegand26", "wiegand34")


INVALID = [
    ("", "hex", "empty"),
    ("   \t\n", "hex", "empty"),
    ("0x", "hex", "no digits"),
    ("04A22B1", "hex", "odd number"),
    ("04A2:2B1", "hex", "odd number"),
    ("04A22B1G", "hex", "hexadecimal digits"),
    ("04A2_2B1C", "hex", "hexadecimal digits"),
    ("04::A2:2B", "hex", "misplaced separator"),
    (":04A22B1C", "hex", "misplaced separator"),
    ("04A22B1C:", "hex", "misplaced separator"),
    ("04A2", "hex", "3 to 16 bytes"),
    ("00112233445566778899AABBCCDDEEFF00", "hex", "3 to 16 bytes"),
    ("\uff10\uff14\uff21\uff12\uff12\uff22\uff11\uff23", "hex", "hexadecimal digits"),  # full-width
    ("04A2\x002B1C", "hex", "hexadecimal digits"),
    ("04A22B1C\u200b", "hex", "hexadecimal digits"),  # zero-width space is not stripped
    ("A" * 65, "hex", "too long"),
    ("4294967296", "dec10_le", "too large"),
    ("99999999999", "dec10_le", "at most 10 digits"),
    ("-1", "dec10_le", "only the digits"),
    ("+1", "dec10_be", "only the digits"),
    ("1_000", "dec10_be", "only the digits"),
    ("\uff11\uff12\uff13", "dec10_be", "only the digits"),  # full-width
    ("\u0663", "dec10_le", "only the digits"),  # Arabic-Indic digit three
    ("1e3", "dec10_le", "only the digits"),
    ("04A22B1C", "dec10_le", "only the digits"),
    ("10000000100000000000000011", "wiegand26", "fails its trailing"),
    ("00000000100000000000000010", "wiegand26", "fails its leading"),
    ("0", "wiegand26", "fails its trailing"),
    ("67108864", "wiegand26", "too large"),
    ("999999999999999999999999999", "wiegand26", "too large"),
    ("0b1010", "wiegand26", "exactly 26 bits"),
    ("0b1012", "wiegand26", "0 and 1"),
    ("12ab", "wiegand26", "decimal number"),
    ("1000000010000000000000001", "wiegand34", "too large"),
    ("17179869184", "wiegand34", "too large"),
    ("0000001001010001000101011000111001", "wiegand34", "fails its trailing"),
    ("04A22B1C", "mifare", "unknown reader format"),
    ("04A22B1C", "", "unknown reader format"),
    ("04A22B1C", "HEX", "unknown reader format"),
]


@pytest.mark.parametrize(("raw", "reader_format", "message"), INVALID)
def test_invalid_badge_numbers_are_refused_with_a_reason(raw, reader_format, message):
    with pytest.raises(BadgeFormatError, match=message):
        normalize(raw, reader_format)


def test_badge_format_error_is_a_value_error():
    with pytest.raises(ValueError, match="empty"):
        normalize("")


@pytest.mark.parametrize("raw", [None, 1234, b"04A22B1C", ["04A22B1C"]])
def test_non_text_is_refused(raw):
    with pytest.raises(BadgeFormatError, match="must be text"):
        normalize(raw)


def test_length_limit_applies_before_stripping():
    with pytest.raises(BadgeFormatError, match="too long"):
        normalize(" " * 60 + "04A22B1C")


def test_error_message_does_not_echo_the_badge_number():
    with pytest.raises(BadgeFormatError) as caught:
        normalize("04A22B1", "hex")
    assert "04A22B1" not in str(caught.value)


@pytest.mark.parametrize(
    "uid", ["04a22b1c", "04A22B1", "04A2", "04A22B1C\n", " 04A22B1C", "", None, "04:A2:2B:1C"]
)
def test_is_canonical_refuses_non_canonical_text(uid):
    assert not is_canonical(uid)


@pytest.mark.parametrize("value", [0, 1, 0x04A22B1C, 0x7FFFFFFF, 0xFFFFFFFF])
def test_dec10_le_and_be_are_byte_reversals_of_each_other(value):
    le = normalize(str(value), "dec10_le")
    be = normalize(str(value), "dec10_be")
    assert bytes.fromhex(le) == bytes.fromhex(be)[::-1]
