"""Calendar feeds: a secret link per device, and the feed each link serves.

A link (`CalendarToken`) is 192 random bits, shown once and stored as a
SHA-256, like an API token. It serves one scope: my bookings, my company's, one
resource's (privacy-filtered), or all of them (managers); its first characters
say which (`cal_m_`, `cal_t_`, `cal_r_`, `cal_s_`). A link stops working when
it is revoked, when its member or tenant is deactivated or the tenant's
contract has ended, or when its member may no longer see that scope.

The feed's bytes are built by `calendars.build_feed` (see `calendar_content`)
and cached in this process per data version, so a calendar client polling an
unchanged feed costs one query, not a rebuild.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import CalendarScope, CalendarToken, Member, Resource, Role, TenantStatus

from . import audit
from .calendar_content import (
    FeedSettings,
    FeedView,
    FeedWindow,
    data_version,
    feed_rows,
    link_lookup,
    render_feed,
)
from .errors import N_, NotFound, PermissionDenied, ValidationFailed
from .pagination import Page, paginate
from .secrets_ import hash_secret, new_secret
from .validation import clean_text

__all__ = [
    "FeedLink",
    "FeedLinks",
    "FeedSettings",
    "RenderedFeed",
    "calendar_token_page",
    "clear_feed_cache",
    "create_calendar_token",
    "feed_links",
    "get_calendar_token",
    "list_calendar_tokens",
    "may_use_scope",
    "resolve_feed_token",
    "revoke_calendar_token",
    "rotate_calendar_token",
    "serve_feed",
    "subscribable_scopes",
]

TOKEN_PREFIX = "cal_"  # noqa: S105 - a marker that makes leaked links easy to find
SECRET_BYTES = 24  # 192 random bits
MAX_TOKENS = 50  # live links per member: one per device is plenty
LAST_USED_PRECISION = dt.timedelta(hours=1)
# A change younger than this may still have company in transactions not yet
# committed with an older `updated_at`: a feed built then is cached only until
# the data has settled, and built once more after that.
SETTLE = dt.timedelta(seconds=60)


# -- links ---------------------------------------------------------------------


def subscribable_scopes(member: Member) -> list[CalendarScope]:
    """The feeds `member` may subscribe to, in the order a page offers them."""
    return _scopes(member.role, member.tenant_id)


def _scopes(role: Role, tenant_id: int | None) -> list[CalendarScope]:
    scopes = [CalendarScope.MEMBER]
    if tenant_id is not None and role != Role.MANAGER:
        scopes.append(CalendarScope.TENANT)
    scopes.append(CalendarScope.RESOURCE)
    if role == Role.MANAGER:
        scopes.append(CalendarScope.SITE)
    return scopes


def may_use_scope(member: Member, scope: CalendarScope, resource: Resource | None) -> bool:
    """Checked when a link is made and again at every fetch (roles and resources change)."""
    if scope not in subscribable_scopes(member):
        return False
    if scope == CalendarScope.RESOURCE:
        return resource is not None and resource.active
    return True


def _scope(value: str) -> CalendarScope:
    try:
        return CalendarScope(value)
    except ValueError:
        raise ValidationFailed({"scope": N_("Choose one of the listed values.")}) from None


def create_calendar_token(
    *,
    member: Member,
    scope: str,
    name: str = "",
    resource: Resource | None = None,
    now: dt.datetime,
) -> tuple[CalendarToken, str]:
    """A new link for one device; the secret is returned once and never stored."""
    chosen = _scope(scope)
    name, error = clean_text(name or chosen.value, max_length=80)
    if error:
        raise ValidationFailed({"name": error})
    if chosen == CalendarScope.RESOURCE and resource is None:
        raise ValidationFailed({"resource": N_("Choose a resource.")})
    if chosen != CalendarScope.RESOURCE and resource is not None:
        raise ValidationFailed({"resource": N_("Only a resource's calendar names a resource.")})
    if not may_use_scope(member, chosen, resource):
        raise PermissionDenied(N_("You may not subscribe to this calendar."))
    if len(list_calendar_tokens(member)) >= MAX_TOKENS:
        raise ValidationFailed(
            {"name": N_("You have too many calendar links. Revoke the ones you no longer use.")}
        )
    secret = _new_secret(chosen)
    token = CalendarToken(
        member=member,
        name=name,
        scope=chosen,
        resource=resource,
        token_hash=hash_secret(secret),
        prefix=secret[:12],
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    _audit(member, token, "calendar_token.create", name=name, scope=chosen.value)
    return token, secret


def _audit(member: Member, token: CalendarToken, action: str, **details: Any) -> None:
    audit.record(
        actor=member,
        action=action,
        object_type="calendar_token",
        object_id=token.id,
        tenant_id=member.tenant_id,
        details={"prefix": token.prefix, **details},
    )


def _live_tokens(member: Member) -> Any:
    return (
        select(CalendarToken)
        .options(joinedload(CalendarToken.resource))
        .where(CalendarToken.member_id == member.id, CalendarToken.revoked_at.is_(None))
        .order_by(CalendarToken.created_at.desc(), CalendarToken.id.desc())
    )


def list_calendar_tokens(member: Member) -> list[CalendarToken]:
    return list(db.session.scalars(_live_tokens(member)))


def calendar_token_page(member: Member, *, page: int, per_page: int) -> Page[CalendarToken]:
    return paginate(_live_tokens(member), page=page, per_page=per_page)


def get_calendar_token(member: Member, token_id: int) -> CalendarToken:
    """One of `member`'s own live links; anyone else's is NotFound, like a missing one."""
    token = db.session.get(CalendarToken, token_id)
    if token is None or token.member_id != member.id or token.revoked_at is not None:
        raise NotFound(N_("No such calendar link."))
    return token


def revoke_calendar_token(*, member: Member, token_id: int, now: dt.datetime) -> None:
    token = get_calendar_token(member, token_id)
    token.revoked_at = now
    _audit(member, token, "calendar_token.revoke")


def rotate_calendar_token(
    *, member: Member, token_id: int, name: str | None = None, now: dt.datetime
) -> tuple[CalendarToken, str]:
    """A new secret for the same device (renamed if `name`) and feed; the old link stops at once."""
    old = get_calendar_token(member, token_id)
    if name is not None:
        name, error = clean_text(name, max_length=80)
        if error:
            raise ValidationFailed({"name": error})
    old.revoked_at = now
    secret = _new_secret(old.scope)
    token = CalendarToken(
        member=member,
        name=name or old.name,
        scope=old.scope,
        resource=old.resource,
        token_hash=hash_secret(secret),
        prefix=secret[:12],
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    _audit(member, token, "calendar_token.rotate", replaces=old.id)
    return token, secret


@dataclass(frozen=True)
class FeedLinks:
    url: str
    webcal_url: str


def feed_links(secret: str, *, public_url: str) -> FeedLinks:
    """The absolute https:// link and the same as webcal:// (which opens a calendar app)."""
    url = f"{public_url.rstrip('/')}/ical/{secret}.ics"
    return FeedLinks(url=url, webcal_url="webcal://" + url.split("://", 1)[-1])


