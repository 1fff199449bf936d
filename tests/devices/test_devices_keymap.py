import pytest
from evdev import ecodes

from devices.keymap import CHARACTERS, END_KEYS, KEY_PRESSED, KEY_RELEASED, KeyTranslator


def press(translator, *names, timestamp=None):
    """Press and release each named key; return the badges that came out."""
    badges = []
    for name in names:
        code = ecodes.ecodes[name]
        badges.append(translator.feed(code, KEY_PRESSED, timestamp))
        badges.append(translator.feed(code, KEY_RELEASED, timestamp))
    return [badge for badge in badges if badge is not None]


def test_key_table_matches_the_kernel_codes():
    expected = {ecodes.ecodes[f"KEY_{c}"]: c for c in "0123456789ABCDEF"}
    expected |= {ecodes.ecodes[f"KEY_KP{d}"]: d for d in "0123456789"}
    assert expected == CHARACTERS
    assert {ecodes.KEY_ENTER, ecodes.KEY_KPENTER} == END_KEYS


def test_digits_then_enter_make_a_badge():
    assert press(KeyTranslator(), "KEY_0", "KEY_4", "KEY_2", "KEY_ENTER") == ["042"]


def test_keypad_digits_and_keypad_enter_work_too():
    assert press(KeyTranslator(), "KEY_KP1", "KEY_KP9", "KEY_KPENTER") == ["19"]


def test_hex_letters_come_out_upper_case_and_shift_is_ignored():
    keys = ["KEY_LEFTSHIFT", "KEY_A", "KEY_1", "KEY_RIGHTSHIFT", "KEY_F", "KEY_C", "KEY_ENTER"]
    assert press(KeyTranslator(), *keys) == ["A1FC"]


def test_auto_repeat_does_not_type_twice():
    translator = KeyTranslator()
    translator.feed(ecodes.KEY_7, KEY_PRESSED)
    translator.feed(ecodes.KEY_7, 2)
    assert press(translator, "KEY_ENTER") == ["7"]


def test_keys_that_are_not_badge_characters_are_ignored():
    assert press(KeyTranslator(), "KEY_1", "KEY_SPACE", "KEY_Z", "KEY_2", "KEY_ENTER") == ["12"]


def test_enter_alone_gives_no_badge():
    assert press(KeyTranslator(), "KEY_ENTER") == []


def test_translator_is_ready_for_the_next_badge():
    translator = KeyTranslator()
    assert press(translator, "KEY_1", "KEY_ENTER", "KEY_2", "KEY_ENTER") == ["1", "2"]


def test_a_half_typed_badge_is_dropped_after_a_pause():
    translator = KeyTranslator(max_gap=0.5)
    press(translator, "KEY_9", "KEY_9", timestamp=10.0)
    assert press(translator, "KEY_1", "KEY_ENTER", timestamp=11.0) == ["1"]


def test_keys_within_the_gap_belong_to_one_badge():
    translator = KeyTranslator(max_gap=0.5)
    press(translator, "KEY_1", timestamp=10.0)
    assert press(translator, "KEY_2", "KEY_ENTER", timestamp=10.3) == ["12"]


def test_an_over_long_badge_is_dropped_whole():
    translator = KeyTranslator(max_length=4)
    assert press(translator, *["KEY_1"] * 5, "KEY_ENTER") == []
    assert press(translator, "KEY_2", "KEY_ENTER") == ["2"]


def test_max_length_must_be_positive():
    with pytest.raises(ValueError, match="max_length"):
        KeyTranslator(max_length=0)
