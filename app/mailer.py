"""Delivery of queued mail after the commit: SMTP, or the log when no server is set."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import OutgoingMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
_QUEUED = "incubator.mail_queued"


@event.listens_for(Session, "transient_to_pending")
def _note_queued_mail(session: Session, instance: object) -> None:
    if isinstance(instance, OutgoingMail):
        session.info[_QUEUED] = True


def mail_was_queued() -> bool:
    """Did this session queue mail since the last call? (Asked before a commit.)"""
    return bool(db.session.info.pop(_QUEUED, False))


def deliver_pending(config: Any, *, limit: int = 50) -> int:
    """Send what is queued and commit after each message. Returns how many went out."""
    pending = list(
        db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
            .order_by(OutgoingMail.id)
            .limit(limit)
        )
    )
    sent = 0
    for mail in pending:
        mail.attempts += 1
        try:
            _send(config, mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.last_error = str(exc)[:500]
            log.warning("mail %s to a member could not be sent: %s", mail.id, exc)
        else:
            mail.sent_at = dt.datetime.now(dt.UTC)
            mail.last_error = None
            sent += 1
        db.session.commit()
    return sent


def _send(config: Any, mail: OutgoingMail) -> None:
    server = config.get("MAIL_SERVER")
    if not server:
        log.info(
            "mail (not sent, no MAIL_SERVER) to=%s subject=%r\n%s",
            mail.recipient,
            mail.subject,
            mail.body,
        )
        return
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    if mail.attachment is not None and mail.attachment_type:
        maintype, _, subtype = mail.attachment_type.partition("/")
        message.add_attachment(
            mail.attachment.encode(),
            maintype=maintype,
            subtype=subtype,
            filename=mail.attachment_name or "attachment",
        )
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(server, int(config.get("MAIL_PORT") or 25), timeout=15) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
