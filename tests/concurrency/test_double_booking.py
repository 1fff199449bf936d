"""No double booking, ever: 20 clients ask for overlapping slots at the same moment,
through the real app (gunicorn, 4 processes x 5 threads), on SQLite and PostgreSQL.

Exactly one request wins (201), the 19 others get 409, and the database holds only
the winner's booking. Each scenario runs several rounds, on a new day each time, to
give a race every chance to show; nothing here depends on timing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.concurrency.racing import CLIENTS, World, post_json

pytestmark = [pytest.mark.db, pytest.mark.timeout(600)]

ROUNDS = 5
BRUSSELS = ZoneInfo("Europe/Brussels")


def race(world: World, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Send every body at once, one client (and one member's token) each."""
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[int, Any] | None] = [None] * len(bodies)

    def client(n: int) -> None:
        barrier.wait(timeout=30)
        answers[n] = post_json(world.port, "/api/v1/bookings", world.tokens[n], bodies[n])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers), "a client got no answer"
    return answers  # type: ignore[return-value]


def day(round_: int, offset_days: int) -> dt.date:
    """A day of its own for each scenario and round, a few weeks ahead."""
    return dt.datetime.now(BRUSSELS).date() + dt.timedelta(days=14 + offset_days + 30 * round_)


def at(date: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime(date.year, date.month, date.day, hour, minute).isoformat()


def holding(world: World, slugs: list[str], date: dt.date) -> list[tuple[Any, ...]]:
    """The pending or confirmed bookings on these resources that start on `date` (UTC day
    boundaries widened by a day on each side, the slots are mid-day)."""
    ids = [world.resource_ids[slug] for slug in slugs]
    start = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC) - dt.timedelta(days=1)
    booking = sa.table(
        "booking",
        sa.column("id"),
        sa.column("resource_id"),
        sa.column("start"),
        sa.column("status"),
        sa.column("series_id"),
    )
    query = sa.select(booking.c.id, booking.c.resource_id, booking.c.series_id).where(
        booking.c.resource_id.in_(ids),
        booking.c.status.in_(["pending", "confirmed"]),
        booking.c.start >= _db_time(world, start),
        booking.c.start < _db_time(world, start + dt.timedelta(days=3)),
    )
    with world.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def _db_time(world: World, moment: dt.datetime) -> Any:
    # SQLite keeps naive UTC text; PostgreSQL compares timestamptz.
    return moment.replace(tzinfo=None) if world.engine.dialect.name == "sqlite" else moment


def no_overlapping_claims(world: World) -> bool:
    query = sa.text(
        "SELECT count(*) FROM booking_claim a JOIN booking_claim b "
        "ON a.resource_id = b.resource_id AND a.id < b.id "
        "AND a.block_start < b.block_end AND b.block_start < a.block_end"
    )
    with world.engine.connect() as conn:
        return conn.execute(query).scalar_one() == 0


def assert_one_winner(answers: list[tuple[int, Any]]) -> dict[str, Any]:
    statuses = Counter(status for status, _body in answers)
    assert statuses == {201: 1, 409: CLIENTS - 1}, [a for a in answers if a[0] not in (201, 409)]
    for status, body in answers:
        if status == 409:
            assert body["error"] == "conflict"
            assert body["conflicts"], body
    return next(body for status, body in answers if status == 201)


Scenario = Callable[[int], list[dict[str, Any]]]


def one_room(round_: int) -> list[dict[str, Any]]:
    """20 overlapping slots on one room: starts 10:00, 10:15 and 10:30, an hour each."""
    date = day(round_, 0)
    return [
        {"resource": "room", "start": at(date, 10, 15 * (n % 3)), "end": at(date, 11, 15 * (n % 3))}
        for n in range(CLIENTS)
    ]


def parent_and_child(round_: int) -> list[dict[str, Any]]:
    """Half ask for the whole Fablab (a workshop), half for the laser inside it."""
    date = day(round_, 1)
    return [
        {"resource": "fablab", "start": at(date, 10), "end": at(date, 12)}
        if n % 2
        else {"resource": "laser", "start": at(date, 10, 30), "end": at(date, 11, 30)}
        for n in range(CLIENTS)
    ]


def series_and_single(round_: int) -> list[dict[str, Any]]:
    """Half ask for a weekly series of 4; half for one booking that hits its 3rd occurrence."""
    date = day(round_, 2)
    third = date + dt.timedelta(days=14)
    return [
        {
            "resource": "studio",
            "start": at(date, 10),
            "end": at(date, 11),
            "recurrence": "FREQ=WEEKLY;COUNT=4",
        }
        if n % 2
        else {"resource": "studio", "start": at(third, 10, 30), "end": at(third, 11, 30)}
        for n in range(CLIENTS)
    ]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_twenty_clients_one_room_one_winner(world, round_):
    winner = assert_one_winner(race(world, one_room(round_)))
    stored = holding(world, ["room"], day(round_, 0))
    assert [row[0] for row in stored] == [winner["id"]]
    assert no_overlapping_claims(world)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_whole_fablab_against_one_of_its_machines_one_winner(world, round_):
    winner = assert_one_winner(race(world, parent_and_child(round_)))
    stored = holding(world, ["fablab", "laser", "cnc"], day(round_, 1))
    assert [row[0] for row in stored] == [winner["id"]]
    assert no_overlapping_claims(world)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_series_against_a_single_booking_one_winner(world, round_):
    winner = assert_one_winner(race(world, series_and_single(round_)))
    date = day(round_, 2)
    stored = {
        row[0]
        for offset in range(0, 28, 7)
        for row in holding(world, ["studio"], date + dt.timedelta(days=offset))
    }
    assert stored == {occurrence["id"] for occurrence in winner["occurrences"]}
    assert len(stored) in (1, 4)
    assert no_overlapping_claims(world)
