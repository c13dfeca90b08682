"""Friendly error pages: never a stack trace, always a way back.

A database that cannot be reached and shared rate-limit counts that cannot be read answer 503 with
``Retry-After``, in words, and are logged once per outage rather than once per request (a traceback
for each of thousands of requests buries everything else in the log)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from scheduler.extensions import db
from scheduler.ratelimit import LimitsUnavailable

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_S = 15
# What a database that is down, restarting or out of connections raises: connecting, a dropped
# connection, the pool's wait. Programming errors (a bad query) stay 500s with their traceback.
DATABASE_UNREACHABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


class DatabaseOutage:
    """Whether this process is in a database outage, so that each one is logged once, and its end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since: float | None = None

    def failed(self, error: Exception) -> None:
        with self.lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        reason = str(getattr(error, "orig", error)).strip().splitlines()
        log.error("database unreachable (%s: %s); answering 503 until it is back",
                  type(error).__name__, reason[0] if reason else "")

    def connected(self) -> None:
        with self.lock:
            since, self.since = self.since, None
        if since is not None:
            log.warning("database reachable again after %.0f s", time.monotonic() - since)


def note_database_outage(error: Exception) -> int:
    """Roll back, log the outage once, and return the seconds to put in Retry-After. For error
    handlers of their own (a blueprint's handler for Exception runs before the app's for these)."""
    with contextlib.suppress(*DATABASE_UNREACHABLE):  # the connection is gone; the pool replaces it
        db.session.rollback()
    current_app.extensions["database_outage"].failed(error)
    return DATABASE_RETRY_AFTER_S


def _nobody_signed_in() -> None:
    """Rendering a template asks Flask-Login who is signed in, which reads the database: during an
    outage that would raise again inside the error handler (a 500). The page is drawn for nobody."""
    if "_login_user" not in g:
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]


def unavailable(title: str, message: str, retry_after_s: int) -> Response:
    """503 with Retry-After: plain text where a program reads the answer (feeds), else a page."""
    _nobody_signed_in()
    if request.path.startswith("/feeds/"):
        response = make_response(f"{message}\n", 503)
        response.mimetype = "text/plain"
    else:
        response = make_response(render_template("unavailable.html", title=title, message=message,
                                                 retry_after=retry_after_s), 503)
    response.headers["Retry-After"] = str(retry_after_s)
    return response


def register(app: Flask) -> None:
    outage = DatabaseOutage()
    app.extensions["database_outage"] = outage
    with app.app_context():
        # A new connection after an outage is the database back (pool_pre_ping replaces dead ones).
        event.listen(db.engine, "connect", lambda *_args: outage.connected())

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = _("The form had expired or came from another site. Please go back, reload the page and try again.")
        return render_template("error.html", title=_("Please try again"), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        if request.path.startswith("/api/"):
            # A path or method the API does not have: a problem (RFC 9457) for the program that asked.
            from scheduler.views.api.problems import from_http_exception
            return from_http_exception(error)
        titles = {404: _("Page not found"), 405: _("Not allowed"), 413: _("File too large")}
        messages = {
            404: _("There is nothing here, or it is not yours to see."),
            413: _("The file is larger than the server accepts."),
        }
        code = error.code or 500
        if current_app.extensions["database_outage"].since is not None:
            _nobody_signed_in()
        return render_template("error.html", title=titles.get(code, _("Something went wrong")),
                               message=messages.get(code, "")), code

    @app.errorhandler(LimitsUnavailable)
    def limits_unavailable(error: LimitsUnavailable) -> Response:
        return unavailable(_("Signing in is briefly unavailable"),
                           _("Nothing is wrong with your account. The server cannot check sign-in attempts "
                             "for a moment, so it does not check passwords either."), error.retry_after_s)

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_unreachable(error: Exception) -> Response:
        return unavailable(_("Briefly unavailable"),
                           _("The server cannot reach its database for a moment. Nothing was saved."),
                           note_database_outage(error))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_template("error.html", title=_("Something went wrong"),
                               message=_("Nothing was saved. Please try again; if it keeps happening, tell us.")), 500
