"""Who is calling: the bearer token names one API key, and the key one center.

No cookie is read or set here, so a browser's session gives no access to the API and the API has
no CSRF surface. Wrong tokens are rate-limited per address like every other secret of the app
(personal links, feed tokens: 60 a minute); a good key may make a generous number of requests a
minute, so a runaway script cannot monopolise the server."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.models import ApiKey, Center
from scheduler.services import api_keys
from scheduler.views.api.problems import problem

WRONG_KEYS_PER_MINUTE = 60
REQUESTS_PER_KEY_PER_MINUTE = 600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _too_many(verdict: ratelimit.Verdict) -> Response:
    return problem(429, _("Too many requests"), _("Wait %(seconds)d seconds and try again.",
                                                  seconds=verdict.retry_after_s),
                   headers={"Retry-After": str(verdict.retry_after_s)})


def authenticate() -> Response | None:
    """Before every API request: find the key, check its scope; a problem response refuses. Only
    wrong keys count against the address (as with feed tokens), so a right key is never held up by
    someone else's guessing from the same network."""
    token = _bearer()
    key = api_keys.find_active(token) if token else None
    if key is None:
        missed = ratelimit.hit("api-key-miss", request.remote_addr or "-", WRONG_KEYS_PER_MINUTE, 60)
        if not missed.allowed:
            return _too_many(missed)
        return problem(401, _("Unauthorized"), _("Send a valid API key: Authorization: Bearer <key>."),
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    verdict = ratelimit.hit("api-key", str(key.id), REQUESTS_PER_KEY_PER_MINUTE, 60)
    if not verdict.allowed:
        return _too_many(verdict)
    g.api_key = key
    if request.method not in SAFE_METHODS and not key.can_write:
        return problem(403, _("Forbidden"), _("This API key may only read. Make a read-write key to change data."))
    return None


def record_use(response: Response) -> Response:
    """After every request made with a valid key: last use and an audit entry, in their own commit
    (the request's change, if any, was committed or rolled back already)."""
    key: ApiKey | None = g.pop("api_key", None)
    if key is not None:
        db.session.rollback()  # whatever a refused request left in the session goes first
        key = db.session.merge(key)
        api_keys.record_use(key, request.method, request.path, response.status_code)
        db.session.commit()
    return response


def current_key() -> ApiKey:
    key: ApiKey = g.api_key
    return key


def current_center() -> Center:
    return current_key().center
