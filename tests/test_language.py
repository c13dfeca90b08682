"""The interface language: English or Spanish. The choice is kept in the session; a signed-in
person's also on their account; a participant's (on their own page, on the coordinator's form, in
the participants' CSV) on their row, which their page, emails and calendar follow."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import AuditEntry, OutboxMessage, Participant, User
from tests.conftest import PASSWORD, sign_in
from tests.support.links import link_for


def test_language_choice_is_remembered_and_redirects_only_within_the_site(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "es", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="es">' in page
    response = client.post("/language", data={"locale": "xx", "next": "/sign-in"})
    assert response.headers["Location"] == "/sign-in"
    assert '<html lang="es">' in client.get("/sign-in").get_data(as_text=True)  # unknown code ignored


def test_spanish_pages_are_in_spanish(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "es", "next": "/sign-in"})
    page = client.get("/sign-in").get_data(as_text=True)
    assert "<h1>Iniciar sesión</h1>" in page
    assert "Correo electrónico" in page and "Contraseña" in page
    assert "Sign in" not in page


def test_the_language_survives_signing_in_and_out(client: FlaskClient, make_center: Any,
                                                 make_coordinator: Any) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    client.post("/language", data={"locale": "es", "next": "/sign-in"})
    assert sign_in(client, "ana@example.org").status_code == 302
    assert '<html lang="es">' in client.get("/", follow_redirects=True).get_data(as_text=True)
    page = client.post("/sign-out", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="es">' in page and "Ha cerrado la sesión" in page
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Please log in" not in page and "Inicie sesión para ver esta página." in page


# ----------------------------------------------------------------------------- a participant's language


def participant_row(app: Flask, code: str = "p1") -> Participant:
    with app.app_context():
        found = db.session.scalar(select(Participant).where(Participant.code == code))
        assert found is not None
        db.session.expunge(found)
        return found


def last_email_to(app: Flask, address: str) -> OutboxMessage:
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == address)
                                     .order_by(OutboxMessage.id.desc())).first()
        assert message is not None, f"no email to {address}"
        db.session.expunge(message)
        return message


@pytest.fixture
def north(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    return center_id


def test_a_participant_who_chooses_spanish_on_their_page_gets_spanish_emails(
        app: Flask, client: FlaskClient, north: int) -> None:
    link = link_for(app)
    assert participant_row(app).locale is None
    response = client.post(f"{link}/language", data={"locale": "es"})
    assert response.status_code == 302 and response.headers["Location"] == link
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert participant_row(app).locale == "es"
    # Their page follows them, in a browser that never chose (another phone, English by default).
    other = app.test_client()
    assert '<html lang="es">' in other.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    # The page's language form is theirs, not the session-only one.
    assert f'action="{link}/language"' in other.get(link).get_data(as_text=True)
    # And so do the emails the coordinator sends them.
    sign_in(client, "ana@example.org")
    client.post(f"/centers/{north}/answers/p1/invite")
    message = last_email_to(app, "p1@example.org")
    assert message.subject == "North: díganos cuándo puede venir", message.subject
    assert "Hola" in message.body and "Hello" not in message.body
    # Back to English, the same way.
    client.post("/sign-out")
    client.post(f"{link}/language", data={"locale": "en"})
    assert participant_row(app).locale == "en"


def test_a_participants_language_choice_refuses_unknown_codes_and_wrong_links(
        app: Flask, client: FlaskClient, north: int, counts: Callable[[], dict[str, int]]) -> None:
    link = link_for(app)
    client.post(f"{link}/language", data={"locale": "es"})
    assert client.post(f"{link}/language", data={"locale": "xx"}).status_code == 302
    assert participant_row(app).locale == "es"  # an unknown code changes nothing
    before = counts()
    assert client.post("/p/not-a-real-token/language", data={"locale": "en"}).status_code == 404
    assert counts() == before
    assert participant_row(app).locale == "es"


def test_the_coordinators_participant_form_sets_the_language(app: Flask, client: FlaskClient, north: int) -> None:
    sign_in(client, "ana@example.org")
    edit = f"/centers/{north}/participants/p1/edit"
    page = client.get(edit).get_data(as_text=True)
    assert re.search(r'<select [^>]*id="locale" name="locale"', page) and "Language of their page and emails" in page
    assert '<option lang="es" value="es">Español</option>' in page  # read out in Spanish
    fields = {"name": "Pat One", "email": "p1@example.org", "max_groups": "1", "languages": "", "needs": ""}
    response = client.post(edit, data={**fields, "locale": "es"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert participant_row(app).locale == "es"
    assert '<option lang="es" selected value="es">' in client.get(edit).get_data(as_text=True)
    client.post(f"/centers/{north}/answers/p1/invite")
    assert last_email_to(app, "p1@example.org").subject == "North: díganos cuándo puede venir"
    with app.app_context():
        logged = db.session.scalars(select(AuditEntry).where(AuditEntry.subject == "participant p1",
                                                             AuditEntry.action == "person.changed")).all()
        assert any(e.after == {"fields": ["locale"]} for e in logged), [e.after for e in logged]
    # A code that is not offered is refused at the field, and nothing changes.
    response = client.post(edit, data={**fields, "locale": "fr"})
    assert response.status_code == 200
    assert 'id="locale-error"' in response.get_data(as_text=True)
    assert participant_row(app).locale == "es"
    # "Not chosen" clears it; a new participant can start with one.
    assert client.post(edit, data={**fields, "locale": ""}).status_code == 302
    assert participant_row(app).locale is None
    new = {"id": "p999", "name": "Quinn", "email": "", "max_groups": "1", "locale": "es"}
    assert client.post(f"/centers/{north}/participants/new", data=new).status_code == 302
    assert participant_row(app, "p999").locale == "es"


def test_the_participants_csv_carries_the_page_language(app: Flask, client: FlaskClient, north: int,
                                                        counts: Callable[[], dict[str, int]]) -> None:
    sign_in(client, "ana@example.org")
    target = f"/centers/{north}/import/participants"

    def upload(text: str) -> Any:
        return client.post(target, data={"file": (io.BytesIO(text.encode()), "people.csv")},
                           content_type="multipart/form-data")

    assert "page_language" in client.get(f"/centers/{north}/import").get_data(as_text=True)
    before = counts()
    response = upload("id,name,max_groups,page_language\np1,Pat,1,fr\n")
    assert response.status_code == 200
    assert ('row 2, column page_language: "fr" is not one of en, es (or empty)'
            in html.unescape(response.get_data(as_text=True)))
    assert counts() == before and participant_row(app).locale is None
    response = upload("id,name,max_groups,page_language\np1,Pat,1,ES\np500,New Person,1,es\np2,Sam,1,\n")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert participant_row(app).locale == "es" and participant_row(app, "p500").locale == "es"
    assert participant_row(app, "p2").locale is None
    # A file without the column leaves everyone's language as it was.
    assert upload("id,name,max_groups\np1,Pat,1\n").status_code == 302
    assert participant_row(app).locale == "es"


# ----------------------------------------------------------------------------- staff's language


def user_locale(app: Flask, email: str) -> str | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.locale


def test_a_staff_members_language_is_kept_on_the_account(app: Flask, client: FlaskClient, north: int) -> None:
    client.post("/language", data={"locale": "es", "next": "/sign-in"})
    assert user_locale(app, "ana@example.org") is None  # chosen while signed out: this browser only
    sign_in(client, "ana@example.org")
    client.post("/language", data={"locale": "en", "next": "/"})
    client.post("/language", data={"locale": "es", "next": "/"})
    assert user_locale(app, "ana@example.org") == "es"
    client.post("/sign-out")
    # Another device, whose browser asks for English: signing in brings the account's Spanish.
    other = app.test_client()
    english = {"Accept-Language": "en"}
    assert '<html lang="en">' in other.get("/sign-in", headers=english).get_data(as_text=True)
    other.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD}, headers=english)
    page = other.get("/", headers=english, follow_redirects=True).get_data(as_text=True)
    assert '<html lang="es">' in page
    # ...and it stays after signing out there too.
    page = other.post("/sign-out", headers=english, follow_redirects=True).get_data(as_text=True)
    assert '<html lang="es">' in page
    # An unknown code is not stored.
    sign_in(client, "ana@example.org")
    client.post("/language", data={"locale": "xx", "next": "/"})
    assert user_locale(app, "ana@example.org") == "es"


def test_a_participant_form_sent_without_the_language_leaves_it_alone(app: Flask, client: FlaskClient,
                                                                      north: int) -> None:
    link = link_for(app)
    client.post(f"{link}/language", data={"locale": "es"})
    sign_in(client, "ana@example.org")
    fields = {"name": "Pat One", "email": "p1@example.org", "max_groups": "1", "languages": "", "needs": ""}
    assert client.post(f"/centers/{north}/participants/p1/edit", data=fields).status_code == 302
    assert participant_row(app).locale == "es"


def test_a_participants_calendar_follows_the_language_chosen_on_their_page(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    from tests.support.access import build_world

    world = build_world(app, make_coordinator)
    feed = f"/feeds/{world.secrets['a-feed']}.ics"
    assert "Groups at Swaps" in client.get(feed).get_data(as_text=True)
    client.post(f"/p/{world.secrets['a-link']}/language", data={"locale": "es"})
    assert "Grupos en Swaps" in app.test_client().get(feed).get_data(as_text=True)  # whoever polls it


def test_numbers_are_written_as_the_readers_language_writes_them(app: Flask) -> None:
    """Scores, shares and means: '64,880' and '98.5%' in English, '64.880' and '98,5 %' in Spanish."""
    from flask_babel import force_locale

    from scheduler.i18n import number_text, percent_text
    from scheduler.services.term_status import score_sentence

    with app.test_request_context():
        with force_locale("en"):
            assert (number_text(64880), percent_text(0.985, 1), percent_text(0.5), number_text(3.5, 1)) == (
                "64,880", "98.5%", "50%", "3.5")
            assert score_sentence(64000, 65000).endswith("reaches 98.5% of the most any schedule could (65,000).")
        with force_locale("es"):
            assert (number_text(64880), percent_text(0.985, 1), percent_text(0.5), number_text(3.5, 1)) == (
                "64.880", "98,5\xa0%", "50\xa0%", "3,5")
            assert score_sentence(64000, 65000).endswith(
                "alcanza el 98,5\xa0% de lo máximo que podría lograr un horario (65.000).")
