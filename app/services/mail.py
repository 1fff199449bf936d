"""Queue mail in the caller's transaction; app.mailer delivers it after the commit."""

from __future__ import annotations

from app.extensions import db
from app.models import OutgoingMail


def queue_mail(*, to: str, subject: str, body: str) -> OutgoingMail:
    mail = OutgoingMail(recipient=to, subject=subject[:200], body=body)
    db.session.add(mail)
    return mail
