"""Suggestions on a version's page for the people it leaves out, and trying one in one click: two tiny
centers whose one left-out person (Dana) and the one change that seats her are known by hand."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, ScheduleVersion, SolveJob, User
from scheduler.models.accounts import utcnow
from scheduler.models.swaps import AuditEntry
from scheduler.services import planning
from scheduler.services.accounts import hash_password
from scheduler.services.advice import suggestions
from scheduler.services.scenarios import import_scenario
from solver.scenario import build_scenario
from tests.conftest import PASSWORD, make_app, sign_in
from tests.support.csrf import csrf_token


def confirmed(key: str, time_limit_s: int = 10) -> dict[str, object]:
    """The form the confirmation page posts (the first POST only shows what will change)."""
    return {"key": key, "time_limit_s": time_limit_s, "confirmed": "yes"}


def tiny(*, max_size: int, dana_times: list[str]) -> dict[str, Any]:
    """One choir group on Monday 09:00 led by Rosa, who can lead nothing else; Ana, Bea and Carla in it."""
    def person(code: str, name: str, times: list[str]) -> dict[str, Any]:
        return {"id": code, "name": name, "email": f"{code}@example.org", "available": times,
                "preferences": ["act1"], "max_groups": 1}

    return {
        "format": "sociotherapy-scenario/1",
        "center": {"name": "Tiny", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-04-05"},
        "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:15"},
                  {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:15"}],
        "rooms": [{"id": "room1", "name": "Garden room", "capacity": 10, "features": []}],
        "activities": [{"id": "act1", "name": "Community choir", "sessions_per_week": 1, "min_size": 2,
                        "max_size": max_size, "max_groups": 1, "facilitators_per_group": 1}],
        "facilitators": [{"id": "fac1", "name": "Rosa Vidal", "email": "rosa@example.org", "skills": [],
                          "available": ["MO-0900"], "max_sessions_per_week": 1}],
        "participants": [person("p1", "Ana Ruiz", ["MO-0900"]), person("p2", "Bea Soto", ["MO-0900"]),
                         person("p3", "Carla Gil", ["MO-0900"]), person("p4", "Dana Mora", dana_times)],
    }


VERSION_1 = {"format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 330, "bound": 440,
             "wall_s": 1.0, "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"], "room": "room1",
                                        "facilitators": ["fac1"], "members": ["p1", "p2", "p3"]}],
             "unassigned": [{"participant": "p4", "reason": "the one group of Community choir is full"}]}


def make_tiny(app: Flask, scenario: dict[str, Any], name: str = "Tiny") -> int:
    """The center with version 1 (Dana left out), built from its own data as a build would be."""
    with app.app_context():
        center = import_scenario(build_scenario(scenario), name)
        db.session.flush()
        db.session.add(ScheduleVersion(center_id=center.id, number=1, solver_status="FEASIBLE", objective=330,
                                       bound=440, scenario=planning.read_center(center).to_dict(),
                                       schedule=copy.deepcopy(VERSION_1)))
        db.session.commit()
        return center.id


@pytest.fixture
def seat(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> int:
    """Dana can come when the group meets, but it is full: one more seat (up to 4) seats her."""
    center_id = make_tiny(app, tiny(max_size=3, dana_times=["MO-0900"]))
    make_coordinator("ana@example.org", "Tiny")
    sign_in(client, "ana@example.org")
    return center_id


@pytest.fixture
def ask(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> int:
    """The group has a free seat but meets when Dana has not said she can come: ask her about Monday."""
    center_id = make_tiny(app, tiny(max_size=4, dana_times=["TU-0900"]))
    make_coordinator("ana@example.org", "Tiny")
    sign_in(client, "ana@example.org")
    return center_id


def data_of(app: Flask, center_id: int) -> dict[str, Any]:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        return planning.read_center(center).to_dict()


def jobs(app: Flask, center_id: int) -> list[SolveJob]:
    with app.app_context():
        return list(db.session.query(SolveJob).filter_by(center_id=center_id))


def suggestion_forms(html: str) -> list[tuple[str, str]]:
    """(key, the suggestion's text as shown: no tags, so no token) for each one-click form in the list."""
    items = re.findall(r"<li>(.*?)</li>", html, flags=re.S)
    return [(re.search(r'name="key" value="([^"]+)"', item).group(1),  # type: ignore[union-attr]
             re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))) for item in items if 'name="key"' in item]


