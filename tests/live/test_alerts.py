"""Alerts to managers: a forced door, a door held open, a device offline; each mailed once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import AlertKind, DeviceAlert, OutgoingMail
from app.services.alerts import AlertSettings, check_alerts

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)  # 10:30 in Brussels
DEFAULTS = AlertSettings()


@pytest.fixture
def front_door(make_device):  # type: ignore[no-untyped-def]
    return make_device("door-main", label="Front door", online=True, last_seen_at=NOW)


@pytest.fixture
def managers(make_member):  # type: ignore[no-untyped-def]
    return [
        make_member(role="manager", name="Mia", email="mia@example.org", locale="en"),
        make_member(role="manager", name="Noor", email="noor@example.org", locale="nl"),
    ]


@pytest.fixture
def check(db_session, facility):  # type: ignore[no-untyped-def]
    def run(at: dt.datetime = NOW, settings: AlertSettings = DEFAULTS):  # type: ignore[no-untyped-def]
        result = check_alerts(now=at, settings=settings, facility=facility)
        db_session.commit()
        return result

    return run


def mails(db_session) -> list[OutgoingMail]:  # type: ignore[no-untyped-def]
    db_session.expire_all()
    return list(db_session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def subjects(db_session, needle_en: str, needle_nl: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Each manager's mail subjects with the English or the Dutch wording (Mia reads
    English, Noor Dutch)."""
    found: dict[str, list[str]] = {}
    for mail in mails(db_session):
        if needle_en in mail.subject or needle_nl in mail.subject:
            found.setdefault(mail.recipient, []).append(mail.subject)
    return found


def alerts(db_session) -> list[DeviceAlert]:  # type: ignore[no-untyped-def]
    db_session.expire_all()
    return list(db_session.scalars(select(DeviceAlert).order_by(DeviceAlert.id)))


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


# -- a forced door ---------------------------------------------------------------


def test_a_forced_door_mails_every_manager_once(db_session, managers, front_door, reporter, check):
    reporter("door-main").door("door.forced", at=NOW - minutes(1))

    first = check()
    second = check(NOW + minutes(1))

    assert len(first.opened) == 1
    assert second.opened == []
    assert second.mails == 0
    sent = mails(db_session)
    assert sorted(m.recipient for m in sent) == ["mia@example.org", "noor@example.org"]
    english = next(m for m in sent if m.recipient == "mia@example.org")
    assert english.subject == "[Makers Incubator] Door forced: Front door (door-main)"
    assert "Hello Mia," in english.body
    assert "10:29" in english.body  # the time it happened, in Brussels
    assert "https://incubator.test.example/devices/door-main" in english.body
    dutch = next(m for m in sent if m.recipient == "noor@example.org")
    assert dutch.subject == "[Makers Incubator] Deur geforceerd: Front door (door-main)"
    [alert] = alerts(db_session)
    assert alert.kind is AlertKind.FORCED_DOOR
    assert alert.notified_at == NOW
    assert alert.cleared_at is None


def test_each_manager_reads_the_time_in_their_own_language(
    db_session, managers, front_door, reporter, check
):
    reporter("door-main").door("door.forced", at=NOW - minutes(1))

    check()

    dutch = next(m for m in mails(db_session) if m.recipient == "noor@example.org")
    assert "24-11-2026, 10:29" in dutch.body  # nl's short format; en writes 11/24/26


def test_a_forced_door_shut_before_the_check_is_still_told(
    db_session, managers, front_door, reporter, check
):
    door = reporter("door-main")
    door.door("door.forced", at=NOW - minutes(1))
    door.door("door.closed", at=NOW - minutes(1) + dt.timedelta(seconds=5), open_s=5)

    result = check()

    assert len(result.opened) == 1
    assert result.cleared == []
    assert len(mails(db_session)) == 2
    [alert] = alerts(db_session)
    assert alert.cleared_at == NOW  # told, and not listed as open
    assert check(NOW + minutes(1)).mails == 0


def test_two_forced_openings_are_two_incidents(db_session, managers, front_door, reporter, check):
    door = reporter("door-main")
    door.door("door.forced", at=NOW - minutes(30))
    door.door("door.closed", at=NOW - minutes(29), open_s=60)
    check(NOW - minutes(28))
    door.door("door.forced", at=NOW - minutes(1))

    result = check()

    assert len(result.opened) == 1
    assert [a.kind for a in alerts(db_session)] == [AlertKind.FORCED_DOOR] * 2


