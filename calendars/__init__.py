"""iCalendar building and parsing; knows nothing of Flask or the database.

- `events`: `EventRecord` and single-event .ics files (e-mail attachments, downloads);
- `feed`: whole subscription feeds (`build_feed`);
- `importing`: external calendars turned into blocking intervals;
- `fetch`: downloading a calendar URL safely (no SSRF).
"""

from .events import EventRecord, single_event_ics
from .feed import FeedInfo, build_feed

__all__ = ["EventRecord", "FeedInfo", "build_feed", "single_event_ics"]