def settle(app: Flask) -> None:
    """Wait for the build a request started: it runs on the app's one solve thread."""
    executor = app.extensions.get("solve_executor")
    assert executor is not None
    executor.submit(lambda: None).result(timeout=120)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Version ids repeat from one test database to the next; the cache is per process.
    suggestions._CACHE.clear()
    yield
    suggestions._CACHE.clear()


# --------------------------------------------------------------------------- access


def test_only_the_centers_coordinator_sees_or_tries_suggestions(
        app: Flask, seat: int, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> None:
    make_center("Other")
    make_coordinator("olga@example.org", "Other")
    with app.app_context():
        rosa = User(email="rosa@example.org", password_hash=hash_password(PASSWORD), password_set_at=utcnow())
        db.session.add(rosa)
        db.session.flush()
        db.session.add(Membership(user_id=rosa.id, center_id=seat, role=CenterRole.FACILITATOR))
        db.session.commit()
    before = data_of(app, seat)
    page = f"/centers/{seat}/schedule/versions/1/suggestions"
    pages = (page, f"{page}?part=1")
    anonymous = app.test_client()
    for page in pages:
        assert anonymous.get(page).status_code == 302
    assert anonymous.post(pages[0], data={"key": "x", "time_limit_s": 5}).status_code == 302
    for email in ("olga@example.org", "rosa@example.org"):
        other = app.test_client()
        sign_in(other, email)
        for page in pages:
            assert other.get(page).status_code == 404, email
        assert other.post(pages[0], data={"key": "x", "time_limit_s": 5}).status_code == 404, email
        assert "Dana" not in other.get(f"/centers/{seat}/schedule/versions/1").get_data(as_text=True)
    assert data_of(app, seat) == before and jobs(app, seat) == []


def test_a_post_without_its_csrf_token_changes_nothing(app: Flask, seat: int, database_url: str,
                                                       tmp_path: Path, client: FlaskClient) -> None:
    key = suggestion_forms(client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True))[0][0]
    strict = make_app(database_url, tmp_path / "strict", WTF_CSRF_ENABLED=True)
    browser = strict.test_client()
    assert browser.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD,
                                          "csrf_token": csrf_token(browser)}).status_code == 302
    before = data_of(app, seat)
    response = browser.post(f"/centers/{seat}/schedule/versions/1/suggestions", data=confirmed(key))
    assert response.status_code == 400
    assert data_of(app, seat) == before and jobs(app, seat) == []


# --------------------------------------------------------------------------- seeing and trying one


def test_the_version_page_fetches_the_suggestions_and_links_to_them(client: FlaskClient, seat: int) -> None:
    html = client.get(f"/centers/{seat}/schedule/versions/1").get_data(as_text=True)
    assert "What would seat the people left out" in html
    assert f'data-suggestions-url="/centers/{seat}/schedule/versions/1/suggestions?part=1"' in html
    assert f'href="/centers/{seat}/schedule/versions/1/suggestions"' in html  # without scripts
    assert "js/suggestions.js" in html


def test_one_more_seat_is_suggested_in_words(client: FlaskClient, seat: int) -> None:
    part = client.get(f"/centers/{seat}/schedule/versions/1/suggestions?part=1").get_data(as_text=True)
    assert "<html" not in part  # the piece the version page puts in place
    forms = suggestion_forms(part)
    assert len(forms) == 1
    text = forms[0][1]
    assert "Add one seat to Community choir." in text
    assert "It seats 1 person left out: Dana Mora." in text
    assert "Groups of Community choir may then have up to 4 members (now 3)." in text
    assert "act1" not in text and "p4" not in text  # names, never codes
    page = client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True)
    assert "Add one seat to Community choir." in page and "Back to version 1" in page


