"""Event ingest: the gateway's rate (stored, committed, acked) against a bare subscriber's.

    .venv/bin/python bench/ingest.py [--events 20000] [--databases sqlite,postgresql] [--quick]

Each round makes ``--events`` real ``access.decision`` events (granted, for the
members' badges) spread over ``--devices`` registered doors, then

1. **bare**: the same payloads, QoS 1, published by as many bare clients on a
   topic outside the device tree and received by one bare paho subscriber in a
   process of its own, which only counts them. Rate = events / (last received -
   first published): what the broker and paho can move, the ceiling.
2. **gateway**: each door publishes its share on ``d/<id>/up/evt`` as the
   bridge's outbox does (at most 50 events waiting for an ack per device);
   ``incubator gateway`` (a child process) stores them in batches and acks each
   batch after its commit. Rate = events / (last ack received - first published).

Afterwards it counts the round's rows in ``access_event`` (each id exactly once)
and the acked ids: anything missing is an event lost. Bare and gateway take turns
(``--rounds``, default 3). Targets (issue 6): the gateway at least 30% of the
bare rate, 0 events lost. Prints a table and rewrites the "Ingest" section of
docs/performance.md (``--no-write`` leaves it). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as `python bench/ingest.py`

from bench.common import postgres_answers, read_proc, stop_on_sigterm
from bench.gateway_setup import (
    BARE_EVENTS,
    GatewayBench,
    add_run_options,
    close,
    connect,
    load_line,
    machine_line,
    subscribe,
    summary_line,
    write_section,
)

TITLE = "## Ingest"
TARGET = 0.30
WINDOW = 50  # the bridge's send window (firmware_bridge.daemon.BridgeOptions.send_window)
ACK_WAIT_S = 120.0


@dataclass
class Round:
    bare_rate: float
    bare_received: int
    rate: float
    acked: int
    stored: int
    events: int
    cpu_ms_per_1000: float = 0.0  # the gateway process's CPU time per 1,000 events

    @property
    def lost(self) -> int:
        return self.events - min(self.acked, self.stored)


@dataclass
class Outcome:
    database: str
    rounds: list[Round] = field(default_factory=list)
    duplicates: float = 0
    errors: float = 0
    batches: float = 0


def make_events(devices: list[Any], members: list[Any], count: int) -> dict[str, list[bytes]]:
    from tests.gateway.helpers import DeviceEvents

    streams = {device.id: DeviceEvents(device.id) for device in devices}
    payloads: dict[str, list[bytes]] = {device.id: [] for device in devices}
    for index in range(count):
        dev = devices[index % len(devices)].id
        member = members[index % len(members)]
        payloads[dev].append(streams[dev].decision(member.badge, member=member.id))
    return payloads


def bare_round(bench: GatewayBench, clients: list[Any], payloads: dict[str, list[bytes]]) -> Any:
    """Publish everything on bench topics; the counting child says when the last arrived."""
    total = sum(len(p) for p in payloads.values())
    child = bench.counter
    assert child is not None
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(f"{total}\n")
    child.stdin.flush()
    threads = []
    start = time.monotonic()
    for client, (dev, items) in zip(clients, payloads.items(), strict=True):

        def send(client: Any = client, topic: str = BARE_EVENTS + dev, items: list = items) -> None:
            for payload in items:
                client.publish(topic, payload, qos=1)

        threads.append(threading.Thread(target=send))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last, received = child.stdout.readline().split()
    # what arrived, over the time it took: with no flow control a subscriber that
    # cannot keep up loses what the broker cannot queue for it (max_queued_messages)
    return int(received) / max(1e-9, float(last) - start), int(received)


class Door:
    """One door's client: publishes its events with at most WINDOW waiting for an ack."""

    def __init__(self, client: Any, dev: str) -> None:
        from bridge_protocol import topics

        self.client = client
        self.dev = dev
        self.topic = topics.events(dev)
        self.window = threading.Semaphore(WINDOW)
        self.acked: set[str] = set()
        self.lock = threading.Lock()
        self.last_ack = 0.0
        client.on_message = self._ack
        subscribe(client, topics.event_ack(dev))

    def _ack(self, _c: Any, _u: Any, message: Any) -> None:
        body = json.loads(message.payload)
        ids = list(body.get("ids", ())) + [r["id"] for r in body.get("rejected", ())]
        with self.lock:
            fresh = [i for i in ids if i not in self.acked]
            self.acked.update(fresh)
            self.last_ack = time.monotonic()
        for _ in fresh:
            self.window.release()

    def send(self, items: list[bytes]) -> None:
        for payload in items:
            self.window.acquire()
            self.client.publish(self.topic, payload, qos=1)


