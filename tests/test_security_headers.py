"""Every response carries the security headers; pages are not cached by shared caches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from tests.conftest import make_app, sign_in


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


def test_hsts_for_a_year_whenever_served_over_https(database_url: str, tmp_path: Path) -> None:
    direct = make_app(database_url, tmp_path / "direct").test_client()
    assert direct.get("/sign-in", base_url="https://localhost").headers["Strict-Transport-Security"] == \
        "max-age=31536000"
    assert "Strict-Transport-Security" not in direct.get("/sign-in").headers  # plain HTTP: a browser ignores it
    # Without a trusted proxy, X-Forwarded-Proto is the client's own word and changes nothing.
    assert "Strict-Transport-Security" not in direct.get("/sign-in", headers={"X-Forwarded-Proto": "https"}).headers
    proxied = make_app(database_url, tmp_path / "proxied", TRUSTED_PROXIES=1).test_client()
    for url in ("/sign-in", f"/feeds/{'A' * 43}.ics", "/p/unknown", "/static/style.css"):
        with proxied.get(url, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}) as answer:
            assert answer.headers["Strict-Transport-Security"] == "max-age=31536000", url
