"""Choosing the interface language. The choice is kept in the (signed) session cookie; a signed-in
person's also on their account, so it follows them to another device; a participant's, chosen on
their personal page, on their row, so their emails and calendar follow it too."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from scheduler.extensions import db
from scheduler.i18n import LANGUAGE_NAMES
from scheduler.services import languages

__all__ = ["LANGUAGE_NAMES", "bp"]

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose() -> Response:
    chosen = request.form.get("locale", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["locale"] = chosen
        if current_user.is_authenticated and languages.set_user_locale(current_user, chosen):
            db.session.commit()
    back = request.form.get("next", "")
    # Only a path on this site: never an open redirect.
    if not back.startswith("/") or back.startswith("//") or urlsplit(back).netloc:
        back = url_for("coordinator.index")
    return redirect(back)


@bp.post("/p/<token>/language")
def choose_for_participant(token: str) -> Response:
    """The language switcher on a participant's own page: it becomes their language."""
    from scheduler.views.self_service import _no_referrer, _participant_or_gone

    participant = _participant_or_gone(token)
    chosen = request.form.get("locale", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["locale"] = chosen
        if languages.set_participant_locale(participant, chosen):
            db.session.commit()
    return _no_referrer(redirect(url_for("self_service.page", token=token)))
