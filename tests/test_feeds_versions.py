"""Feeds read the published version, not the live center: a settings change moves nothing until it is
applied to the published term (a new version), and then every component whose text moved, cover
events included, gets a higher SEQUENCE and a later DTSTAMP and LAST-MODIFIED. A feed's Last-Modified
is the latest change it shows; a new link carries on the old one's revisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    Activity,
    AuditEntry,
    Center,
    Facilitator,
    Holiday,
    MeetingOverride,
    OutboxMessage,
    Participant,
    ScheduleVersion,
)
from scheduler.services import feed_tokens, swaps, term_settings, versions
from scheduler.services.term import MeetingKey
from tests.conftest import sign_in
from tests.support.feeds import person, published_center
from tests.support.swaps_term import ART1_JAN11, BEFORE_TERM

ART1_JAN25 = MeetingKey(dt.date(2027, 1, 25), "MO-0900", "art-1")
TALK1_JAN12 = MeetingKey(dt.date(2027, 1, 12), "TU-0900", "talk-1")


@pytest.fixture
def feeds(app: Flask) -> dict[str, str]:
    """A published version that holds its presentation, a cover (Ana's 11 January to Cruz), and links."""
    with app.app_context():
        version = published_center()
        version.presentation = versions.presentation_of(version.center)
        request = swaps.request_swap(version, person(Facilitator, "ana"), [ART1_JAN11], now=BEFORE_TERM)
        swaps.accept(request, person(Facilitator, "cruz"), now=BEFORE_TERM)
        links = {"p1": feed_tokens.issue(person(Participant, "p1"))}
        for code in ("ana", "ben", "cruz"):
            links[code] = feed_tokens.issue(person(Facilitator, code))
        links["center"] = feed_tokens.issue_scoped(version.center_id, "center", None)
        db.session.commit()
    return links


def fetch(client: FlaskClient, token: str) -> tuple[bytes, str]:
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    return response.data, response.headers["Last-Modified"]


def components(body: bytes) -> dict[str, icalendar.Event]:
    """Every VEVENT by its UID (an override by UID and RECURRENCE-ID)."""
    found = {}
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        key = str(event["UID"])
        if "RECURRENCE-ID" in event:
            key += "/" + event["RECURRENCE-ID"].dt.strftime("%Y%m%d")
        found[key] = event
    return found


def change_every_setting(center_id: int) -> None:
    center = db.session.get(Center, center_id)
    assert center is not None
    center.name, center.address = "Renamed center", "Calle Nueva 1"
    center.timezone, center.term_end = "America/Bogota", dt.date(2027, 1, 20)
    center.holidays.append(Holiday(date=dt.date(2027, 1, 12)))
    for activity in db.session.scalars(select(Activity).where(Activity.center_id == center_id)):
        activity.calendar_label = f"Discreet {activity.code}"


def test_a_settings_change_leaves_every_published_feed_as_it_was(app: Flask, client: FlaskClient,
                                                                  feeds: dict[str, str]) -> None:
    before = {who: fetch(client, token) for who, token in feeds.items()}
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        change_every_setting(version.center_id)
        db.session.commit()
    for who, token in feeds.items():
        assert fetch(client, token) == before[who], who  # bytes and Last-Modified alike
    body = before["p1"][0]
    assert b"Europe/Madrid" in body and b"Bogota" not in body and b"Renamed" not in body
    assert b"RECURRENCE-ID;TZID=Europe/Madrid:20270111T090000" in body


def test_applying_a_label_raises_the_cover_events_sequence_and_stamps(app: Flask, client: FlaskClient,
                                                                       feeds: dict[str, str]) -> None:
    cruz_before = components(fetch(client, feeds["cruz"])[0])
    p1_before = components(fetch(client, feeds["p1"])[0])
    (cover_uid,) = cruz_before
    assert str(cruz_before[cover_uid]["SUMMARY"]) == "Art group"
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        art = db.session.scalar(select(Activity).where(Activity.code == "art"))
        assert art is not None
        art.calendar_label = "Monday group"
        db.session.commit()
    assert components(fetch(client, feeds["cruz"])[0]) == cruz_before  # not yet: only through a version
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        center = version.center
        found = term_settings.pending(center, version)
        assert found.labels == ["Art group"] and found.settings == []
        new = term_settings.apply_to_published(center, version, None)
        db.session.commit()
        assert new.number == 2 and versions.current_published(center) is new
        # The cover is carried over to the new version.
        assert db.session.scalars(select(MeetingOverride).where(MeetingOverride.version_id == new.id)).one()

    cruz_after = components(fetch(client, feeds["cruz"])[0])
    assert set(cruz_after) == {cover_uid}  # the same event, revised
    old, now = cruz_before[cover_uid], cruz_after[cover_uid]
    assert str(now["SUMMARY"]) == "Monday group"
    assert int(now["SEQUENCE"]) > int(old.get("SEQUENCE", 0))
    assert now["DTSTAMP"].dt > old["DTSTAMP"].dt and now["LAST-MODIFIED"].dt > old["LAST-MODIFIED"].dt
    # The participant's art series and its override (the covered date) moved too, the override still
    # above its series; the talk group's series, whose text did not change, kept its revision.
    p1_after = components(fetch(client, feeds["p1"])[0])
    assert set(p1_after) == set(p1_before)
    for key, event in p1_after.items():
        moved = str(event["SUMMARY"]) == "Monday group"
        assert (int(event["SEQUENCE"]) > int(p1_before[key]["SEQUENCE"])) == moved, key
        assert (event["LAST-MODIFIED"].dt == p1_before[key]["LAST-MODIFIED"].dt) != moved, key
    assert sum(str(e["SUMMARY"]) == "Monday group" for e in p1_after.values()) == 2
    series = {k: e for k, e in p1_after.items() if "/" not in k}
    for key, event in p1_after.items():
        if "/" in key:
            assert int(event["SEQUENCE"]) > int(series[key.split("/")[0]]["SEQUENCE"])


def test_applying_a_new_holiday_drops_its_changes_and_tells_whose_meetings_go(
        app: Flask, client: FlaskClient, feeds: dict[str, str]) -> None:
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        version.center.holidays.append(Holiday(date=dt.date(2027, 1, 11)))  # the covered Monday
        db.session.commit()
        found = term_settings.pending(version.center, version)
        assert found.settings == ["holidays"] and found.dropped == [ART1_JAN11]
        sent_before = len(db.session.scalars(select(OutboxMessage)).all())
        new = term_settings.apply_to_published(version.center, version, None, now=BEFORE_TERM)
        db.session.commit()
        assert db.session.scalars(select(MeetingOverride).where(MeetingOverride.version_id == new.id)).all() == []
        messages = db.session.scalars(select(OutboxMessage)).all()[sent_before:]
        assert messages, "the people of art-1 are told"
        assert any("Your meetings have changed" in str(m.subject) for m in messages)
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "version.settings_applied"))
    body = fetch(client, feeds["p1"])[0]
    assert b"EXDATE;TZID=Europe/Madrid:20270111T090000" in body
    assert fetch(client, feeds["cruz"])[0].count(b"BEGIN:VEVENT") == 0  # the cover is gone with the date


