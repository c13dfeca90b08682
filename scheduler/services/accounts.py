"""Accounts: password hashing, sign-in, coordinators, and participants' personal links."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, Participant, ParticipantLink, User
from scheduler.models.accounts import utcnow

# Argon2id with the library's current defaults (RFC 9106's second recommended profile).
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
MIN_PASSWORD_LENGTH = 12  # the welcome form's label and docs/security.md say so too
MAX_PASSWORD_LENGTH = 1024  # long passphrases are welcome; this only bounds hashing work
ZXCVBN_MAX = 72
MIN_PART_LENGTH = 3  # shorter email names and center names are too common to refuse inside a password
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A bad value for an account field; ``field`` names it for the form or the command line."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not _EMAIL_RE.match(email) or len(email) > 320:
        raise AccountError("email", f'"{email}" is not an email address')
    return email


def check_password(password: str, *, user_inputs: Sequence[str] = (), center_names: Sequence[str] = ()) -> None:
    """Long enough, not absurdly long, and not easy to guess: zxcvbn estimates the guesses an attacker
    needs with lists of common passwords, names and words, keyboard patterns and dates; below score 3
    (about 10^8 guesses) it is refused. ``user_inputs`` (email, name) count as known to an attacker.
    A password containing the email's name part or the name of one of the person's centers is refused
    outright, however long: it is the first thing someone who knows them would try."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", _("must be at least %(count)d characters long", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password", _("must be at most %(count)d characters long", count=MAX_PASSWORD_LENGTH))
    squeezed = _letters_and_digits(password)
    for email in user_inputs:
        local = _letters_and_digits(email.split("@")[0]) if "@" in email else ""
        if len(local) >= MIN_PART_LENGTH and local in squeezed:
            raise AccountError("password", _("must not contain the part of your email address before the @ "
                                             "(%(part)s)", part=email.split("@")[0]))
    for name in center_names:
        if len(_letters_and_digits(name)) >= MIN_PART_LENGTH and _letters_and_digits(name) in squeezed:
            raise AccountError("password", _("must not contain the name of your center (%(name)s)", name=name))
    # The first 72 characters decide (zxcvbn's own limit: its time grows fast with the length); a
    # strong 72-character start is not made guessable by what follows it.
    inputs = [*_guessable_parts(user_inputs), *center_names]
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs, max_length=ZXCVBN_MAX)["score"] < 3:
        raise AccountError("password", _("is too easy to guess: it is, or looks like, a commonly used password. "
                                         "A few unrelated words make a strong passphrase."))


def _letters_and_digits(text: str) -> str:
    """Lower case with everything but letters and digits dropped: "Fac.6" and "fac-6" are the same word."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _guessable_parts(values: Sequence[str]) -> list[str]:
    """What an attacker who knows the email would try: it whole, its local part with and without the
    dots, and each word of it."""
    parts: list[str] = []
    for value in values:
        local = value.split("@")[0]
        parts += [value, local, re.sub(r"[^a-zA-Z0-9]", "", local), *re.split(r"[@._+\-\s]+", value)]
    return [part for part in parts if part]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def set_password(user: User, password: str) -> None:
    """Check and set a new password. Every session of the account ends (its session version moves
    on), so whoever might have been signed in with the old password is out."""
    check_password(password, user_inputs=(user.email,), center_names=[m.center.name for m in user.memberships])
    user.password_hash = hash_password(password)
    user.password_set_at = utcnow()
    user.session_version += 1


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None (taking the same time either way)."""
    user = find_user(email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def create_coordinator(email: str, password: str, center: Center) -> User:
    """Make ``email`` a coordinator of ``center``, creating the account if it is new.
    An existing account keeps its password; one that never had a password (an invited facilitator
    who has not chosen one) gets this one, so no welcome link read in an outbox opens it any more."""
    email = check_email(email)
    user = find_user(email)
    if user is None:
        check_password(password, user_inputs=(email,), center_names=(center.name,))
        user = User(email=email, password_hash=hash_password(password), password_set_at=utcnow())
        db.session.add(user)
    elif user.password_set_at is None:
        check_password(password, user_inputs=(email,), center_names=(center.name,))
        user.password_hash, user.password_set_at = hash_password(password), utcnow()
        user.session_version += 1
    if center.id is not None and center.id in user.center_ids(CenterRole.COORDINATOR):
        raise AccountError("email", f'{email} is already a coordinator of "{center.name}"')
    user.memberships.append(Membership(center=center, role=CenterRole.COORDINATOR))
    return user


def coordinated_centers(user: User) -> list[Center]:
    ids = user.center_ids(CenterRole.COORDINATOR)
    if not ids:
        return []
    return list(db.session.scalars(select(Center).where(Center.id.in_(ids)).order_by(Center.name)))


# --------------------------------------------------------------------------- personal links


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_participant_link(participant: Participant) -> str:
    """Create a personal link token (256 random bits) and return it; it is shown once and only its
    hash is kept. Earlier links of the same participant stay valid until revoked."""
    token = secrets.token_urlsafe(32)
    participant.links.append(ParticipantLink(token_hash=_token_hash(token)))
    return token


def revoke_participant_links(participant: Participant) -> int:
    revoked = 0
    for link in participant.links:
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            revoked += 1
    return revoked


def participant_for_token(token: str) -> Participant | None:
    """The participant a live link belongs to. The lookup is by hash; the final comparison is
    constant-time so the answer's timing does not depend on how much of a guess was right."""
    if not token or len(token) > 128:
        return None
    digest = _token_hash(token)
    link = db.session.scalar(select(ParticipantLink).where(ParticipantLink.token_hash == digest))
    if link is None or link.revoked_at is not None or not hmac.compare_digest(link.token_hash, digest):
        return None
    return link.participant
