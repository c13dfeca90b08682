"""Calendar links over a person's life: someone who leaves their last group or is erased loses theirs;
a participant or facilitator replaces their own (after a confirmation page; the old URL is dead at
once); their pages offer the webcal:// link, a Copy button and a QR code, with no inline script."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import FeedSeries, Participant, ScheduleVersion
from scheduler.services import accounts, feed_tokens, waitlist
from tests.conftest import make_app, sign_in
from tests.support.feeds import person, published_center, swaps_center
from tests.support.swaps_term import setup_term

FEED = re.compile(r"<code>http://localhost(/feeds/[^<]+\.ics)</code>")


def feed_url(token: str) -> str:
    return f"/feeds/{token}.ics"


def only_external_scripts(page: str) -> None:
    """The CSP allows no inline script: every script on the page is a file."""
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attributes and not body.strip() for attributes, body in scripts)


def test_leaving_the_last_group_ends_the_calendar_link_and_leaving_one_of_two_does_not(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    with app.app_context():
        published_center()  # p1 (Pat) is in art-1 and talk-1; p2 (the canary) only in art-1
        pat, canary = feed_tokens.issue(person(Participant, "p1")), feed_tokens.issue(person(Participant, "p2"))
        db.session.commit()
    assert client.get(feed_url(canary)).status_code == 200  # served (and cached) before leaving
    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    answer = client.post(f"/centers/{cid}/waitlists/leave",
                         data={"group": "art-1", "participant": "p2", "effective": "2027-01-18"})
    assert answer.status_code == 302
    assert client.get(feed_url(canary)).status_code == 404  # at once, though the cache held it
    with app.app_context():
        assert feed_tokens.token_for(person(Participant, "p2")) is None
        version = db.session.scalars(select(ScheduleVersion)).one()
        waitlist.leave(version, "art-1", "p1", dt.date(2027, 1, 18), None)
        db.session.commit()
    assert client.get(feed_url(pat)).status_code == 200  # still in talk-1
    with app.app_context():
        waitlist.leave(db.session.scalars(select(ScheduleVersion)).one(), "talk-1", "p1", dt.date(2027, 2, 2), None)
        db.session.commit()
    assert client.get(feed_url(pat)).status_code == 404
    # Their own page offers a new link again (for a group they may join later).
    with app.app_context():
        link = accounts.issue_participant_link(person(Participant, "p1"))
        db.session.commit()
    assert "Get my meetings in my phone’s calendar" in client.get(f"/p/{link}").get_data(as_text=True)


def test_erasure_ends_the_calendar_link_and_its_revisions(app: Flask, client: FlaskClient,
                                                           make_coordinator: Callable[..., None]) -> None:
    with app.app_context():
        published_center()
        token = feed_tokens.issue(person(Participant, "p2"))
        db.session.commit()
    assert client.get(feed_url(token)).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedSeries)) == 2  # the series, the feed
    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    with app.app_context():
        name = person(Participant, "p2").name
    client.post(f"/centers/{cid}/answers/p2/privacy/erase", data={"confirm_name": name})
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == "p2")) is None
        assert db.session.scalar(select(func.count()).select_from(FeedSeries)) == 0  # no trace per person
    assert client.get(feed_url(token)).status_code == 404


def test_a_participant_replaces_their_own_calendar_link_after_a_confirmation(app: Flask,
                                                                             client: FlaskClient) -> None:
    with app.app_context():
        published_center()
        link = accounts.issue_participant_link(person(Participant, "p1"))
        db.session.commit()
    page = f"/p/{link}"
    client.post(f"{page}/calendar")  # no link yet: made at once
    shown = client.get(page).get_data(as_text=True)
    old = FEED.search(shown)
    assert old is not None and client.get(old.group(1)).status_code == 200
    assert f'href="webcal://localhost{old.group(1)}"' in shown and "<svg" in shown and "data-copy=" in shown
    assert "Replace my calendar link" in shown
    only_external_scripts(shown)

    again = client.post(f"{page}/calendar")  # an old form (no step) replaces nothing
    assert again.status_code == 302 and client.get(old.group(1)).status_code == 200
    ask = client.post(f"{page}/calendar", data={"step": "ask"})
    assert ask.status_code == 200 and ask.headers["Referrer-Policy"] == "strict-origin"
    question = ask.get_data(as_text=True)
    assert "stops working at once" in question and 'name="step" value="replace"' in question
    assert client.get(old.group(1)).status_code == 200  # asking changes nothing

    done = client.post(f"{page}/calendar", data={"step": "replace"}, follow_redirects=True)
    shown = done.get_data(as_text=True)
    assert "the old one has stopped working" in shown
    new = FEED.search(shown)
    assert new is not None and new.group(1) != old.group(1)
    assert client.get(old.group(1)).status_code == 404 and client.get(new.group(1)).status_code == 200


def test_replacing_needs_the_pages_csrf_token(app: Flask, database_url: str, tmp_path: Path) -> None:
    strict = make_app(database_url, tmp_path / "strict", WTF_CSRF_ENABLED=True)
    with app.app_context():
        published_center()
        p1 = person(Participant, "p1")
        link, token = accounts.issue_participant_link(p1), feed_tokens.issue(p1)
        db.session.commit()
    client = strict.test_client()
    client.post(f"/p/{link}/calendar", data={"step": "replace"})
    assert client.get(feed_url(token)).status_code == 200
    page = client.get(f"/p/{link}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    client.post(f"/p/{link}/calendar", data={"step": "replace", "csrf_token": csrf.group(1)})
    assert client.get(feed_url(token)).status_code == 404


def test_a_facilitator_replaces_their_own_calendar_link_after_a_confirmation(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    cid = setup_term(app, make_coordinator)
    sign_in(client, "ana@staff.example.org")
    shown = client.post(f"/centers/{cid}/cover/calendar", follow_redirects=True).get_data(as_text=True)
    old = FEED.search(shown)
    assert old is not None
    assert f'href="webcal://localhost{old.group(1)}"' in shown and "<svg" in shown and "data-copy=" in shown
    only_external_scripts(shown)
    question = client.post(f"/centers/{cid}/cover/calendar", data={"step": "ask"}).get_data(as_text=True)
    assert "Replace your calendar link?" in question
    assert client.get(old.group(1)).status_code == 200
    shown = client.post(f"/centers/{cid}/cover/calendar", data={"step": "replace"},
                        follow_redirects=True).get_data(as_text=True)
    new = FEED.search(shown)
    assert new is not None and new.group(1) != old.group(1)
    assert client.get(old.group(1)).status_code == 404 and client.get(new.group(1)).status_code == 200
