"""Calendar feeds at ``/feeds/<token>.ics``: no sign-in, the token is the key.

Unknown, malformed and revoked tokens all get the same 404, so a guess learns nothing. Clients poll,
so answers carry a strong ETag and Last-Modified and a 304 when nothing changed."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

from flask import Blueprint, Flask, Response, abort, request

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


class RedactTokens(logging.Filter):
    """Keeps the secret in token URLs out of the logs: a token in a log is a subscription, a
    participant's personal page or a facilitator's account, open to whoever reads the log.

    Covers every route whose path holds a token (``/feeds/<token>.ics``, ``/p/<token>...``,
    ``/welcome/<token>``) in every spelling a server would serve or a client could send: each run
    of non-blank text is percent-decoded (repeatedly: ``%2570`` is ``%70`` is ``p``) and the route
    found in any letter case, between repeated slashes, backslashes or ``/./``; also in a ``next=``
    query. A run that was spelled otherwise than plainly is logged decoded, re-quoted (no line breaks
    smuggled in) and redacted. Works in whatever form a logger is handed the text: gunicorn's access
    log passes one mapping of atoms, werkzeug and gunicorn's error log a tuple, Flask's error log a
    finished message; a traceback's text is redacted too. The message is rendered here and stored
    redacted, so no handler or formatter can see the original."""

    SEPARATOR = r"[/\\](?:\.?[/\\])*"
    TOKEN_ROUTE = re.compile(rf"({SEPARATOR}(?:feeds|p|welcome){SEPARATOR})([^/\\\s\"'?#&]+)", re.IGNORECASE)
    RUN = re.compile(r"[^\s\"']+")
    QUOTE_SAFE = "/:?#[]@!$&()*+,;=-._~"

    @classmethod
    def redact(cls, text: str) -> str:
        return cls.RUN.sub(cls._redact_run, text)

    @classmethod
    def _redact_run(cls, match: re.Match[str]) -> str:
        run = match.group(0)
        decoded = cls._decoded(run)
        if not cls.TOKEN_ROUTE.search(decoded):
            return run
        if decoded == run:
            return cls.TOKEN_ROUTE.sub(cls._replacement, run)
        return quote(cls.TOKEN_ROUTE.sub(cls._replacement, decoded), safe=cls.QUOTE_SAFE)

    @staticmethod
    def _decoded(run: str) -> str:
        for _round in range(5):
            decoded = unquote(run, errors="replace")
            if decoded == run:
                break
            run = decoded
        return run

    @staticmethod
    def _replacement(match: re.Match[str]) -> str:
        # Keep the shape of the route (".ics") so the log still says which kind of URL it was.
        return match.group(1) + ("[token].ics" if match.group(2).lower().endswith(".ics") else "[token]")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; logging reports it itself, with the raw arguments
            message = None
        if message is not None:
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# The loggers that write request paths: the development server, gunicorn's access and error logs.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def install_log_redaction(app: Flask) -> None:
    """On the loggers that write request paths, and on the app's own (Flask logs "Exception on <path>")."""
    for logger in (*(logging.getLogger(name) for name in REQUEST_LOGGERS), app.logger):
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
