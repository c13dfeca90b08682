"""Remembering the language a person chose: a participant's on their row (their page, their emails
and their calendar follow it), a staff member's on their account (it follows them to every device
they sign in on). Nothing is committed here; the request commits once."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, Participant, User


def known(locale: str | None) -> bool:
    return bool(locale) and locale in current_app.config["LANGUAGES"]


def set_participant_locale(participant: Participant, locale: str | None) -> bool:
    """Their language, or None for "not chosen"; an unknown code changes nothing. True if it changed."""
    if locale is not None and not known(locale):
        return False
    if participant.locale == locale:
        return False
    participant.locale = locale
    return True


def set_user_locale(user: User, locale: str) -> bool:
    if not known(locale) or user.locale == locale:
        return False
    user.locale = locale
    return True


def participant_by_code(center: Center, code: str) -> Participant | None:
    return db.session.scalar(select(Participant).where(Participant.center_id == center.id,
                                                       Participant.code == code))
