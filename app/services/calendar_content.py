"""What a calendar feed holds: the bookings of its scope in its window, labelled for its reader.

Read as plain columns (no ORM objects: a resource's feed may hold thousands of
bookings) and turned into `calendars.EventRecord`s, one per booking
occurrence (a series is stored as one booking per occurrence). UIDs are the
ones the single-booking .ics downloads and e-mails use, so a booking is the
same event everywhere.

Cancelled bookings (also rejected ones and no-shows) stay in the feed as
STATUS:CANCELLED, their summary starting with "Cancelled:", for
`cancelled_grace_days` after the change, then leave it (docs/calendars.md says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, ScalarSelect, Select, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.i18n import gettext_for
from app.models import (
    HOLDING_STATUSES,
    Booking,
    BookingStatus,
    CalendarScope,
    CalendarToken,
    Member,
    Privacy,
    Resource,
    Role,
    Tenant,
)
from calendars import EventRecord, FeedInfo, build_feed

from .bookings.notify import ICS_STATUS

Translate = Callable[..., str]


@dataclass(frozen=True)
class FeedSettings:
    """Everything about the facility a feed's bytes depend on (part of the cache key)."""

    zone: ZoneInfo
    public_url: str
    site_name: str
    organizer_email: str
    past_days: int = 60
    future_days: int = 365
    cancelled_grace_days: int = 7
    refresh: dt.timedelta = dt.timedelta(hours=1)
    cache_bytes: int = 64 * 1024 * 1024

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FeedSettings:
        """From the app's configuration (TIMEZONE, PUBLIC_URL, SITE_NAME, MAIL_SENDER, ICAL_*)."""
        return cls(
            zone=ZoneInfo(str(config["TIMEZONE"])),
            public_url=str(config["PUBLIC_URL"]),
            site_name=str(config["SITE_NAME"]),
            organizer_email=_address(str(config.get("MAIL_SENDER") or "")),
            past_days=int(config.get("ICAL_PAST_DAYS", 60)),
            future_days=int(config.get("ICAL_FUTURE_DAYS", 365)),
            cancelled_grace_days=int(config.get("ICAL_CANCELLED_GRACE_DAYS", 7)),
            refresh=dt.timedelta(minutes=int(config.get("ICAL_REFRESH_MINUTES", 60))),
            cache_bytes=int(config.get("ICAL_CACHE_MB", 64)) * 1024 * 1024,
        )

    @property
    def uid_host(self) -> str:
        # The same rule as bookings.notify.booking_uid (a test holds them together).
        return self.public_url.split("://")[-1].split("/")[0] or "incubator"


@lru_cache(maxsize=4)
def _address(sender: str) -> str:
    """The e-mail address of "Name <address>" (the feeds' ORGANIZER)."""
    return parseaddr(sender)[1] or "noreply@localhost"


@dataclass(frozen=True)
class FeedWindow:
    """The local days a feed covers, and since when cancelled bookings are still shown.

    Whole local days, so the window (and what it holds) changes once a day, not
    at every request: the day is part of the cache key.
    """

    first_day: dt.date
    end_day: dt.date  # exclusive
    start: dt.datetime
    end: dt.datetime
    cancelled_since: dt.datetime

    @classmethod
    def around(cls, now: dt.datetime, settings: FeedSettings) -> FeedWindow:
        today = now.astimezone(settings.zone).date()
        first = today - dt.timedelta(days=settings.past_days)
        end = today + dt.timedelta(days=settings.future_days + 1)
        grace = today - dt.timedelta(days=settings.cancelled_grace_days)
        return cls(
            first_day=first,
            end_day=end,
            start=_midnight(first, settings.zone),
            end=_midnight(end, settings.zone),
            cancelled_since=_midnight(grace, settings.zone),
        )


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class FeedView:
    """Whose eyes a feed is for: its scope and what that scope lets its reader see."""

    scope: CalendarScope
    owner_id: int
    locale: str | None
    tenant_id: int | None = None
    tenant_name: str = ""
    # Tenant feeds: tenant admins see who each booking is for; members see what and when.
    names: bool = True
    resource_ids: tuple[int, ...] = ()  # the resource, and its parent (whose bookings block it)
    resource_name: str = ""

    @classmethod
    def of(cls, link: Row[Any]) -> FeedView:
        """From a row of `link_lookup()` (a link whose access was checked)."""
        scope = CalendarScope(link.scope)
        if scope == CalendarScope.TENANT:
            return cls(
                scope,
                link.member_id,
                link.locale,
                tenant_id=link.tenant_id,
                tenant_name=link.tenant_name,
                names=link.role == Role.TENANT_ADMIN,
            )
        if scope == CalendarScope.RESOURCE:
            ids = (link.resource_id,) + ((link.parent_id,) if link.parent_id else ())
            return cls(
                scope,
                link.member_id,
                link.locale,
                resource_ids=ids,
                resource_name=link.resource_name,
            )
        return cls(scope, link.member_id, link.locale)

    @property
    def key(self) -> tuple[Any, ...]:
        """Views with equal keys see equal feeds (several devices share one rendering)."""
        if self.scope == CalendarScope.MEMBER:
            return (self.scope.value, self.owner_id, self.locale)
        if self.scope == CalendarScope.TENANT:
            return (self.scope.value, self.tenant_id, self.names, self.locale)
        if self.scope == CalendarScope.RESOURCE:
            return (self.scope.value, self.resource_ids, self.locale)
        return (self.scope.value, self.locale)

    def booking_filters(self) -> list[ColumnElement[bool]]:
        """One condition per index that finds the scope's bookings, OR-ed (none: all)."""
        if self.scope == CalendarScope.MEMBER:
            return [Booking.booked_by_id == self.owner_id, Booking.booked_for_id == self.owner_id]
        if self.scope == CalendarScope.TENANT:
            return [Booking.tenant_id == self.tenant_id]
        if self.scope == CalendarScope.RESOURCE:
            return [Booking.resource_id == rid for rid in self.resource_ids]
        return []


