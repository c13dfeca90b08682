"""Dates and times on coordinators' pages are written in the reader's language and in the center's
time zone (Flask-Babel's time zone is the center's on its pages), never as ISO dates or UTC times:
the audit log, who answered when, the versions, the term on the dashboard."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Participant
from scheduler.services import audit
from tests.conftest import sign_in

# 08:05 UTC is 09:05 in Madrid (winter); 23:30 UTC on the 25th is already the 26th there.
LOGGED_AT = dt.datetime(2027, 1, 25, 8, 5, tzinfo=dt.UTC)
ANSWERED_AT = dt.datetime(2027, 1, 25, 23, 30, tzinfo=dt.UTC)

EXPECTED = {
    "en": {"logged": "Jan 25, 2027, 9:05\u202fAM", "answered": "Tue, Jan 26, 2027",
           "term": "Term: Mon, Jan 11, 2027 to Mon, Apr 5, 2027", "holiday": "Wed, Feb 24, 2027"},
    "es": {"logged": "25 ene 2027, 9:05", "answered": "mar, 26 ene 2027",
           "term": "Periodo: del lun, 11 ene 2027 al lun, 5 abr 2027", "holiday": "mié, 24 feb 2027"},
}


@pytest.fixture
def center_id(app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")  # Europe/Madrid
    make_coordinator("ana@example.org", "North")
    with app.app_context():
        entry = audit.record(cid, None, "person.changed", "participant p1", None, {"fields": ["name"]})
        entry.at = LOGGED_AT
        p1 = db.session.scalar(select(Participant).where(Participant.code == "p1"))
        assert p1 is not None
        p1.answered_at = ANSWERED_AT
        db.session.commit()
    return cid


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("locale", ["en", "es"])
def test_coordinator_pages_write_dates_and_times_in_the_locale_and_the_centers_zone(
        client: FlaskClient, center_id: int, locale: str) -> None:
    expected = EXPECTED[locale]
    sign_in(client, "ana@example.org")
    client.post("/language", data={"locale": locale, "next": "/"})
    log = page(client, f"/centers/{center_id}/audit")
    assert expected["logged"] in log, log
    assert "2027-01-25" not in log and "08:05" not in log and "UTC" not in log
    answers = page(client, f"/centers/{center_id}/answers/")
    assert expected["answered"] in answers
    assert "2027-01-2" not in answers
    dashboard = page(client, f"/centers/{center_id}/")
    assert expected["term"] in dashboard and expected["holiday"] in dashboard
    assert "2027-01-11" not in dashboard


def test_the_time_zone_is_the_centers_not_the_servers(app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    with app.app_context():
        from scheduler.models import Center

        center = db.session.get(Center, center_id)
        assert center is not None
        center.timezone = "America/New_York"  # 08:05 UTC is 03:05 there
        db.session.commit()
    assert "Jan 25, 2027, 3:05\u202fAM" in page(client, f"/centers/{center_id}/audit")
