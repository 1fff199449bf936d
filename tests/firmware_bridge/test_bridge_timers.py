"""The bridge's timers: named one-shots on any scheduler, and the one-thread real-time loop."""

import threading

from devices.timing import ManualScheduler
from firmware_bridge.timers import LoopScheduler, Timers

WAIT = 20  # seconds; generous, never a measurement


def test_setting_a_name_again_replaces_its_timer():
    scheduler = ManualScheduler()
    timers = Timers(scheduler)
    fired = []
    timers.set("tick", 10, lambda: fired.append("first"))
    timers.set("tick", 20, lambda: fired.append("second"))
    scheduler.advance(30)
    assert fired == ["second"]


def test_cancel_all():
    scheduler = ManualScheduler()
    timers = Timers(scheduler)
    fired = []
    timers.set("a", 1, lambda: fired.append("a"))
    timers.set("b", 2, lambda: fired.append("b"))
    timers.cancel_all()
    scheduler.advance(5)
    assert fired == []


def test_the_loop_runs_calls_in_due_order_and_skips_cancelled_ones():
    loop = LoopScheduler()
    fired = []
    done = threading.Event()
    try:
        loop.call_later(0.06, lambda: (fired.append("last"), done.set()))
        loop.call_later(0.02, lambda: fired.append("first"))
        loop.call_later(0.04, lambda: fired.append("cancelled")).cancel()
        loop.call_later(0.0, lambda: fired.append("now"))
        assert done.wait(WAIT)
    finally:
        loop.close()
    assert fired == ["now", "first", "last"]


def test_a_failing_callback_does_not_stop_the_loop(caplog):
    loop = LoopScheduler()
    done = threading.Event()
    try:
        loop.call_later(0.0, lambda: 1 / 0)
        loop.call_later(0.01, done.set)
        assert done.wait(WAIT)
    finally:
        loop.close()
    assert "timer callback" in caplog.text


def test_close_stops_the_thread():
    loop = LoopScheduler()
    loop.call_later(3600, lambda: None)
    loop.close()
    assert not loop._thread.is_alive()
