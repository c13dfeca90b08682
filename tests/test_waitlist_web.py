"""The waiting-list page: a member leaves (with confirmation), the next who fits is offered the
seat, the coordinator records the answer; other centers get 404 and bad input writes nothing."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.services.term import term_state
from tests.conftest import sign_in
from tests.support.waitlist import LATER, make_version


def setup(app: Flask, make_coordinator: Callable[..., None]) -> tuple[int, int]:
    with app.app_context():
        version = make_version()
        ids = version.center_id, version.id
    make_coordinator("coord@example.org", "Waiting")
    return ids


def roster(app: Flask, version_id: int) -> tuple[str, ...]:
    from scheduler.models import ScheduleVersion

    with app.app_context():
        version = db.session.get(ScheduleVersion, version_id)
        assert version is not None
        return term_state(version).rosters["art-1"].on(LATER)


def test_leave_offer_accept(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    cid, vid = setup(app, make_coordinator)
    sign_in(client, "coord@example.org")
    page = client.get(f"/centers/{cid}/waitlists/").get_data(as_text=True)
    assert "2 of at most 2 members" in page and "6 people wait for Art" in page
    seat = {"group": "art-1", "participant": "p1", "effective": LATER.isoformat()}
    confirm = client.get(f"/centers/{cid}/waitlists/leave", query_string=seat).get_data(as_text=True)
    assert "p1 leaves art-1?" in confirm
    assert roster(app, vid) == ("p1", "p2")  # nothing happens until confirmed
    response = client.post(f"/centers/{cid}/waitlists/leave", data=seat, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "art-1 is now below its minimum size." in text
    assert roster(app, vid) == ("p2",)
    client.post(f"/centers/{cid}/waitlists/offer",
                data={"group": "art-1", "participant": "p8", "effective": LATER.isoformat()})
    page = client.get(f"/centers/{cid}/waitlists/").get_data(as_text=True)
    assert "The free seat is offered to P8" in page
    outbox = client.get(f"/centers/{cid}/outbox").get_data(as_text=True)
    assert "A place is free for you" in outbox and "p8@example.org" in outbox
    from scheduler.models import SeatOffer

    with app.app_context():
        offer_id = db.session.query(SeatOffer).one().id
    response = client.post(f"/centers/{cid}/waitlists/offers/{offer_id}/accept", follow_redirects=True)
    assert "p8 joins the group." in response.get_data(as_text=True)
    assert roster(app, vid) == ("p2", "p8")


def test_bad_input_writes_nothing(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None],
                                  counts: Callable[[], dict[str, int]]) -> None:
    cid, _vid = setup(app, make_coordinator)
    sign_in(client, "coord@example.org")
    before = counts()
    response = client.post(f"/centers/{cid}/waitlists/leave",
                           data={"group": "art-1", "participant": "p1", "effective": "31/02/2027"})
    assert response.status_code == 200 and "Not a valid date value" in response.get_data(as_text=True)
    response = client.post(f"/centers/{cid}/waitlists/leave", follow_redirects=True,
                           data={"group": "art-1", "participant": "p5", "effective": LATER.isoformat()})
    assert "p5 is not in art-1" in response.get_data(as_text=True)
    response = client.post(f"/centers/{cid}/waitlists/offer", follow_redirects=True,
                           data={"group": "art-1", "participant": "p8", "effective": LATER.isoformat()})
    assert "The group is full." in response.get_data(as_text=True)
    # Nothing but the audit log's entry for opening the waiting lists the refused offer leads back to.
    assert counts() == before | {"audit_entries": before["audit_entries"] + 1}
    assert client.post(f"/centers/{cid}/waitlists/offers/999/accept").status_code == 404


def test_other_centers_get_404(app: Flask, client: FlaskClient, make_center: Callable[..., int],
                               make_coordinator: Callable[..., None]) -> None:
    cid, _ = setup(app, make_coordinator)
    make_center("Elsewhere")
    make_coordinator("else@example.org", "Elsewhere")
    sign_in(client, "else@example.org")
    assert client.get(f"/centers/{cid}/waitlists/").status_code == 404
    assert client.post(f"/centers/{cid}/waitlists/offer", data={}).status_code == 404
