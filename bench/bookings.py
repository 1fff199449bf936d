"""Benchmark: what a booking costs, and whether it stays cheap as bookings pile up.

Not a test. It starts the real web process (gunicorn with sync workers, the
production set-up of deploy/gunicorn.conf.py, on 127.0.0.1 only) twice, each on a
database of its own: one holding 1,000 existing bookings, one holding 100,000
(SQLAlchemy core bulk inserts of bookings and their claims, spread over the resources
and three years: 33 months of history and 3 months ahead). The two take turns (three
rounds), so that whatever else the machine does weighs on both alike. It measures

- `GET /api/v1/me` (the trivial authenticated request: the baseline), and
- `POST /api/v1/bookings` (every rule, the quota check, the conflict check, claims),

first sequentially (the two alternate), then with 8 concurrent clients. It prints
the latencies and their ratios, shows the query plans of every statement a booking
runs, and writes the "Bookings" section of docs/performance.md.

    .venv/bin/python bench/bookings.py                   # SQLite, and PostgreSQL if it answers
    .venv/bin/python bench/bookings.py --databases sqlite
    .venv/bin/python bench/bookings.py --pg-url postgresql://postgres@127.0.0.1:5432/test

Targets (issue 3): a booking costs at most 3x the trivial request; the p95 of a
booking with 100,000 existing bookings is within 1.5x of the p95 with 1,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as `python bench/bookings.py`

from bench.common import (
    DEFAULT_PG,
    ROOT,
    load_average,
    postgres_answers,
    scratch_postgres,
    update_doc,
)
from bench.common import DOC as DOCS
from tests.support.mosquitto import free_port

ALWAYS_OPEN = {
    day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
WORKERS = 4
CLIENTS = 8
TENANTS = 20
SEED_LEVELS = (1_000, 100_000)
HISTORY_DAYS, AHEAD_DAYS = 33 * 30, 90  # three years: history, and the booking horizon
SEED_HOURS = range(6, 18)  # UTC hours the seeded bookings take (1 h each)
BENCH_HOURS = range(18, 22)  # UTC hours left free for the measured bookings
ROUNDS = 3  # the two seed levels take turns this many times
SEQUENTIAL_PAIRS = 50  # per round
CONCURRENT_PER_CLIENT = 10  # per round
BURSTS = 2  # per round: the concurrent requests go in bursts, GET /me and POST by turns
WARM_UP = 15
PLAN = {"room": 744, "machine": 744, "kitchen": 744}


# -- databases -------------------------------------------------------------------------


@dataclass
class Database:
    name: str
    url: str
    drop: Callable[[], None] = lambda: None


# -- the world: tenants, members, tokens, resources -----------------------------------------


@dataclass
class World:
    tokens: list[str]  # one per client, each a member of another tenant
    resource_ids: dict[str, int]
    members: list[tuple[int, int]]  # (member id, tenant id) of the seeded bookings
    env: dict[str, str] = field(default_factory=dict)


def server_env(workdir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_ENV="testing",
        INCUBATOR_SECRET_KEY="bench-secret",
        INCUBATOR_INSTANCE_PATH=str(workdir),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=url,
        INCUBATOR_SIGNING_KEY_FILE=str(workdir / "signing.key"),
        INCUBATOR_BADGE_KEY_FILE=str(workdir / "badge.key"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def bench_app(env: dict[str, str]) -> Any:
    from app import create_app

    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": env["INCUBATOR_SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": env["INCUBATOR_SQLALCHEMY_DATABASE_URI"],
            "SIGNING_KEY_FILE": env["INCUBATOR_SIGNING_KEY_FILE"],
            "BADGE_KEY_FILE": env["INCUBATOR_BADGE_KEY_FILE"],
        }
    )


def build_world(env: dict[str, str]) -> World:
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    from app.extensions import db
    from app.models import Member, Resource, ResourceKind, Role, Sector, Tenant
    from app.services.api_tokens import create_api_token
    from app.services.site import get_site_settings

    app = bench_app(env)
    rules: dict[str, Any] = {"opening_hours": ALWAYS_OPEN, "horizon_days": 365}
    with app.app_context():
        get_site_settings()
        tenants = [
            Tenant(name=f"Company {n}", slug=f"company-{n}", sector=Sector.TECH, quota_hours=PLAN)
            for n in range(TENANTS)
        ]
        members = [
            Member(email=f"m{n}@bench.example", name=f"Member {n}", role=Role.MEMBER, tenant=t)
            for n, t in enumerate(tenants)
        ]
        fablab = Resource(slug="fablab", name="Fablab", kind=ResourceKind.ROOM, **rules)
        resources = [
            Resource(slug="room-1", name="Room 1", kind=ResourceKind.ROOM, **rules),
            Resource(slug="room-2", name="Room 2", kind=ResourceKind.ROOM, **rules),
            Resource(slug="room-3", name="Room 3", kind=ResourceKind.ROOM, **rules),
            Resource(slug="kitchen", name="Kitchen", kind=ResourceKind.KITCHEN, **rules),
            fablab,
            *[
                Resource(
                    slug=slug,
                    name=slug,
                    kind=ResourceKind.MACHINE,
                    parent=fablab,
                    booking_required_for_use=True,
                    **rules,
                )
                for slug in ("laser", "cnc", "printer-1", "printer-2", "printer-3")
            ],
        ]
        db.session.add_all([*tenants, *members, *resources])
        db.session.flush()
        now = dt.datetime.now(dt.UTC)
        tokens = [
            create_api_token(member=m, name="bench", expires_at=None, now=now)[1]
            for m in members[:CLIENTS]
        ]
        world = World(
            tokens=tokens,
            resource_ids={r.slug: r.id for r in resources},
            members=[(m.id, m.tenant_id) for m in members],  # type: ignore[misc]
            env=env,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return world


# -- seeding -----------------------------------------------------------------------------------


def seed_slots(world: World, rng: random.Random) -> list[tuple[int, dt.datetime]]:
    """Every (resource, start) the seed may use, shuffled: 1 h slots that never overlap,
    on every resource but the Fablab itself (a Fablab booking claims all its machines)."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    slots = [
        (resource_id, today + dt.timedelta(days=day, hours=hour))
        for resource_id in (v for k, v in world.resource_ids.items() if k != "fablab")
        for day in range(-HISTORY_DAYS, AHEAD_DAYS)
        for hour in SEED_HOURS
    ]
    rng.shuffle(slots)
    return slots


