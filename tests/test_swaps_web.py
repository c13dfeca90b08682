"""The swap pages end to end: a facilitator asks, a colleague accepts, the coordinator sees it,
cancels a date and reads the audit log; nobody reaches another person's or center's requests."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, Facilitator, SwapRequest, SwapStatus
from scheduler.services.term import term_state
from tests.conftest import sign_in
from tests.support.swaps_term import ART1_JAN11, ART1_JAN25, meeting_data, setup_term


def test_ask_accept_and_see_it_everywhere(app: Flask, client: FlaskClient,
                                          make_coordinator: Callable[..., None]) -> None:
    cid = setup_term(app, make_coordinator)
    sign_in(client, "ana@staff.example.org")
    assert client.get("/").headers["Location"] == f"/centers/{cid}/cover/"  # a facilitator's start page
    page = client.get(f"/centers/{cid}/cover/").get_data(as_text=True)
    assert "Ask for cover" in page and "Art group, group 1, Mon, Jan 11, 2027 at 09:00" in page  # in words
    assert "Your groups" in page and "1 member: Pat" in page  # her roster
    assert "<h3>Art group, group 1</h3>" in page and "art-1" not in re.sub(r"<[^>]*>", " ", page)  # no code on screen
    assert "Get a calendar link for my phone" in page
    page = client.post(f"/centers/{cid}/cover/calendar", follow_redirects=True).get_data(as_text=True)
    feed = re.search(r"<code>http://localhost(/feeds/[^<]+\.ics)</code>", page)
    assert feed and client.get(feed.group(1)).status_code == 200
    form = client.get(f"/centers/{cid}/cover/ask", query_string=meeting_data(ART1_JAN11)).get_data(as_text=True)
    assert "Ben (covered 0 this term)" in form and "Cruz (covered 0 this term)" in form
    assert "Dee" not in form  # lacks the skill, so never offered
    response = client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, scope="until",
                                                                          until="2027-01-25", colleague=""))
    assert response.status_code == 302
    with app.app_context():
        request = db.session.scalars(select(SwapRequest)).one()
        assert [i.date for i in request.items] == [dt.date(2027, 1, 11), dt.date(2027, 1, 25)]
        request_id = request.id
    client.post("/sign-out")

    sign_in(client, "cruz@staff.example.org")
    page = client.get(f"/centers/{cid}/cover/").get_data(as_text=True)
    assert "Ana asks anyone who can to cover." in page
    response = client.post(f"/centers/{cid}/cover/requests/{request_id}/accept", follow_redirects=True)
    assert "Thank you: the meetings are yours." in response.get_data(as_text=True)
    with app.app_context():
        version = term_state(db.session.scalars(select(SwapRequest)).one().version)
        assert version.by_key[ART1_JAN11].facilitators == ("cruz",)
        assert version.by_key[ART1_JAN25].facilitators == ("cruz",)
    client.post("/sign-out")

    sign_in(client, "coord@example.org")
    overview = client.get(f"/centers/{cid}/swaps/").get_data(as_text=True)
    assert "Done" in overview and "taken by Cruz" in overview
    log = client.get(f"/centers/{cid}/audit?action=swap.").get_data(as_text=True)
    assert "asked for cover or a trade: cover request" in log and "took over meetings (cover accepted)" in log
    assert "swap.requested" not in log and "{&#34;" not in log  # sentences, not event names or raw JSON
    # Asked: everyone eligible (Ben, Cruz, Eli); told: Ana, Cruz and the member of art-1.
    outbox = client.get(f"/centers/{cid}/outbox").get_data(as_text=True)
    assert outbox.count("Can you cover?") == 3 and outbox.count("Cover arranged") == 2
    assert "A change to your group" in outbox and "is led by Cruz" in outbox


def test_a_refused_request_says_why_and_writes_nothing(app: Flask, client: FlaskClient,
                                                       make_coordinator: Callable[..., None],
                                                       counts: Callable[[], dict[str, int]]) -> None:
    cid = setup_term(app, make_coordinator)
    sign_in(client, "ana@staff.example.org")
    before = counts()
    response = client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, scope="until", colleague=""))
    assert response.status_code == 200
    assert "Choose the last date." in response.get_data(as_text=True)
    response = client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, scope="one", colleague="999"))
    assert "Not a valid choice" in response.get_data(as_text=True)
    response = client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, date="2027-13-01"),
                           follow_redirects=True)
    assert "That meeting is not one of yours." in response.get_data(as_text=True)
    # Nothing written but the view of the page the refusal leads back to (it shows their groups' members).
    assert counts() == before | {"audit_entries": before["audit_entries"] + 1}


def test_another_person_cannot_answer_or_withdraw(app: Flask, client: FlaskClient,
                                                  make_coordinator: Callable[..., None]) -> None:
    cid = setup_term(app, make_coordinator)
    sign_in(client, "ana@staff.example.org")
    with app.app_context():
        ben = db.session.scalar(select(Facilitator).where(Facilitator.code == "ben"))
        assert ben is not None
        ben_id = ben.id
    client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, scope="one", colleague=str(ben_id)))
    client.post("/sign-out")
    with app.app_context():
        request_id = db.session.scalars(select(SwapRequest)).one().id
    sign_in(client, "cruz@staff.example.org")
    response = client.post(f"/centers/{cid}/cover/requests/{request_id}/accept", follow_redirects=True)
    assert "addressed to a colleague" in response.get_data(as_text=True)
    response = client.post(f"/centers/{cid}/cover/requests/{request_id}/cancel", follow_redirects=True)
    assert "Only the person who asked" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(SwapRequest)).one().status == SwapStatus.OPEN


def test_pages_are_404_for_other_centers_and_for_non_facilitators(app: Flask, client: FlaskClient,
                                                                  make_center: Callable[..., int],
                                                                  make_coordinator: Callable[..., None]) -> None:
    cid = setup_term(app, make_coordinator)
    other = make_center("Elsewhere")
    make_coordinator("else@example.org", "Elsewhere")
    sign_in(client, "ana@staff.example.org")
    assert client.get(f"/centers/{other}/cover/").status_code == 404
    assert client.get(f"/centers/{cid}/swaps/").status_code == 404  # a facilitator is not the coordinator
    client.post("/sign-out")
    sign_in(client, "else@example.org")
    assert client.get(f"/centers/{cid}/swaps/").status_code == 404
    assert client.get(f"/centers/{cid}/audit").status_code == 404
    assert client.get(f"/centers/{cid}/cover/").status_code == 404
    assert client.post(f"/centers/{cid}/meetings/cancel", data=meeting_data(ART1_JAN25)).status_code == 404


def test_coordinator_assigns_cover_and_cancels_a_date(app: Flask, client: FlaskClient,
                                                      make_coordinator: Callable[..., None]) -> None:
    cid = setup_term(app, make_coordinator)
    sign_in(client, "ana@staff.example.org")
    client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, scope="one", colleague=""))
    client.post("/sign-out")
    sign_in(client, "coord@example.org")
    overview = client.get(f"/centers/{cid}/swaps/").get_data(as_text=True)
    assert "Meetings still without cover" in overview and "Give it to" in overview
    with app.app_context():
        request_id = db.session.scalars(select(SwapRequest)).one().id
        ben = db.session.scalar(select(Facilitator).where(Facilitator.code == "ben"))
        assert ben is not None
        ben_id = ben.id
    response = client.post(f"/centers/{cid}/swaps/{request_id}/assign", data={"facilitator": ben_id},
                           follow_redirects=True)
    assert "Ben now leads these meetings." in response.get_data(as_text=True)

    confirm = client.get(f"/centers/{cid}/meetings/cancel", query_string=meeting_data(ART1_JAN25))
    assert "Cancel this meeting?" in confirm.get_data(as_text=True)
    assert "1 participant will be told" in confirm.get_data(as_text=True)
    with app.app_context():
        center = db.session.get(Center, cid)
        assert center is not None
        assert not term_state(db.session.scalars(select(SwapRequest)).one().version).by_key[ART1_JAN25].cancelled
    client.post(f"/centers/{cid}/meetings/cancel", data=meeting_data(ART1_JAN25))
    with app.app_context():
        state = term_state(db.session.scalars(select(SwapRequest)).one().version)
        assert state.by_key[ART1_JAN25].cancelled
        assert state.by_key[ART1_JAN11].facilitators == ("ben",)
    log = client.get(f"/centers/{cid}/audit?action=meeting.").get_data(as_text=True)
    assert "cancelled a meeting" in log and "assigned cover" not in log
    assert "cancelled: no → yes" in log and "meeting.cancelled" not in log
    outbox = client.get(f"/centers/{cid}/outbox").get_data(as_text=True)
    assert outbox.count("A meeting is cancelled") == 2  # Pat and Ana, who leads that date again
