"""No time-out loses a half-filled form: a form's CSRF token is good for as long as its session
(not Flask-WTF's default hour), and a form sent after the idle sign-out leads, after signing in,
back to the page it was sent from, where the browser's draft (static/js/drafts.js) puts the
typed values back. The browser half is tests/browser/test_form_drafts.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import itsdangerous.timed
import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.views import auth
from tests.conftest import PASSWORD, make_app
from tests.support.links import link_for

HOURS = 3600


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Path, app: Flask) -> Iterator[Flask]:
    """The test database (emptied by ``app``), with CSRF checked as in real use."""
    yield make_app(database_url, tmp_path / "csrf-instance", WTF_CSRF_ENABLED=True)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Tokens carry the time they were made (itsdangerous); move that clock on."""
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + seconds)


def test_the_csrf_token_has_no_time_limit_of_its_own(csrf_app: Flask) -> None:
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_a_participants_page_left_open_for_hours_still_saves(csrf_app: Flask, make_center: Callable[..., int],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_center("North")
    client = csrf_app.test_client()
    link = link_for(csrf_app)
    token = csrf_token(client.get(link).get_data(as_text=True))
    later(monkeypatch, 5 * HOURS)  # the page stayed open all afternoon
    response = client.post(link, data={"csrf_token": token, "rank-act1": "1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your answers are saved" in page, page
    assert "The page had expired" not in page


def test_a_form_sent_after_the_idle_sign_out_leads_back_to_its_page(
        csrf_app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    client: FlaskClient = csrf_app.test_client()
    clock = [1_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    client.post("/sign-in", data={"csrf_token": token, "email": "ana@example.org", "password": PASSWORD})
    form_page = f"/centers/{center_id}/participants/new"
    token = csrf_token(client.get(form_page).get_data(as_text=True))
    clock[0] += 2 * HOURS + 60
    later(monkeypatch, 2 * HOURS + 60)
    response = client.post(form_page, data={"csrf_token": token, "id": "late1", "name": "Rosa", "max_groups": "1"},
                           headers={"Referer": f"http://localhost{form_page}"})
    # Signed out (the POST is not carried out), and the sign-in leads back to the form.
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next={form_page}"
    sign_in_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after a while" in sign_in_page
    assert "data-keep-drafts" in sign_in_page  # the browser's draft waits through this page
    response = client.post(response.headers["Location"], data={
        "csrf_token": csrf_token(sign_in_page), "email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == form_page


def test_a_foreign_referrer_is_not_followed_after_signing_in(
        client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    clock = [1_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD})
    clock[0] += 2 * HOURS + 60
    response = client.post(f"/centers/{center_id}/participants/new", data={"id": "x"},
                           headers={"Referer": "https://evil.example/centers/1/participants/new"})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"


def test_pages_between_a_form_and_its_saving_keep_its_draft(client: FlaskClient) -> None:
    assert "data-keep-drafts" in client.get("/sign-in").get_data(as_text=True)
    assert "data-keep-drafts" in client.get("/no-such-page").get_data(as_text=True)  # error pages too
    assert "data-keep-drafts" not in client.get("/p/not-a-real-token").get_data(as_text=True)