def in_time_order(slots: list[tuple[int, dt.datetime]]) -> list[tuple[int, dt.datetime]]:
    """Insert in time order, as bookings accumulate in life (and cheaply for the SQLite
    overlap trigger, which reads the claims that end after each new one starts)."""
    return sorted(slots, key=lambda slot: (slot[1], slot[0]))


def seed(url: str, world: World, slots: list[tuple[int, dt.datetime]]) -> None:
    """Bulk insert bookings (9 in 10 confirmed, with their claim; the rest cancelled)."""
    from app.models import Booking, BookingClaim

    engine = sa.create_engine(url)
    booking_t, claim_t = Booking.__table__, BookingClaim.__table__
    created = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        first_id = (conn.execute(sa.select(sa.func.max(booking_t.c.id))).scalar() or 0) + 1
        for chunk_start in range(0, len(slots), 5_000):
            bookings, claims = [], []
            for offset, (resource_id, start) in enumerate(
                slots[chunk_start : chunk_start + 5_000], start=chunk_start
            ):
                member_id, tenant_id = world.members[offset % len(world.members)]
                booking_id = first_id + offset
                confirmed = offset % 10 != 9
                bookings.append(
                    {
                        "id": booking_id,
                        "resource_id": resource_id,
                        "tenant_id": tenant_id,
                        "booked_by_id": member_id,
                        "booked_for_id": member_id,
                        "title": "",
                        "start": start,
                        "end": start + dt.timedelta(hours=1),
                        "status": "confirmed" if confirmed else "cancelled",
                        "sequence": 0,
                        "late_change": False,
                        "note": "",
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                if confirmed:
                    claims.append(
                        {
                            "booking_id": booking_id,
                            "resource_id": resource_id,
                            "block_start": start,
                            "block_end": start + dt.timedelta(hours=1),
                        }
                    )
            conn.execute(booking_t.insert(), bookings)
            conn.execute(claim_t.insert(), claims)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('booking', 'id'), "
                "(SELECT max(id) FROM booking))"
            )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE booking")  # what autovacuum does in production
            conn.exec_driver_sql("VACUUM ANALYZE booking_claim")
    engine.dispose()


# -- the server and its clients ---------------------------------------------------------------


@contextmanager
def gunicorn(env: dict[str, str], port: int, workdir: Path) -> Iterator[None]:
    log = (workdir / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--backlog",
            "64",
            "app:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}")
            try:
                if call(port, "GET", "/api/openapi.json")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def call(port: int, method: str, path: str, **kwargs: Any) -> tuple[int, float]:
    """One request on a new connection (sync workers close it); status and seconds taken."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    try:
        connection.request(method, path, **kwargs)
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - started
    finally:
        connection.close()


class Slots:
    """Free 1 h slots for the measured bookings, handed out once each (thread-safe)."""

    def __init__(self, world: World) -> None:
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        ids = [k for k in world.resource_ids if k != "fablab"]
        self._free = iter(
            (slug, today + dt.timedelta(days=day, hours=hour))
            for day in range(2, AHEAD_DAYS)
            for hour in BENCH_HOURS
            for slug in ids
        )
        self._lock = threading.Lock()

    def take(self) -> tuple[str, dt.datetime]:
        with self._lock:
            return next(self._free)


def me(port: int, token: str) -> float:
    status, seconds = call(port, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, status
    return seconds


def book(port: int, token: str, slots: Slots) -> float:
    slug, start = slots.take()
    body = {
        "resource": slug,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
        "title": "bench",
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, seconds = call(port, "POST", "/api/v1/bookings", body=json.dumps(body), headers=headers)
    assert status == 201, status
    return seconds


@dataclass
class Sample:
    me: list[float]
    post: list[float]


def sequential(port: int, world: World, slots: Slots) -> Sample:
    sample = Sample([], [])
    for n in range(SEQUENTIAL_PAIRS):  # alternate, so drift hits both alike
        token = world.tokens[n % CLIENTS]
        sample.me.append(me(port, token))
        sample.post.append(book(port, token, slots))
    return sample


def concurrent(port: int, world: World, slots: Slots) -> Sample:
    """Bursts of one kind of request at a time (8 clients sending only GET /me, then only
    POST), by turns, so that a change in the machine's other load weighs on both alike."""
    each = CONCURRENT_PER_CLIENT // BURSTS

    def run(task: Callable[[str], float]) -> list[float]:
        results: list[list[float]] = [[] for _ in range(CLIENTS)]
        barrier = threading.Barrier(CLIENTS)

        def client(n: int) -> None:
            barrier.wait()
            results[n] = [task(world.tokens[n]) for _ in range(each)]

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [seconds for client_results in results for seconds in client_results]

    sample = Sample([], [])
    for _ in range(BURSTS):
        sample.me += run(lambda t: me(port, t))
        sample.post += run(lambda t: book(port, t, slots))
    return sample


# -- query plans -------------------------------------------------------------------------------


def query_plans(world: World) -> list[tuple[str, str]]:
    """Every SELECT a booking runs, with its plan, and the SQLite trigger's check."""
    from sqlalchemy.orm import joinedload

    from app.extensions import db
    from app.models import Member
    from app.services.bookings.lifecycle import create_booking
    from app.services.bookings.queries import resource_to_book
    from app.web import facility

    app = bench_app(world.env)
    statements: list[tuple[str, Any]] = []
    plans: list[tuple[str, str]] = []
    with app.test_request_context(), app.app_context():
        engine = db.engine

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((statement, parameters))

        member = db.session.scalar(  # with its company, as the token lookup loads it
            sa.select(Member)
            .options(joinedload(Member.tenant))
            .where(Member.email == "m0@bench.example")
        )
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=40)).replace(
            hour=BENCH_HOURS[-1], minute=30, second=0, microsecond=0
        )
        building = facility()
        sa.event.listen(engine, "before_cursor_execute", capture)
        create_booking(  # as POST /api/v1/bookings does it, after the token
            actor=member,
            resource=resource_to_book(member, "room-1"),
            start=start,
            end=start + dt.timedelta(minutes=30),
            now=dt.datetime.now(dt.UTC),
            facility=building,
        )
        sa.event.remove(engine, "before_cursor_execute", capture)
        sqlite = engine.dialect.name == "sqlite"
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            for statement, parameters in statements:
                cursor = raw.cursor()
                prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (COSTS OFF) "
                cursor.execute(prefix + statement, parameters)
                rows = cursor.fetchall()
                plan = "; ".join(str(r[-1] if sqlite else r[0]).strip() for r in rows)
                plans.append((" ".join(statement.split())[:160], plan))
            if sqlite:
                trigger = (
                    "SELECT 1 FROM booking_claim AS other WHERE other.resource_id = ? "
                    "AND other.id IS NOT ? AND other.block_start < ? AND ? < other.block_end"
                )
                cursor = raw.cursor()
                cursor.execute("EXPLAIN QUERY PLAN " + trigger, (1, 0, "2030", "2029"))
                plans.append(
                    ("(trigger booking_claim_no_overlap)", "; ".join(r[-1] for r in cursor))
                )
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return plans


