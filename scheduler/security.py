"""Response headers that every page carries.

The Content-Security-Policy allows scripts and styles only from our own origin: no inline script,
no inline event handlers, no inline style attributes. Pages that carry a secret token in their URL
send no referrer at all, so the token cannot leak to another site through a link."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

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
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Token-bearing URLs (participant links, feeds) set no-referrer themselves; elsewhere the
        # path may still name a center id, which is no business of other sites either.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages show personal data: never keep them in shared caches.
            response.headers["Cache-Control"] = "no-store"
        return response
