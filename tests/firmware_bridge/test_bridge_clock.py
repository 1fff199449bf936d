"""The clock: synchronisation from the kernel (or as given), and the manual clock for tests."""

import threading

from devices.timing import ManualScheduler
from firmware_bridge.clock import ManualClock, SystemClock, kernel_clock_synced


def test_sync_and_unsync_modes_are_taken_as_given():
    assert SystemClock("sync").synced()
    assert not SystemClock("unsync").synced()


def test_auto_asks_the_probe_at_most_every_recheck_interval():
    answers = iter([False, True])
    calls = []

    def probe():
        calls.append(1)
        return next(answers)

    clock = SystemClock("auto", probe=probe, recheck_s=3600)
    assert not clock.synced()
    assert not clock.synced()
    assert len(calls) == 1


def test_the_kernel_probe_answers_without_privileges():
    assert kernel_clock_synced() in (True, False)


def test_system_clock_reads_real_time():
    clock = SystemClock("sync")
    assert clock.wall_ms() > 1_700_000_000_000
    assert clock.mono_ms() > 0
    assert clock.os_boot_id()


def test_manual_clock_follows_the_scheduler():
    scheduler = ManualScheduler()
    clock = ManualClock(scheduler, wall_start_ms=1_000_000, mono_start_ms=50)
    scheduler.advance(2.5)
    assert clock.wall_ms() == 1_002_500
    assert clock.mono_ms() == 2_550
    clock.wall_offset_ms = -500
    assert clock.wall_ms() == 1_002_000
    assert clock.mono_ms() == 2_550


def test_manual_wait_records_the_timeout_and_never_blocks():
    clock = ManualClock(ManualScheduler())
    event = threading.Event()
    assert clock.wait(event, 0.3) is False
    event.set()
    assert clock.wait(event, 0.3) is True
    assert clock.waits == [0.3, 0.3]
