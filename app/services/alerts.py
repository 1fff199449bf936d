"""Alerts to managers: a forced door, a door held open, a device offline.

The jobs runner's `alerts.check` calls `check_alerts` every minute. Each pass
looks at what the devices reported (`access_event`) and their presence
(`device`), opens a `DeviceAlert` for every incident it has not seen before and
mails the managers about it once, in each one's language; incidents that are
over (the door closed, the device came back) are cleared, with a short note to
the managers who were told, if `AlertSettings.resolved_mail`.

Incidents, per active device:

- forced door: every ``door.forced`` event (told even when the door shut again
  before the pass found it), open until a later ``door.closed``;
- held open: the door's last contact event (``door.opened`` or ``door.forced``,
  no ``door.closed`` after it) is older than `held_open_minutes`;
- offline: a pass saw the device offline `offline_minutes` ago and it has not
  come back since (a device never seen is not reported).

"Later" means stored later (a larger row id): a device sends its events in
order, so this holds even when its clock was not synchronised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import format_local, gettext_for
from app.models import AccessEvent, AlertKind, Device, DeviceAlert, DeviceKind, Member
from bridge_protocol.events import EventType

from .bookings.lifecycle import Facility
from .mail import queue_mail
from .members import managers_wanting

#: how far back a pass looks for forced doors (one older than this is history)
FORCED_LOOKBACK = dt.timedelta(days=1)
DOOR_CONTACT = (EventType.DOOR_OPENED, EventType.DOOR_FORCED, EventType.DOOR_CLOSED)


@dataclass(frozen=True)
class AlertSettings:
    forced_door: bool = True
    held_open_minutes: int = 5  # 0: off
    offline_minutes: int = 10  # 0: off
    resolved_mail: bool = True

    def enabled_kinds(self) -> set[AlertKind]:
        kinds = {AlertKind.FORCED_DOOR} if self.forced_door else set()
        if self.held_open_minutes > 0:
            kinds.add(AlertKind.HELD_OPEN)
        if self.offline_minutes > 0:
            kinds.add(AlertKind.OFFLINE)
        return kinds

    @classmethod
    def from_config(cls, config: dict[str, object]) -> AlertSettings:
        def minutes(name: str, default: int) -> int:
            value = config.get(name, default)
            return max(int(value), 0) if isinstance(value, int | str | float) else default

        return cls(
            forced_door=bool(config.get("ALERT_FORCED_DOOR", True)),
            held_open_minutes=minutes("ALERT_HELD_OPEN_MINUTES", 5),
            offline_minutes=minutes("ALERT_OFFLINE_MINUTES", 10),
            resolved_mail=bool(config.get("ALERT_RESOLVED_MAIL", True)),
        )


@dataclass
class AlertPass:
    #: incidents found this pass (an offline device is told only once it stayed offline)
    opened: list[DeviceAlert] = field(default_factory=list)
    #: incidents the managers were told about this pass
    told: list[DeviceAlert] = field(default_factory=list)
    #: told incidents that ended (the door closed, the device came back); others clear silently
    cleared: list[DeviceAlert] = field(default_factory=list)
    mails: int = 0

    def __str__(self) -> str:
        return (
            f"{len(self.opened)} found, {len(self.told)} told, "
            f"{len(self.cleared)} cleared, {self.mails} mails"
        )


@dataclass(frozen=True)
class _Incident:
    device: Device
    kind: AlertKind
    key: str
    opened_at: dt.datetime
    detail: dict[str, object] = field(default_factory=dict)
    over: bool = False  # already ended when found (still worth telling: a forced door)


def check_alerts(*, now: dt.datetime, settings: AlertSettings, facility: Facility) -> AlertPass:
    """One pass: open and mail new incidents, clear those that are over. The caller commits."""
    devices = {
        d.id: d
        for d in db.session.scalars(
            select(Device).options(joinedload(Device.resource)).where(Device.active.is_(True))
        )
    }
    current: list[_Incident] = []
    door_kinds = settings.forced_door or settings.held_open_minutes > 0
    contacts = _last_contacts(_doors(devices)) if door_kinds else {}
    if settings.forced_door:
        current += _forced_doors(devices, now, contacts)
    if settings.held_open_minutes > 0:
        held = dt.timedelta(minutes=settings.held_open_minutes)
        current += _held_open_doors(devices, now, held, contacts)
    if settings.offline_minutes > 0:
        current += _offline_devices(devices, now)

    result = AlertPass()
    still = {(i.device.id, i.kind, i.key) for i in current if not i.over}
    enabled = settings.enabled_kinds()
    waiting: list[DeviceAlert] = []
    for alert in open_alerts(told_only=False):
        if (alert.device_id, alert.kind, alert.incident_key) in still:
            if alert.notified_at is None:
                waiting.append(alert)
            continue
        alert.clear(now)
        # Never told, a kind turned off, a device taken out of service: cleared silently.
        if (
            alert.notified_at is not None
            and alert.kind in enabled
            and alert.device_id in devices
            and _is_over(alert)
        ):
            result.cleared.append(alert)
    known = _known(current)
    for incident in current:
        if (incident.device.id, incident.kind, incident.key) in known:
            continue
        alert = DeviceAlert(
            device_id=incident.device.id,
            kind=incident.kind,
            incident_key=incident.key,
            opened_at=incident.opened_at,
            detected_at=now,
            detail=dict(incident.detail),
            # A door forced and shut again between two passes: told, but not open.
            cleared_at=now if incident.over else None,
        )
        alert.device = incident.device
        db.session.add(alert)
        result.opened.append(alert)
    db.session.flush()

    offline_limit = dt.timedelta(minutes=settings.offline_minutes)
    result.told = [
        alert
        for alert in [*waiting, *result.opened]
        # Doors at once; a device once it has been offline long enough (opened_at is
        # when a pass first saw it offline: it may have gone a little earlier).
        if alert.kind != AlertKind.OFFLINE or now - alert.opened_at >= offline_limit
    ]
    readers = alert_readers()
    for alert in result.told:
        result.mails += _mail(alert, readers, facility, resolved=False, now=now)
        alert.notified_at = now
    if settings.resolved_mail:
        for alert in result.cleared:
            if alert.notified_at is not None:
                result.mails += _mail(alert, readers, facility, resolved=True, now=now)
    return result


def open_alerts(*, limit: int | None = None, told_only: bool = True) -> list[DeviceAlert]:
    """Incidents not over yet, newest first; by default those managers were told of
    (the dashboard's list), else also offline devices still within their grace time."""
    query = (
        select(DeviceAlert)
        .options(joinedload(DeviceAlert.device))
        .where(DeviceAlert.cleared_at.is_(None))
        .order_by(DeviceAlert.opened_at.desc(), DeviceAlert.id.desc())
    )
    if told_only:
        query = query.where(DeviceAlert.notified_at.is_not(None))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def alert_readers() -> list[Member]:
    """Active managers who did not turn the alert e-mails off."""
    return managers_wanting(Member.notify_alerts)


# -- finding incidents -----------------------------------------------------------


def _known(incidents: list[_Incident]) -> set[tuple[str, AlertKind, str]]:
    """Which of these incidents already have their row (told, waiting or over)."""
    if not incidents:
        return set()
    query = select(DeviceAlert.device_id, DeviceAlert.kind, DeviceAlert.incident_key).where(
        DeviceAlert.device_id.in_({i.device.id for i in incidents}),
        DeviceAlert.incident_key.in_({i.key for i in incidents}),
    )
    return {(device_id, kind, key) for device_id, kind, key in db.session.execute(query)}


def _is_over(alert: DeviceAlert) -> bool:
    """Did the incident really end (rather than age out of the look-back)?"""
    if alert.kind == AlertKind.OFFLINE:
        return alert.device.online
    opening_event = int(alert.incident_key.removeprefix("event:"))
    closed = db.session.scalar(
        select(AccessEvent.id)
        .where(
            AccessEvent.device_id == alert.device_id,
            AccessEvent.type == EventType.DOOR_CLOSED.value,
            AccessEvent.id > opening_event,
        )
        .limit(1)
    )
    return closed is not None


def _doors(devices: dict[str, Device]) -> list[str]:
    return [d.id for d in devices.values() if d.kind == DeviceKind.DOOR]


def _last_contacts(doors: list[str]) -> dict[tuple[str, str], int]:
    """The newest opened / forced / closed event id of each door, by (door, type).

    One statement of index lookups (`ix_access_event_device_type`: device, type, id),
    however long the event history is.
    """
    if not doors:
        return {}
    keys = [(door, kind.value) for door in doors for kind in DOOR_CONTACT]
    newest = [
        select(func.max(AccessEvent.id))
        .where(AccessEvent.device_id == door, AccessEvent.type == kind)
        .scalar_subquery()
        for door, kind in keys
    ]
    row = db.session.execute(select(*newest)).one()
    return {key: event_id for key, event_id in zip(keys, row, strict=True) if event_id is not None}


def _forced_doors(
    devices: dict[str, Device], now: dt.datetime, contacts: dict[tuple[str, str], int]
) -> list[_Incident]:
    doors = _doors(devices)
    if not doors:
        return []
    forced = db.session.scalars(
        select(AccessEvent)
        .where(
            AccessEvent.device_id.in_(doors),
            AccessEvent.type == EventType.DOOR_FORCED.value,
            AccessEvent.received_at >= now - FORCED_LOOKBACK,
        )
        .order_by(AccessEvent.id)
    ).all()
    closed = EventType.DOOR_CLOSED.value
    return [
        _Incident(
            devices[e.device_id],
            AlertKind.FORCED_DOOR,
            f"event:{e.id}",
            e.device_time,
            over=contacts.get((e.device_id, closed), 0) > e.id,
        )
        for e in forced
    ]


def _held_open_doors(
    devices: dict[str, Device],
    now: dt.datetime,
    limit: dt.timedelta,
    contacts: dict[tuple[str, str], int],
) -> list[_Incident]:
    newest: dict[str, int] = {}
    for (door, _kind), event_id in contacts.items():
        newest[door] = max(newest.get(door, 0), event_id)
    if not newest:
        return []
    last_contact = db.session.scalars(
        select(AccessEvent).where(AccessEvent.id.in_(sorted(newest.values())))
    )
    return [
        _Incident(
            devices[e.device_id],
            AlertKind.HELD_OPEN,
            f"event:{e.id}",
            e.device_time,
            {"minutes": int((now - e.device_time).total_seconds() // 60)},
        )
        for e in last_contact
        if e.type != EventType.DOOR_CLOSED.value and now - e.device_time >= limit
    ]


def _offline_devices(devices: dict[str, Device], now: dt.datetime) -> list[_Incident]:
    """Offline devices that were seen once, keyed by when they were last heard from.

    A device reports its status only when it connects or its counts change, so a
    quiet one's `last_seen_at` can be hours old when it drops: the incident starts
    when a pass first sees it offline, and is told once it lasted the limit.
    """
    return [
        _Incident(device, AlertKind.OFFLINE, f"seen:{int(device.last_seen_at.timestamp())}", now)
        for device in devices.values()
        if not device.online and device.last_seen_at is not None
    ]


# -- mail ------------------------------------------------------------------------


def device_name(device: Device) -> str:
    return f"{device.label} ({device.id})" if device.label else device.id


def _mail(
    alert: DeviceAlert,
    readers: list[Member],
    facility: Facility,
    *,
    resolved: bool,
    now: dt.datetime,
) -> int:
    link = f"{facility.public_url.rstrip('/')}/devices/{alert.device_id}"
    for reader in readers:
        _ = gettext_for(reader.locale)
        subject, what = _words(alert, reader, facility, resolved=resolved, now=now)
        body = _(
            "Hello %(name)s,\n\n%(what)s\n\nThe device: %(link)s\n\n"
            "You can turn these e-mails off on your profile page.\n",
            name=reader.name,
            what=what,
            link=link,
        )
        queue_mail(to=reader.email, subject=f"[{facility.site_name}] {subject}", body=body)
    return len(readers)


def _words(
    alert: DeviceAlert, reader: Member, facility: Facility, *, resolved: bool, now: dt.datetime
) -> tuple[str, str]:
    """(subject, sentence) for one alert in the reader's language."""
    _ = gettext_for(reader.locale)
    device = device_name(alert.device)
    since = format_local(alert.opened_at, facility.zone.key, reader.locale, "short")
    if resolved:
        over = format_local(now, facility.zone.key, reader.locale, "short")
        if alert.kind == AlertKind.OFFLINE:
            return (
                _("Back online: %(device)s", device=device),
                _("%(device)s is back online (checked %(at)s).", device=device, at=over),
            )
        return (
            _("Door closed: %(device)s", device=device),
            _(
                "The door %(device)s, open since %(since)s, is closed again (checked %(at)s).",
                device=device,
                since=since,
                at=over,
            ),
        )
    if alert.kind == AlertKind.FORCED_DOOR:
        return (
            _("Door forced: %(device)s", device=device),
            _(
                "The door %(device)s was opened at %(since)s while it was locked: "
                "nobody badged in and it was not unlocked.",
                device=device,
                since=since,
            ),
        )
    if alert.kind == AlertKind.HELD_OPEN:
        return (
            _("Door held open: %(device)s", device=device),
            _(
                "The door %(device)s has been open since %(since)s.",
                device=device,
                since=since,
            ),
        )
    return (
        _("Device offline: %(device)s", device=device),
        _(
            "%(device)s has been offline since %(since)s at the latest; "
            "it was last heard from at %(seen)s.",
            device=device,
            since=since,
            seen=_seen(alert, reader, facility),
        ),
    )


def _seen(alert: DeviceAlert, reader: Member, facility: Facility) -> str:
    seen = alert.device.last_seen_at
    return format_local(seen, facility.zone.key, reader.locale, "short") if seen else "-"
