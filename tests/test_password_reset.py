"""Forgotten passwords: the page answers the same for every address, the link goes to the account's own
mail (no center's outbox), works once and for an hour, ends every session, and never gets round
two-factor. And `create-coordinator` on an account that has a password only asks its owner."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from scheduler.extensions import db
from scheduler.models import CenterRole, OutboxMessage, User
from scheduler.models.accounts import PasswordReset
from scheduler.services import accounts
from tests.conftest import PASSWORD, sign_in

NEW_PASSWORD = "a brand new passphrase for spring"
LINK = re.compile(r"https?://[^/\s]+(/welcome/[A-Za-z0-9_\-.]+)")


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def north(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    center = make_center("North")
    make_coordinator("ana@example.org", "North")
    return center


def mail_to(app: Flask, email: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == email)
                                       .order_by(OutboxMessage.id)))


def reset_links(app: Flask, email: str) -> list[str]:
    return [m.group(1) for message in mail_to(app, email) if message.center_id is None
            for m in LINK.finditer(message.body)]


def ask(client: FlaskClient, email: str) -> tuple[int, str]:
    answer = client.post("/password-reset", data={"email": email}, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
        app: Flask, client: FlaskClient, north: int) -> None:
    assert 'href="/password-reset"' in client.get("/sign-in").get_data(as_text=True)
    known = ask(client, "ana@example.org")
    unknown = ask(app.test_client(), "nobody@example.org")
    assert known[0] == unknown[0] == 200
    def same(page: str, email: str) -> str:
        return re.sub(r'name="csrf_token"[^>]*>', "", page.replace(email, "X"))

    assert same(known[1], "ana@example.org") == same(unknown[1], "nobody@example.org")
    assert "a link to choose a new password has been sent" in known[1]
    assert mail_to(app, "nobody@example.org") == []
    [message] = mail_to(app, "ana@example.org")
    assert message.center_id is None  # the account's own mail: in no center's outbox
    ana = app.test_client()
    sign_in(ana, "ana@example.org")
    assert "/welcome/" not in ana.get(f"/centers/{north}/outbox").get_data(as_text=True)


def test_the_limit_counts_every_address_alike(app: Flask, client: FlaskClient, north: int) -> None:
    for email in ("ana@example.org", "nobody@example.org"):
        statuses = [app.test_client().post("/password-reset", data={"email": email}).status_code for _ in range(4)]
        assert statuses == [302, 302, 302, 429], email
    assert len(reset_links(app, "ana@example.org")) == 3


def test_a_link_works_once_ends_every_session_and_keeps_the_old_password_out(
        app: Flask, client: FlaskClient, north: int) -> None:
    signed_in_elsewhere = app.test_client()
    sign_in(signed_in_elsewhere, "ana@example.org")
    assert signed_in_elsewhere.get(f"/centers/{north}/").status_code == 200
    ask(client, "ana@example.org")
    [link] = reset_links(app, "ana@example.org")
    page = client.get(link).get_data(as_text=True)
    assert 'name="again"' in page and "ana@example.org" in page
    # A refused password changes nothing and keeps the link.
    assert "not the same" in client.post(link, data={"password": NEW_PASSWORD, "again": "x"}).get_data(as_text=True)
    assert "too easy to guess" in client.post(link, data={"password": "password1234",
                                                          "again": "password1234"}).get_data(as_text=True)
    assert signed_in_elsewhere.get(f"/centers/{north}/").status_code == 200
    answer = client.post(link, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/sign-in")
    assert client.get(f"/centers/{north}/").status_code != 200  # the link signs nobody in
    assert signed_in_elsewhere.get(f"/centers/{north}/").status_code != 200  # every session ended
    assert client.get(link).status_code == 404
    assert client.post(link, data={"password": PASSWORD, "again": PASSWORD}).status_code == 404
    with app.app_context():
        assert accounts.authenticate("ana@example.org", PASSWORD) is None
        assert accounts.authenticate("ana@example.org", NEW_PASSWORD) is not None


def test_choosing_a_password_uses_up_the_account_s_other_reset_links(
        app: Flask, client: FlaskClient, north: int) -> None:
    ask(client, "ana@example.org")
    ask(client, "ana@example.org")
    first, second = reset_links(app, "ana@example.org")
    assert client.post(second, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 302
    assert client.get(first).status_code == 404


def test_a_link_expires_after_an_hour(app: Flask, client: FlaskClient, north: int) -> None:
    ask(client, "ana@example.org")
    [link] = reset_links(app, "ana@example.org")
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset))
        assert reset is not None
        assert dt.timedelta(minutes=59) < reset.expires_at - reset.created_at <= dt.timedelta(hours=1)
        db.session.execute(update(PasswordReset).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()
    assert client.get(link).status_code == 404
    assert client.post(link, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 404
    with app.app_context():
        assert accounts.authenticate("ana@example.org", PASSWORD) is not None


def test_only_the_hash_of_the_token_is_kept(app: Flask, client: FlaskClient, north: int) -> None:
    ask(client, "ana@example.org")
    [link] = reset_links(app, "ana@example.org")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits
    with app.app_context():
        stored = db.session.scalar(select(PasswordReset.token_hash))
    assert stored is not None and token not in stored


def test_two_factor_is_still_asked_after_a_reset(app: Flask, client: FlaskClient, north: int) -> None:
    sign_in(client, "ana@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    key = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', page)
    assert key
    assert client.post("/account/two-factor", data={"code": pyotp.TOTP(key.group(1)).now()}).status_code == 302
    stranger = app.test_client()
    ask(stranger, "ana@example.org")
    [link] = reset_links(app, "ana@example.org")
    assert stranger.post(link, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 302
    answer = sign_in(stranger, "ana@example.org", NEW_PASSWORD)
    assert "/sign-in/code" in answer.headers["Location"]
    assert stranger.get(f"/centers/{north}/").status_code != 200
    with app.app_context():
        user = accounts.find_user("ana@example.org")
        assert user is not None and user.totp_secret is not None


def test_create_coordinator_only_asks_an_account_that_has_a_password(
        app: Flask, client: FlaskClient, make_center: Callable[..., int], north: int) -> None:
    """The operator's password is not used and the role waits for the owner, who accepts through the
    link in the account's own mail while signed in."""
    south = make_center("South")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["create-coordinator", "ana@example.org", "--center", "South",
                               "--password", NEW_PASSWORD])
    assert done.exit_code == 0, done.output
    assert "now coordinates" not in done.output
    assert "was NOT made a coordinator" in done.output and "NOT used" in done.output
    with app.app_context():
        assert accounts.authenticate("ana@example.org", NEW_PASSWORD) is None
        user = accounts.find_user("ana@example.org")
        assert user is not None and south not in user.center_ids(CenterRole.COORDINATOR)
    shown = runner.invoke(args=["account-mail", "ana@example.org"])
    [link] = reset_links(app, "ana@example.org")
    assert link in shown.output
    sign_in(client, "ana@example.org")
    assert "South" not in client.get("/", follow_redirects=True).get_data(as_text=True).split("<main")[-1]
    assert client.post(link, data={"answer": "accept"}).status_code == 302
    assert client.get(f"/centers/{south}/").status_code == 200
    again = runner.invoke(args=["create-coordinator", "ana@example.org", "--center", "South",
                                "--password", NEW_PASSWORD])
    assert again.exit_code == 2 and "already a coordinator" in again.output


def test_create_coordinator_still_makes_a_new_account(app: Flask, north: int) -> None:
    done = app.test_cli_runner().invoke(args=["create-coordinator", "cy@example.org", "--center", "North",
                                              "--password", NEW_PASSWORD])
    assert done.exit_code == 0 and 'cy@example.org now coordinates "North"' in done.output
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.email == "cy@example.org")) is not None


def test_a_lost_second_factor_is_cleared_by_an_administrator_only(app: Flask, client: FlaskClient, north: int) -> None:
    sign_in(client, "ana@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    key = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', page)
    assert key
    assert client.post("/account/two-factor", data={"code": pyotp.TOTP(key.group(1)).now()}).status_code == 302
    runner = app.test_cli_runner()
    done = runner.invoke(args=["clear-two-factor", "ana@example.org"])
    assert done.exit_code == 0, done.output
    assert client.get(f"/centers/{north}/").status_code != 200  # every session ended
    answer = sign_in(app.test_client(), "ana@example.org")
    assert answer.status_code == 302 and "/sign-in/code" not in answer.headers["Location"]
    assert runner.invoke(args=["clear-two-factor", "ana@example.org"]).exit_code == 2
