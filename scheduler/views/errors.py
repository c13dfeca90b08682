"""Friendly error pages: never a stack trace, always a way back."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from scheduler.extensions import db


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = _("The form had expired or came from another site. Please go back, reload the page and try again.")
        return render_template("error.html", title=_("Please try again"), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        titles = {404: _("Page not found"), 405: _("Not allowed"), 413: _("File too large")}
        messages = {
            404: _("There is nothing here, or it is not yours to see."),
            413: _("The file is larger than the server accepts."),
        }
        code = error.code or 500
        return render_template("error.html", title=titles.get(code, _("Something went wrong")),
                               message=messages.get(code, "")), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_template("error.html", title=_("Something went wrong"),
                               message=_("Nothing was saved. Please try again; if it keeps happening, tell us.")), 500
