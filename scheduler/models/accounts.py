"""Who signs in (coordinators and facilitators, by email and password) and the personal secret
links that participants use instead of a password."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.centers import Center
    from scheduler.models.people import Participant


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CenterRole(enum.StrEnum):
    COORDINATOR = "coordinator"
    FACILITATOR = "facilitator"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the person last chose a password; None while an invited account has never had one (its
    # hash is then of random bytes nobody knows). Only such an account can be given a welcome link.
    password_set_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session's user id: raising it signs the user out everywhere at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Two-factor sign-in: the shared TOTP secret, encrypted with a key kept outside the database
    # (services/two_factor.py; None when not set up), and the last time step a code was accepted
    # for, so one code never works twice.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column()
    # The interface language the person last chose while signed in (None: never chose), so it
    # follows them to every device they sign in on; the session keeps it for the signed-out pages.
    locale: Mapped[str | None] = mapped_column(String(8))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def center_ids(self, role: CenterRole) -> set[int]:
        return {m.center_id for m in self.memberships if m.role == role}


class Membership(db.Model):
    """A user's role at one center; a coordinator may work for several centers."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[CenterRole] = mapped_column(
        str_enum(CenterRole, "center_role"),
        primary_key=True,
    )

    user: Mapped[User] = relationship(back_populates="memberships")
    center: Mapped[Center] = relationship(back_populates="memberships")


class WelcomeLink(db.Model):
    """A link that lets an invited person choose their first password. The token has 256 random bits
    and only its SHA-256 is kept; it works once, until ``expires_at``, and only while the account has
    never had a password."""

    __tablename__ = "welcome_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class PasswordReset(db.Model):
    """A link, emailed to the account's own address only, to choose a new password. The token has 256
    random bits and only its SHA-256 is kept; it works once and for an hour (services/password_resets.py)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class RoleInvitation(db.Model):
    """A center's offer of a role to an account that already exists. Nothing is granted until the
    account's owner, signed in, opens the link emailed to the account's address and accepts: knowing
    the password and reading the mailbox are both needed, so a coordinator who typed someone else's
    address (or made an account in their name) cannot take the role or the account."""

    __tablename__ = "role_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    role: Mapped[CenterRole] = mapped_column(str_enum(CenterRole, "role_invitation_role"))
    # The facilitator row the account will be linked to on accepting (None for other roles, or once
    # the row is deleted).
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    accepted: Mapped[bool | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    center: Mapped[Center] = relationship()


class ParticipantLink(db.Model):
    """A participant's personal secret link. Only the SHA-256 of the token is stored: the token
    itself has 256 random bits, so a slow password hash would add nothing but latency."""

    __tablename__ = "participant_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    participant: Mapped[Participant] = relationship(back_populates="links")
