"""Every response carries the security headers; pages are not cached by shared caches."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.conftest import sign_in


def test_pages_carry_a_strict_policy(client: FlaskClient, make_center: Callable[..., int],
                                     make_coordinator: Callable[..., None]) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    for url in ("/sign-in", f"/centers/{center_id}/", f"/centers/{center_id}/schedule/", "/no-such-page"):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, url
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store", url


def test_templates_have_no_inline_script_or_style() -> None:
    # The policy would block them in the browser; catch them before a person does.
    import re
    from pathlib import Path

    offenders = []
    for path in (Path(__file__).resolve().parents[1] / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text) \
                or re.search(r"\sstyle=\"", text) or "<style" in text:
            offenders.append(path.name)
    assert offenders == []



def test_the_session_cookie_is_secure_httponly_and_samesite(client: FlaskClient, make_center: Callable[..., int],
                                                            make_coordinator: Callable[..., None]) -> None:
    """The defaults, as deployed: only `make run` (plain HTTP on loopback) turns Secure off."""
    make_center("North")
    make_coordinator("ana@example.org", "North")
    cookie = sign_in(client, "ana@example.org").headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite"} <= attributes, cookie
    assert "SameSite=Lax" in cookie