# -- running and reporting ---------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Row:
    database: str
    existing: int
    mode: str
    sample: Sample

    def ms(self, values: list[float], q: int) -> float:
        return 1000 * (statistics.median(values) if q == 50 else percentile(values, q))


@dataclass
class Level:
    """One database with `existing` bookings, and the server in front of it."""

    existing: int
    world: World
    port: int
    slots: Slots
    sequential: Sample = field(default_factory=lambda: Sample([], []))
    concurrent: Sample = field(default_factory=lambda: Sample([], []))


def prepare_level(
    database: Database, existing: int, workdir: Path, started: float
) -> tuple[World, list[Any]]:
    env = server_env(workdir, database.url)
    world = build_world(env)
    seed(database.url, world, in_time_order(seed_slots(world, random.Random(3))[:existing]))
    print(f"  {database.name}: {existing:,} bookings seeded ({time.monotonic() - started:.0f} s)")
    return world, query_plans(world)


def run_database(
    name: str, databases: list[Database], workdir: Path
) -> tuple[list[Row], list[Any]]:
    """Both seed levels side by side, each on its own database and server, measured in
    alternation so that whatever else the machine does weighs on both alike."""
    started = time.monotonic()
    levels: list[Level] = []
    plans: list[Any] = []
    with ExitStack() as stack:
        for existing, database in zip(SEED_LEVELS, databases, strict=True):
            folder = workdir / str(existing)
            folder.mkdir()
            world, level_plans = prepare_level(database, existing, folder, started)
            plans = level_plans
            port = free_port()
            stack.enter_context(gunicorn(world.env, port, folder))
            levels.append(Level(existing, world, port, Slots(world)))
        for level in levels:
            for _ in range(WARM_UP):
                me(level.port, level.world.tokens[0])
                book(level.port, level.world.tokens[0], level.slots)
        for _ in range(ROUNDS):
            for level in levels:
                part = sequential(level.port, level.world, level.slots)
                level.sequential.me += part.me
                level.sequential.post += part.post
            for level in levels:
                part = concurrent(level.port, level.world, level.slots)
                level.concurrent.me += part.me
                level.concurrent.post += part.post
        print(f"  {name}: measured ({time.monotonic() - started:.0f} s)")
    rows = [Row(name, level.existing, "sequential", level.sequential) for level in levels]
    rows += [Row(name, level.existing, f"{CLIENTS} clients", level.concurrent) for level in levels]
    return rows, plans


