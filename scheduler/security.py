"""Response headers that every page carries.

The Content-Security-Policy allows scripts and styles only from our own origin: no inline script,
no inline event handlers, no inline style attributes. Pages that carry a secret token in their URL
never put it in a Referer: feeds send none, and token pages with a form send only the origin
(``strict-origin``), which Flask-WTF's CSRF check needs over HTTPS and which names nobody.

Served over HTTPS (directly, or behind the trusted proxy that says so in X-Forwarded-Proto), every
answer carries HSTS for a year, so a browser never again tries the site over plain HTTP.

Links that leave the site (emails, calendar links, QR codes) are built from the configured public
address (``PUBLIC_URL``), never from the request's Host header, which the client writes: a forged
Host must not put another site's address into a participant's email."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, has_request_context, request
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

HSTS = "max-age=31536000"  # one year

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def register(app: Flask) -> None:
    use_public_url(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Token-bearing URLs (participant links, feeds) set their own policy; elsewhere the
        # path may still name a center id, which is no business of other sites either.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:  # behind a proxy, only when SCHEDULER_TRUSTED_PROXIES lets it say so
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages show personal data: never keep them in shared caches.
            response.headers["Cache-Control"] = "no-store"
        return response


def use_public_url(app: Flask) -> None:
    """Every external URL (``url_for(..., _external=True)``, and any URL built outside a request)
    starts with ``PUBLIC_URL`` when it is configured; links within a page stay relative."""
    public = app.config.get("PUBLIC_URL")
    if not public:
        return
    parts = urlsplit(public)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    relative_url_for = app.url_for

    def url_for(endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
        in_request = has_request_context()
        if _external is False or (in_request and _external is None and _scheme is None):
            return relative_url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                    _external=_external, **values)
        if endpoint[:1] == ".":
            blueprint = request.blueprint if in_request else None
            endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
        app.inject_url_defaults(endpoint, values)
        try:
            url = adapter.build(endpoint, values, method=_method, force_external=True)
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return app.handle_url_build_error(error, endpoint, values)
        if _scheme is not None:  # werkzeug builds only http(s) and ws(s); a calendar wants webcal
            url = _scheme + url[url.index(":"):]
        if _anchor is not None:
            url += f"#{quote(_anchor, safe='%!#$&()*+,/:;=?@')}"
        return url

    app.url_for = url_for  # type: ignore[method-assign]
