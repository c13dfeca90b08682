"""Feeds over HTTP: tokens, caching, privacy, and term changes showing as feeds.md prescribes."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Activity, Facilitator, Participant, ScheduleVersion, VersionStatus
from scheduler.services import feed_tokens, feeds, swaps, waitlist
from scheduler.services.term import MeetingKey
from tests.support.feeds import CANARY, person, published_center, swaps_center
from tests.support.meetings import SCENARIO as TERM
from tests.support.meetings import SCHEDULE as GROUPS
from tests.support.swaps_term import ART1_JAN11, BEFORE_TERM


@pytest.fixture
def tokens(app: Flask) -> dict[str, str]:
    with app.app_context():
        published_center()
        result = {"p1": feed_tokens.issue(person(Participant, "p1"))}
        for code in ("ana", "ben", "cruz"):
            result[code] = feed_tokens.issue(person(Facilitator, code))
        db.session.commit()
    return result


def series_uid(app: Flask, group: str, slot: str) -> str:
    with app.app_context():
        return feeds.series_uid(app.config["SECRET_KEY"].encode(), swaps_center(app), group, slot)


def events(body: bytes) -> dict[dt.datetime, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {e["DTSTART"].dt: e for e in recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1),
                                                                                   dt.date(2027, 3, 1))}


def test_a_feed_is_a_cacheable_calendar(client: FlaskClient, tokens: dict[str, str]) -> None:
    url = f"/feeds/{tokens['p1']}.ics"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" not in first.headers.get("Content-Disposition", "")
    assert first.headers["Cache-Control"] == "private, max-age=900"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    second = client.get(url)
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert first.headers["ETag"].startswith('"')  # strong
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == first.headers["ETag"]


def test_unknown_malformed_and_revoked_tokens_look_the_same(app: Flask, client: FlaskClient,
                                                            tokens: dict[str, str]) -> None:
    with app.app_context():
        feed_tokens.revoke(person(Participant, "p1"))
        db.session.commit()
    answers = [client.get(f"/feeds/{token}.ics") for token in
               (tokens["p1"], "A" * 43, "short", "../../etc/passwd", "x" * 300)]
    assert {a.status_code for a in answers} == {404}
    # Everything the feed route answers is one constant body (a path with slashes never reaches it).
    assert {a.data for a in answers[:3] + answers[4:]} == {b"Not found\n"}
    assert client.get(f"/feeds/{tokens['ana']}.ics").status_code == 200


def test_rotating_gives_a_new_url_and_kills_the_old(app: Flask, client: FlaskClient, tokens: dict[str, str]) -> None:
    with app.app_context():
        p1 = person(Participant, "p1")
        assert feed_tokens.token_for(p1) == tokens["p1"]  # shown again, not stored in clear
        fresh = feed_tokens.issue(p1)
        db.session.commit()
    assert fresh != tokens["p1"]
    assert client.get(f"/feeds/{tokens['p1']}.ics").status_code == 404
    assert client.get(f"/feeds/{fresh}.ics").status_code == 200


def test_a_participants_feed_names_nobody_else_and_uses_the_calendar_label(app: Flask, client: FlaskClient,
                                                                          tokens: dict[str, str]) -> None:
    with app.app_context():
        art = db.session.scalar(select(Activity).where(Activity.code == "art"))
        assert art is not None
        art.calendar_label = "Monday group"
        db.session.commit()
    body = client.get(f"/feeds/{tokens['p1']}.ics").data
    assert CANARY.encode() not in body and b"Canary" not in body
    assert b"ATTENDEE" not in body and b"ORGANIZER" not in body
    assert b"SUMMARY:Monday group" in body and b"Art group" not in body
    assert b"With Ana" in body
    for code in ("ana", "ben", "cruz"):
        assert CANARY.encode() not in client.get(f"/feeds/{tokens[code]}.ics").data
    assert b"p1" not in body.replace(b"UID:", b"")  # no participant ids either


def test_a_cover_shows_for_all_three_readers(app: Flask, client: FlaskClient, tokens: dict[str, str]) -> None:
    madrid = dt.timezone(dt.timedelta(hours=1))
    before = {code: client.get(f"/feeds/{tokens[code]}.ics") for code in ("p1", "ana", "cruz", "ben")}
    with app.app_context():
        request = swaps.request_swap(db.session.scalars(select(ScheduleVersion)).one(),
                                     person(Facilitator, "ana"), [ART1_JAN11], now=BEFORE_TERM)
        swaps.accept(request, person(Facilitator, "cruz"), now=BEFORE_TERM)
        db.session.commit()
    jan11 = dt.datetime(2027, 1, 11, 9, 0, tzinfo=madrid)
    jan25 = dt.datetime(2027, 1, 25, 9, 0, tzinfo=madrid)

    participant = client.get(f"/feeds/{tokens['p1']}.ics").data
    seen = {k.replace(tzinfo=madrid): v for k, v in events(participant).items()}
    assert "With Cruz" in str(seen[jan11]["DESCRIPTION"]) and "With Ana" in str(seen[jan25]["DESCRIPTION"])
    assert b"RECURRENCE-ID;TZID=Europe/Madrid:20270111T090000" in participant

    ana = client.get(f"/feeds/{tokens['ana']}.ics").data
    assert b"EXDATE;TZID=Europe/Madrid:20270111T090000" in ana
    ana_dates = {k.replace(tzinfo=madrid) for k in events(ana)}
    assert jan11 not in ana_dates and jan25 in ana_dates

    cruz = client.get(f"/feeds/{tokens['cruz']}.ics").data
    cruz_events = {k.replace(tzinfo=madrid): v for k, v in events(cruz).items()}
    assert set(cruz_events) == {jan11}  # Cruz leads no group of her own
    (raw,) = icalendar.Calendar.from_ical(cruz).walk("VEVENT")  # one standalone event, not an override
    assert "RECURRENCE-ID" not in raw and "RRULE" not in raw
    assert str(raw["UID"]) not in {series_uid(app, g, s) for g, s in (("art-1", "MO-0900"), ("art-2", "MO-1100"))}

    # Ben's feed did not change at all; the others did, with new ETags.
    assert client.get(f"/feeds/{tokens['ben']}.ics").data == before["ben"].data
    for code in ("p1", "ana", "cruz"):
        assert client.get(f"/feeds/{tokens[code]}.ics").headers["ETag"] != before[code].headers["ETag"]


def test_a_changed_series_gets_a_higher_sequence_and_others_keep_theirs(app: Flask, client: FlaskClient,
                                                                        tokens: dict[str, str]) -> None:
    before = sequences(client.get(f"/feeds/{tokens['ben']}.ics").data)
    assert set(before.values()) == {0}
    stamps_before = stamps(client.get(f"/feeds/{tokens['ben']}.ics").data)
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        swaps.cancel_meeting(version, MeetingKey(dt.date(2027, 1, 12), "TU-0900", "talk-1"), None,
                             now=BEFORE_TERM)  # type: ignore[arg-type]
        db.session.commit()
    body = client.get(f"/feeds/{tokens['ben']}.ics").data
    after = sequences(body)
    talk, art = series_uid(app, "talk-1", "TU-0900"), series_uid(app, "art-2", "MO-1100")
    assert after[talk] == before[talk] + 1 and after[art] == before[art]
    assert b"EXDATE;TZID=Europe/Madrid:20270112T090000" in body
    assert client.get(f"/feeds/{tokens['ben']}.ics").data == body  # stable again
    # The edited series' DTSTAMP and LAST-MODIFIED advance; the untouched one keeps both.
    stamps_after = stamps(body)
    assert stamps_after[art] == stamps_before[art]
    assert stamps_after[talk][0] > stamps_before[talk][0] and stamps_after[talk][1] > stamps_before[talk][1]
    assert stamps_after[talk][0] == stamps_after[talk][1]


def sequences(body: bytes) -> dict[str, int]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): int(e.get("SEQUENCE", 0)) for e in calendar.walk("VEVENT")
            if "RECURRENCE-ID" not in e}


def stamps(body: bytes) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """DTSTAMP and LAST-MODIFIED of each series."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): (e["DTSTAMP"].dt, e["LAST-MODIFIED"].dt) for e in calendar.walk("VEVENT")
            if "RECURRENCE-ID" not in e}


