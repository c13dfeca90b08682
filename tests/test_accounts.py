"""Signing in, coordinators' reach (only their own centers), and participants' personal links."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Participant, ParticipantLink, User
from scheduler.services.accounts import (
    authenticate,
    issue_participant_link,
    participant_for_token,
    revoke_participant_links,
)
from tests.conftest import PASSWORD, make_app, sign_in


def test_create_coordinator_prompts_for_a_password_and_hashes_it(
    runner: FlaskCliRunner, make_center: Callable[..., int], app: Flask
) -> None:
    make_center("North")
    result = runner.invoke(args=["create-coordinator", "Ana@Example.org", "--center", "North"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert 'ana@example.org now coordinates "North"' in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user is not None and user.email == "ana@example.org"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert authenticate("ana@example.org", PASSWORD) is user
        assert authenticate("ana@example.org", PASSWORD + "x") is None
        assert authenticate("nobody@example.org", PASSWORD) is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["create-coordinator", "ana@example.org", "--center", "North"], "short\nshort\n",
         "password: must be at least 12 characters long"),
        (["create-coordinator", "ana@example.org", "--center", "North"], "password1234\npassword1234\n",
         "password: is too easy to guess"),
        (["create-coordinator", "ana.garcia@example.org", "--center", "North"], "anagarcia2027\nanagarcia2027\n",
         "password: must not contain the part of your email address before the @"),  # built from the email
        (["create-coordinator", "not-an-email", "--center", "North"], f"{PASSWORD}\n{PASSWORD}\n",
         'email: "not-an-email" is not an email address'),
        (["create-coordinator", "ana@example.org", "--center", "South"], f"{PASSWORD}\n{PASSWORD}\n",
         '--center: no center named "South"'),
    ],
    ids=["short password", "common password", "password from the email", "bad email", "unknown center"],
)
def test_create_coordinator_refuses_bad_input(
    runner: FlaskCliRunner, make_center: Callable[..., int], counts: Callable[[], dict[str, int]],
    args: list[str], stdin: str, message: str,
) -> None:
    make_center("North")
    before = counts()
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert counts() == before


@pytest.mark.parametrize("password", ["correct horse battery staple", "mi perro se llama Toby y ladra",
                                      "x7#kP2!qLm9z",
                                      " ".join(f"palabra{n} del verso {n * 7} en la tarde" for n in range(20))])
def test_long_passphrases_and_strong_passwords_are_accepted(app: Flask, password: str) -> None:
    from scheduler.services.accounts import check_password

    with app.app_context():
        check_password(password, user_inputs=("ana@example.org",))


@pytest.mark.parametrize("password", ["qwertyuiopas", "iloveyou1234", "monkey123456", "aaaaaaaaaaaa",
                                      "Password2027", "123456789012"])
def test_common_and_pattern_passwords_are_refused(app: Flask, password: str) -> None:
    from scheduler.services.accounts import AccountError, check_password

    with app.app_context(), pytest.raises(AccountError, match="too easy to guess"):
        check_password(password)


def test_the_minimum_length_is_the_one_the_welcome_form_and_the_security_page_state(app: Flask) -> None:
    from pathlib import Path

    from scheduler.services.accounts import MIN_PASSWORD_LENGTH, AccountError, check_password
    from scheduler.views.welcome import WelcomeForm

    with app.test_request_context():
        assert f"at least {MIN_PASSWORD_LENGTH} characters" in str(WelcomeForm().password.label.text)
        with pytest.raises(AccountError, match=f"at least {MIN_PASSWORD_LENGTH} characters"):
            check_password("Zq7#vLm2&Rp"[:MIN_PASSWORD_LENGTH - 1])
        check_password("Zq7#vLm2&Rp9x"[:MIN_PASSWORD_LENGTH])
    security_page = (Path(__file__).parents[1] / "docs" / "security.md").read_text()
    assert f"at least {MIN_PASSWORD_LENGTH} characters" in security_page


def test_sign_in_shows_the_center_and_sign_out_ends_it(
    client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]
) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    response = sign_in(client, "ana@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>North</h1>" in html
    assert "Anxiety support group" in html and "Find a participant" in html
    # The dashboard finds anyone rather than listing everyone: one search away.
    found = client.get(f"/centers/{center_id}/participants/?q=Participant+120").get_data(as_text=True)
    assert "Participant 120" in found and "Participant 119" not in found
    assert client.post("/sign-out").status_code == 302
    assert client.get(f"/centers/{center_id}/").status_code == 302  # back to sign-in


def test_wrong_password_says_so_next_to_the_field(
    client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]
) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    response = sign_in(client, "ana@example.org", "not the password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert "That email and password do not match an account." in html


def test_empty_sign_in_form_names_both_fields(client: FlaskClient) -> None:
    html = client.post("/sign-in", data={}).get_data(as_text=True)
    assert "Enter your email address." in html and "Enter your password." in html


def test_pages_need_sign_in(client: FlaskClient, make_center: Callable[..., int]) -> None:
    center_id = make_center("North")
    response = client.get(f"/centers/{center_id}/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_coordinator_of_one_center_cannot_see_another(
    client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]
) -> None:
    north = make_center("North")
    south = make_center("South")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    assert client.get(f"/centers/{north}/").status_code == 200
    other = client.get(f"/centers/{south}/")
    assert other.status_code == 404
    assert "South" not in other.get_data(as_text=True)
    assert client.get(f"/centers/{south + 1000}/").status_code == 404  # a guessed id is no different


def test_coordinator_of_two_centers_sees_both(
    client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]
) -> None:
    north = make_center("North")
    south = make_center("South")
    make_coordinator("ana@example.org", "North")
    make_coordinator("ana@example.org", "South")
    sign_in(client, "ana@example.org")
    index = client.get("/").get_data(as_text=True)
    assert "North" in index and "South" in index
    assert client.get(f"/centers/{north}/").status_code == 200
    assert client.get(f"/centers/{south}/").status_code == 200


def test_sign_in_redirects_only_within_the_site(
    client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]
) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    response = client.post("/sign-in?next=https://evil.example/", data={"email": "ana@example.org",
                                                                       "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_sign_in_form_requires_its_csrf_token(
    database_url: str, tmp_path: object, make_center: Callable[..., int], make_coordinator: Callable[..., None]
) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    strict = make_app(database_url, tmp_path / "strict", WTF_CSRF_ENABLED=True)  # type: ignore[operator]
    response = strict.test_client().post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    with strict.app_context():
        db.engine.dispose()


def test_sign_out_is_not_a_get(client: FlaskClient) -> None:
    assert client.get("/sign-out").status_code == 405


def test_participant_link_is_stored_only_as_a_hash_and_revocable(
    app_ctx: Flask, make_center: Callable[..., int]
) -> None:
    make_center("North")
    person = db.session.scalar(select(Participant).where(Participant.code == "p1"))
    assert person is not None
    token = issue_participant_link(person)
    db.session.commit()
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    stored = db.session.scalars(select(ParticipantLink.token_hash)).all()
    assert stored and token not in stored[0]
    assert participant_for_token(token) is person
    assert participant_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert participant_for_token("") is None
    assert participant_for_token("x" * 5000) is None
    assert revoke_participant_links(person) == 1
    db.session.commit()
    assert participant_for_token(token) is None