# -- looking a link up, with its data version ---------------------------------------


def link_lookup(scope: CalendarScope) -> Select[Any]:
    """One statement for links of `scope`: the link, what its access depends on, and
    its feed's data version.

    The data version is what the cache key needs to change whenever the feed's
    content may have changed. Every change to a booking touches its `updated_at`
    (`Booking.touch`), and a booking never leaves its resource, tenant or people,
    so the newest `updated_at` in the scope changes with any change to the
    scope's bookings: one added, moved, cancelled or approved. Each maximum is
    read from an index. Names come from resources, tenants and members (small
    tables): their newest change counts too. Bookings leave the window and the
    grace period of cancellations at midnight, and the window's day is in the
    key as well.

    Plain table columns, no ORM entities: a polled feed costs this one statement.
    One statement per scope, holding only that scope's maxima, because PostgreSQL
    plans it again at nearly every request (psycopg forgets prepared statements
    at every rollback) and each subquery adds to that.
    """
    token, member = CalendarToken.__table__.c, Member.__table__.c
    tenant, resource = Tenant.__table__.c, Resource.__table__.c
    booking = Booking.__table__.c

    def newest(*where: ColumnElement[bool]) -> ScalarSelect[Any]:
        return select(func.max(booking.updated_at)).where(*where).scalar_subquery()

    scope_maxima = {
        CalendarScope.MEMBER: [
            newest(booking.booked_by_id == token.member_id),
            newest(booking.booked_for_id == token.member_id),
        ],
        CalendarScope.TENANT: [newest(booking.tenant_id == member.tenant_id)],
        CalendarScope.RESOURCE: [
            newest(booking.resource_id == token.resource_id),
            newest(booking.resource_id == resource.parent_id),
        ],
        CalendarScope.SITE: [newest()],
    }[scope]
    name_maxima = [
        select(func.max(table.c.updated_at)).scalar_subquery()
        for table in (Resource.__table__, Tenant.__table__, Member.__table__)
    ]
    return (
        select(
            token.id,
            token.scope,
            token.revoked_at,
            token.last_used_at,
            token.last_etag,
            token.last_modified,
            token.member_id,
            token.resource_id,
            member.active.label("member_active"),
            member.role,
            member.locale,
            member.tenant_id,
            tenant.name.label("tenant_name"),
            tenant.status.label("tenant_status"),
            tenant.contract_start,
            tenant.contract_end,
            resource.name.label("resource_name"),
            resource.active.label("resource_active"),
            resource.parent_id,
            *(value.label(f"{VERSION}{n}") for n, value in enumerate(scope_maxima + name_maxima)),
        )
        .select_from(
            CalendarToken.__table__.join(Member.__table__, token.member_id == member.id)
            .outerjoin(Tenant.__table__, member.tenant_id == tenant.id)
            .outerjoin(Resource.__table__, token.resource_id == resource.id)
        )
        .where(token.token_hash == bindparam("token_hash"), token.scope == scope.value)
    )


VERSION = "version_"


def data_version(link: Row[Any]) -> tuple[tuple[Any, ...], dt.datetime | None]:
    """The version columns of a `link_lookup()` row, and the newest change among them."""
    version = tuple(value for key, value in link._mapping.items() if key.startswith(VERSION))
    stamps = [value for value in version if value is not None]
    return version, max(stamps) if stamps else None


# -- the events ------------------------------------------------------------------

BookedFor = aliased(Member, name="booked_for")
BookedBy = aliased(Member, name="booked_by")


