"""The jobs runner's lease: two runners never overlap."""

import datetime as dt

import pytest

from app.services import jobs

pytestmark = pytest.mark.db


def test_a_second_holder_cannot_take_a_live_lease(db_session, now):
    ttl = dt.timedelta(minutes=10)
    assert jobs.acquire_lease("runner", holder="a", now=now, ttl=ttl)
    assert not jobs.acquire_lease("runner", holder="b", now=now, ttl=ttl)
    assert jobs.acquire_lease("runner", holder="a", now=now, ttl=ttl)  # extending is fine


def test_an_expired_lease_can_be_taken_over(db_session, now):
    ttl = dt.timedelta(minutes=10)
    assert jobs.acquire_lease("runner", holder="a", now=now, ttl=ttl)
    later = now + ttl + dt.timedelta(seconds=1)
    assert jobs.acquire_lease("runner", holder="b", now=later, ttl=ttl)


def test_released_lease_is_free_again(db_session, now):
    ttl = dt.timedelta(minutes=10)
    jobs.acquire_lease("runner", holder="a", now=now, ttl=ttl)
    jobs.release_lease("runner", holder="a")
    assert jobs.acquire_lease("runner", holder="b", now=now, ttl=ttl)


def test_a_job_is_due_only_after_its_interval(db_session, now):
    every = dt.timedelta(hours=1)
    assert jobs.is_due("x", every=every, now=now)
    jobs.mark_started("x", now=now)
    assert not jobs.is_due("x", every=every, now=now + dt.timedelta(minutes=59))
    assert jobs.is_due("x", every=every, now=now + every)


def test_runner_skips_when_another_runner_holds_the_lease(app, db_session, now):
    from app.jobs import LEASE, run_due_jobs

    jobs.acquire_lease(LEASE, holder="someone-else", now=now, ttl=dt.timedelta(minutes=10))
    with app.app_context():
        result = run_due_jobs(app, now=now)
    assert result.skipped_locked
    assert result.ran == []


def test_runner_delivers_queued_mail(app, db_session, now):
    from app.jobs import run_due_jobs
    from app.models import OutgoingMail
    from app.services.mail import queue_mail

    mail = queue_mail(to="x@example.org", subject="Hi", body="Hello")
    db_session.flush()
    with app.app_context():
        result = run_due_jobs(app, now=now)
    assert "mail.deliver" in result.ran
    assert db_session.get(OutgoingMail, mail.id).sent_at is not None
