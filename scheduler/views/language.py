"""Choosing the interface language; the choice is kept in the (signed) session cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

bp = Blueprint("language", __name__)

LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # each in its own language, so never translated


@bp.post("/language")
def choose() -> Response:
    chosen = request.form.get("locale", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["locale"] = chosen
    back = request.form.get("next", "")
    # Only a path on this site: never an open redirect.
    if not back.startswith("/") or back.startswith("//") or urlsplit(back).netloc:
        back = url_for("coordinator.index")
    return redirect(back)