def test_someone_leaving_a_group_changes_nothing_in_another_members_feed(
        app: Flask, client: FlaskClient, tokens: dict[str, str]) -> None:
    """A participant's feed shows no member: Zebulon leaving art-1 must not touch Pat's feed, not even
    its SEQUENCE. Ana, who leads art-1, sees the count drop, so her series changes."""
    pat_before = client.get(f"/feeds/{tokens['p1']}.ics")
    ana_before = client.get(f"/feeds/{tokens['ana']}.ics").data
    ben_before = client.get(f"/feeds/{tokens['ben']}.ics").data
    with app.app_context():
        version = db.session.scalars(select(ScheduleVersion)).one()
        waitlist.leave(version, "art-1", "p2", dt.date(2027, 1, 11), None)
        db.session.commit()
    pat_after = client.get(f"/feeds/{tokens['p1']}.ics", headers={"If-None-Match": pat_before.headers["ETag"]})
    assert pat_after.status_code == 304
    assert client.get(f"/feeds/{tokens['p1']}.ics").data == pat_before.data
    ana_after = client.get(f"/feeds/{tokens['ana']}.ics").data
    art1 = series_uid(app, "art-1", "MO-0900")
    assert sequences(ana_after)[art1] == sequences(ana_before)[art1] + 1
    assert b"2 members" in ana_before and b"1 members" in ana_after
    assert client.get(f"/feeds/{tokens['ben']}.ics").data == ben_before