def test_trying_it_changes_that_one_limit_and_builds_a_version_that_seats_dana(
        app: Flask, client: FlaskClient, seat: int) -> None:
    before = data_of(app, seat)
    key = suggestion_forms(client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True))[0][0]
    response = client.post(f"/centers/{seat}/schedule/versions/1/suggestions", data=confirmed(key))
    assert response.status_code == 302
    assert re.search(rf"/centers/{seat}/schedule/jobs/\d+$", response.headers["Location"])
    expected = copy.deepcopy(before)
    expected["activities"][0]["max_size"] = 4
    assert data_of(app, seat) == expected  # that one limit, nothing else
    settle(app)
    with app.app_context():
        job = db.session.query(SolveJob).filter_by(center_id=seat).one()
        assert job.params["purpose"]["kind"] == "suggestion" and job.params["purpose"]["seats"] == ["p4"]
        assert job.version is not None, job.message
        built = job.version
        assert "p4" in {m for g in built.schedule["groups"] for m in g["members"]}
        entry = db.session.query(AuditEntry).filter_by(center_id=seat, action="schedule.suggestion_tried").one()
        assert entry.before == {"max_size": 3} and entry.after == {"max_size": 4}
        number = built.number
    html = client.get(f"/centers/{seat}/schedule/versions/{number}").get_data(as_text=True)
    assert "Built to try a suggestion for version 1" in html
    assert "Add one seat to Community choir." in html and "Seated as promised: Dana Mora." in html


def test_asking_about_a_time_adds_it_to_her_if_need_be_times_and_seats_her(
        app: Flask, client: FlaskClient, ask: int) -> None:
    before = data_of(app, ask)
    forms = suggestion_forms(client.get(f"/centers/{ask}/schedule/versions/1/suggestions").get_data(as_text=True))
    assert len(forms) == 1
    key, text = forms[0]
    assert "Ask Dana Mora whether Monday 09:00–10:15 would do if need be" in text
    assert "Monday 09:00–10:15 is added to the times Dana Mora can come if need be." in text
    response = client.post(f"/centers/{ask}/schedule/versions/1/suggestions", data=confirmed(key))
    assert response.status_code == 302, re.findall(r'class="flash[^"]*">([^<]+)', response.get_data(as_text=True))
    expected = copy.deepcopy(before)
    for person in expected["participants"]:  # the export writes the list for all once anyone has one
        person["if_needed"] = ["MO-0900"] if person["id"] == "p4" else []
    assert data_of(app, ask) == expected
    settle(app)
    with app.app_context():
        job = db.session.query(SolveJob).filter_by(center_id=ask).one()
        assert job.version is not None, job.message
        assert "p4" in {m for g in job.version.schedule["groups"] for m in g["members"]}
        # Of a person, the log names the fields changed, never their values.
        entry = db.session.query(AuditEntry).filter_by(center_id=ask, action="schedule.suggestion_tried").one()
        assert entry.before is None and entry.after == {"fields": ["if_needed"]}


# --------------------------------------------------------------------------- refused, with nothing changed


def test_a_suggestion_the_data_has_moved_past_is_refused(app: Flask, client: FlaskClient, seat: int) -> None:
    key = suggestion_forms(client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True))[0][0]
    with app.app_context():  # meanwhile someone opened a fifth seat by hand
        center = db.session.get(Center, seat)
        assert center is not None
        assert planning.save_item(center, "activities", "act1", {"max_size": 5}).ok
        db.session.commit()
    before = data_of(app, seat)
    response = client.post(f"/centers/{seat}/schedule/versions/1/suggestions", data=confirmed(key),
                           follow_redirects=True)
    assert [r.status_code for r in response.history] == [303]  # back to the list as it stands now
    html = response.get_data(as_text=True)
    assert "The center&#39;s data changed since version 1 was built, and this suggestion no longer applies" in html
    assert "Nothing was changed." in html
    assert data_of(app, seat) == before and jobs(app, seat) == []


def test_a_change_elsewhere_in_the_data_leaves_the_suggestion_standing(
        app: Flask, client: FlaskClient, seat: int) -> None:
    key = suggestion_forms(client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True))[0][0]
    with app.app_context():  # found again on today's data, the same change still seats Dana
        center = db.session.get(Center, seat)
        assert center is not None
        assert planning.save_item(center, "participants", "p1", {"email": "ana.ruiz@example.org"}).ok
        db.session.commit()
    response = client.post(f"/centers/{seat}/schedule/versions/1/suggestions", data=confirmed(key))
    assert response.status_code == 302
    assert data_of(app, seat)["activities"][0]["max_size"] == 4
    settle(app)


