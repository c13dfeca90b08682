"""A participant's personal link and a new facilitator's welcome link, made the way the app makes them
(for tests that open the page)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Participant, User
from scheduler.services import accounts, staff_invitations


def link_for(app: Flask, code: str = "p1") -> str:
    with app.app_context():
        participant = db.session.scalar(db.select(Participant).where(Participant.code == code))
        assert participant is not None
        token = accounts.issue_participant_link(participant)
        db.session.commit()
        return f"/p/{token}"


def welcome_link(app: Flask) -> str:
    with app.app_context():
        email = "new-facilitator@staff.example.org"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, password_hash="!")
            db.session.add(user)
            db.session.commit()
        token = staff_invitations.issue_welcome_link(user)
        db.session.commit()
        return f"/welcome/{token}"