# -- serving a feed ------------------------------------------------------------


@dataclass(frozen=True)
class FeedLink:
    """A live link found by its secret: whose view it serves, its HTTP state, its data version."""

    token_id: int
    view: FeedView
    last_used_at: dt.datetime | None
    last_etag: str | None
    last_modified: dt.datetime | None
    version: tuple[Any, ...]
    newest: dt.datetime | None  # the newest change the version saw


# Built once: a statement made anew costs more to compile and cache than to run.
_LOOKUPS = {scope: link_lookup(scope) for scope in CalendarScope}
# The secret says which scope it serves ("cal_r_..."), so its lookup holds only
# what that scope needs. It gives nothing away: whoever has it has the feed.
_MARKS = {scope: scope.value[0] for scope in CalendarScope}
_SCOPE_OF_MARK = {mark: scope for scope, mark in _MARKS.items()}


def _may_still_use(link: Row[Any], today: dt.date) -> bool:
    """`Member.can_log_in`, `Tenant.contract_running` and `may_use_scope`, on the looked-up row."""
    if link.revoked_at is not None or not link.member_active:
        return False
    if link.tenant_id is not None:
        if link.tenant_status != TenantStatus.ACTIVE:
            return False
        if link.contract_start is not None and today < link.contract_start:
            return False
        if link.contract_end is not None and today > link.contract_end:
            return False
    scope = CalendarScope(link.scope)
    if scope not in _scopes(Role(link.role), link.tenant_id):
        return False
    return scope != CalendarScope.RESOURCE or bool(link.resource_active)