def test_while_a_build_runs_nothing_is_tried(app: Flask, client: FlaskClient, seat: int) -> None:
    key = suggestion_forms(client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True))[0][0]
    with app.app_context():
        db.session.add(SolveJob(center_id=seat, backend="thread", time_limit_s=60, scenario={}, params={},
                                heartbeat_at=utcnow()))
        db.session.commit()
    before = data_of(app, seat)
    response = client.post(f"/centers/{seat}/schedule/versions/1/suggestions", data=confirmed(key),
                           follow_redirects=True)
    assert [r.status_code for r in response.history] == [303]
    assert "A schedule for this center is already being built" in response.get_data(as_text=True)
    assert data_of(app, seat) == before and len(jobs(app, seat)) == 1


def test_a_suggestion_never_offered_is_refused(app: Flask, client: FlaskClient, seat: int) -> None:
    before = data_of(app, seat)
    response = client.post(f"/centers/{seat}/schedule/versions/1/suggestions",
                           data={"key": "0123456789abcdef0123", "time_limit_s": 10, "confirmed": "yes"},
                           follow_redirects=True)
    assert [r.status_code for r in response.history] == [303]
    assert "That suggestion is not offered for version 1. Nothing was changed." in response.get_data(as_text=True)
    assert data_of(app, seat) == before and jobs(app, seat) == []


def test_one_change_that_seats_different_people_is_two_suggestions_with_two_keys() -> None:
    """One more seat in a group is offered once per left-out person who fits it: trying the second must
    not try the first (the key once named the change alone)."""
    from solver.schedule import Schedule
    from solver.suggestions import Change, Suggestion

    scenario = build_scenario(tiny(max_size=3, dana_times=["MO-0900"]))
    seat = Change(kind="add_seat", activity="act1", group="act1-1", max_size=4)
    for_dana, for_eva = (Suggestion(change=seat, seats=(who,), moved=(), score_change=110, scenario=scenario,
                                    schedule=Schedule(status="FEASIBLE")) for who in ("p4", "p5"))
    assert suggestions.suggestion_key(for_dana) != suggestions.suggestion_key(for_eva)
    assert suggestions.suggestion_key(for_dana) == suggestions.suggestion_key(
        Suggestion(change=seat, seats=("p4",), moved=(), score_change=110, scenario=scenario,
                   schedule=Schedule(status="FEASIBLE")))


def test_the_list_says_how_many_left_out_no_small_change_reaches(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    """Eva can come only on Tuesday, when nobody can lead the choir: one more seat seats Dana, and the
    page says plainly that nothing small was found for Eva, rather than leaving her unmentioned."""
    scenario = tiny(max_size=3, dana_times=["MO-0900"])
    scenario["participants"].append({"id": "p5", "name": "Eva Lara", "email": "p5@example.org",
                                     "available": ["TU-0900"], "preferences": ["act1"], "max_groups": 1})
    center_id = make_tiny(app, scenario)
    with app.app_context():
        version = db.session.query(ScheduleVersion).filter_by(center_id=center_id).one()
        version.schedule = {**VERSION_1, "unassigned": [*VERSION_1["unassigned"],  # type: ignore[list-item]
                                                        {"participant": "p5", "reason": "no time"}]}
        db.session.commit()
    make_coordinator("ana@example.org", "Tiny")
    sign_in(client, "ana@example.org")
    for url in (f"/centers/{center_id}/schedule/versions/1/suggestions",
                f"/centers/{center_id}/schedule/versions/1/suggestions?part=1"):
        text = re.sub(r"\s+", " ", client.get(url).get_data(as_text=True))
        assert "It seats 1 person left out: Dana Mora." in text
        assert "No small change was found for the 1 other person left out" in text
    with app.app_context():
        page = suggestions.suggestions_page(db.session.query(ScheduleVersion).filter_by(center_id=center_id).one())
        assert (page.left_out, page.beyond_reach) == (2, 1)


def test_the_list_says_nothing_of_others_when_every_one_left_out_is_reached(client: FlaskClient, seat: int) -> None:
    text = client.get(f"/centers/{seat}/schedule/versions/1/suggestions").get_data(as_text=True)
    assert "It seats 1 person left out: Dana Mora." in text and "No small change was found" not in text
