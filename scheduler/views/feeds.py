"""Calendar feeds at ``/feeds/<token>.ics``: no sign-in, the token is the key.

Unknown, malformed and revoked tokens all get the same 404, so a guess learns nothing. Clients poll,
so answers carry a strong ETag and Last-Modified and a 304 when nothing changed."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, request

from scheduler import ratelimit
from scheduler.services import feed_content, feed_tokens

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

MAX_AGE_S = 900


@bp.get("/<token>.ics")
def feed(token: str) -> Response:
    row = feed_tokens.resolve(token)
    if row is None:
        # Guessing tokens is slowed per address; a known token is never limited by others' misses.
        verdict = ratelimit.hit("token-miss", request.remote_addr or "-", 60, 60)
        if not verdict.allowed:
            abort(Response("Too many requests\n", 429, {"Retry-After": str(verdict.retry_after_s)},
                           mimetype="text/plain"))
        # Plain and constant: the HTML error page would echo the URL, token included.
        abort(Response("Not found\n", 404, mimetype="text/plain"))
    verdict = ratelimit.hit("feed", row.token_hash, 120, 60)  # calendar apps poll every few minutes at most
    if not verdict.allowed:
        abort(Response("Too many requests\n", 429, {"Retry-After": str(verdict.retry_after_s)},
                       mimetype="text/plain"))
    content = feed_content.feed_for(row)
    response = Response(content.body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.set_etag(content.etag.strip('"'))
    response.last_modified = content.last_modified
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE_S}"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response.make_conditional(request)


class RedactFeedTokens(logging.Filter):
    """Keeps feed tokens out of access logs: a token in a log is a subscription anyone can read."""

    PATTERN = re.compile(r"/feeds/[^/\s\"?]+\.ics")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub("/feeds/[token].ics", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = self.PATTERN.sub("/feeds/[token].ics", record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())
