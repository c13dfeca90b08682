"""Facilitators get a role at a center by invitation. An email address is one person in the whole
deployment, so what an invitation does depends on whether that address already has an account:

- **No account yet** (or one that has never had a password and no role anywhere but here): the account
  is made, gets the role, and a welcome link is emailed so the person chooses a first password. The
  link has 256 random bits, only its SHA-256 is stored, it works once and for 7 days, and only while
  the account has never had a password; it ends on the normal sign-in page (with the second factor
  where the account needs one).
- **An existing account**: nothing is granted and no link can set its password. The owner is emailed
  a link that asks them to accept, and told again at their next sign-in; the role is theirs only once
  they open that link while signed in and accept. Both are needed (the mailbox and the password), so
  a coordinator who typed someone else's address, or who made an account in someone else's name
  through a welcome link read in their own outbox, gains nothing at another center.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    Center,
    CenterRole,
    Facilitator,
    Membership,
    OutboxMessage,
    RoleInvitation,
    User,
    WelcomeLink,
)
from scheduler.models.accounts import utcnow
from scheduler.services import accounts, mail

WELCOME_MAX_AGE = dt.timedelta(days=7)
ROLE_INVITATION_MAX_AGE = dt.timedelta(days=14)
MAX_TOKEN_LENGTH = 128


class Outcome(enum.StrEnum):
    NO_EMAIL = "no email"
    WELCOME_SENT = "welcome sent"  # a new account: a link to choose a first password was emailed
    ASKED_TO_ACCEPT = "asked to accept"  # an existing account: its owner was asked to accept the role
    ALREADY_HERE = "already here"  # the account already has the role for this facilitator: nothing sent


@dataclass(frozen=True)
class Invitation:
    outcome: Outcome
    message: OutboxMessage | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def _first_name(facilitator: Facilitator) -> str:
    return (facilitator.name.split() or [facilitator.name])[0]


# --------------------------------------------------------------------------- inviting


def invite_facilitator(center: Center, facilitator: Facilitator, invited_by: User | None = None) -> Invitation:
    """Invite the facilitator's email address to their role at ``center`` (see the module's words)."""
    if not facilitator.email:
        return Invitation(Outcome.NO_EMAIL)
    email = accounts.check_email(facilitator.email)
    user = accounts.find_user(email)
    if user is None:
        # No usable password until they choose one: a hash of random bytes nobody knows.
        user = User(email=email, password_hash=accounts.hash_password(secrets.token_urlsafe(32)))
        db.session.add(user)
        db.session.flush()
    if _may_get_a_welcome_link(user, center):
        _link(center, facilitator, user)
        return Invitation(Outcome.WELCOME_SENT, _send_welcome(center, facilitator, user))
    if facilitator.user_id == user.id and center.id in user.center_ids(CenterRole.FACILITATOR):
        return Invitation(Outcome.ALREADY_HERE)
    return Invitation(Outcome.ASKED_TO_ACCEPT, _ask_to_accept(center, facilitator, user, invited_by))


def _may_get_a_welcome_link(user: User, center: Center) -> bool:
    """Only an account that has never had a password, with no role anywhere but as a facilitator here:
    whoever reads this center's outbox may read the link, so it must open nothing else."""
    return user.password_set_at is None and all(
        m.center_id == center.id and m.role == CenterRole.FACILITATOR for m in user.memberships)


def _link(center: Center, facilitator: Facilitator, user: User) -> None:
    """Give ``user`` the facilitator role at ``center`` for this facilitator row. An account the row
    was linked to before (its email has changed since) loses the role here unless another row keeps it."""
    previous = facilitator.user_id
    facilitator.user_id = user.id
    _close_invitations_for(facilitator, answered_at=utcnow())  # the row has its account now
    if center.id not in user.center_ids(CenterRole.FACILITATOR):
        user.memberships.append(Membership(center_id=center.id, role=CenterRole.FACILITATOR))
    db.session.flush()
    if previous is not None and previous != user.id:
        still_linked = db.session.scalar(select(Facilitator.id).where(
            Facilitator.center_id == center.id, Facilitator.user_id == previous).limit(1))
        if still_linked is None:
            old = db.session.get(Membership, (previous, center.id, CenterRole.FACILITATOR))
            if old is not None:
                db.session.delete(old)