def gateway_round(bench: GatewayBench, doors: list[Door], payloads: dict[str, list[bytes]]) -> Any:
    from tests.gateway.helpers import event_id

    wanted = {door.dev: {event_id(p) for p in payloads[door.dev]} for door in doors}
    for door in doors:
        with door.lock:
            door.acked.clear()
        door.window = threading.Semaphore(WINDOW)
    threads = [threading.Thread(target=d.send, args=(payloads[d.dev],)) for d in doors]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    deadline = start + ACK_WAIT_S
    while time.monotonic() < deadline:
        if all(wanted[d.dev] <= d.acked for d in doors):
            break
        time.sleep(0.005)
    end = max(d.last_ack for d in doors)
    for door in doors:  # unblock a sender still waiting on a window that never opens
        for _ in range(WINDOW):
            door.window.release()
    for thread in threads:
        thread.join(10)
    acked = sum(len(wanted[d.dev] & d.acked) for d in doors)
    total = sum(len(w) for w in wanted.values())
    return total / max(1e-9, end - start), acked, wanted


def count_stored(bench: GatewayBench, wanted: dict[str, set[str]]) -> int:
    """Rows of this round's ids; each id once (unique (device, id) makes more impossible)."""
    import sqlalchemy as sa

    from app.models import AccessEvent

    stored = 0
    with bench.system.db() as session:
        for dev, ids in wanted.items():
            found = session.scalars(
                sa.select(AccessEvent.event_id).where(AccessEvent.device_id == dev)
            ).all()
            stored += len(ids & set(found))
    return stored


def run_database(database: str, args: argparse.Namespace) -> Outcome:
    outcome = Outcome(database)
    env = {}
    if args.batch_size:
        env["INCUBATOR_GATEWAY_BATCH_SIZE"] = str(args.batch_size)
    bench = GatewayBench(
        database=database, pg_url=args.pg_url, bare_accounts=args.devices + 1, gateway_env=env
    )
    with bench:
        members = bench.seed_members(200)
        devices = bench.register_devices(args.devices)
        pid = bench.start_gateway()
        bench.wait_accounts(devices)
        bare_names = list(bench.bare)[: args.devices]
        bare_clients = [connect(bench.port, n, bench.bare[n]) for n in bare_names]
        doors = [Door(connect(bench.port, d.id, d.password), d.id) for d in devices]
        try:
            with bench.bare_responder("count") as counter:
                bench.counter = counter
                for number in range(args.rounds):
                    payloads = make_events(devices, members, args.events)
                    bare_rate, received = bare_round(bench, bare_clients, payloads)
                    cpu_before = read_proc(pid)["cpu_s"]
                    rate, acked, wanted = gateway_round(bench, doors, payloads)
                    cpu = read_proc(pid)["cpu_s"] - cpu_before
                    stored = count_stored(bench, wanted)
                    result = Round(
                        bare_rate,
                        received,
                        rate,
                        acked,
                        stored,
                        args.events,
                        cpu * 1e6 / args.events,
                    )
                    outcome.rounds.append(result)
                    print(
                        f"  {database} round {number + 1}: bare {bare_rate:,.0f}/s "
                        f"({received} received), gateway {rate:,.0f}/s "
                        f"({rate / bare_rate:.0%}); acked {acked}, stored {stored}, "
                        f"lost {result.lost}; gateway CPU {result.cpu_ms_per_1000:.0f} ms "
                        "per 1,000 events",
                        flush=True,
                    )
        finally:
            for client in bare_clients + [d.client for d in doors]:
                close(client)
        outcome.duplicates = bench.metric("gateway_events_duplicate_total")
        outcome.errors = bench.metric("gateway_handler_errors_total")
        outcome.batches = bench.metric("gateway_ingest_batches_total")
    return outcome


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| database | round | events | bare subscriber /s (received) "
        "| gateway, acked after commit /s | gateway / bare | acked | stored | lost "
        "| gateway CPU ms / 1,000 events |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for outcome in outcomes:
        for number, r in enumerate(outcome.rounds, 1):
            lines.append(
                f"| {outcome.database} | {number} | {r.events:,} "
                f"| {r.bare_rate:,.0f} ({r.bare_received:,}) "
                f"| {r.rate:,.0f} | {r.rate / r.bare_rate:.0%} | {r.acked:,} | {r.stored:,} "
                f"| {r.lost} | {r.cpu_ms_per_1000:.0f} |"
            )
    return "\n".join(lines)