def test_uids_and_revisions_survive_a_restart_and_a_new_publish(app: Flask, tokens: dict[str, str],
                                                                database_url: str, tmp_path: Any) -> None:
    from scheduler.services import feed_content
    from tests.conftest import make_app

    first = app.test_client().get(f"/feeds/{tokens['ana']}.ics").data
    feed_content._CACHE.clear()
    restarted = make_app(database_url, tmp_path / "again", SECRET_KEY=app.config["SECRET_KEY"])
    assert restarted.test_client().get(f"/feeds/{tokens['ana']}.ics").data == first
    with app.app_context():
        old = db.session.scalars(select(ScheduleVersion)).one()
        db.session.add(ScheduleVersion(center_id=old.center_id, number=2, status=VersionStatus.PUBLISHED,
                                       published_at=old.published_at + dt.timedelta(days=1),
                                       solver_status="FEASIBLE", scenario=old.scenario, schedule=old.schedule))
        db.session.commit()
    again = app.test_client().get(f"/feeds/{tokens['ana']}.ics").data
    assert sequences(again) == sequences(first) and set(sequences(again)) == {
        series_uid(app, "art-1", "MO-0900")}
    assert stamps(again) == stamps(first)


def test_folding_never_splits_a_character() -> None:
    """Lines fold at 75 octets; a long label of accents, ñ and emoji must fold between characters."""
    from scheduler.services.feeds import EventText, render
    from scheduler.services.meetings import expand

    label = "Sesión de acompañamiento emocional 🌻 para familias — pequeños pasos, grandes logros 💬🤝✨ ñandú"
    body = render(center_id=1, uid_secret=b"fold", name=label, tzid="Europe/Madrid",
                  term_start=dt.date(2027, 1, 11), term_end=dt.date(2027, 4, 5),
                  meetings=expand(TERM, GROUPS), text=lambda m: EventText(label, "Sala 2 — planta baja", label * 2),
                  stamp=BEFORE_TERM)
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert sum(1 for line in lines if line.startswith(b" ")) >= 8  # it did fold, often
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character cut in two
    calendar = icalendar.Calendar.from_ical(body)
    assert {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")} == {label}
    assert str(calendar["X-WR-CALNAME"]) == label


def test_feed_tokens_never_reach_the_logs(client: FlaskClient, tokens: dict[str, str],
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client.get(f"/feeds/{tokens['p1']}.ics")
    # What the development server and gunicorn write for each request:
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s %s" %s -', "GET", f"/feeds/{tokens['p1']}.ics",
                                       "HTTP/1.1", "200")
    logging.getLogger("gunicorn.access").info(f'"GET /feeds/{tokens["ana"]}.ics HTTP/1.1" 200')
    assert tokens["p1"] not in caplog.text and tokens["ana"] not in caplog.text
    assert caplog.text.count("/feeds/[token].ics") == 2


def test_before_anything_is_published_the_feed_is_empty_but_valid(app: Flask, client: FlaskClient,
                                                                   tokens: dict[str, str]) -> None:
    with app.app_context():
        db.session.scalars(select(ScheduleVersion)).one().status = VersionStatus.DRAFT
        db.session.commit()
    response = client.get(f"/feeds/{tokens['p1']}.ics")
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar.walk("VEVENT") == [] and calendar.walk("VTIMEZONE")
    assert client.get(f"/feeds/{tokens['p1']}.ics").data == response.data


def test_the_coordinator_hands_out_and_rotates_calendar_links(app: Flask, client: FlaskClient,
                                                             tokens: dict[str, str],
                                                             make_coordinator: Any) -> None:
    make_coordinator("coord@example.org", "Swaps")
    from tests.conftest import sign_in

    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    index = client.get(f"/centers/{cid}/calendars/").get_data(as_text=True)
    assert "Ana" in index and "Pat" in index
    page = client.get(f"/centers/{cid}/calendars/participants/p1").get_data(as_text=True)
    assert f"webcal://localhost/feeds/{tokens['p1']}.ics" in page
    assert f"http://localhost/feeds/{tokens['p1']}.ics" in page
    assert "<svg" in page and "<script" not in page.split("</head>")[1]
    assert len(f"https://localhost/feeds/{tokens['p1']}.ics") <= 256
    client.post(f"/centers/{cid}/calendars/participants/p1/rotate")
    assert client.get(f"/feeds/{tokens['p1']}.ics").status_code == 404
    with app.app_context():
        feed_tokens.revoke(person(Participant, "p1"))
        db.session.commit()
    page = client.get(f"/centers/{cid}/calendars/participants/p1").get_data(as_text=True)
    assert "has no calendar link yet" in page  # a GET never creates one
    client.post(f"/centers/{cid}/calendars/participants/p1/rotate")
    page = client.get(f"/centers/{cid}/calendars/participants/p1").get_data(as_text=True)
    assert tokens["p1"] not in page
    assert client.get(f"/centers/{cid}/calendars/participants/nobody").status_code == 404
    assert client.get(f"/centers/{cid}/calendars/rooms/r1").status_code == 404


def test_calendar_links_of_another_center_are_404(app: Flask, client: FlaskClient, tokens: dict[str, str],
                                                  make_center: Any, make_coordinator: Any) -> None:
    from tests.conftest import sign_in

    make_center("Elsewhere")
    make_coordinator("else@example.org", "Elsewhere")
    sign_in(client, "else@example.org")
    cid = swaps_center(app)
    assert client.get(f"/centers/{cid}/calendars/participants/p1").status_code == 404
    assert client.post(f"/centers/{cid}/calendars/participants/p1/rotate").status_code == 404
    assert client.get(f"/feeds/{tokens['p1']}.ics").status_code == 200


def test_staff_calendars_for_the_center_a_group_and_a_room_name_no_participant(
        app: Flask, client: FlaskClient, tokens: dict[str, str], make_coordinator: Any) -> None:
    from tests.conftest import sign_in

    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    client.post(f"/centers/{cid}/calendars/settings", data={"address": "Calle Mayor 1, Madrid"})
    page = client.get(f"/centers/{cid}/calendars/").get_data(as_text=True)
    assert "The whole center" in page and "Group art-1 (Art group)" in page and "Room: Room 1" in page
    for target in ("center", "group/art-1", "room/r1"):
        client.post(f"/centers/{cid}/calendars/staff/{target}")
    assert client.post(f"/centers/{cid}/calendars/staff/group/nope").status_code == 404
    assert client.post(f"/centers/{cid}/calendars/staff/center/extra").status_code == 404
    page = client.get(f"/centers/{cid}/calendars/").get_data(as_text=True)
    urls = re.findall(r"<code>http://localhost(/feeds/[^<]+\.ics)</code>", page)
    assert len(urls) == 3
    summaries = []
    for url in urls:
        body = client.get(url).data
        assert CANARY.encode() not in body and b"Pat" not in body
        summaries.append({str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")})
    whole, group, room = summaries
    assert b"Calle Mayor 1\\, Madrid" in client.get(urls[0]).data  # LOCATION: room, center, address
    assert whole == {"Art group", "Spanish talk group"} and group == {"Art group"}
    assert room == {"Art group"}  # talk-1 meets in room 2


def test_facilitators_calendars_name_their_own_members_only_when_the_center_allows_it(
        app: Flask, client: FlaskClient, tokens: dict[str, str], make_coordinator: Any) -> None:
    from tests.conftest import sign_in

    def feed(code: str) -> bytes:
        return client.get(f"/feeds/{tokens[code]}.ics").data

    assert b"Zebulon" not in feed("ana") and b"Pat" not in feed("ben")  # off by default: counts only
    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    client.post(f"/centers/{cid}/calendars/settings", data={"address": "", "feeds_name_members": "y"})
    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion))
        assert version is not None and version.center.feeds_name_members
        # Ben covers Ana's art group for one date: that date's event must not name Ana's members to him.
        swaps.set_override(version.id, version.center_id, ART1_JAN11, facilitators=["ben"], now=BEFORE_TERM)
        db.session.commit()
    ana = feed("ana")
    assert b"Group art-1\\, 2 members: Pat\\, Zebulon" in ana  # first names only
    assert b"Canary" not in ana
    ben = feed("ben")
    assert b"Group talk-1\\, 1 members: Pat" in ben  # his own group
    assert b"Zebulon" not in ben  # the art-1 date he covers: a count, no names
    assert b"Zebulon" not in feed("cruz") and b"Pat" not in feed("cruz")
    assert b"Zebulon" not in feed("p1")  # a participant's own feed still names nobody else
    client.post(f"/centers/{cid}/calendars/settings", data={"address": ""})
    assert b"Pat" not in feed("ana") and b"Pat" not in feed("ben")


def test_a_cached_feed_follows_every_change_it_shows(app: Flask, client: FlaskClient, tokens: dict[str, str],
                                                   make_coordinator: Any) -> None:
    """The per-process cache answers polls without rebuilding; each thing a feed shows must reach it at
    the next poll: the center's address, an activity's calendar label, a participant's language."""
    from tests.conftest import sign_in

    url = f"/feeds/{tokens['p1']}.ics"
    first = client.get(url)
    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    client.post(f"/centers/{cid}/calendars/settings", data={"address": "Plaza Nueva 3"})
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and b"Plaza Nueva 3" in second.data
    with app.app_context():
        art = db.session.scalar(select(Activity).where(Activity.code == "art"))
        assert art is not None
        art.calendar_label = "Monday afternoons"
        db.session.commit()
    third = client.get(url, headers={"If-None-Match": second.headers["ETag"]})
    assert third.status_code == 200 and b"SUMMARY:Monday afternoons" in third.data
    with app.app_context():
        person(Participant, "p1").locale = "es"
        db.session.commit()
    fourth = client.get(url, headers={"If-None-Match": third.headers["ETag"]})
    assert fourth.status_code == 200 and b"Con Ana" in fourth.data
    assert client.get(url, headers={"If-None-Match": fourth.headers["ETag"]}).status_code == 304


def test_calendar_settings_refuse_an_overlong_address_and_keep_the_old_one(
        app: Flask, client: FlaskClient, tokens: dict[str, str], make_coordinator: Any) -> None:
    from tests.conftest import sign_in

    make_coordinator("coord@example.org", "Swaps")
    sign_in(client, "coord@example.org")
    cid = swaps_center(app)
    client.post(f"/centers/{cid}/calendars/settings", data={"address": "Plaza Nueva 3"})
    answer = client.post(f"/centers/{cid}/calendars/settings", data={"address": "x" * 301, "feeds_name_members": "y"},
                         follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "address" in page and "300" in page
    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion))
        assert version is not None
        assert version.center.address == "Plaza Nueva 3" and not version.center.feeds_name_members
