"""Access decisions: broker + gateway + database against a bare MQTT round trip, in one run.

    .venv/bin/python bench/access.py [--rounds 1000] [--database sqlite|postgresql] [--quick]

1. **baseline**: a bare request/response on the same broker: two paho clients
   (the requester here, an echo responder in a process of its own), QoS 1 both
   ways, the request the size of a real access request and the answer the size
   of a real signed decision, Nagle off on both sockets and on the broker.
2. **access request**: a registered door (its broker account made by the
   gateway, as in production) publishes a real ``AccessRequest`` for a member's
   badge on ``d/<id>/up/req/auth``; ``incubator gateway`` (a child process, on
   its own database) answers on ``d/<id>/down/res/auth``. Timed from the
   publish to the arrival of the answer; every answer is then checked as the
   bridge checks it (Ed25519 signature, ``req`` echoed, granted).

The two take turns in blocks, so that whatever else the machine does weighs on
both alike. Targets (issue 6): p50 at most 3x and p99 at most 5x the baseline's.
Prints a table and rewrites the "Access decisions" section of docs/performance.md
(``--no-write`` leaves it). A benchmark, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as `python bench/access.py`

from bench.common import pct, postgres_answers, stop_on_sigterm
from bench.gateway_setup import (
    BARE_REQUEST,
    BARE_RESPONSE,
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

TITLE = "## Access decisions"
P50_TARGET, P99_TARGET = 3.0, 5.0
PAUSE_S = 0.002  # between requests: one badge at a time
TIMEOUT_S = 2.0
BLOCKS = 5


@dataclass
class Series:
    name: str
    samples_ms: list[float]
    lost: int = 0
    wrong: int = 0


def sample_payloads(dev: str, badge: str) -> tuple[bytes, int]:
    """A real request's bytes, and the size of a real signed answer to it."""
    from bridge_protocol import keys
    from bridge_protocol.access import AccessRequest, AccessResponse
    from bridge_protocol.messages import dump
    from bridge_protocol.reasons import DecisionReason
    from bridge_protocol.signing import Signer
    from bridge_protocol.wire import now_ms

    ts = now_ms()
    request = AccessRequest(req=str(uuid.uuid4()), dev=dev, badge=badge, ts=ts, exp=ts + 5000)
    answer = AccessResponse(
        dev=dev,
        iat=ts,
        exp=ts + 5000,
        req=request.req,
        granted=True,
        reason=DecisionReason.OK,
        member=123,
        staff=False,
        max_s=None,
    )
    return dump(request), len(Signer(keys.generate_signing_key()).sign(answer))


class RoundTrip:
    """One requester: publish, wait for the answer on its own thread's event."""

    def __init__(self, client: Any, request_topic: str, response_topic: str) -> None:
        self.client = client
        self.request_topic = request_topic
        self.arrived = threading.Event()
        self.stamp = 0
        self.payload = b""
        client.on_message = self._received
        subscribe(client, response_topic)

    def _received(self, _c: Any, _u: Any, message: Any) -> None:
        self.stamp = time.perf_counter_ns()
        self.payload = bytes(message.payload)
        self.arrived.set()

    def once(self, payload: bytes) -> tuple[float | None, bytes]:
        self.arrived.clear()
        start = time.perf_counter_ns()
        self.client.publish(self.request_topic, payload, qos=1)
        if not self.arrived.wait(TIMEOUT_S):
            return None, b""
        return (self.stamp - start) / 1e6, self.payload