def test_nothing_to_apply_is_refused_in_words(app: Flask, feeds: dict[str, str]) -> None:
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        with pytest.raises(versions.VersionError, match="already shows"):
            term_settings.apply_to_published(version.center, version, None)


def test_a_feeds_last_modified_is_the_latest_change_it_shows(app: Flask, client: FlaskClient,
                                                             feeds: dict[str, str]) -> None:
    ana, ben = fetch(client, feeds["ana"]), fetch(client, feeds["ben"])
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        swaps.cancel_meeting(version, TALK1_JAN12, None)  # type: ignore[arg-type]  # Ben's group, not Ana's
        db.session.commit()
    assert fetch(client, feeds["ana"]) == ana
    ben_after = fetch(client, feeds["ben"])
    assert ben_after[0] != ben[0]
    assert dt.datetime.strptime(ben_after[1], "%a, %d %b %Y %H:%M:%S GMT") > \
        dt.datetime.strptime(ben[1], "%a, %d %b %Y %H:%M:%S GMT")


def test_sequence_survives_a_link_rotation(app: Flask, client: FlaskClient, feeds: dict[str, str]) -> None:
    fetch(client, feeds["ben"])
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        swaps.cancel_meeting(version, TALK1_JAN12, None)  # type: ignore[arg-type]
        db.session.commit()
    before = components(fetch(client, feeds["ben"])[0])
    assert max(int(e["SEQUENCE"]) for e in before.values()) == 1
    with app.app_context():
        new_ben = feed_tokens.issue(person(Facilitator, "ben"))
        new_center = feed_tokens.issue_scoped(person(Facilitator, "ben").center_id, "center", None)
        db.session.commit()
    assert client.get(f"/feeds/{feeds['ben']}.ics").status_code == 404
    after = components(fetch(client, new_ben)[0])
    assert {k: (int(e["SEQUENCE"]), e["LAST-MODIFIED"].dt) for k, e in after.items()} == \
        {k: (int(e["SEQUENCE"]), e["LAST-MODIFIED"].dt) for k, e in before.items()}
    assert fetch(client, new_center)[0] == fetch(client, new_center)[0]


def test_the_coordinator_sees_what_differs_and_applies_it_after_a_confirmation(
        app: Flask, client: FlaskClient, feeds: dict[str, str], make_coordinator: Callable[..., None]) -> None:
    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    with app.app_context():
        cid = db.session.scalars(select(ScheduleVersion)).one().center_id
    assert client.post(f"/centers/{cid}/calendars/settings", data={"address": "Calle Nueva 1"}).status_code == 302
    before = fetch(client, feeds["p1"])
    assert b"Calle Nueva" not in before[0]
    index = client.get(f"/centers/{cid}/calendars/").get_data(as_text=True)
    assert "still shows the settings it was published with" in index
    ask = client.get(f"/centers/{cid}/calendars/apply-settings").get_data(as_text=True)
    assert "<li>address</li>" in ask and "Apply to the published term" in ask
    with app.app_context():
        assert len(db.session.scalars(select(ScheduleVersion)).all()) == 1  # looking changes nothing
    done = client.post(f"/centers/{cid}/calendars/apply-settings", follow_redirects=True)
    assert "Version 2 is published" in done.get_data(as_text=True)
    after = fetch(client, feeds["p1"])[0]
    assert b"Calle Nueva 1" in after
    assert all(int(e["SEQUENCE"]) >= 1 for e in components(after).values())
    again = client.get(f"/centers/{cid}/calendars/apply-settings").get_data(as_text=True)
    assert "already shows the center’s settings" in again
