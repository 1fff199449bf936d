"""Child process for the SIGKILL test: writes events as fast as it can, reporting each written id.

    python -m tests.firmware_bridge.crash_writer STORE THREADS

An id is printed (and flushed) only after `EventRecorder.record` returned, that
is after its transaction committed; the parent kills this process with SIGKILL
at a moment of its choosing and then checks that every printed id is stored.
"""

import sys
import threading

from bridge_protocol.events import AccessDecision, DoorForced
from firmware_bridge.clock import SystemClock
from firmware_bridge.events import EventRecorder
from firmware_bridge.store import Store

_print_lock = threading.Lock()


def write_forever(recorder: EventRecorder, n: int) -> None:
    while True:
        if n % 2:
            data = AccessDecision(
                badge="04A22B1C", member=42, granted=True, reason="ok", mode="cache"
            )
        else:
            data = DoorForced()
        recorded = recorder.record(data)
        if recorded is not None and recorded.stored:
            with _print_lock:
                sys.stdout.write(recorded.id + "\n")
                sys.stdout.flush()
        n += 1


def main() -> None:
    path, threads = sys.argv[1], int(sys.argv[2])
    store = Store(path, max_outbox=1_000_000)
    store.start_boot("0a1b2c3d")
    recorder = EventRecorder(
        store=store, clock=SystemClock("sync"), device_id="door-main", boot="0a1b2c3d"
    )
    workers = [
        threading.Thread(target=write_forever, args=(recorder, i), daemon=True)
        for i in range(threads)
    ]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
