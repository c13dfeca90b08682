"""A participant's personal link, made the way the app makes it (for tests that open the page)."""

from __future__ import annotations

from flask import Flask

from scheduler.extensions import db
from scheduler.models import Participant
from scheduler.services import accounts


def link_for(app: Flask, code: str = "p1") -> str:
    with app.app_context():
        participant = db.session.scalar(db.select(Participant).where(Participant.code == code))
        assert participant is not None
        token = accounts.issue_participant_link(participant)
        db.session.commit()
        return f"/p/{token}"
