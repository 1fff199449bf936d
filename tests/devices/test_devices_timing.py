import threading

import pytest

from devices.timing import ManualScheduler, ThreadScheduler


def test_manual_scheduler_runs_callbacks_in_due_order():
    scheduler = ManualScheduler()
    calls = []
    scheduler.call_later(3, lambda: calls.append(("b", scheduler.now())))
    scheduler.call_later(1, lambda: calls.append(("a", scheduler.now())))
    scheduler.advance(5)
    assert calls == [("a", 1), ("b", 3)]
    assert scheduler.now() == 5


def test_manual_scheduler_skips_cancelled_callbacks():
    scheduler = ManualScheduler()
    calls = []
    handle = scheduler.call_later(1, lambda: calls.append("x"))
    handle.cancel()
    scheduler.advance(2)
    assert calls == []
    assert scheduler.pending == 0


def test_callback_scheduled_by_a_callback_runs_when_due_in_the_same_advance():
    scheduler = ManualScheduler()
    calls = []
    scheduler.call_later(1, lambda: scheduler.call_later(1, lambda: calls.append(scheduler.now())))
    scheduler.advance(1.5)
    assert calls == []
    scheduler.advance(0.5)
    assert calls == [2]


def test_manual_time_never_goes_back():
    with pytest.raises(ValueError, match="forward"):
        ManualScheduler().advance(-1)


def test_failing_callback_is_logged_and_others_still_run(caplog):
    scheduler = ManualScheduler()
    calls = []

    def broken():
        raise RuntimeError("boom")

    scheduler.call_later(1, broken)
    scheduler.call_later(2, lambda: calls.append("ok"))
    scheduler.advance(3)
    assert calls == ["ok"]
    assert "scheduled callback" in caplog.text


def test_thread_scheduler_calls_back_later():
    done = threading.Event()
    ThreadScheduler().call_later(0.01, done.set)
    assert done.wait(2)


def test_thread_scheduler_call_can_be_cancelled():
    called = threading.Event()
    handle = ThreadScheduler().call_later(0.05, called.set)
    handle.cancel()
    handle.join(2)  # threading.Timer: wait for the thread to finish
    assert not called.is_set()
