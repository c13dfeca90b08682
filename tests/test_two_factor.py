"""Two-factor sign-in: set-up, the code step, no replay, brute-force limits, and a center that
requires it of every coordinator."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, User
from tests.conftest import sign_in


@pytest.fixture
def center_id(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")
    make_coordinator("ana@example.org", "North")
    make_coordinator("ben@example.org", "North")
    return cid


def set_up(client: FlaskClient) -> pyotp.TOTP:
    """Ana turns it on from her account page, as a person would; returns her authenticator."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page
    key = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', page)
    assert key, page
    app = pyotp.TOTP(key.group(1))
    wrong = client.post("/account/two-factor", data={"code": "000000" if app.now() != "000000" else "111111"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert client.post("/account/two-factor", data={"code": app.now()}).status_code == 302
    return app


def user(app: Flask, email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: the one set-up used is spent, and a phone's clock a little
    ahead is forgiven."""
    import datetime as dt

    return totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))


def test_after_set_up_the_password_alone_no_longer_signs_in(app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    totp = set_up(client)
    with app.app_context():
        assert user(app, "ana@example.org").totp_secret is not None
    client.post("/sign-out")

    answer = sign_in(client, "ana@example.org")
    assert answer.headers["Location"].startswith("/sign-in/code")
    assert client.get(f"/centers/{center_id}/").status_code == 302  # not signed in yet
    assert "not right" in client.post("/sign-in/code", data={"code": "12345"}).get_data(as_text=True)
    assert "not right" in client.post("/sign-in/code", data={"code": "abcdef"}).get_data(as_text=True)
    with app.app_context():
        spent = totp.generate_otp(user(app, "ana@example.org").totp_last_step)  # the set-up used this one
    assert "not right" in client.post("/sign-in/code", data={"code": spent}).get_data(as_text=True)
    code = next_code(totp)
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    assert client.get(f"/centers/{center_id}/").status_code == 200
    client.post("/sign-out")

    sign_in(client, "ana@example.org")  # the same code, replayed (an onlooker, a proxy log)
    assert "not right" in client.post("/sign-in/code", data={"code": code}).get_data(as_text=True)
    assert client.get(f"/centers/{center_id}/").status_code == 302


def test_the_code_step_cannot_be_skipped_or_guessed_for_long(app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    totp = set_up(client)
    client.post("/sign-out")
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"  # no password given
    sign_in(client, "ana@example.org")
    for _ in range(5):
        client.post("/sign-in/code", data={"code": "000000" if totp.now() != "000000" else "111111"})
    sixth = client.post("/sign-in/code", data={"code": next_code(totp)})
    assert sixth.headers["Location"] == "/sign-in"  # even the right code, after five wrong ones
    assert client.get(f"/centers/{center_id}/").status_code == 302


def test_a_center_can_require_it_of_every_coordinator(app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    client.post(f"/centers/{center_id}/two-factor", data={f"c{center_id}-required": "y"})
    with app.app_context():
        assert not db.session.get(Center, center_id).require_two_factor  # type: ignore[union-attr]
    set_up(client)  # her own first, so she cannot lock herself out
    client.post(f"/centers/{center_id}/two-factor", data={f"c{center_id}-required": "y"})
    with app.app_context():
        assert db.session.get(Center, center_id).require_two_factor  # type: ignore[union-attr]
    assert "Turn it off" not in client.get("/account/two-factor").get_data(as_text=True)
    client.post("/account/two-factor/off")
    with app.app_context():
        assert user(app, "ana@example.org").totp_secret is not None  # required: it stays on
    client.post("/sign-out")

    sign_in(client, "ben@example.org")  # Ben has none yet: every page leads to the set-up
    for page in (f"/centers/{center_id}/", f"/centers/{center_id}/schedule/", "/"):
        assert client.get(page).headers["Location"] == "/account/two-factor", page
    set_up(client)
    assert client.get(f"/centers/{center_id}/").status_code == 200
    log = client.get(f"/centers/{center_id}/audit").get_data(as_text=True)
    assert "ana@example.org changed whether coordinators must sign in with a code" in log
    assert "required: no → yes" in log and "center.two_factor" not in log


def test_turning_it_off_needs_the_password_again(app: Flask, client: FlaskClient, center_id: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "ana@example.org")
    set_up(client)
    import scheduler.views.auth as auth_views

    monkeypatch.setattr(auth_views, "RECENT_PASSWORD_S", -1)  # the sign-in is no longer recent
    answer = client.post("/account/two-factor/off", headers={"Referer": "http://localhost/account/two-factor"})
    assert answer.headers["Location"].startswith("/confirm-password")
    with app.app_context():
        assert user(app, "ana@example.org").totp_secret is not None