def test_the_door_closing_clears_a_forced_door_with_a_note(
    db_session, managers, front_door, reporter, check
):
    door = reporter("door-main")
    door.door("door.forced", at=NOW - minutes(1))
    check()
    door.door("door.closed", at=NOW, open_s=60)

    result = check(NOW + minutes(1))

    assert len(result.cleared) == 1
    [alert] = alerts(db_session)
    assert alert.cleared_at == NOW + minutes(1)
    notes = subjects(db_session, "Door closed", "Deur gesloten")
    assert notes == {
        "mia@example.org": ["[Makers Incubator] Door closed: Front door (door-main)"],
        "noor@example.org": ["[Makers Incubator] Deur gesloten: Front door (door-main)"],
    }
    assert check(NOW + minutes(2)).mails == 0


def test_a_door_opened_by_a_badge_is_no_alert(db_session, managers, front_door, reporter, check):
    door = reporter("door-main")
    door.door("door.opened", at=NOW - minutes(2), by="badge")
    door.door("door.closed", at=NOW - minutes(2) + dt.timedelta(seconds=8), open_s=8)

    result = check()

    assert result.opened == []
    assert alerts(db_session) == []
    assert mails(db_session) == []


def test_forced_door_alerts_can_be_turned_off(db_session, managers, front_door, reporter, check):
    reporter("door-main").door("door.forced", at=NOW - minutes(1))

    result = check(settings=AlertSettings(forced_door=False))

    assert result.opened == []
    assert mails(db_session) == []


# -- a door held open ------------------------------------------------------------


def test_a_door_open_longer_than_the_limit_is_reported_once(
    db_session, managers, front_door, reporter, check
):
    door = reporter("door-main")
    door.door("door.opened", at=NOW - minutes(6), by="badge")
    door.door("door.held_open", at=NOW - minutes(5.5), open_s=30)

    first = check()
    again = check(NOW + minutes(5))

    assert [a.kind for a in first.opened] == [AlertKind.HELD_OPEN]
    assert again.opened == []
    subjects = {m.subject for m in mails(db_session)}
    assert subjects == {
        "[Makers Incubator] Door held open: Front door (door-main)",
        "[Makers Incubator] Deur opengehouden: Front door (door-main)",
    }


def test_a_door_open_for_less_than_the_limit_is_no_alert(
    db_session, managers, front_door, reporter, check
):
    reporter("door-main").door("door.opened", at=NOW - minutes(4), by="schedule")

    assert check().opened == []
    assert check(settings=AlertSettings(held_open_minutes=3)).opened != []


def test_the_held_open_limit_is_configurable_and_zero_turns_it_off(
    db_session, managers, front_door, reporter, check
):
    reporter("door-main").door("door.opened", at=NOW - minutes(60), by="badge")

    assert check(settings=AlertSettings(held_open_minutes=0)).opened == []
    assert check(settings=AlertSettings(held_open_minutes=90)).opened == []
    assert len(check(settings=AlertSettings(held_open_minutes=45)).opened) == 1


def test_closing_the_held_door_clears_the_alert(db_session, managers, front_door, reporter, check):
    door = reporter("door-main")
    door.door("door.opened", at=NOW - minutes(10), by="badge")
    check()
    door.door("door.closed", at=NOW + minutes(1), open_s=660)

    result = check(NOW + minutes(2))

    assert [a.kind for a in result.cleared] == [AlertKind.HELD_OPEN]
    assert all(not a.is_open for a in alerts(db_session))


# -- a device offline -------------------------------------------------------------


def test_a_device_offline_for_ten_minutes_is_reported_once(
    db_session, managers, make_device, check
):
    make_device("laser-1", "machine", label="Laser Pi", online=False, last_seen_at=NOW - minutes(2))

    noticed = check()
    still_early = check(NOW + minutes(9))
    due = check(NOW + minutes(10))
    later = check(NOW + minutes(40))

    assert [a.kind for a in noticed.opened] == [AlertKind.OFFLINE]
    assert noticed.told == still_early.told == later.told == []
    assert [a.kind for a in due.told] == [AlertKind.OFFLINE]
    english = next(m for m in mails(db_session) if m.recipient == "mia@example.org")
    assert english.subject == "[Makers Incubator] Device offline: Laser Pi (laser-1)"
    assert "since 11/24/26, 10:30\u202fAM at the latest" in english.body  # first seen offline
    assert "last heard from at 11/24/26, 10:28\u202fAM" in english.body  # 09:28 UTC
    assert len(mails(db_session)) == 2


def test_a_quiet_device_that_drops_is_not_reported_at_once(
    db_session, managers, make_device, check
):
    # Heard from hours ago (a quiet night), offline only since just now.
    make_device("laser-1", "machine", online=False, last_seen_at=NOW - minutes(300))

    assert check().told == []
    assert check(NOW + minutes(5)).told == []
    assert mails(db_session) == []


def test_a_device_back_within_the_limit_is_never_reported(db_session, managers, make_device, check):
    laser = make_device("laser-1", "machine", online=False, last_seen_at=NOW - minutes(1))
    check()
    laser.online, laser.last_seen_at = True, NOW + minutes(4)
    db_session.commit()

    result = check(NOW + minutes(5))

    assert result.cleared == []
    assert mails(db_session) == []
    assert all(not a.is_open for a in alerts(db_session))


