"""The "where they fit now" page: the ranked groups and why not the others, adding someone to a group
from it (end to end, into the rosters), bad input refused with nothing written, other centers 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.services.term import term_state
from tests.conftest import sign_in
from tests.support.access import staff_account
from tests.support.waitlist import LATER, make_version


def setup(app: Flask, make_coordinator: Callable[..., None]) -> tuple[int, int]:
    with app.app_context():
        version = make_version()
        ids = version.center_id, version.id
    make_coordinator("coord@example.org", "Waiting")
    return ids


def roster(app: Flask, version_id: int, group: str) -> tuple[str, ...]:
    with app.app_context():
        version = db.session.get(ScheduleVersion, version_id)
        assert version is not None
        return term_state(version).rosters[group].on(LATER)


def test_the_page_ranks_and_explains(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    cid, _vid = setup(app, make_coordinator)
    sign_in(client, "coord@example.org")
    page = client.get(f"/centers/{cid}/participants/p5/fit/").get_data(as_text=True)
    assert "Where P5 fits now" in page
    # Groups are named as the schedule names them, never by their code.
    assert "choir-1" not in page.replace('value="choir-1"', "") and "art-1" not in page
    assert "<strong>Choir</strong> · Choice 1." in page
    assert "Why not the others" in page and "Art: The group is full." in page
    assert "Smallest change: One more seat in group Art." in page
    page = client.get(f"/centers/{cid}/participants/p3/fit/").get_data(as_text=True)  # not free on Mondays
    assert "P3 is not available at Monday 09:00–10:30." in page
    assert "Ask whether they could come at Monday 09:00–10:30 if need be." in page
    edit = client.get(f"/centers/{cid}/participants/p5/edit").get_data(as_text=True)
    assert f"/centers/{cid}/participants/p5/fit/" in edit



def test_the_waiting_list_shows_where_the_person_offered_fits(app: Flask, client: FlaskClient,
                                                             make_coordinator: Callable[..., None]) -> None:
    cid, _vid = setup(app, make_coordinator)
    sign_in(client, "coord@example.org")
    seat = {"group": "art-1", "participant": "p1", "effective": LATER.isoformat()}
    client.post(f"/centers/{cid}/waitlists/leave", data=seat)
    client.post(f"/centers/{cid}/waitlists/offer",
                data={"group": "art-1", "participant": "p5", "effective": LATER.isoformat()})
    page = client.get(f"/centers/{cid}/waitlists/").get_data(as_text=True)
    assert "The free seat is offered to P5" in page and "Where P5 fits now" in page
    assert "<strong>Choir</strong> · Choice 1." in page and f"/centers/{cid}/participants/p5/fit/" in page


def test_adding_to_a_group_reaches_the_rosters(app: Flask, client: FlaskClient,
                                              make_coordinator: Callable[..., None]) -> None:
    cid, vid = setup(app, make_coordinator)
    sign_in(client, "coord@example.org")
    response = client.post(f"/centers/{cid}/participants/p5/fit/join", data={"group": "choir-1"},
                           follow_redirects=True)
    assert "P5 joins Choir from" in response.get_data(as_text=True)
    assert roster(app, vid, "choir-1") == ("p7", "p5")
    overview = client.get(f"/centers/{cid}/waitlists/").get_data(as_text=True)
    assert "2 of at most 5 members" in overview
    # In a group now, at their most groups: nothing more to join, and choir is no longer "wanted".
    page = client.get(f"/centers/{cid}/participants/p5/fit/").get_data(as_text=True)
    assert "P5 may join 0 more groups." in page
    assert "P5 is already in as many groups as they asked for (1)." in page


def test_bad_input_changes_nothing(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None],
                                   counts: Callable[[], dict[str, int]]) -> None:
    cid, vid = setup(app, make_coordinator)
    sign_in(client, "coord@example.org")
    before = counts()
    for data, message in (({"group": "nope-9"}, "Group: there is no group nope-9."),
                          ({"group": "art-1"}, "The group is full."),  # taken meanwhile: p1 and p2 fill it
                          ({}, "Group: choose a group to join.")):
        response = client.post(f"/centers/{cid}/participants/p8/fit/join", data=data, follow_redirects=True)
        assert response.status_code == 200 and message in response.get_data(as_text=True), message
    assert roster(app, vid, "art-1") == ("p1", "p2")
    # Only the audit entries for opening the page the refusals lead back to.
    assert counts() == before | {"audit_entries": before["audit_entries"] + 3}
    assert client.get(f"/centers/{cid}/participants/nobody/fit/").status_code == 404
    assert client.post(f"/centers/{cid}/participants/nobody/fit/join", data={"group": "art-1"}).status_code == 404


def test_other_centers_get_404(app: Flask, client: FlaskClient, make_center: Callable[..., int],
                               make_coordinator: Callable[..., None], counts: Callable[[], dict[str, int]]) -> None:
    cid, vid = setup(app, make_coordinator)
    make_center("Elsewhere")
    make_coordinator("else@example.org", "Elsewhere")
    sign_in(client, "else@example.org")
    before = counts()
    assert client.get(f"/centers/{cid}/participants/p5/fit/").status_code == 404
    assert client.post(f"/centers/{cid}/participants/p5/fit/join", data={"group": "choir-1"}).status_code == 404
    assert counts() == before and roster(app, vid, "choir-1") == ("p7",)


def test_a_facilitator_of_the_center_gets_404(app: Flask, client: FlaskClient,
                                             make_coordinator: Callable[..., None]) -> None:
    cid, vid = setup(app, make_coordinator)
    with app.app_context():
        user = staff_account("f1", cid)
        db.session.commit()
        email = user.email
    sign_in(client, email)
    assert client.get(f"/centers/{cid}/participants/p5/fit/").status_code == 404
    assert client.post(f"/centers/{cid}/participants/p5/fit/join", data={"group": "choir-1"}).status_code == 404
    assert roster(app, vid, "choir-1") == ("p7",)


def test_a_participant_added_after_publishing_fits_and_joins(app: Flask, client: FlaskClient,
                                                            make_coordinator: Callable[..., None]) -> None:
    from scheduler.services import planning
    from scheduler.services.scenarios import find_center

    cid, vid = setup(app, make_coordinator)
    with app.app_context():
        center = find_center("Waiting")
        assert center is not None
        result = planning.save_item(center, "participants", None, {
            "id": "p9", "name": "Nina", "email": "p9@example.org", "available": ["TU-0900"],
            "preferences": ["choir", "art"], "max_groups": 2, "needs": []})
        assert result.ok, result.messages()
        db.session.commit()
    sign_in(client, "coord@example.org")
    page = client.get(f"/centers/{cid}/participants/p9/fit/").get_data(as_text=True)
    assert "<strong>Choir</strong>" in page and "Nina is not available at Monday 09:00–10:30." in page
    response = client.post(f"/centers/{cid}/participants/p9/fit/join", data={"group": "choir-1"},
                           follow_redirects=True)
    assert "Nina joins Choir from" in response.get_data(as_text=True)
    assert roster(app, vid, "choir-1") == ("p7", "p9")
    # Left again, they cannot join once more this term (that would rewrite when they were there).
    with app.app_context():
        from scheduler.services import waitlist

        version = db.session.get(ScheduleVersion, vid)
        assert version is not None
        waitlist.leave(version, "choir-1", "p9", dt.date(2027, 1, 11), None)  # the day they joined: the term's start
        db.session.commit()
    response = client.post(f"/centers/{cid}/participants/p9/fit/join", data={"group": "choir-1"},
                           follow_redirects=True)
    assert "Nina joined Choir and left it earlier this term" in response.get_data(as_text=True)