def resolve_feed_token(secret: str, *, now: dt.datetime, today: dt.date) -> FeedLink | None:
    """The live link behind `secret`, or None (unknown, revoked, or its member lost access).

    One query (a feed client polls: this is the whole cost of an unchanged feed).
    `today` is the facility's local date, for the tenant's contract.
    """
    scope = _scope_of(secret)
    if scope is None:
        return None
    # A Core statement on the session's connection: no ORM machinery to go through.
    lookup = db.session.connection().execute(_LOOKUPS[scope], {"token_hash": hash_secret(secret)})
    row = lookup.one_or_none()
    if row is None or not _may_still_use(row, today):
        return None
    # Written at most hourly, so a client polling every few minutes causes no writes.
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        _token(row.id).last_used_at = now
    version, newest = data_version(row)
    return FeedLink(
        token_id=row.id,
        view=FeedView.of(row),
        last_used_at=row.last_used_at,
        last_etag=row.last_etag,
        last_modified=row.last_modified,
        version=version,
        newest=newest,
    )


def _new_secret(scope: CalendarScope) -> str:
    return new_secret(f"{TOKEN_PREFIX}{_MARKS[scope]}_", SECRET_BYTES)


def _scope_of(secret: str) -> CalendarScope | None:
    if len(secret) > 100 or not secret.startswith(TOKEN_PREFIX):
        return None
    marker = secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 2]
    if len(marker) != 2 or marker[1] != "_":
        return None
    return _SCOPE_OF_MARK.get(marker[0])


def _token(token_id: int) -> CalendarToken:
    token = db.session.get(CalendarToken, token_id)
    assert token is not None
    return token


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str  # strong: a hash of the bytes, quoted
    last_modified: dt.datetime


@dataclass(frozen=True)
class _Entry:
    body: bytes
    etag: str
    valid_until: dt.datetime | None  # None: as long as the data version holds


class _FeedCache:
    """Rendered feeds by data version, least recently used first out, within a byte budget."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], now: dt.datetime) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.valid_until is not None and now >= entry.valid_until:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[Any, ...], entry: _Entry, *, budget: int) -> None:
        if len(entry.body) > budget:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > budget:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: tuple[Any, ...]) -> None:
        self._bytes -= len(self._entries.pop(key).body)


_CACHE = _FeedCache()


def clear_feed_cache() -> None:
    """Forget every rendered feed (tests and benchmarks; never needed for correctness)."""
    _CACHE.clear()


def serve_feed(
    link: FeedLink,
    *,
    now: dt.datetime,
    settings: FeedSettings,
    release: Callable[[], None] = lambda: None,
) -> RenderedFeed:
    """The feed's bytes, from the cache when its data did not change, and its HTTP state.

    When the bytes differ from the ones this link served last, its Last-Modified
    moves forward to now (never backwards, even when events only disappeared).
    A feed that must be built calls `release` once its bookings are read and
    before the CPU-bound rendering (seconds for thousands of events), so the
    caller can end its transaction: on SQLite every transaction holds the write lock.
    """
    window = FeedWindow.around(now, settings)
    key = (link.view.key, window.first_day, link.version, settings)
    entry = _CACHE.get(key, now)
    if entry is None:
        rows = feed_rows(link.view, window)
        release()
        body = render_feed(rows, link.view, window=window, settings=settings)
        unsettled = link.newest is not None and now - link.newest < SETTLE
        entry = _Entry(
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:40] + '"',
            valid_until=link.newest + SETTLE if link.newest is not None and unsettled else None,
        )
        _CACHE.put(key, entry, budget=settings.cache_bytes)
    if link.last_etag == entry.etag and link.last_modified is not None:
        return RenderedFeed(body=entry.body, etag=entry.etag, last_modified=link.last_modified)
    stamp = now.replace(microsecond=0)
    if link.last_modified is not None and stamp <= link.last_modified:
        stamp = link.last_modified + dt.timedelta(seconds=1)
    token = _token(link.token_id)
    token.last_etag, token.last_modified = entry.etag, stamp
    return RenderedFeed(body=entry.body, etag=entry.etag, last_modified=stamp)
