"""Every email the app sends is kept in an outbox first: what was sent, to whom, and whether it
went. Without a mail server (the demo) messages stay here for the coordinator to read; a failed
send is shown and can be retried. Nothing is silently dropped."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"        # handed to the mail server
    OUTBOX = "outbox"    # no mail server configured: kept for the coordinator to pass on
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: mail to an account, not from a center (a password reset): shown in no center's outbox.
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    to_email: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus, "mail_status"), default=MailStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("mail_batches.id", ondelete="SET NULL"), index=True)


class MailBatch(db.Model):
    """Many messages sent together (the notices of a publish, "invite every facilitator"): they are
    written to the outbox at once and delivered in the background, and a page shows how far it got."""

    __tablename__ = "mail_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))  # what was sent, in the coordinator's words
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)     # delivered, or kept in the outbox, or failed
    failed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
