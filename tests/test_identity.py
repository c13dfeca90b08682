"""An email address is one person in the whole deployment; roles are per center. These tests replay
the takeovers of issue 16 (a coordinator of center B typing center A's coordinator's address on a
facilitator and inviting it; two centers with a facilitator of the same email; re-inviting a
facilitator who has a password; an account made in someone's name through a welcome link read in the
outbox) and check the rules that stop them: welcome links only for accounts that never had a
password, random, stored hashed, single use, expiring, ending in the normal sign-in; an existing
account gains a role only when its owner, signed in, accepts through the emailed link; every password
change ends the account's other sessions; TOTP secrets encrypted with a key outside the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    Center,
    CenterRole,
    Facilitator,
    Membership,
    OutboxMessage,
    RoleInvitation,
    User,
    WelcomeLink,
)
from scheduler.services import accounts, staff_invitations, two_factor
from tests.conftest import PASSWORD, sign_in

NEW_PASSWORD = "violet kettles hum at dawn"
ATTACKER_PASSWORD = "the attacker chose this one"


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes: what these tests check is who gets in, not how slowly."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def centers(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> tuple[int, int]:
    """Center A (North, coordinator ana@example.org) and center B (South, coordinator bo@example.org),
    both from the same scenario: each has facilitators fac1..fac8 with the same email addresses."""
    a, b = make_center("North"), make_center("South")
    make_coordinator("ana@example.org", "North")
    make_coordinator("bo@example.org", "South")
    return a, b


def account(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None, email
    return found


def facilitator(center_id: int, code: str) -> Facilitator:
    found = db.session.scalar(select(Facilitator).where(Facilitator.center_id == center_id, Facilitator.code == code))
    assert found is not None
    return found


def links_in_outbox(app: Flask, center_id: int) -> list[str]:
    with app.app_context():
        bodies = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.center_id == center_id))
        pattern = re.compile(r"https?://[^/\s]+(/welcome/[A-Za-z0-9_\-.]+)")
        return [m.group(1) for body in bodies for m in pattern.finditer(body)]


def invite(client: FlaskClient, center_id: int, code: str) -> str:
    response = client.post(f"/centers/{center_id}/answers/facilitators/{code}/invite", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def welcome_fac1(app: Flask, client: FlaskClient, center_id: int, coordinator: str) -> None:
    """Center's coordinator invites fac1 (a new account); fac1 chooses a password through the link."""
    sign_in(client, coordinator)
    invite(client, center_id, "fac1")
    client.post("/sign-out")
    [link] = links_in_outbox(app, center_id)
    assert client.post(link, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 302


def try_every_link_as_attacker(app: Flask, client: FlaskClient, center_id: int) -> None:
    """What an attacker who reads a center's outbox does with every link in it: set a password, and
    accept while signed in as themselves."""
    for link in links_in_outbox(app, center_id):
        client.post(link, data={"password": ATTACKER_PASSWORD, "again": ATTACKER_PASSWORD})
        client.post(link, data={"answer": "accept"})


def roles(email: str) -> set[tuple[int, CenterRole]]:
    return {(m.center_id, m.role) for m in account(email).memberships}


# --------------------------------------------------------------------------- the attacks of the issue


def test_b_s_coordinator_typing_a_s_coordinator_s_address_gains_nothing(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, b = centers
    with app.app_context():
        ana = account("ana@example.org")
        ana.totp_secret = two_factor.seal(pyotp.random_base32())  # A's coordinator uses a second factor
        facilitator(b, "fac1").email = "ana@example.org"
        db.session.commit()
        before = (ana.password_hash, ana.session_version, ana.totp_secret)
    sign_in(client, "bo@example.org")
    said = invite(client, b, "fac1")
    assert "already belongs to an account" in said  # the coordinator is told plainly
    links = links_in_outbox(app, b)
    assert len(links) == 1  # an invitation to accept, not a password link
    try_every_link_as_attacker(app, client, b)
    client.post("/sign-out")
    try_every_link_as_attacker(app, client, b)
    with app.app_context():
        ana = account("ana@example.org")
        assert (ana.password_hash, ana.session_version, ana.totp_secret) == before
        assert roles("ana@example.org") == {(a, CenterRole.COORDINATOR)}
        assert facilitator(b, "fac1").user_id is None
    # The password the attacker typed opens nothing; center A stays closed to B's coordinator.
    assert sign_in(client, "ana@example.org", ATTACKER_PASSWORD).status_code == 200
    sign_in(client, "bo@example.org")
    assert client.get(f"/centers/{a}/").status_code == 404
    assert client.get(f"/centers/{a}/answers/").status_code == 404


def test_two_centers_with_a_facilitator_of_the_same_email(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, b = centers
    welcome_fac1(app, client, a, "ana@example.org")
    sign_in(client, "bo@example.org")
    said = invite(client, b, "fac1")
    assert "already belongs to an account" in said
    assert "Their account was asked to accept" in client.get(f"/centers/{b}/answers/").get_data(as_text=True)
    try_every_link_as_attacker(app, client, b)  # B's coordinator, signed in, with B's outbox
    client.post("/sign-out")
    try_every_link_as_attacker(app, client, b)
    with app.app_context():
        assert roles("fac1@example.org") == {(a, CenterRole.FACILITATOR)}
        assert accounts.authenticate("fac1@example.org", NEW_PASSWORD) is not None
    assert sign_in(client, "fac1@example.org", ATTACKER_PASSWORD).status_code == 200  # refused

    # The person: told at sign-in, then accepts through the emailed link while signed in.
    signed_in = client.post("/sign-in", data={"email": "fac1@example.org", "password": NEW_PASSWORD},
                            follow_redirects=True).get_data(as_text=True)
    # The notice does not name the center: only the link in the mailbox does (docs/security.md).
    assert "A center invites you to join as a facilitator" in signed_in
    assert "South" not in signed_in.split("<main")[-1]
    [link] = links_in_outbox(app, b)
    page = client.get(link).get_data(as_text=True)
    assert "Accept" in page
    client.post(link, data={"answer": "accept"})
    with app.app_context():
        assert roles("fac1@example.org") == {(a, CenterRole.FACILITATOR), (b, CenterRole.FACILITATOR)}
        assert facilitator(b, "fac1").user_id == account("fac1@example.org").id
        assert accounts.authenticate("fac1@example.org", NEW_PASSWORD) is not None  # still their password
    assert client.get(link).status_code == 404  # answered: the link is spent
    assert client.get(f"/centers/{b}/me/times").status_code == 200
    assert client.get(f"/centers/{a}/me/times").status_code == 200
    assert client.get(f"/centers/{b}/answers/").status_code == 404  # a facilitator, not a coordinator


def test_re_inviting_a_facilitator_with_a_password_sends_no_link_and_keeps_their_sessions(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, _b = centers
    welcome_fac1(app, client, a, "ana@example.org")
    theirs = app.test_client()
    sign_in(theirs, "fac1@example.org", NEW_PASSWORD)
    sign_in(client, "ana@example.org")
    with app.app_context():
        sent_before = db.session.query(OutboxMessage).count()
    said = invite(client, a, "fac1")
    assert "already has an account here" in said
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == sent_before
    try_every_link_as_attacker(app, client, a)
    with app.app_context():
        assert accounts.authenticate("fac1@example.org", NEW_PASSWORD) is not None
    assert theirs.get(f"/centers/{a}/me/times").status_code == 200


def test_an_account_made_in_someone_s_name_cannot_take_their_role_elsewhere(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    """B's coordinator invites fac2's address first, reads the welcome link in B's outbox and sets the
    password: they now hold an account in fac2's name. When A invites its own fac2, the holder is
    told, but accepting needs the link emailed through A, which B's coordinator never sees."""
    a, b = centers
    welcome_fac1(app, client, b, "bo@example.org")  # B's coordinator "becomes" fac1@example.org
    sign_in(client, "ana@example.org")
    assert "already belongs to an account" in invite(client, a, "fac1")
    client.post("/sign-out")
    sign_in(client, "fac1@example.org", NEW_PASSWORD)  # the squatter, signed in as the account
    try_every_link_as_attacker(app, client, b)
    with app.app_context():
        assert roles("fac1@example.org") == {(b, CenterRole.FACILITATOR)}
    assert client.get(f"/centers/{a}/me/times").status_code == 404


def test_an_invitation_is_answered_only_by_its_account(app: Flask, client: FlaskClient,
                                                       centers: tuple[int, int]) -> None:
    a, b = centers
    with app.app_context():
        facilitator(b, "fac1").email = "ana@example.org"
        db.session.commit()
    sign_in(client, "bo@example.org")
    invite(client, b, "fac1")
    client.post("/sign-out")
    [link] = links_in_outbox(app, b)
    signed_out = client.get(link).get_data(as_text=True)
    assert "sign in as ana@example.org" in signed_out and "/sign-in?next=" in signed_out
    # Signing in from the page comes back to it; declining changes nothing.
    back = client.post(f"/sign-in?next={link}", data={"email": "ana@example.org", "password": PASSWORD})
    assert back.headers["Location"] == link
    client.post(link, data={"answer": "decline"})
    with app.app_context():
        assert roles("ana@example.org") == {(a, CenterRole.COORDINATOR)}
        assert db.session.scalar(select(RoleInvitation.accepted)) is False
    assert client.get(link).status_code == 404


# --------------------------------------------------------------------------- welcome links


def test_a_welcome_link_is_random_stored_hashed_single_use_and_expiring(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, _b = centers
    sign_in(client, "ana@example.org")
    invite(client, a, "fac1")
    invite(client, a, "fac1")  # again: a new link, and the first stops working
    client.post("/sign-out")
    first, second = links_in_outbox(app, a)
    token = second.rsplit("/", 1)[1]
    assert first != second and len(token) >= 43
    assert client.get(first).status_code == 404
    with app.app_context():
        stored = db.session.scalars(select(WelcomeLink.token_hash)).all()
        assert hashlib.sha256(token.encode()).hexdigest() in stored
        assert not any(token in value for value in stored)
        user = account("fac1@example.org")
        assert not any(part in token for part in re.split(r"[$,=]", user.password_hash) if len(part) >= 8)
        link = staff_invitations.welcome_link_for(token)
        assert link is not None
        link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    assert client.get(second).status_code == 404  # expired
    with app.app_context():
        db.session.scalars(select(WelcomeLink)).all()[-1].expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        db.session.commit()
    assert client.post(second, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 302
    assert client.get("/").headers["Location"].startswith("/sign-in")  # the link signed nobody in
    assert client.get(second).status_code == 404  # used
    with app.app_context(), pytest.raises(ValueError):
        staff_invitations.issue_welcome_link(account("fac1@example.org"))  # never for an account with a password


def test_a_welcome_link_ends_in_the_normal_sign_in_with_the_second_factor(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, _b = centers
    with app.app_context():
        user = User(email="newcomer@example.org", password_hash="!")
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=a, role=CenterRole.FACILITATOR))
        secret = pyotp.random_base32()
        user.totp_secret = two_factor.seal(secret)
        token = staff_invitations.issue_welcome_link(user)
        db.session.commit()
    assert client.post(f"/welcome/{token}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD}
                       ).headers["Location"] == "/sign-in"
    step = client.post("/sign-in", data={"email": "newcomer@example.org", "password": NEW_PASSWORD})
    assert step.headers["Location"].startswith("/sign-in/code")


def test_any_password_change_ends_every_other_session(app: Flask, centers: tuple[int, int]) -> None:
    elsewhere = app.test_client()
    sign_in(elsewhere, "ana@example.org")
    assert elsewhere.get("/").status_code == 302 and "/sign-in" not in elsewhere.get("/").headers["Location"]
    with app.app_context():
        accounts.set_password(account("ana@example.org"), NEW_PASSWORD)
        db.session.commit()
    assert "/sign-in" in elsewhere.get("/").headers["Location"]


# --------------------------------------------------------------------------- passwords and secrets


@pytest.mark.parametrize(("password", "email", "center", "message"), [
    ("fac6exampleorg1", "fac6@example.org", "North", "part of your email address before the @"),
    ("Ana.Garcia wants a garden", "ana.garcia@example.org", "North", "part of your email address before the @"),
    ("our riverside house is blue", "kim@example.org", "Riverside House", "the name of your center"),
])
def test_passwords_with_the_email_s_name_or_the_center_s_name_are_refused(
        app: Flask, password: str, email: str, center: str, message: str) -> None:
    with app.app_context(), pytest.raises(accounts.AccountError, match=message):
        accounts.check_password(password, user_inputs=(email,), center_names=(center,))


def test_the_welcome_form_refuses_the_center_s_name_in_the_password(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, _b = centers
    sign_in(client, "ana@example.org")
    invite(client, a, "fac1")
    client.post("/sign-out")
    [link] = links_in_outbox(app, a)
    refused = client.post(link, data={"password": "north wind over the hills", "again": "north wind over the hills"})
    assert "must not contain the name of your center (North)" in refused.get_data(as_text=True)


def test_totp_secrets_are_encrypted_with_a_key_outside_the_database(app: Flask, centers: tuple[int, int]) -> None:
    secret = pyotp.random_base32()
    with app.app_context():
        ana = account("ana@example.org")
        assert two_factor.turn_on(ana, secret, pyotp.TOTP(secret).now())
        db.session.commit()
        stored = account("ana@example.org").totp_secret
        assert stored is not None and secret not in stored and two_factor.unseal(stored) == secret
        app.config["SECRETS_KEY"] = "another deployment's key"
        assert two_factor.unseal(stored) is None  # the database alone (or with another key) opens nothing
        ana.totp_last_step = None
        assert not two_factor.check_code(ana, pyotp.TOTP(secret).now())
        ana.totp_secret = secret  # a secret written in clear straight into the database is not used
        assert not two_factor.check_code(ana, pyotp.TOTP(secret).now())
        db.session.rollback()


def test_no_center_reaches_another_through_a_shared_person(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    """fac1 facilitates at both centers; that opens neither center's coordinator pages to them, and
    B's coordinator still sees nothing of A."""
    a, b = centers
    test_two_centers_with_a_facilitator_of_the_same_email(app, client, centers)
    with app.app_context():
        assert db.session.get(Center, a) is not None
    for center_id in (a, b):
        assert client.get(f"/centers/{center_id}/").status_code == 404
        assert client.get(f"/centers/{center_id}/outbox").status_code == 404
    start = client.get("/").get_data(as_text=True)  # their start page leads to both centers
    assert f'href="/centers/{a}/cover/">North<' in start and f'href="/centers/{b}/cover/">South<' in start


def test_making_an_invited_account_a_coordinator_gives_it_the_password_and_ends_its_welcome_link(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    a, b = centers
    sign_in(client, "bo@example.org")
    invite(client, b, "fac1")  # a new account, whose welcome link waits in B's outbox
    client.post("/sign-out")
    [link] = links_in_outbox(app, b)
    with app.app_context():
        center_a = db.session.get(Center, a)
        assert center_a is not None
        accounts.create_coordinator("fac1@example.org", NEW_PASSWORD, center_a)
        db.session.commit()
    assert client.get(link).status_code == 404
    assert client.post(link, data={"password": ATTACKER_PASSWORD, "again": ATTACKER_PASSWORD}).status_code == 404
    with app.app_context():
        assert accounts.authenticate("fac1@example.org", NEW_PASSWORD) is not None



def test_an_older_invitation_for_a_facilitator_stops_working_once_the_row_is_invited_again(
        app: Flask, client: FlaskClient, centers: tuple[int, int]) -> None:
    """A invites bo's existing account for fac3, then gives fac3 another address and invites that:
    bo's earlier invitation can no longer take the row."""
    a, _b = centers
    with app.app_context():
        facilitator(a, "fac3").email = "bo@example.org"
        db.session.commit()
    sign_in(client, "ana@example.org")
    assert "already belongs to an account" in invite(client, a, "fac3")
    [old] = links_in_outbox(app, a)
    with app.app_context():
        facilitator(a, "fac3").email = "fac3@example.org"
        db.session.commit()
    invite(client, a, "fac3")  # a new account and its welcome link
    client.post("/sign-out")
    sign_in(client, "bo@example.org")
    assert client.get(old).status_code == 404
    client.post(old, data={"answer": "accept"})
    with app.app_context():
        assert facilitator(a, "fac3").user_id == account("fac3@example.org").id
        assert (a, CenterRole.FACILITATOR) not in roles("bo@example.org")


def test_the_migration_encrypts_the_secrets_stored_in_clear_before_it(tmp_path: Path) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from tests.conftest import tracked_app

    app = tracked_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "SECRET_KEY": "old"},
                      tmp_path / "instance")
    secret = pyotp.random_base32()
    with app.app_context():
        upgrade(revision="0015")
        db.session.execute(sa.text("INSERT INTO users (email, password_hash, created_at, session_version, totp_secret)"
                                   " VALUES ('old@example.org', 'x', '2026-01-01 00:00:00', 0, :secret)"),
                           {"secret": secret})
        db.session.commit()
        upgrade()
        stored, password_set_at = db.session.execute(sa.text("SELECT totp_secret, password_set_at FROM users")).one()
        assert secret not in stored and two_factor.unseal(stored) == secret
        assert password_set_at is not None  # an account from before counts as having a password
