"""Calendar feeds: the secret token in each person's feed URL, and what each weekly series last
looked like, so an edited series' SEQUENCE grows while untouched ones keep theirs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.accounts import utcnow

if TYPE_CHECKING:
    from scheduler.models.people import Facilitator, Participant


class FeedToken(db.Model):
    """A person's calendar subscription. The token is HMAC(app secret, ``nonce``), so the app can show
    the same URL again without storing it; only its SHA-256 is stored, for the lookup. A database
    copy alone therefore yields no working feed URL. Rotating issues a new nonce and revokes the old
    token at once."""

    __tablename__ = "feed_tokens"
    __table_args__ = (
        CheckConstraint("scope IN ('person', 'group', 'room', 'center')", name="known_scope"),
        # A person's feed names exactly one person; a group's or room's names its code; the center's neither.
        CheckConstraint("(scope = 'person' AND (participant_id IS NULL) <> (facilitator_id IS NULL)) OR "
                        "(scope <> 'person' AND participant_id IS NULL AND facilitator_id IS NULL)",
                        name="one_subject"),
        CheckConstraint("(scope IN ('group', 'room')) = (subject IS NOT NULL)", name="subject_when_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    # person: one participant's or facilitator's own calendar; group / room / center: for staff.
    scope: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    subject: Mapped[str | None] = mapped_column(String(64))  # the group's or room's code
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"),
                                                       index=True)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("facilitators.id", ondelete="CASCADE"),
                                                       index=True)
    nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    participant: Mapped[Participant | None] = relationship()
    facilitator: Mapped[Facilitator | None] = relationship()


class FeedSeries(db.Model):
    """One weekly series as one feed last showed it: its fingerprint and revision. Kept per feed, because
    feeds show a series differently (a participant's holds only their own dates and no member count),
    so a change only some readers can see raises the SEQUENCE in their feeds alone."""

    __tablename__ = "feed_series"
    __table_args__ = (UniqueConstraint("token_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("feed_tokens.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(default=0)
    modified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
