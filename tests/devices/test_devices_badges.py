import io
import queue

import pytest

from devices import BadgeReader, LineBadgeReader, ReaderClosed, SimulatedBadgeReader


def test_simulated_scan_calls_when_badge_with_the_raw_text():
    reader = SimulatedBadgeReader(reader_format="dec10_le")
    seen = []
    reader.when_badge = seen.append
    reader.scan("0012345678")
    assert seen == ["0012345678"]
    assert reader.reader_format == "dec10_le"


def test_scan_without_a_handler_is_dropped_quietly():
    SimulatedBadgeReader().scan("04A1B2C3")


def test_closed_reader_refuses_to_scan():
    with SimulatedBadgeReader() as reader:
        pass
    assert reader.closed
    with pytest.raises(ReaderClosed):
        reader.scan("01")


def test_failing_badge_handler_is_logged_not_raised(caplog):
    reader = SimulatedBadgeReader()

    def broken(raw):
        raise RuntimeError("boom")

    reader.when_badge = broken
    reader.scan("01")
    assert "event handler" in caplog.text


def test_simulated_failure_calls_when_error():
    reader = SimulatedBadgeReader()
    errors = []
    reader.when_error = errors.append
    error = OSError("reader unplugged")
    reader.fail(error)
    assert errors == [error]


def test_handler_must_be_callable():
    with pytest.raises(TypeError):
        SimulatedBadgeReader().when_badge = "not a function"


def test_every_reader_is_a_badge_reader():
    assert issubclass(SimulatedBadgeReader, BadgeReader)
    assert issubclass(LineBadgeReader, BadgeReader)


def test_line_reader_reads_one_badge_per_line():
    stream = io.StringIO("04A1B2C3\n\n  0012345678 \n")
    reader = LineBadgeReader(stream)
    seen = queue.Queue()
    reader.when_badge = seen.put
    assert reader.wait_for_end(timeout=2)
    assert [seen.get_nowait(), seen.get_nowait()] == ["04A1B2C3", "0012345678"]
    assert seen.empty()
    reader.close()


def test_line_reader_waits_for_a_handler_before_reading():
    stream = io.StringIO("04A1B2C3\n")
    reader = LineBadgeReader(stream)
    assert not reader.wait_for_end(timeout=0.05)
    assert stream.tell() == 0
    reader.close()


def test_line_reader_reports_a_failing_stream():
    class BrokenStream(io.StringIO):
        def readline(self, *args):
            raise OSError("stream gone")

    reader = LineBadgeReader(BrokenStream())
    errors = queue.Queue()
    reader.when_error = errors.put
    reader.when_badge = lambda raw: None
    assert isinstance(errors.get(timeout=2), OSError)
    reader.close()