def feed_rows(view: FeedView, window: FeedWindow) -> list[Row[Any]]:
    """The scope's bookings in the window, as plain columns (the only database read)."""
    query = (
        select(
            Booking.id,
            Booking.start,
            Booking.end,
            Booking.status,
            Booking.sequence,
            Booking.updated_at,
            Booking.title,
            Booking.booked_by_id,
            Booking.booked_for_id,
            Resource.name.label("resource_name"),
            Resource.slug.label("resource_slug"),
            Resource.privacy,
            Tenant.name.label("tenant_name"),
            BookedFor.name.label("for_name"),
            BookedBy.name.label("by_name"),
        )
        .join(Resource, Booking.resource_id == Resource.id)
        .outerjoin(Tenant, Booking.tenant_id == Tenant.id)
        .join(BookedFor, Booking.booked_for_id == BookedFor.id)
        .join(BookedBy, Booking.booked_by_id == BookedBy.id)
        .where(
            Booking.end > window.start,
            Booking.start < window.end,
            or_(
                Booking.status.in_(HOLDING_STATUSES),
                Booking.updated_at >= window.cancelled_since,
            ),
        )
    )
    filters = view.booking_filters()
    if filters:
        query = query.where(or_(*filters))
    return list(db.session.execute(query))


def _busy_label(row: Row[Any], settings: FeedSettings, _: Translate) -> str:
    """A resource feed's summary: never a person unless the resource's privacy shows them."""
    company = row.tenant_name or settings.site_name
    if row.privacy == Privacy.COMPANY:
        return _("Booked: %(company)s", company=company)
    if row.privacy == Privacy.COMPANY_AND_MEMBER:
        return _("Booked: %(company)s (%(name)s)", company=company, name=row.for_name)
    return _("Booked")


def _people(row: Row[Any], view: FeedView, _: Translate) -> list[str]:
    lines = []
    if not (view.scope == CalendarScope.MEMBER and row.booked_for_id == view.owner_id):
        lines.append(_("For: %(name)s", name=row.for_name))
    if row.booked_by_id != row.booked_for_id:
        lines.append(_("Booked by: %(name)s", name=row.by_name))
    if view.scope == CalendarScope.SITE and row.tenant_name:
        lines.append(_("Company: %(name)s", name=row.tenant_name))
    return lines


def _text(row: Row[Any], view: FeedView, settings: FeedSettings, _: Translate) -> tuple[str, str]:
    """SUMMARY and DESCRIPTION, as much as this view may show."""
    lines: list[str] = []
    if view.scope == CalendarScope.RESOURCE:
        summary = _busy_label(row, settings, _)
    elif view.scope == CalendarScope.SITE:
        who = row.title or row.tenant_name or row.for_name
        summary = f"{row.resource_name}: {who}"
        lines = _people(row, view, _)
    else:
        summary = row.title or row.resource_name
        if view.names:
            lines = _people(row, view, _)
    if row.status == BookingStatus.PENDING:
        lines.append(_("Waiting for approval."))
    return summary, "\n".join(lines)


def _record(row: Row[Any], view: FeedView, settings: FeedSettings, _: Translate) -> EventRecord:
    summary, description = _text(row, view, settings, _)
    status = ICS_STATUS.get(row.status, "CANCELLED")
    if status == "CANCELLED":
        summary = _("Cancelled: %(summary)s", summary=summary)
    base = settings.public_url.rstrip("/")
    if view.scope == CalendarScope.RESOURCE:
        url = f"{base}/resources/{row.resource_slug}"
    else:
        url = f"{base}/bookings/{row.id}"
    return EventRecord(
        uid=f"booking-{row.id}@{settings.uid_host}",
        start=row.start,
        end=row.end,
        summary=summary,
        sequence=row.sequence,
        status=status,
        location=f"{settings.site_name}: {row.resource_name}".strip(": "),
        description=description,
        url=url,
        last_modified=row.updated_at,
    )


def feed_name(view: FeedView, settings: FeedSettings) -> str:
    _ = gettext_for(view.locale)
    names = {
        CalendarScope.MEMBER: _("My bookings"),
        CalendarScope.TENANT: view.tenant_name,
        CalendarScope.RESOURCE: view.resource_name,
        CalendarScope.SITE: _("All bookings"),
    }
    return f"{names[view.scope]} · {settings.site_name}"


def render_feed(
    rows: list[Row[Any]], view: FeedView, *, window: FeedWindow, settings: FeedSettings
) -> bytes:
    """The feed's bytes from `feed_rows`: no database here, only (much) CPU."""
    _ = gettext_for(view.locale)
    records = [_record(row, view, settings, _) for row in rows]
    info = FeedInfo(
        name=feed_name(view, settings),
        organizer_name=settings.site_name,
        organizer_email=settings.organizer_email,
        zone=settings.zone,
        # The VTIMEZONE spans whole years around the window, so it (and the feed's
        # bytes) changes once a year rather than every day.
        window_start=dt.date(window.first_day.year, 1, 1),
        window_end=dt.date(window.end_day.year, 12, 31),
        refresh=settings.refresh,
    )
    return build_feed(info, records)
