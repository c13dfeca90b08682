"""The scheduler web app: ``create_app()`` builds it; nothing is read at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from scheduler.config import load_config
from scheduler.extensions import babel, csrf, db, login_manager, migrate


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    load_config(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message_category = "info"
    # Flask-Login's own message is English; ours is translated when it is flashed.
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str
    app.jinja_env.globals["get_locale"] = get_locale

    from scheduler import cli, models, security
    from scheduler.i18n import register_filters
    from scheduler.views import auth, coordinator, errors, language, schedules
    from scheduler.views import calendars as calendar_views
    from scheduler.views import editing as editing_views
    from scheduler.views import feeds as feed_views
    from scheduler.views import glossary as glossary_views
    from scheduler.views import health as health_views
    from scheduler.views import self_service as self_service_views
    from scheduler.views import swaps as swaps_views
    from scheduler.views import two_factor as two_factor_views
    from scheduler.views import waitlists as waitlist_views
    from scheduler.views.advice import best_fit as best_fit_views
    from scheduler.views.monitoring import followup as followup_views
    from scheduler.views.monitoring import outcomes as outcome_views
    from scheduler.views.monitoring import register as register_views
    from scheduler.views.monitoring import reminders as reminder_views
    from scheduler.views.monitoring import report as report_views

    @login_manager.user_loader
    def load_user(session_id: str) -> models.User | None:
        # "<user id>:<session version>": a session from before "sign out everywhere" no longer loads.
        user_id, _sep, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(models.User, int(user_id))
        return user if user is not None and user.session_version == int(version) else None

    app.register_blueprint(auth.bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(schedules.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(editing_views.bp)
    app.register_blueprint(swaps_views.bp)
    app.register_blueprint(waitlist_views.bp)
    app.register_blueprint(best_fit_views.bp)
    app.register_blueprint(feed_views.bp)
    app.register_blueprint(calendar_views.bp)
    app.register_blueprint(self_service_views.bp)
    app.register_blueprint(two_factor_views.bp)
    app.register_blueprint(glossary_views.bp)
    app.register_blueprint(health_views.bp)
    app.register_blueprint(reminder_views.bp)
    app.register_blueprint(outcome_views.bp)
    app.register_blueprint(report_views.bp)
    app.register_blueprint(register_views.bp)
    app.register_blueprint(register_views.cli_bp)
    app.register_blueprint(followup_views.bp)
    from scheduler.views import api as api_views
    from scheduler.views.api import keys_page as api_keys_views

    app.register_blueprint(api_keys_views.bp)
    api_views.register(app)
    from scheduler.views.advice import what_if as what_if_views

    app.register_blueprint(what_if_views.bp)
    from scheduler.views.advice import suggestions as suggestion_views

    app.register_blueprint(suggestion_views.bp)
    feed_views.install_log_redaction(app)
    app.jinja_env.globals["LANGUAGE_NAMES"] = language.LANGUAGE_NAMES
    register_filters(app)
    errors.register(app)
    security.register(app)
    cli.register(app)
    return app


def _select_locale() -> str | None:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return None  # background work (solver threads, CLI) uses the default language
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


def _select_timezone() -> str | None:
    """Times on a center's pages are that center's local times, whoever reads them and from where
    (the center's id is in the address); elsewhere BABEL_DEFAULT_TIMEZONE."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from scheduler.models import Center

    center_id = (request.view_args or {}).get("center_id") if has_request_context() else None
    center = db.session.get(Center, center_id) if isinstance(center_id, int) else None
    if center is None:
        return None
    try:
        ZoneInfo(center.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # never a failed page over a time zone: the import checks it anyway
    return center.timezone


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always enforces them.
    # WAL lets pages read while a solve's heartbeat writes; busy_timeout waits out short locks.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
