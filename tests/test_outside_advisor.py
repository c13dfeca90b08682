"""An outside tester's findings on the three advisor features ("where they fit now", "what if", the
suggestions for people left out), walked as a coordinator on a 600-person center and attacked as
another center's coordinator and as a facilitator. Each finding is a test that fails until it is
fixed; the attacks that were refused stay here as tests of the protection."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, SolveJob
from scheduler.services import planning
from scheduler.services.advice import suggestions
from scheduler.services.scenarios import import_scenario
from scheduler.services.term import term_state
from solver.scenario import build_scenario
from tests.conftest import sign_in
from tests.support.access import staff_account
from tests.support.waitlist import LATER, make_version


def visible(html: str) -> str:
    """The page's text as a person reads it: no tags, no hidden values, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def waiting_center(app: Flask, make_coordinator: Callable[..., None]) -> tuple[int, int]:
    """The published "Waiting" term (art-1 full with p1, p2; choir-1 with p7) and its coordinator."""
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


def job_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SolveJob)) or 0


# --------------------------------------------------------------------------- where they fit now


def test_fit_page_names_groups_as_the_schedule_does_not_by_code(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    """Finding: "Why not the others" and "Smallest change" show raw group codes ("act3-4: Participant
    306 is not available…", "One more seat in group act7-1") while the version page calls the same
    groups "Family sessions, group 4" and "Youth social skills": a coordinator cannot tell which group
    is meant. Seen at /centers/1/participants/p306/fit/ on scenarios/large.json."""
    cid, _vid = waiting_center(app, make_coordinator)
    sign_in(client, "coord@example.org")
    text = visible(client.get(f"/centers/{cid}/participants/p5/fit/").get_data(as_text=True))
    assert "Why not the others" in text
    assert "art-1:" not in text, "a raw group code opens a 'why not' line"
    assert "group art-1" not in text, "the smallest change names the group by its code"


def test_fit_page_says_how_many_more_groups_in_words(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    """Finding: "Participant 306 may join 2 more group(s)." — "(s)" instead of a plural form (and it
    cannot be translated properly either)."""
    cid, _vid = waiting_center(app, make_coordinator)
    sign_in(client, "coord@example.org")
    text = visible(client.get(f"/centers/{cid}/participants/p7/fit/").get_data(as_text=True))
    assert "may join 1 more group." in text and "group(s)" not in text


def test_pressing_join_twice_seats_the_person_once(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    cid, vid = waiting_center(app, make_coordinator)
    sign_in(client, "coord@example.org")
    first = client.post(f"/centers/{cid}/participants/p5/fit/join", data={"group": "choir-1"},
                        follow_redirects=True)
    second = client.post(f"/centers/{cid}/participants/p5/fit/join", data={"group": "choir-1"},
                         follow_redirects=True)
    assert first.status_code == 200 and second.status_code == 200
    assert roster(app, vid, "choir-1") == ("p7", "p5")
    assert "Traceback" not in second.get_data(as_text=True)


def test_fit_pages_of_another_center_and_of_a_facilitator_are_404(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    cid, vid = waiting_center(app, make_coordinator)
    make_center("Elsewhere")
    make_coordinator("else@example.org", "Elsewhere")
    with app.app_context():
        email = staff_account("f1", cid).email
        db.session.commit()
    for who in ("else@example.org", email):
        other = app.test_client()
        sign_in(other, who)
        assert other.get(f"/centers/{cid}/participants/p5/fit/").status_code == 404
        assert other.post(f"/centers/{cid}/participants/p5/fit/join",
                          data={"group": "choir-1"}).status_code == 404
    assert roster(app, vid, "choir-1") == ("p7",)


# --------------------------------------------------------------------------- what if


def test_what_if_odd_time_limit_names_the_field(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    """Finding: POST /centers/1/schedule/what-if/facilitator with code=fac12 and time_limit_s=1e3
    answers 400 "Invalid Choice: could not coerce." (WTForms' own words, naming no field), and
    time_limit_s=999999999999999 answers "Not a valid choice.": neither says which field is wrong."""
    cid, _vid = waiting_center(app, make_coordinator)
    sign_in(client, "coord@example.org")
    before = job_count(app)
    for odd in ("1e3", "999999999999999"):
        response = client.post(f"/centers/{cid}/schedule/what-if/facilitator",
                               data={"code": "f1", "time_limit_s": odd})
        text = visible(response.get_data(as_text=True))
        assert response.status_code == 400, odd
        assert "could not coerce" not in text, odd
        assert "Not a valid choice." not in text, f"{odd}: the message does not name the field"
    assert job_count(app) == before


def test_what_if_unknown_codes_are_refused_by_name(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    cid, _vid = waiting_center(app, make_coordinator)
    sign_in(client, "coord@example.org")
    before = job_count(app)
    for kind, message in (("facilitator", "Facilitator: this center has no such facilitator."),
                          ("slot", "Weekly slot: this center has no such slot.")):
        response = client.get(f"/centers/{cid}/schedule/what-if/{kind}?code={'Z' * 5000}")
        assert response.status_code == 400 and message in visible(response.get_data(as_text=True))
        response = client.post(f"/centers/{cid}/schedule/what-if/{kind}",
                               data={"code": "nobody", "time_limit_s": "10"})
        assert response.status_code == 400 and message in visible(response.get_data(as_text=True))
    assert client.get(f"/centers/{cid}/schedule/what-if/bogus?code=a").status_code == 404
    assert job_count(app) == before


def test_what_if_of_another_center_and_of_a_facilitator_are_404(
        app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> None:
    cid, _vid = waiting_center(app, make_coordinator)
    make_center("Elsewhere")
    make_coordinator("else@example.org", "Elsewhere")
    with app.app_context():
        email = staff_account("f1", cid).email
        db.session.commit()
    before = job_count(app)
    for who in ("else@example.org", email):
        other = app.test_client()
        sign_in(other, who)
        assert other.get(f"/centers/{cid}/schedule/what-if/").status_code == 404
        assert other.get(f"/centers/{cid}/schedule/what-if/facilitator?code=f1").status_code == 404
        assert other.post(f"/centers/{cid}/schedule/what-if/facilitator",
                          data={"code": "f1", "time_limit_s": "10"}).status_code == 404
    assert job_count(app) == before


# --------------------------------------------------------------------------- suggestions


def tiny_choir() -> dict[str, Any]:
    """One choir group of 3 on Monday, full with Ana, Bea and Carla; Dana left out (one more seat seats her)."""
    def person(code: str, name: str) -> dict[str, Any]:
        return {"id": code, "name": name, "email": f"{code}@example.org", "available": ["MO-0900"],
                "preferences": ["act1"], "max_groups": 1}

    return {
        "format": "sociotherapy-scenario/1",
        "center": {"name": "Choir", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-04-05"},
        "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:15"}],
        "rooms": [{"id": "room1", "name": "Garden room", "capacity": 10, "features": []}],
        "activities": [{"id": "act1", "name": "Community choir", "sessions_per_week": 1, "min_size": 2,
                        "max_size": 3, "max_groups": 1, "facilitators_per_group": 1}],
        "facilitators": [{"id": "fac1", "name": "Rosa Vidal", "email": "rosa@example.org", "skills": [],
                          "available": ["MO-0900"], "max_sessions_per_week": 1}],
        "participants": [person("p1", "Ana Ruiz"), person("p2", "Bea Soto"), person("p3", "Carla Gil"),
                         person("p4", "Dana Mora")],
    }


CHOIR_VERSION = {"format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 330, "bound": 440,
                 "wall_s": 1.0, "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"],
                                            "room": "room1", "facilitators": ["fac1"],
                                            "members": ["p1", "p2", "p3"]}],
                 "unassigned": [{"participant": "p4", "reason": "the one group of Community choir is full"}]}


@pytest.fixture(autouse=True)
def _fresh_suggestions() -> Iterator[None]:
    # Version ids repeat from one test database to the next; the suggestions cache is per process.
    suggestions._CACHE.clear()
    yield
    suggestions._CACHE.clear()


def test_trying_a_suggestion_asks_before_changing_the_centers_data(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    """Finding: on /centers/1/schedule/versions/1/suggestions, "Try it: change and build a new draft"
    changes the center's data (an activity's group count, a person's times) and starts a build at the
    first click, with no confirmation step (no dialog, no page to confirm on). The brief asks that it
    says what it changes and asks first: the first POST should show what will change and wait."""
    with app.app_context():
        center = import_scenario(build_scenario(copy.deepcopy(tiny_choir())), "Choir")
        db.session.flush()
        db.session.add(ScheduleVersion(center_id=center.id, number=1, solver_status="FEASIBLE", objective=330,
                                       bound=440, scenario=planning.read_center(center).to_dict(),
                                       schedule=copy.deepcopy(CHOIR_VERSION)))
        db.session.commit()
        cid = center.id
    make_coordinator("ana@example.org", "Choir")
    sign_in(client, "ana@example.org")
    page = client.get(f"/centers/{cid}/schedule/versions/1/suggestions").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key, "the tiny center offers a suggestion for Dana"

    def data() -> dict[str, Any]:
        with app.app_context():
            found = db.session.get(Center, cid)
            assert found is not None
            return planning.read_center(found).to_dict()

    before = data()
    response = client.post(f"/centers/{cid}/schedule/versions/1/suggestions",
                           data={"key": key.group(1), "time_limit_s": "10"})  # a time the page offers
    assert response.status_code == 200, "trying a suggestion went ahead without a confirmation page"
    assert data() == before and job_count(app) == 0


# --------------------------------------------------------------------------- a draft older than a join


def test_publishing_a_draft_built_before_a_join_keeps_or_tells_the_person(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    """Finding (large center): version 2 was a what-if draft (Facilitator 12 leaves) built from version 1;
    afterwards Participant 306 was added to "Family sessions, group 4" from "Where they fit now". The
    publish page of version 2 (/centers/1/schedule/versions/2/publish) then lists Participant 306 among
    the left out, with no word that publishing takes away the seat they were just given. Publishing
    such a draft must keep the person in the group, or count and tell them as someone whose group changes."""
    import datetime as dt

    from scheduler.models import VersionStatus
    from tests.support.waitlist import SCENARIO, SCHEDULE

    cid, vid = waiting_center(app, make_coordinator)
    with app.app_context():
        draft = ScheduleVersion(center_id=cid, number=2, status=VersionStatus.DRAFT, solver_status="FEASIBLE",
                                scenario=copy.deepcopy(SCENARIO), schedule=copy.deepcopy(SCHEDULE),
                                created_at=dt.datetime(2027, 1, 2, tzinfo=dt.UTC))
        db.session.add(draft)
        db.session.commit()
        draft_id = draft.id
    sign_in(client, "coord@example.org")
    client.post(f"/centers/{cid}/participants/p5/fit/join", data={"group": "choir-1"})
    assert roster(app, vid, "choir-1") == ("p7", "p5")
    confirmation = visible(client.get(f"/centers/{cid}/schedule/versions/2/publish").get_data(as_text=True))
    client.post(f"/centers/{cid}/schedule/versions/2/publish", data={})
    with app.app_context():
        published = db.session.get(ScheduleVersion, draft_id)
        assert published is not None and published.status == VersionStatus.PUBLISHED
    kept = "p5" in roster(app, draft_id, "choir-1")
    # Today: P5 appears only in the "Left out" list, and "0 people whose groups change" — so P5 is
    # not even told that the group they were just given is gone.
    told = "0 people whose groups change" not in confirmation
    assert kept or told, "publishing the older draft silently takes P5 out of the choir they just joined"
