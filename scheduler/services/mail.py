"""Sending email: through SMTP when ``MAIL_SERVER`` is set, otherwise into the outbox page (the
demo). Every message is stored first, so a failure is visible and can be retried.

Settings: ``MAIL_SERVER``, ``MAIL_PORT`` (587), ``MAIL_USE_TLS`` (true), ``MAIL_USERNAME``,
``MAIL_PASSWORD``, ``MAIL_SENDER``. Message bodies can hold personal links, so they are never
written to the log; the log says only that a message is waiting in the outbox."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import MailStatus, OutboxMessage
from scheduler.models.accounts import utcnow

log = logging.getLogger(__name__)


def queue(center_id: int, to_email: str, to_name: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(center_id=center_id, to_email=to_email, to_name=to_name, subject=subject[:300],
                            body=body, status=MailStatus.QUEUED, attempts=0)
    db.session.add(message)
    db.session.flush()
    return message


def deliver(message: OutboxMessage) -> None:
    """Try to send one message; records the outcome on the row (the caller commits)."""
    message.attempts += 1
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        message.status = MailStatus.OUTBOX
        log.info("Email %d to %s (%s) is in the outbox; no MAIL_SERVER is set.", message.id,
                 message.to_email, message.subject)
        return
    email = EmailMessage()
    email["From"] = current_app.config.get("MAIL_SENDER") or current_app.config.get("MAIL_USERNAME") or "scheduler"
    email["To"] = f"{message.to_name} <{message.to_email}>" if message.to_name else message.to_email
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        with smtplib.SMTP(server, int(current_app.config.get("MAIL_PORT", 587)), timeout=15) as smtp:
            if current_app.config.get("MAIL_USE_TLS", True):
                smtp.starttls()
            if current_app.config.get("MAIL_USERNAME"):
                smtp.login(current_app.config["MAIL_USERNAME"], current_app.config.get("MAIL_PASSWORD", ""))
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        message.status = MailStatus.FAILED
        message.error = f"{type(error).__name__}: {error}"[:500]
        log.warning("Email %d to %s failed: %s", message.id, message.to_email, message.error)
        return
    message.status = MailStatus.SENT
    message.error = None
    message.sent_at = utcnow()


def send(center_id: int, to_email: str, to_name: str, subject: str, body: str) -> OutboxMessage:
    message = queue(center_id, to_email, to_name, subject, body)
    deliver(message)
    return message


def outbox(center_id: int, limit: int = 200) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.center_id == center_id)
                                   .order_by(OutboxMessage.id.desc()).limit(limit)))