def _send_welcome(center: Center, facilitator: Facilitator, user: User) -> OutboxMessage:
    link = url_for("self_service.welcome", token=issue_welcome_link(user), _external=True)
    body = _("Hello %(name)s,\n\n%(center)s invites you to the group scheduler, where you can see your groups, "
             "keep your available times up to date and arrange cover with colleagues.\n\nChoose your password "
             "here (the link works for 7 days):\n\n%(link)s\n", name=_first_name(facilitator),
             center=center.name, link=link)
    return mail.send(center.id, user.email, facilitator.name, _("Your account at %(center)s", center=center.name),
                     body)


def _ask_to_accept(center: Center, facilitator: Facilitator, user: User, invited_by: User | None) -> OutboxMessage:
    now = utcnow()
    _close_invitations_for(facilitator, answered_at=now)  # replaced by this one, whoever they were to
    token = secrets.token_urlsafe(32)
    db.session.add(RoleInvitation(user_id=user.id, center_id=center.id, role=CenterRole.FACILITATOR,
                                  facilitator_id=facilitator.id, invited_by_id=invited_by.id if invited_by else None,
                                  token_hash=_digest(token), created_at=now, expires_at=now + ROLE_INVITATION_MAX_AGE))
    db.session.flush()
    link = url_for("self_service.welcome", token=token, _external=True)
    body = _("Hello,\n\n%(center)s would like you to join them as a facilitator in the group scheduler, with "
             "the account you already have (%(email)s).\n\nNothing changes until you accept. To accept, sign in "
             "with your own password and open this link (it works for 14 days):\n\n%(link)s\n\nIf you do not "
             "know %(center)s, ignore this email: nobody can use your account through it.\n",
             center=center.name, email=user.email, link=link)
    return mail.send(center.id, user.email, facilitator.name,
                     _("%(center)s invites you to join as a facilitator", center=center.name), body)


def ask_to_coordinate(center: Center, user: User) -> OutboxMessage:
    """An administrator's offer of the coordinator role to an account that already has a password: it
    is granted only when the owner, signed in, accepts through the link. The email is the account's
    own (no center's outbox shows it): a center's coordinator must not be able to accept for them."""
    now = utcnow()
    for earlier in _open_invitations(user, center_id=center.id):
        if earlier.role == CenterRole.COORDINATOR:
            earlier.answered_at, earlier.accepted = now, False  # replaced by this one
    token = secrets.token_urlsafe(32)
    db.session.add(RoleInvitation(user_id=user.id, center_id=center.id, role=CenterRole.COORDINATOR,
                                  token_hash=_digest(token), created_at=now, expires_at=now + ROLE_INVITATION_MAX_AGE))
    db.session.flush()
    link = url_for("self_service.welcome", token=token, _external=True)
    body = _("Hello,\n\nAn administrator of the group scheduler would like you to coordinate %(center)s, with the "
             "account you already have (%(email)s).\n\nNothing changes until you accept. To accept, sign in with "
             "your own password and open this link (it works for 14 days):\n\n%(link)s\n\nIf you do not know your "
             "password, choose a new one with \"Forgotten your password?\" on the sign-in page first.\n",
             center=center.name, email=user.email, link=link)
    return mail.send(None, user.email, "", _("You are invited to coordinate %(center)s", center=center.name), body)


def _close_invitations_for(facilitator: Facilitator, *, answered_at: dt.datetime) -> None:
    """Earlier open invitations for this facilitator row stop working: only the latest invitation (or
    the account the row is linked to now) can hold the row."""
    if facilitator.id is None:
        return
    for earlier in db.session.scalars(select(RoleInvitation).where(RoleInvitation.facilitator_id == facilitator.id,
                                                                   RoleInvitation.answered_at.is_(None))):
        earlier.answered_at, earlier.accepted = answered_at, False


