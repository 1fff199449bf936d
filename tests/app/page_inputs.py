"""Awkward inputs the page tests throw at every form."""

SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE member;--"
UNICODE = "Ünïcødé 🚀"
TOO_LONG = "x" * 5000
ZERO_WIDTH = "Ann\u200bie"  # a zero-width space inside
CONTROL = "Ann\x07ie"  # a bell character inside
NUL = "Ann\x00ie"

# Text that no one-line name may hold: each must be refused with 422.
INVISIBLE = [ZERO_WIDTH, CONTROL, NUL, "line\nbreak", "right\u202eleft"]
# Text that is odd but valid in a name: stored as typed, shown escaped.
ODD_BUT_VALID = [SCRIPT, SQL, UNICODE]
ESCAPED_SCRIPT = b"&lt;script&gt;alert(1)&lt;/script&gt;"
