"""Queue mail in the caller's transaction; app.mailer delivers it after the commit."""

from __future__ import annotations

from app.extensions import db
from app.models import OutgoingMail


def queue_mail(
    *,
    to: str,
    subject: str,
    body: str,
    attachment: tuple[str, str, str] | None = None,
) -> OutgoingMail:
    """Queue one message; `attachment` is (file name, MIME type, text)."""
    mail = OutgoingMail(recipient=to, subject=subject[:200], body=body)
    if attachment is not None:
        mail.attachment_name, mail.attachment_type, mail.attachment = attachment
    db.session.add(mail)
    return mail