# --------------------------------------------------------------------------- welcome links


def issue_welcome_link(user: User) -> str:
    """A new welcome link for an account that has never had a password; earlier ones stop working.
    Returns the token, which is shown once (in the email) and stored only as its hash."""
    if user.password_set_at is not None:
        raise ValueError("a welcome link is only for an account that has never had a password")
    now = utcnow()
    for earlier in db.session.scalars(select(WelcomeLink).where(WelcomeLink.user_id == user.id,
                                                                WelcomeLink.used_at.is_(None))):
        earlier.used_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(WelcomeLink(user_id=user.id, token_hash=_digest(token), created_at=now,
                               expires_at=now + WELCOME_MAX_AGE))
    db.session.flush()
    return token


def welcome_link_for(token: str) -> WelcomeLink | None:
    """The live welcome link with this token: unused, unexpired, and its account still without a password."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = _digest(token)
    link = db.session.scalar(select(WelcomeLink).where(WelcomeLink.token_hash == digest))
    if (link is None or not hmac.compare_digest(link.token_hash, digest) or link.used_at is not None
            or _aware(link.expires_at) <= utcnow() or link.user.password_set_at is not None):
        return None
    return link


def choose_first_password(link: WelcomeLink, password: str) -> User:
    """Set the account's first password and use the link up. Raises AccountError for a refused password."""
    accounts.set_password(link.user, password)
    link.used_at = utcnow()
    return link.user


# --------------------------------------------------------------------------- role invitations


def _open_invitations(user: User, *, center_id: int | None = None) -> list[RoleInvitation]:
    query = select(RoleInvitation).where(RoleInvitation.user_id == user.id, RoleInvitation.answered_at.is_(None))
    if center_id is not None:
        query = query.where(RoleInvitation.center_id == center_id)
    now = utcnow()
    return [i for i in db.session.scalars(query.order_by(RoleInvitation.id)) if _aware(i.expires_at) > now]


def pending_for(user: User) -> list[RoleInvitation]:
    """Invitations waiting for this account's answer: shown at sign-in."""
    return _open_invitations(user)


def awaiting_answer(center: Center) -> set[int]:
    """Ids of this center's facilitators whose account's owner has been asked and has not answered."""
    now = utcnow()
    rows = db.session.scalars(select(RoleInvitation).where(RoleInvitation.center_id == center.id,
                                                           RoleInvitation.answered_at.is_(None)))
    return {i.facilitator_id for i in rows if i.facilitator_id is not None and _aware(i.expires_at) > now}


def role_invitation_for(token: str) -> RoleInvitation | None:
    """The open invitation with this token, or None (unknown, answered or expired)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = _digest(token)
    invitation = db.session.scalar(select(RoleInvitation).where(RoleInvitation.token_hash == digest))
    if (invitation is None or not hmac.compare_digest(invitation.token_hash, digest)
            or invitation.answered_at is not None or _aware(invitation.expires_at) <= utcnow()):
        return None
    return invitation


def answer(invitation: RoleInvitation, user: User, *, accept: bool) -> None:
    """The signed-in owner's answer. Only the invited account may answer; accepting grants the role."""
    if invitation.user_id != user.id:
        raise PermissionError("an invitation is answered only by the account it was sent to")
    invitation.answered_at, invitation.accepted = utcnow(), accept
    if not accept:
        return
    facilitator = db.session.get(Facilitator, invitation.facilitator_id) if invitation.facilitator_id else None
    if facilitator is not None and facilitator.center_id == invitation.center_id:
        _link(invitation.center, facilitator, user)
    elif invitation.center_id not in user.center_ids(invitation.role):
        user.memberships.append(Membership(center_id=invitation.center_id, role=invitation.role))