def table(rows: list[Row]) -> list[str]:
    rows = sorted(rows, key=lambda r: (r.database, r.mode != "sequential", r.existing))
    lines = [
        "| database | existing bookings | clients | GET /me p50 / p95 (ms) "
        "| POST /bookings p50 / p95 (ms) | POST / me, p50 | POST / me, p95 | <= 3x (p50) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        s = row.sample
        ratio = row.ms(s.post, 50) / row.ms(s.me, 50)
        lines.append(
            f"| {row.database} | {row.existing:,} | {row.mode} "
            f"| {row.ms(s.me, 50):.1f} / {row.ms(s.me, 95):.1f} "
            f"| {row.ms(s.post, 50):.1f} / {row.ms(s.post, 95):.1f} "
            f"| {ratio:.2f}x | {row.ms(s.post, 95) / row.ms(s.me, 95):.2f}x "
            f"| {'met' if ratio <= 3 else 'missed'} |"
        )
    return lines


def growth(rows: list[Row]) -> list[str]:
    lines = [
        "| database | clients | POST p95 at 1,000 (ms) | POST p95 at 100,000 (ms) | ratio "
        "| <= 1.5x |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    small = {(r.database, r.mode): r for r in rows if r.existing == SEED_LEVELS[0]}
    for row in rows:
        if row.existing != SEED_LEVELS[-1]:
            continue
        base = small[(row.database, row.mode)]
        before, after = base.ms(base.sample.post, 95), row.ms(row.sample.post, 95)
        verdict = "met" if after / before <= 1.5 else "missed"
        lines.append(
            f"| {row.database} | {row.mode} | {before:.1f} | {after:.1f} "
            f"| {after / before:.2f}x | {verdict} |"
        )
    return lines


FINDINGS = [
    "What the figures say, and what was done:",
    "",
    "- **The conflict check reads the future, not the history.** Every overlap query has "
    "the shape `start < :end AND end > :start`. The first indexes ranged over the start, "
    "so each check read every claim the resource ever had (the SQLite overlap trigger too, "
    "on every insert), and the quota check every booking the company ever made. Migration "
    "0003 makes them range over the end: `booking_claim (resource_id, block_end, "
    "block_start)`, `booking (tenant_id, end, resource_id)`, `closure (resource_id, end)`. "
    "A check now reads the claims that end after the requested start: the resource's "
    "bookings still to come, which its horizon bounds, whatever the history holds. "
    "`tests/app/test_bookings_query_plans.py` keeps the SQLite plans that way; the plans "
    "below show both databases with 100,000 bookings. This round bounds both ranges from "
    "above as well: no booking lasts longer than 14 days (the resources service caps a "
    "resource's longest booking there, and a buffer at a day), so the conflict check reads "
    "only the claims ending before the requested end plus 16 days, and the quota sum only "
    "the bookings ending before the month's end plus 14 days, no longer the seed's whole 3 "
    "months ahead (about 800 future claims per resource). `tests/app/test_bookings_rules.py` "
    "ties the two bounds to those caps. The SQLite overlap trigger (a migration) still reads "
    "every claim of the resource ending after the new one starts.",
    "- **A booking costs about 2 to 3 times the trivial request** (p50). In the four runs "
    "of 27 November after the changes below (three of both databases, the tables above "
    "being the last, and one of SQLite alone), 26 of 28 rows met the 3x target: PostgreSQL 2.2x to "
    "2.4x sequential and 2.3x to 3.0x with 8 clients, SQLite 1.8x to 3.2x sequential and "
    "1.4x to 2.8x with 8 clients. The two misses, 3.17x each, were SQLite sequential "
    "at 100,000 while other work kept both cores busy (load average about 5 on 2 cores, "
    "Linux's CPU pressure `some` near 70% just after): a booking still spans more of the "
    "scheduler's time slices than `/me`, so it "
    "waits for more of them. Before this round a booking cost 3.1x to 5.7x (Indico 3.2.9: "
    "4.3x, about 55 ms). After the token lookup that "
    "`/me` runs too, a booking ran 9 statements (10 on PostgreSQL, with the tenant lock); "
    "it now runs 5 on either: the resource with its parent and machines in one query "
    "(`queries.resource_to_book`; the machines were a lazy load, the building's hours a "
    "query of their own); one `survey_slot` query (UNION ALL) for the conflicting claims, "
    "the closures and the devices to tell (three queries before); the quota sum, clipped "
    "and counted by length in the database (it loaded and added up every booking of the "
    "company's month in Python); and the writes as plain INSERTs with RETURNING, the row "
    "joining the session as if read (the ORM's unit of work cost more than the rest of "
    "the writes together): two on SQLite, and on PostgreSQL the tenant lock and one "
    "statement that writes the booking and its claims together. The "
    "building's hours are read only for a resource without hours of its own (`Facility` "
    "reads them on first use); the queries are built once with bound parameters (building "
    "a statement cost about as much as running it); the answer is assembled from the "
    "validated parts instead of being validated twice. Nothing lazy-loads while the answer "
    "is written. Kept as they were: `BEGIN IMMEDIATE` on SQLite, the exclusion constraint "
    "and trigger, the tenant lock before the quota sum, the application's conflict and "
    "closure checks with their answers, every rule.",
    "- **Where a booking's time goes now** (pyinstrument, in-process, SQLite, share of one "
    "`POST`, for a company with a few hundred bookings that month): the token lookup that "
    "`/me` runs too, 29%; Flask and Werkzeug around the request, 16%; the INSERTs, 13%; "
    "the quota sum, 11%; the resource, 8%; the commit, 7%; the survey, 6%; reading the "
    "body and writing the answer, 4%; the rules in Python, 1%. What is left is about one "
    "round trip per question a booking must ask; folding the quota sum into the survey "
    "would save one more, at the price of one query about four subjects.",
    "- **SQLite with 8 concurrent clients**: every transaction there starts with `BEGIN "
    "IMMEDIATE`, `/me` included, so requests queue for the write lock, and SQLite's busy "
    "handler waits in steps of up to 100 ms: its p95 is mostly waiting and swings from run "
    "to run, while the sequential figures stay close. On PostgreSQL bookings of different "
    "resources do not wait for each other.",
]


def machine() -> str:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs (nproc), {memory} RAM, Python {platform.python_version()}"


def write_docs(rows: list[Row], plans: dict[str, list[Any]], notes: list[str]) -> None:
    section = [
        "## Bookings",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} (load average "
        f"{load_average()} at the end, other work included) "
        "with `.venv/bin/python bench/bookings.py` "
        f"(about 2 minutes on a quiet machine; add `--databases sqlite` to skip PostgreSQL). "
        "The server is "
        f"gunicorn with {WORKERS} sync workers (as in deploy/gunicorn.conf.py) on 127.0.0.1; "
        "every request opens its own connection. Each seed level has its own database and "
        f"server, and the two take turns ({ROUNDS} rounds), so that other load on the "
        "machine weighs on both alike. The seeded bookings are spread over "
        f"{len(SEED_HOURS)} one-hour slots a day on 9 resources, 33 months back and 3 months "
        "ahead; 9 in 10 are confirmed (and hold a claim), the rest cancelled; every company "
        "has a quota plan, so each booking also runs the quota check. The measured bookings "
        "take free evening slots in the coming 3 months. Sequential: the two requests "
        f"alternate, {ROUNDS * SEQUENTIAL_PAIRS} of each; concurrent: {CLIENTS} clients, "
        f"{ROUNDS * CONCURRENT_PER_CLIENT} of each per client, in bursts (each client "
        f"sends {CONCURRENT_PER_CLIENT // BURSTS} GET /me, then all send "
        f"{CONCURRENT_PER_CLIENT // BURSTS} POST, by turns).",
        "",
        "Cost of a booking against the trivial authenticated request (target: at most 3x):",
        "",
        *table(rows),
        "",
        "Growth from 1,000 to 100,000 existing bookings (target: p95 within 1.5x):",
        "",
        *growth(rows),
        "",
        *notes,
        *FINDINGS,
        "",
        "Query plans of every SELECT a booking runs, with 100,000 existing bookings:",
        "",
    ]
    for database, database_plans in plans.items():
        section += [f"{database}:", "", "```"]
        for statement, plan in database_plans:
            section += [statement, f"    -> {plan}"]
        section += ["```", ""]
    new_doc = (
        "# Performance\n\n"
        "Benchmarks are scripts under `bench/`, not tests: each measures against a "
        "baseline taken in the same run and prints the ratios, so the figures compare "
        "across machines. Each section says how to run it again.\n\n"
        f"Machine: {machine()}.\n"
    )
    update_doc(DOCS, "## Bookings", "\n".join(section), new_doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url", default=os.environ.get("INCUBATOR_TEST_DATABASE_URL", DEFAULT_PG)
    )
    parser.add_argument("--no-docs", action="store_true", help="Do not write docs/performance.md.")
    args = parser.parse_args()
    wanted = args.databases.split(",")
    rows: list[Row] = []
    plans: dict[str, list[Any]] = {}
    notes: list[str] = []
    print(f"machine: {machine()}")
    for kind in wanted:
        with tempfile.TemporaryDirectory(prefix="incubator-bench-") as tmp, ExitStack() as stack:
            if kind == "sqlite":
                name = "SQLite"
                databases = [
                    Database(name, f"sqlite:///{Path(tmp) / f'bench-{n}.sqlite'}")
                    for n in SEED_LEVELS
                ]
            elif postgres_answers(args.pg_url):
                name = "PostgreSQL"
                databases = [
                    Database(name, stack.enter_context(scratch_postgres(args.pg_url)))
                    for _ in SEED_LEVELS
                ]
            else:
                notes.append(f"PostgreSQL did not answer at {args.pg_url}: not measured.")
                print(notes[-1])
                continue
            database_rows, database_plans = run_database(name, databases, Path(tmp))
            rows += database_rows
            plans[name] = database_plans
    print()
    print("\n".join(table(rows)))
    print()
    print("\n".join(growth(rows)))
    for database, database_plans in plans.items():
        print(f"\nquery plans, {database}, {SEED_LEVELS[-1]:,} bookings:")
        for statement, plan in database_plans:
            print(f"  {statement}\n      -> {plan}")
    if not args.no_docs:
        write_docs(rows, plans, notes)
        print(f"\nwritten: {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