def run(args: argparse.Namespace) -> tuple[Series, Series, dict[str, Any]]:
    from bridge_protocol import topics
    from bridge_protocol.access import AccessRequest, AccessResponse
    from bridge_protocol.messages import dump
    from bridge_protocol.signing import Verifier
    from bridge_protocol.wire import now_ms

    # The door asks one request after the other, far faster than a person badges:
    # the per-device rate limit (10 a second) is raised for it, not switched off.
    bench = GatewayBench(
        database=args.database,
        pg_url=args.pg_url,
        bare_accounts=2,
        gateway_env={"INCUBATOR_GATEWAY_AUTH_RATE_PER_S": "100000"},
    )
    with bench:
        member = bench.seed_members(50)[7]
        (door,) = bench.register_devices(1)
        bench.start_gateway()
        bench.wait_accounts([door])
        verifier = Verifier.from_keys(bench.signer_public_key())
        request_bytes, answer_size = sample_payloads(door.id, member.badge)
        bare_name = next(iter(bench.bare))

        baseline = Series("baseline: bare MQTT request/response", [])
        ours = Series("access request: broker + gateway + database", [])
        with bench.bare_responder("echo", size=answer_size):
            bare = RoundTrip(
                connect(bench.port, bare_name, bench.bare[bare_name]), BARE_REQUEST, BARE_RESPONSE
            )
            device = RoundTrip(
                connect(bench.port, door.id, door.password),
                topics.auth_request(door.id),
                topics.auth_response(door.id),
            )
            try:
                per_block = max(1, args.rounds // BLOCKS)
                for block in range(BLOCKS + 1):  # block 0 warms both up
                    for _ in range(args.warmup if block == 0 else per_block):
                        elapsed, _payload = bare.once(request_bytes)
                        if elapsed is None:
                            baseline.lost += 1
                        elif block:
                            baseline.samples_ms.append(elapsed)
                        time.sleep(PAUSE_S)
                    for _ in range(args.warmup if block == 0 else per_block):
                        ts = now_ms()
                        request = AccessRequest(
                            req=str(uuid.uuid4()),
                            dev=door.id,
                            badge=member.badge,
                            ts=ts,
                            exp=ts + 5000,
                        )
                        elapsed, answer = device.once(dump(request))
                        if elapsed is None:
                            ours.lost += 1
                            continue
                        body = AccessResponse.model_validate_json(verifier.verify(answer))
                        if body.req != request.req or not body.granted:
                            ours.wrong += 1
                        elif block:
                            ours.samples_ms.append(elapsed)
                        time.sleep(PAUSE_S)
            finally:
                close(bare.client)
                close(device.client)
        extra = {
            "request_bytes": len(request_bytes),
            "answer_bytes": answer_size,
            "answered": bench.metric("gateway_auth_answered_total"),
            "errors": bench.metric("gateway_handler_errors_total"),
        }
    return baseline, ours, extra


def table(baseline: Series, ours: Series) -> str:
    lines = [
        "| measurement | n | p50 ms | p95 ms | p99 ms | p50 / baseline | p99 / baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for series in (baseline, ours):
        ratios = ["", ""]
        if series is ours and baseline.samples_ms:
            ratios = [
                f"{pct(ours.samples_ms, q) / pct(baseline.samples_ms, q):.2f}x" for q in (50, 99)
            ]
        note = ""
        if series.lost or series.wrong:
            note = f" ({series.lost} unanswered, {series.wrong} wrong)"
        s = series.samples_ms
        lines.append(
            f"| {series.name}{note} | {len(s)} | {pct(s, 50):.3f} | {pct(s, 95):.3f} "
            f"| {pct(s, 99):.3f} | {ratios[0]} | {ratios[1]} |"
        )
    return "\n".join(lines)


def verdict(baseline: Series, ours: Series) -> str:
    r50 = pct(ours.samples_ms, 50) / pct(baseline.samples_ms, 50)
    r99 = pct(ours.samples_ms, 99) / pct(baseline.samples_ms, 99)
    ok50, ok99 = r50 <= P50_TARGET, r99 <= P99_TARGET
    return (
        f"Targets: p50 <= {P50_TARGET:g}x baseline: {'met' if ok50 else 'MISSED'} ({r50:.2f}x); "
        f"p99 <= {P99_TARGET:g}x baseline: {'met' if ok99 else 'MISSED'} ({r99:.2f}x)."
    )


def section(baseline: Series, ours: Series, args: argparse.Namespace, extra: dict[str, Any]) -> str:
    return f"""{TITLE}

`bench/access.py`, run with `.venv/bin/python bench/access.py` (about a minute;
`--rounds N` changes the {args.rounds} round trips per measurement, `--database
postgresql` the database; `--quick` for a short run). Everything runs on 127.0.0.1
against Mosquitto configured by `incubator mqtt write-config` (dynamic-security
plugin, `set_tcp_nodelay true`); every client turns Nagle off on its socket
(paho does not by itself).

* **baseline**: two paho clients, one publishes a request ({extra["request_bytes"]}
  bytes, QoS 1) and waits for the other's answer ({extra["answer_bytes"]} bytes, QoS 1);
  the answering client runs in a process of its own.
* **access request**: a door registered with `register_device` (its broker account
  made by the gateway) publishes a real `AccessRequest` for a member's badge;
  `incubator gateway` runs as a child process on its own database
  ({args.database}) and answers from its decision snapshot. Timed from the publish
  to the answer's arrival; each answer is then verified as the bridge does
  (signature, `req`, granted). The per-device rate limit is raised for the run
  (one door asking hundreds of times a second).

The two take turns in {BLOCKS} blocks after a warm-up, {PAUSE_S * 1000:g} ms between
requests. Targets (issue 6): p50 at most {P50_TARGET:g}x and p99 at most
{P99_TARGET:g}x the baseline's.

Measured {dt.date.today().isoformat()} on {machine_line()}; {load_line()} at the end,
the machine shared with other work.

{table(baseline, ours)}

{verdict(baseline, ours)}

What the gateway adds to the bare round trip: parsing and validating the request
(pydantic), the decision from the snapshot in memory (no database, no write),
the Ed25519 signature of the answer (about 0.1 ms) and the answer's publish,
all on paho's network thread, which reads the request and writes the answer
without a hand-off to another thread. The database is read only when the outbox
worker reloads the snapshot, never for a request.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1000, help="round trips per measurement")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default=None)
    add_run_options(parser, quick="a short run (100 round trips)")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    if args.quick:
        args.rounds, args.warmup = 100, 10
    if args.database is None:
        args.database = "postgresql" if postgres_answers(args.pg_url) else "sqlite"
    started = time.monotonic()
    baseline, ours, extra = run(args)
    print(table(baseline, ours))
    print(verdict(baseline, ours))
    print(
        f"{summary_line(started)}; "
        f"gateway answered {extra['answered']:.0f}, handler errors {extra['errors']:.0f}"
    )
    write_section(args, TITLE, lambda: section(baseline, ours, args, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
