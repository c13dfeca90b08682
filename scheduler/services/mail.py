"""Sending email: through SMTP when ``MAIL_SERVER`` is set, otherwise into the outbox page (the
demo). Every message is stored first, so a failure is visible and can be retried.

Settings: ``MAIL_SERVER``, ``MAIL_PORT`` (587), ``MAIL_USE_TLS`` (true), ``MAIL_USERNAME``,
``MAIL_PASSWORD``, ``MAIL_SENDER``. Message bodies can hold personal links, so they are never
written to the log; the log says only that a message is waiting in the outbox."""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, g, has_app_context
from sqlalchemy import func, or_, select

from scheduler.extensions import db
from scheduler.models import MailStatus, OutboxMessage
from scheduler.models.accounts import utcnow

log = logging.getLogger(__name__)


# Line breaks and other control characters: a header holding one could add headers of its own.
_HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str, limit: int) -> str:
    """One line, fit for a header (subject, name): stored names should never hold a line break, but
    an email must not gain a header, or fail to send, when one gets in some other way."""
    return _HEADER_BREAKERS.sub(" ", value).strip()[:limit]


def queue(center_id: int | None, to_email: str, to_name: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(center_id=center_id, to_email=header_text(to_email, 320),
                            to_name=header_text(to_name, 200), subject=header_text(subject, 300),
                            body=body.replace("\x00", ""), status=MailStatus.QUEUED, attempts=0)
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
    try:
        email = EmailMessage()
        email["From"] = (current_app.config.get("MAIL_SENDER") or current_app.config.get("MAIL_USERNAME")
                         or "scheduler")
        email["To"] = Address(display_name=message.to_name, addr_spec=message.to_email)
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(server, int(current_app.config.get("MAIL_PORT", 587)), timeout=15) as smtp:
            if current_app.config.get("MAIL_USE_TLS", True):
                smtp.starttls()
            if current_app.config.get("MAIL_USERNAME"):
                smtp.login(current_app.config["MAIL_USERNAME"], current_app.config.get("MAIL_PASSWORD", ""))
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException, ValueError) as error:  # ValueError: an address it cannot write
        message.status = MailStatus.FAILED
        message.error = f"{type(error).__name__}: {error}"[:500]
        log.warning("Email %d to %s failed: %s", message.id, message.to_email, message.error)
        return
    message.status = MailStatus.SENT
    message.error = None
    message.sent_at = utcnow()


def send(center_id: int | None, to_email: str, to_name: str, subject: str, body: str) -> OutboxMessage:
    message = queue(center_id, to_email, to_name, subject, body)
    held = g.get("mail_held") if has_app_context() else None
    if held is not None:
        held.append(message)  # sent later, in the background, as one batch (services/mail_batches.py)
        return message
    deliver(message)
    return message


@contextmanager
def held() -> Iterator[list[OutboxMessage]]:
    """Within it, :func:`send` only queues: for many messages at once (invite every facilitator), which
    the caller then hands to a batch so a slow mail server never holds up the page."""
    messages: list[OutboxMessage] = []
    g.mail_held = messages
    try:
        yield messages
    finally:
        g.pop("mail_held", None)


OUTBOX_PAGE_SIZE = 50  # a publish writes hundreds of notices: shown a page at a time, newest first
SEARCH_LIMIT = 200


def outbox(center_id: int, search: str = "", page: int = 1,
           per_page: int = OUTBOX_PAGE_SIZE) -> tuple[list[OutboxMessage], int]:
    """One page of the center's messages, newest first, and how many match in all. ``search`` finds
    a recipient's name or address, or a subject, by any part of it, whatever the case."""
    matching = select(OutboxMessage).where(OutboxMessage.center_id == center_id)
    words = search.strip()[:SEARCH_LIMIT]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matching = matching.where(or_(OutboxMessage.to_name.ilike(pattern, escape="\\"),
                                      OutboxMessage.to_email.ilike(pattern, escape="\\"),
                                      OutboxMessage.subject.ilike(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    rows = db.session.scalars(matching.order_by(OutboxMessage.id.desc())
                              .offset((max(page, 1) - 1) * per_page).limit(per_page))
    return list(rows), total
