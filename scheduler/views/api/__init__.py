"""The JSON API, ``/api/v1``, for the systems centers already use; described by an OpenAPI 3.1
document that flask-smorest builds from the code (served at ``/api/v1/openapi.json``, committed as
docs/openapi.json). See docs/api.md.

Only this package knows about flask-smorest. Its app-wide JSON error handler is not installed: the
pages keep their own error pages, and the API's blueprints answer problem details (RFC 9457)."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from scheduler.extensions import csrf
from scheduler.views.api import auth, cli, planning, schedules
from scheduler.views.api.problems import PROBLEM_TYPE, ProblemSchema, from_http_exception, problem

API_VERSION = "1.0.0"


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest with problem details documented as every error answer and no app-wide handler."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """The API's blueprints register their own (below); the pages keep theirs."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE if status >= 400 else "application/json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def register(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Group scheduler API")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = ProblemApi(app, spec_kwargs={"info": {"description": (
        "A center's planning data, builds and schedule versions. Authenticate with an API key made on "
        "the center's API keys page: Authorization: Bearer <key>. Errors are RFC 9457 problem details.")}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in (planning.make_blueprint(), schedules.make_blueprint()):
        blueprint.before_request(auth.authenticate)
        blueprint.after_request(auth.record_use)
        blueprint.register_error_handler(Exception, _problem_for)
        csrf.exempt(blueprint)  # bearer tokens only, no cookies: nothing for a forged request to ride on
        api.register_blueprint(blueprint)
    app.extensions["api_v1"] = api
    cli.register(app)


def _problem_for(error: Exception) -> Any:
    from flask import current_app
    from werkzeug.exceptions import HTTPException, InternalServerError

    from scheduler.views.errors import DATABASE_UNREACHABLE, note_database_outage

    if isinstance(error, HTTPException):
        return from_http_exception(error)
    if isinstance(error, DATABASE_UNREACHABLE):
        # Like the pages: 503 with Retry-After, one log line per outage, not a traceback per request.
        retry_after_s = note_database_outage(error)
        return problem(503, _("Briefly unavailable"),
                       _("The server cannot reach its database for a moment. Nothing was saved."),
                       headers={"Retry-After": str(retry_after_s)})
    current_app.logger.exception("unhandled error in the API")
    return from_http_exception(InternalServerError())


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document as served (the test compares it with docs/openapi.json)."""
    document: dict[str, Any] = app.extensions["api_v1"].spec.to_dict()
    return document
