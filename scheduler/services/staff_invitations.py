"""Facilitators get an account by invitation: the coordinator sends a welcome link, the facilitator
chooses a password, and from then on signs in like anyone else.

The welcome link is signed (itsdangerous, with the app's secret), expires after a week, and stops
working once used: it carries a fragment of the password hash, which changes when the password is set."""

from __future__ import annotations

import secrets

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Facilitator, Membership, OutboxMessage, User
from scheduler.services import accounts, mail

WELCOME_MAX_AGE_S = 7 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="facilitator-welcome")


def welcome_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "h": user.password_hash[-16:]})


def user_for_welcome(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=WELCOME_MAX_AGE_S)
    except BadSignature:  # also covers an expired signature
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-16:] != data.get("h"):
        return None
    return user


def invite_facilitator(center: Center, facilitator: Facilitator) -> OutboxMessage | None:
    """Create (or reuse) the facilitator's account, link it, and email a welcome link. None without
    an email address."""
    if not facilitator.email:
        return None
    user = facilitator.user or accounts.find_user(facilitator.email)
    if user is None:
        # No usable password until they choose one: a random hash nobody knows the input of.
        user = User(email=accounts.check_email(facilitator.email),
                    password_hash=accounts.hash_password(secrets.token_urlsafe(32)))
        db.session.add(user)
        db.session.flush()
    if center.id not in user.center_ids(CenterRole.FACILITATOR):
        db.session.add(Membership(user_id=user.id, center_id=center.id, role=CenterRole.FACILITATOR))
    facilitator.user_id = user.id
    db.session.flush()
    link = url_for("self_service.welcome", token=welcome_token(user), _external=True)
    body = _("Hello %(name)s,\n\n%(center)s invites you to the group scheduler, where you can see your groups, "
             "keep your available times up to date and arrange cover with colleagues.\n\nChoose your password "
             "here (the link works for 7 days):\n\n%(link)s\n", name=facilitator.name.split()[0],
             center=center.name, link=link)
    return mail.send(center.id, facilitator.email, facilitator.name, _("Your account at %(center)s",
                                                                       center=center.name), body)


def set_password(user: User, password: str) -> None:
    accounts.check_password(password, user_inputs=(user.email,))
    user.password_hash = accounts.hash_password(password)