def test_online_and_never_seen_devices_are_no_alert(
    db_session, managers, make_device, front_door, check
):
    make_device("printer-1", "machine", online=True, last_seen_at=NOW - minutes(60))
    make_device("never-seen", "machine", online=False, last_seen_at=None)

    check()

    assert check(NOW + minutes(30)).told == []
    assert alerts(db_session) == []
    assert mails(db_session) == []


def test_a_device_back_online_clears_the_alert_with_a_note(
    db_session, managers, make_device, check
):
    laser = make_device("laser-1", "machine", online=False, last_seen_at=NOW - minutes(15))
    check()
    check(NOW + minutes(10))
    laser.online, laser.last_seen_at = True, NOW + minutes(11)
    db_session.commit()

    result = check(NOW + minutes(12))

    assert [a.kind for a in result.cleared] == [AlertKind.OFFLINE]
    notes = subjects(db_session, "Back online: laser-1", "Weer online: laser-1")
    assert {who: len(found) for who, found in notes.items()} == {
        "mia@example.org": 1,
        "noor@example.org": 1,
    }


def test_going_offline_again_is_a_new_incident(db_session, managers, make_device, check):
    laser = make_device("laser-1", "machine", online=False, last_seen_at=NOW - minutes(15))
    check()
    check(NOW + minutes(10))
    laser.online, laser.last_seen_at = True, NOW + minutes(11)
    db_session.commit()
    check(NOW + minutes(12))
    laser.online = False
    db_session.commit()

    check(NOW + minutes(13))
    result = check(NOW + minutes(23))

    assert [a.kind for a in result.told] == [AlertKind.OFFLINE]
    assert len(alerts(db_session)) == 2
    told = subjects(db_session, "Device offline", "Toestel offline")
    assert {who: len(found) for who, found in told.items()} == {
        "mia@example.org": 2,
        "noor@example.org": 2,
    }


def test_the_offline_limit_is_configurable(db_session, managers, make_device, check):
    make_device("laser-1", "machine", online=False, last_seen_at=NOW - minutes(1))
    three = AlertSettings(offline_minutes=3)

    check(settings=three)

    assert check(NOW + minutes(3), settings=three).told != []
    assert check(NOW + minutes(60), settings=AlertSettings(offline_minutes=0)).told == []


def test_a_deleted_device_is_never_reported(db_session, managers, make_device, check):
    make_device("old-1", "machine", active=False, online=False, last_seen_at=NOW - minutes(60))

    assert check().opened == []


# -- who is told -----------------------------------------------------------------


def test_only_active_managers_who_want_alerts_are_mailed(
    db_session, make_member, front_door, reporter, check
):
    make_member(role="manager", email="yes@example.org")
    make_member(role="manager", email="optout@example.org", notify_alerts=False)
    make_member(role="manager", email="gone@example.org", active=False)
    make_member(role="tenant_admin", email="admin@example.org")
    make_member(role="member", email="member@example.org")
    reporter("door-main").door("door.forced", at=NOW - minutes(1))

    check()

    assert [m.recipient for m in mails(db_session)] == ["yes@example.org"]


def test_the_jobs_runner_checks_alerts_and_sends_the_mail(
    app, db_session, managers, front_door, reporter
):
    from app.jobs import run_due_jobs

    reporter("door-main").door("door.forced", at=NOW - minutes(1))

    with app.app_context():
        result = run_due_jobs(app, now=NOW)

    assert "alerts.check" in result.ran
    forced = {
        m.id
        for m in mails(db_session)
        if "Door forced" in m.subject or "Deur geforceerd" in m.subject
    }
    sent = [m for m in mails(db_session) if m.id in forced]
    assert sorted(m.recipient for m in sent) == ["mia@example.org", "noor@example.org"]
    assert all(m.sent_at is not None for m in sent)  # delivered in the same pass


def test_managers_can_turn_the_alert_mails_off_on_their_profile(sign_in, db_session, managers):
    mia = managers[0]
    client = sign_in(mia)
    assert "Alerts: a door forced or held open" in client.get("/profile/").get_data(as_text=True)

    client.post("/profile/notifications", data={"notify_bookings": "y", "notify_digest": "y"})

    db_session.expire_all()
    assert mia.notify_alerts is False
    assert mia.notify_digest is True


def test_members_have_no_alert_setting(sign_in, db_session, make_member):
    member = make_member()
    client = sign_in(member)

    assert "Alerts: a door forced" not in client.get("/profile/").get_data(as_text=True)
    client.post("/profile/notifications", data={"notify_bookings": "y"})
    db_session.expire_all()
    assert member.notify_alerts is True
