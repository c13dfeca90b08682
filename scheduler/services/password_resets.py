"""Forgotten passwords: a link to choose a new one, emailed to the account's own address only.

Anyone may ask for a link for any address; the answer on screen is the same whether the address has
an account or not, so the page tells nobody who has one. A link has 256 random bits, only its
SHA-256 is stored, it works once and for an hour, and choosing a password through it ends every
session of the account (so whoever held the password before, someone who made the account in the
person's name included, is out). It does not sign anyone in and leaves two-factor as it is: the
person then signs in normally, with the second factor where the account has one, so a reset never
gets round it.

The email is the account's, not a center's: it is stored with no center (``center_id`` empty) and so
appears in no center's outbox, whichever centers the person works with. Without a mail server, only
an administrator can read it (``flask account-mail EMAIL``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import OutboxMessage, User
from scheduler.models.accounts import PasswordReset, utcnow
from scheduler.services import accounts, mail

RESET_MAX_AGE = dt.timedelta(hours=1)
MAX_TOKEN_LENGTH = 128
# Asking for links: per address (so nobody fills a person's mailbox) and per IP address.
PER_ADDRESS_LIMIT, PER_IP_LIMIT, LIMIT_WINDOW_S = 3, 10, 3600


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def request_reset(email: str) -> OutboxMessage | None:
    """Email a reset link to ``email`` if it is an account's address; None (and nothing sent) otherwise.
    The caller answers the same either way."""
    try:
        email = accounts.check_email(email)
    except accounts.AccountError:
        return None
    user = accounts.find_user(email)
    if user is None:
        return None
    token = issue_reset(user)
    link = url_for("self_service.welcome", token=token, _external=True)
    body = _("Hello,\n\nSomeone asked to choose a new password for the group scheduler account %(email)s. "
             "If it was you, choose it here (the link works for one hour, once):\n\n%(link)s\n\nChoosing it "
             "signs your account out everywhere. If the account has two-factor sign-in, you will still "
             "need your code.\n\nIf it was not you, ignore this email: your password stays as it is.\n",
             email=user.email, link=link)
    return mail.send(None, user.email, "", _("Choose a new password"), body)


def issue_reset(user: User) -> str:
    """A new reset link for ``user``; returns the token (shown once, in the email; only its hash is kept)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordReset(user_id=user.id, token_hash=_digest(token), created_at=now,
                                 expires_at=now + RESET_MAX_AGE))
    db.session.flush()
    return token


def reset_for(token: str) -> PasswordReset | None:
    """The live reset link with this token: unused and unexpired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = _digest(token)
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest))
    if (reset is None or not hmac.compare_digest(reset.token_hash, digest) or reset.used_at is not None
            or _aware(reset.expires_at) <= utcnow()):
        return None
    return reset


def choose_new_password(reset: PasswordReset, password: str) -> User:
    """Set the new password (every session of the account ends) and use up every open reset link of
    the account. Raises AccountError for a refused password, changing nothing."""
    user = reset.user
    accounts.set_password(user, password)
    now = utcnow()
    for link in db.session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id,
                                                               PasswordReset.used_at.is_(None))):
        link.used_at = now
    return user


def account_mail(email: str, limit: int = 20) -> list[OutboxMessage]:
    """Mail to the account itself (reset links, an administrator's invitations), newest first: what an
    administrator passes on when no mail server is set. No center's outbox shows it."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.center_id.is_(None), OutboxMessage.to_email == accounts.normalise_email(email))
        .order_by(OutboxMessage.id.desc()).limit(limit)))
