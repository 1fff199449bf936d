"""External calendars become blocking intervals in the facility's time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calendars.importing import CalendarImportError, parse_blocking_intervals

BRUSSELS = ZoneInfo("Europe/Brussels")
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2028, 1, 1, tzinfo=dt.UTC))


def ics(*events: str) -> bytes:
    body = "\r\n".join(events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + body + "\r\nEND:VCALENDAR\r\n"
    ).encode()


def parse(data: bytes):
    return parse_blocking_intervals(
        data, zone=BRUSSELS, window_start=WINDOW[0], window_end=WINDOW[1]
    )


def local(*args):
    return dt.datetime(*args, tzinfo=BRUSSELS).astimezone(dt.UTC)


def test_all_day_holidays_block_whole_local_days():
    data = ics(
        "BEGIN:VEVENT\r\nUID:xmas\r\nSUMMARY:Kerstmis\r\nDTSTART;VALUE=DATE:20261225\r\n"
        "DTEND;VALUE=DATE:20261226\r\nEND:VEVENT",
        "BEGIN:VEVENT\r\nUID:easter\r\nSUMMARY:Paasmaandag\r\nDTSTART;VALUE=DATE:20270329\r\n"
        "END:VEVENT",
    )
    xmas, easter = parse(data)
    assert (xmas.start, xmas.end) == (local(2026, 12, 25), local(2026, 12, 26))
    assert xmas.summary == "Kerstmis"
    # 29 March 2027 is in summer time: the day starts at 22:00 UTC the day before
    assert (easter.start, easter.end) == (local(2027, 3, 29), local(2027, 3, 30))
    assert easter.start == dt.datetime(2027, 3, 28, 22, 0, tzinfo=dt.UTC)


def test_weekly_maintenance_with_an_exdate_keeps_local_time_across_dst():
    data = ics(
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "END:DAYLIGHT\r\nEND:VTIMEZONE",
        "BEGIN:VEVENT\r\nUID:laser-service\r\nSUMMARY:Laser service\r\n"
        "DTSTART;TZID=Europe/Brussels:20270315T080000\r\n"
        "DTEND;TZID=Europe/Brussels:20270315T100000\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Brussels:20270322T080000\r\nEND:VEVENT",
    )
    intervals = parse(data)
    assert [i.start for i in intervals] == [
        local(2027, 3, 15, 8),
        local(2027, 3, 29, 8),
        local(2027, 4, 5, 8),
    ]
    assert all(i.end - i.start == dt.timedelta(hours=2) for i in intervals)


def test_floating_times_are_facility_local():
    data = ics(
        "BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20270601T090000\r\nDTEND:20270601T120000\r\nEND:VEVENT"
    )
    [interval] = parse(data)
    assert interval.start == local(2027, 6, 1, 9)


def test_cancelled_events_and_instants_block_nothing():
    data = ics(
        "BEGIN:VEVENT\r\nUID:c\r\nSTATUS:CANCELLED\r\nDTSTART:20270601T090000Z\r\n"
        "DTEND:20270601T100000Z\r\nEND:VEVENT",
        "BEGIN:VEVENT\r\nUID:i\r\nDTSTART:20270601T090000Z\r\nEND:VEVENT",
    )
    assert parse(data) == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a calendar at all",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
        "BEGIN:VCALENDAR\r\nSUMMARY:\udcff\r\n".encode("utf-8", "surrogateescape"),
        b"\x00\x01\x02BEGIN:VCALENDAR",
    ],
)
def test_malformed_files_give_a_clear_error(data):
    with pytest.raises(CalendarImportError):
        parse(data)


def test_oversize_files_are_refused_before_parsing():
    with pytest.raises(CalendarImportError, match="larger than"):
        parse_blocking_intervals(
            b"x" * 2000, zone=BRUSSELS, window_start=WINDOW[0], window_end=WINDOW[1], max_bytes=1000
        )


def test_endless_recurrence_is_capped():
    data = ics(
        "BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20260101T090000Z\r\nDTEND:20260101T091000Z\r\n"
        "RRULE:FREQ=HOURLY\r\nEND:VEVENT"
    )
    with pytest.raises(CalendarImportError, match="more than"):
        parse_blocking_intervals(
            data, zone=BRUSSELS, window_start=WINDOW[0], window_end=WINDOW[1], max_intervals=100
        )
