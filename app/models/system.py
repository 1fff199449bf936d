"""Tables the system itself needs: the mail outbox and the job lease."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class OutgoingMail(Base):
    """Mail written in the same transaction as the change that causes it.

    After the commit the edge delivers it (SMTP, or the log in development);
    the jobs runner retries what is still unsent, so no message is lost to a
    crash between commit and delivery.
    """

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # One optional attachment, e.g. the .ics of a booking.
    attachment_name: Mapped[str | None] = mapped_column(String(100))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


class JobLease(Base):
    """Held by one jobs runner at a time, so two runners never overlap."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]


class JobRun(Base):
    """When each job last ran, so `incubator jobs run` knows what is due."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[dt.datetime | None]
    last_finished_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