def verdict(outcomes: list[Outcome]) -> str:
    parts = []
    for outcome in outcomes:
        ratios = [r.rate / r.bare_rate for r in outcome.rounds]
        lost = sum(r.lost for r in outcome.rounds)
        median = statistics.median(ratios)
        ok = median >= TARGET and lost == 0
        parts.append(
            f"{outcome.database}: gateway/bare median {median:.0%} "
            f"(rounds {min(ratios):.0%}-{max(ratios):.0%}), {lost} lost, "
            f"{outcome.errors:.0f} handler errors: {'met' if ok else 'MISSED'}"
        )
    return (
        f"Target >= {TARGET:.0%} of bare (judged on the median round: both rates swing "
        "with the shared machine) and 0 lost. " + "; ".join(parts) + "."
    )


def section(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    return f"""{TITLE}

`bench/ingest.py`, run with `.venv/bin/python bench/ingest.py` (a few minutes;
`--events N`, `--rounds N`, `--databases sqlite`, `--quick`). Mosquitto as
`incubator mqtt write-config` configures it, {args.devices} doors registered with
`register_device`, `incubator gateway` as a child process with its default
settings (batches of up to 100 events or 50 ms). Each round makes {args.events:,}
real `access.decision` events (granted, for 200 members' badges), then:

* **bare subscriber**: the same payloads published (QoS 1) by {args.devices} bare
  clients on a topic outside the device tree, received by one paho subscriber in
  a process of its own that only counts them; rate = events received / (last
  received - first published). No flow control: the ceiling of the broker and
  paho. When the subscriber falls behind, the broker drops what it cannot queue
  for it (`max_queued_messages`): the count received shows it, and the rate is
  then the subscriber's own ceiling.
* **gateway**: each door publishes its share on `d/<id>/up/evt` as the bridge's
  outbox does (at most {WINDOW} events waiting for an ack); the gateway stores each
  batch, commits, then acks; rate = events / (last ack received - first published).
  Then the round's ids are counted in `access_event` and in the acks.

Bare and gateway take turns, {args.rounds} rounds per database. Target (issue 6):
the gateway at least {TARGET:.0%} of the bare rate, and 0 events lost.

Measured {dt.date.today().isoformat()} on {machine_line()}; {load_line()} at the end,
the machine shared with other work (the load generator, the broker, the gateway and
PostgreSQL share its 2 cores).

{table(outcomes)}

{verdict(outcomes)}

How it got there. The first gateway handled each event of a batch in its own
SAVEPOINT: four round trips an event (SAVEPOINT, a SELECT for a duplicate, the
INSERT, RELEASE), 8% of the bare rate on PostgreSQL and 14% on SQLite in a first
short run (2,000 events). A batch is now handled in one go
(`app.gateway.ingest`, `app.services.device_events.store.EventBatch`): one query
reads which of its events are stored already, `(device_id = d AND event_id IN
(...)) OR ...`, one term per device (with `device_id IN (...) AND event_id IN
(...)` PostgreSQL scanned the whole table, 80 ms at 100,000 rows; a row-value IN
made SQLite scan the index), then the new rows go in with one Core INSERT of many
rows, one UPDATE marks the devices seen (each at most once a second), one
commit, the acks. If anything in a
batch fails, it is rolled back and handled again one message at a time in
SAVEPOINTs, with the same result (`gateway_ingest_batches_total{{outcome="retried_singly"}}`).
The same batch of 100 decisions, in-process without MQTT: 631 events/s on
PostgreSQL before, about 2,100 after; SQLite about 4,400. Most of what is left is
the database's own work per row (five indexes on `access_event`) and Python's
per event (pydantic parsing, SQLAlchemy's parameter handling, about 0.2 ms of
gateway CPU an event in all, MQTT included). The bare subscriber does nothing
with a message; on this shared machine its rate swings by half from round to
round, so the ratio does too: compare the median.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per round")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="the gateway's GATEWAY_BATCH_SIZE"
    )
    parser.add_argument("--databases", default=None, help="sqlite,postgresql (default: both)")
    add_run_options(parser, quick="one round of 2,000 events")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    if args.quick:
        args.events, args.rounds = 2000, 1
    if args.databases is None:
        args.databases = "sqlite,postgresql" if postgres_answers(args.pg_url) else "sqlite"
    started = time.monotonic()
    outcomes = [run_database(name.strip(), args) for name in args.databases.split(",")]
    print(table(outcomes))
    print(verdict(outcomes))
    print(summary_line(started))
    write_section(args, TITLE, lambda: section(outcomes, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
