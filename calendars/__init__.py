"""iCalendar building and parsing; knows nothing of Flask or the database."""

from .events import EventRecord, single_event_ics

__all__ = ["EventRecord", "single_event_ics"]
