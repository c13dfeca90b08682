"""What if a facilitator leaves, a room closes or a weekly slot goes: who is affected (known by hand on a
tiny center), the draft re-plan (nothing of the change left, valid by the independent checker, the
unaffected kept in their groups, the center's data and the published version untouched), the
refusals (clear, writing nothing) and who may ask."""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    Center,
    CenterRole,
    Facilitator,
    JobStatus,
    MeetingOverride,
    Membership,
    Room,
    ScheduleVersion,
    Slot,
    SolveJob,
    User,
    VersionStatus,
)
from scheduler.services import accounts, solving, versions, waitlist
from scheduler.services.advice import what_if
from scheduler.services.scenarios import export_scenario, import_scenario
from solver import SolveParams, load_scenario, solve
from solver.check import check_schedule
from solver.schedule import Schedule, load_schedule
from tests.conftest import PASSWORD, make_app, scenario_path, sign_in, table_counts

# Mondays in term: 2027-01-11, (18: a holiday), 25. Tuesdays: 12, 19, 26.
TINY: dict[str, Any] = {
    "format": "sociotherapy-scenario/1",
    "center": {"name": "Tiny", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-01-27",
               "holidays": ["2027-01-18"]},
    "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:30"},
              {"id": "MO-1100", "day": "MO", "start": "11:00", "end": "12:30"},
              {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:30"}],
    "rooms": [{"id": "r1", "name": "Garden room", "capacity": 10, "features": []},
              {"id": "r2", "name": "Blue room", "capacity": 10, "features": []}],
    "activities": [
        {"id": "art", "name": "Art group", "sessions_per_week": 1, "min_size": 1, "max_size": 8, "max_groups": 2,
         "required_skills": ["art"], "facilitators_per_group": 1, "room_features": []},
        {"id": "talk", "name": "Talk group", "sessions_per_week": 1, "min_size": 1, "max_size": 8,
         "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []},
    ],
    "facilitators": [
        {"id": "ana", "name": "Ana López", "email": "ana@example.org", "skills": ["art"],
         "available": ["MO-0900", "MO-1100", "TU-0900"], "max_sessions_per_week": 3},
        {"id": "ben", "name": "Ben Ruiz", "email": "ben@example.org", "skills": ["art"],
         "available": ["MO-0900", "MO-1100", "TU-0900"], "max_sessions_per_week": 3},
        {"id": "cruz", "name": "Cruz Vega", "email": "cruz@example.org", "skills": ["art"],
         "available": ["MO-0900", "TU-0900"], "max_sessions_per_week": 3},
    ],
    "participants": [
        {"id": "p1", "name": "Pat Moreno", "email": "p1@example.org", "available": ["MO-0900", "MO-1100", "TU-0900"],
         "preferences": ["art", "talk"], "max_groups": 2, "needs": []},
        {"id": "p2", "name": "Quinn Soto", "email": "p2@example.org", "available": ["MO-0900", "MO-1100"],
         "preferences": ["art"], "max_groups": 1, "needs": []},
        {"id": "p3", "name": "Rosa Díaz", "email": "p3@example.org", "available": ["TU-0900"],
         "preferences": ["talk"], "max_groups": 1, "needs": []},
    ],
    "keep_apart": [], "keep_together": [],
}
TINY_SCHEDULE: dict[str, Any] = {
    "format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 1, "bound": 1, "wall_s": 0.1,
    "groups": [
        {"id": "art-1", "activity": "art", "sessions": ["MO-0900"], "room": "r1", "facilitators": ["ana"],
         "members": ["p1", "p2"]},
        {"id": "talk-1", "activity": "talk", "sessions": ["TU-0900"], "room": "r2", "facilitators": ["ben"],
         "members": ["p1", "p3"]},
    ],
    "unassigned": [],
}
D = dt.date.fromisoformat


def publish(scenario: dict[str, Any], schedule: dict[str, Any] | None = None) -> ScheduleVersion:
    """A center holding ``scenario`` with ``schedule`` (solved when None) published as version 1."""
    center = import_scenario(load_scenario(copy.deepcopy(scenario)))
    db.session.flush()
    if schedule is None:
        schedule = solve(load_scenario(scenario), SolveParams(time_limit_s=8, workers=2, seed=1)).to_dict()
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC), solver_status="FEASIBLE",
                              objective=1, bound=1, scenario=copy.deepcopy(scenario), schedule=copy.deepcopy(schedule))
    db.session.add(version)
    db.session.commit()
    return version


def live_data(center: Center) -> dict[str, list[Any]]:
    """The center's own rows the what-if must leave alone."""
    return {"facilitators": sorted((f.code, f.name) for f in db.session.scalars(
                select(Facilitator).where(Facilitator.center_id == center.id))),
            "rooms": sorted(r.code for r in db.session.scalars(select(Room).where(Room.center_id == center.id))),
            "slots": sorted(s.code for s in db.session.scalars(select(Slot).where(Slot.center_id == center.id))),
            "scenario": [export_scenario(center).to_dict()]}


def build_draft(center: Center, kind: str, code: str, seconds: int = 5,
                monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[ScheduleVersion, dict[str, Any]]:
    """Start the what-if as the page does, then run its job here, to its end."""
    assert monkeypatch is not None
    monkeypatch.setattr(solving, "dispatch", lambda job: None)
    job = what_if.start(center, None, kind, code, seconds)
    solving.run_job(job.id)
    done = db.session.get(SolveJob, job.id)
    assert done is not None
    db.session.refresh(done)
    assert done.version is not None, done.message
    return done.version, done.params


def assert_valid_and_minimal(draft: ScheduleVersion, params: dict[str, Any], affected: set[str]) -> Schedule:
    schedule = load_schedule(draft.schedule)
    report = check_schedule(load_scenario(draft.scenario), schedule)
    assert report.ok, report.violations
    # Unaffected: in no group the change reaches (a member of one may have to give up another group
    # whose time now clashes). Each of them keeps every group they had.
    new = {g.id: g for g in schedule.groups}
    baseline = load_schedule(params["baseline"]).groups
    reached = {m for g in baseline if g.id in affected for m in g.members}
    for group in baseline:
        kept = [m for m in group.members if m not in reached]
        assert set(kept) <= set(new[group.id].members if group.id in new else ()), (group.id, kept)
    assert draft.status == VersionStatus.DRAFT
    return schedule


@pytest.fixture
def tiny(app_ctx: Flask) -> Iterator[Center]:
    yield publish(TINY, TINY_SCHEDULE).center


# --------------------------------------------------------------------------- who is affected


def test_who_a_leaving_facilitator_affects_is_known_by_hand(tiny: Center) -> None:
    found = what_if.impact(tiny, "facilitator", "ben", day=D("2027-01-01"))
    assert found.change.label == "Ben Ruiz" and found.since == D("2027-01-11")
    assert [(g.id, g.members, g.meetings) for g in found.groups] == [
        ("talk-1", ["Pat Moreno", "Rosa Díaz"], [D("2027-01-12"), D("2027-01-19"), D("2027-01-26")])]
    assert (found.people, found.meetings, found.problems) == (2, 3, [])
    ana = what_if.impact(tiny, "facilitator", "ana", day=D("2027-01-01"))
    assert [(g.id, g.members, g.meetings) for g in ana.groups] == [
        ("art-1", ["Pat Moreno", "Quinn Soto"], [D("2027-01-11"), D("2027-01-25")])]  # the 18th is a holiday
    assert what_if.impact(tiny, "facilitator", "cruz", day=D("2027-01-01")).groups == []


def test_affected_from_today_on_with_cover_and_leavers(tiny: Center) -> None:
    version = versions.current_published(tiny)
    assert version is not None
    # Cruz covers Ben on the 19th; Rosa leaves Talk group from the 15th.
    db.session.add(MeetingOverride(center_id=tiny.id, version_id=version.id, group_code="talk-1",
                                   slot_code="TU-0900", date=D("2027-01-19"), facilitator_codes=["cruz"]))
    waitlist.leave(version, "talk-1", "p3", D("2027-01-15"), None)
    db.session.commit()
    ben = what_if.impact(tiny, "facilitator", "ben", day=D("2027-01-16"))
    assert [(g.id, g.members, g.meetings) for g in ben.groups] == [("talk-1", ["Pat Moreno"], [D("2027-01-26")])]
    cruz = what_if.impact(tiny, "facilitator", "cruz", day=D("2027-01-16"))
    assert [(g.id, g.meetings) for g in cruz.groups] == [("talk-1", [D("2027-01-19")])]
    assert what_if.impact(tiny, "facilitator", "cruz", day=D("2027-01-20")).groups == []
    room = what_if.impact(tiny, "room", "r1", day=D("2027-01-20"))
    assert [(g.id, g.meetings, room.people) for g in room.groups] == [("art-1", [D("2027-01-25")], 2)]
    slot = what_if.impact(tiny, "slot", "MO-0900", day=D("2027-01-01"))
    assert slot.change.label == "Monday 09:00–10:30"
    assert [(g.id, g.meetings) for g in slot.groups] == [("art-1", [D("2027-01-11"), D("2027-01-25")])]


# --------------------------------------------------------------------------- the draft re-plan


@pytest.mark.parametrize(("kind", "code"), [("facilitator", "ana"), ("room", "r1"), ("slot", "MO-0900")])
def test_the_draft_re_plan_drops_the_change_and_moves_only_the_affected(
        tiny: Center, kind: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = live_data(tiny)
    draft, params = build_draft(tiny, kind, code, monkeypatch=monkeypatch)
    schedule = assert_valid_and_minimal(draft, params, {"art-1"})
    for group in schedule.groups:
        assert code not in {"facilitator": group.facilitators, "room": (group.room,), "slot": group.sessions}[kind]
    assert params["purpose"]["kind"] == "what_if" and params["purpose"]["code"] == code
    assert live_data(tiny) == before
    published = versions.current_published(tiny)
    assert published is not None and published.number == 1 and published.status == VersionStatus.PUBLISHED


def crafts() -> dict[str, Any]:
    """A small center of 18 people, three activities and five facilitators, that a re-plan solves to the
    proven best within seconds: so "nobody unaffected moves" is the solver's answer, not luck."""
    slots = ["MO-0900", "MO-1100", "TU-0900", "TU-1100", "WE-0900"]
    wants = [["art", "talk"], ["talk", "music"], ["music", "art"]]
    scenario = copy.deepcopy(TINY)
    scenario["center"]["name"] = "Crafts"
    scenario["slots"] = [{"id": s, "day": s[:2], "start": f"{s[3:5]}:{s[5:]}",
                          "end": f"{int(s[3:5]) + 1}:{s[5:]}"} for s in slots]
    scenario["rooms"] = [{"id": f"r{k}", "name": f"Room {k}", "capacity": 8, "features": []} for k in (1, 2, 3)]
    scenario["activities"] = [
        {"id": a, "name": a.title(), "sessions_per_week": 1, "min_size": 3, "max_size": 6, "max_groups": 2,
         "required_skills": [a], "facilitators_per_group": 1, "room_features": []} for a in ("art", "talk", "music")]
    skills = {"ana": ["art", "music"], "ben": ["art", "talk"], "cruz": ["talk", "music"], "dee": ["art", "talk"],
              "eli": ["music", "talk"]}
    scenario["facilitators"] = [{"id": f, "name": f.title(), "email": f"{f}@example.org", "skills": skill,
                                 "available": slots, "max_sessions_per_week": 2} for f, skill in skills.items()]
    scenario["participants"] = [{"id": f"p{k}", "name": f"Person {k}", "email": f"p{k}@example.org",
                                 "available": slots, "preferences": wants[k % 3], "max_groups": 1 + k % 2,
                                 "needs": []} for k in range(1, 19)]
    return scenario


def test_a_facilitator_leaving_a_small_center_moves_nobody_unaffected(app_ctx: Flask,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    version = publish(crafts())
    center = version.center
    leads: dict[str, list[str]] = {}
    for group in version.schedule["groups"]:
        for f in group["facilitators"]:
            leads.setdefault(f, []).append(group["id"])
    leaver = max(sorted(leads), key=lambda f: len(leads[f]))
    found = what_if.impact(center, "facilitator", leaver)
    assert sorted(g.id for g in found.groups) == sorted(leads[leaver])
    before = live_data(center)
    draft, params = build_draft(center, "facilitator", leaver, seconds=20, monkeypatch=monkeypatch)
    assert draft.solver_status == "OPTIMAL"
    schedule = assert_valid_and_minimal(draft, params, set(leads[leaver]))
    assert all(leaver not in g.facilitators for g in schedule.groups)
    assert live_data(center) == before
    assert versions.current_published(center) == version and version.status == VersionStatus.PUBLISHED


def test_a_facilitator_leaving_the_shipped_small_center(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """120 people: the draft is valid, has no group led by the leaver, and the center stays as it was."""
    version = publish(load_scenario(json.loads(scenario_path("small").read_text())).to_dict())
    center = version.center
    leaver = version.schedule["groups"][0]["facilitators"][0]
    before = live_data(center)
    draft, _params = build_draft(center, "facilitator", leaver, seconds=10, monkeypatch=monkeypatch)
    schedule = load_schedule(draft.schedule)
    assert check_schedule(load_scenario(draft.scenario), schedule).ok
    assert schedule.groups and all(leaver not in g.facilitators for g in schedule.groups)
    assert live_data(center) == before and versions.current_published(center) == version


def test_a_what_if_draft_says_what_it_was_built_for_and_who_moved(tiny: Center) -> None:
    published = versions.current_published(tiny)
    assert published is not None
    purpose = {"kind": "what_if", "change": "slot", "code": "MO-0900", "name": "Monday 09:00–10:30",
               "published": 1, "slot": {"day": "MO", "start": "09:00", "end": "10:30"}}
    job = SolveJob(center_id=tiny.id, status=JobStatus.FINISHED, backend="thread", time_limit_s=10,
                   scenario=published.scenario, params={"baseline": published.schedule, "purpose": purpose})
    groups = copy.deepcopy(TINY_SCHEDULE["groups"])
    groups[0] |= {"sessions": ["MO-1100"], "members": ["p1"]}  # Quinn is out; the group meets later
    draft = ScheduleVersion(center_id=tiny.id, number=2, job=job, solver_status="FEASIBLE",
                            scenario=published.scenario, schedule={**TINY_SCHEDULE, "groups": groups})
    db.session.add_all([job, draft])
    db.session.commit()
    found = what_if.summary(draft)
    assert found is not None
    assert found.headline == "What if the weekly slot Monday 09:00–10:30 is removed"
    assert found.moved == [what_if.Moved("Quinn Soto", ["Art group, group 1"], [])]
    assert (found.published_number, found.groups_changed) == (1, 1)
    assert what_if.summary(published) is None


# --------------------------------------------------------------------------- refusals


def refused(center: Center, kind: str, code: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(solving, "dispatch", lambda job: pytest.fail("a refused what-if started a build"))
    before = table_counts()
    with pytest.raises(what_if.WhatIfError) as error:
        what_if.start(center, None, kind, code, 10)
    db.session.rollback()
    assert table_counts() == before
    return error.value.message


def test_refusals_say_why_and_write_nothing(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    unpublished = import_scenario(load_scenario({**copy.deepcopy(TINY), "center": {**TINY["center"], "name": "New"}}))
    db.session.commit()
    assert "Nothing is published yet" in refused(unpublished, "facilitator", "ana", monkeypatch)

    one_room = copy.deepcopy(TINY)
    one_room["center"]["name"] = "One room"
    one_room["rooms"] = one_room["rooms"][:1]
    one_room_schedule = copy.deepcopy(TINY_SCHEDULE)
    one_room_schedule["groups"][1]["room"] = "r1"
    center = publish(one_room, one_room_schedule).center
    assert "No room would be left" in refused(center, "room", "r1", monkeypatch)
    assert "no such room" in refused(center, "room", "r9", monkeypatch)
    assert "Choose a facilitator" in refused(center, "person", "ana", monkeypatch)

    must_run = copy.deepcopy(TINY)
    must_run["center"]["name"] = "Must run"
    must_run["activities"][1] |= {"required_skills": ["talk"], "min_groups": 1}
    must_run["facilitators"][1]["skills"] = ["art", "talk"]
    center = publish(must_run, TINY_SCHEDULE).center
    message = refused(center, "facilitator", "ben", monkeypatch)
    assert "Talk group must run" in message and "qualified facilitators" in message
    found = what_if.impact(center, "facilitator", "ben")
    assert found.problems and found.groups  # the page still shows who is affected


# --------------------------------------------------------------------------- the pages


COORDINATOR = "coord@example.org"


@pytest.fixture
def tiny_web(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> int:
    with app.app_context():
        center_id = publish(TINY, TINY_SCHEDULE).center_id
    make_coordinator(COORDINATOR, "Tiny")
    return center_id


def test_the_coordinator_sees_who_is_affected_and_starts_a_draft(
        app: Flask, client: FlaskClient, tiny_web: int, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, COORDINATOR)
    base = f"/centers/{tiny_web}/schedule/what-if"
    overview = client.get(f"/centers/{tiny_web}/schedule/").get_data(as_text=True)
    assert base + "/" in overview
    assert base + "/" in client.get(f"/centers/{tiny_web}/schedule/versions/1").get_data(as_text=True)
    index = client.get(base + "/").get_data(as_text=True)
    assert "Ana López" in index and "Garden room" in index and "Monday 09:00–10:30" in index
    page = client.get(base + "/facilitator?code=ben")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "What if Ben Ruiz leaves" in text
    assert "Talk group" in text and "Pat Moreno, Rosa Díaz" in text and "Build the draft re-plan" in text

    started: list[int] = []
    monkeypatch.setattr(solving, "dispatch", lambda job: started.append(job.id))
    response = client.post(base + "/facilitator", data={"code": "ben", "time_limit_s": "10"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    with app.app_context():
        job = db.session.get(SolveJob, started[0])
        assert job is not None and job.params["purpose"]["name"] == "Ben Ruiz"
        assert all(f["id"] != "ben" for f in job.scenario["facilitators"])
    again = client.get(base + "/facilitator?code=ana").get_data(as_text=True)
    assert "A schedule is being built right now" in again and "Build the draft re-plan" not in again
    refused = client.post(base + "/facilitator", data={"code": "ana", "time_limit_s": "10"})
    assert refused.status_code == 400 and "already being built" in refused.get_data(as_text=True)

    with app.app_context():
        solving.run_job(started[0])
        done = db.session.get(SolveJob, started[0])
        assert done is not None and done.version is not None, done and done.message
        number = done.version.number
    version_page = client.get(f"/centers/{tiny_web}/schedule/versions/{number}").get_data(as_text=True)
    assert "What if Ben Ruiz leaves: draft re-plan," in version_page
    assert f"/schedule/compare?a=1&amp;b={number}" in version_page
    compare = client.get(f"/centers/{tiny_web}/schedule/compare?a=1&b={number}")
    assert compare.status_code == 200
    shown = compare.get_data(as_text=True)
    assert "Group Talk group changed:" in shown and "Ben Ruiz →" in shown  # a new facilitator for Talk group
    # The draft was built without Ben: the verdict says so, and the data each was built on is listed.
    verdict = re.search(r'<p class="verdict" id="verdict"><strong>([^<]+)</strong>', shown)
    assert verdict is not None and "They were built on different data (listed below)" in html.unescape(verdict[1])
    assert "Facilitators · removed: Ben Ruiz" in shown


def test_the_pages_refuse_clearly(client: FlaskClient, tiny_web: int, counts: Callable[[], dict[str, int]],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, COORDINATOR)
    monkeypatch.setattr(solving, "dispatch", lambda job: pytest.fail("a refused what-if started a build"))
    base = f"/centers/{tiny_web}/schedule/what-if"
    before = counts()
    missing = client.get(base + "/room")
    assert missing.status_code == 400 and "Room: choose the room that closes." in missing.get_data(as_text=True)
    unknown = client.post(base + "/slot", data={"code": "SU-2300", "time_limit_s": "10"})
    assert unknown.status_code == 400 and "Weekly slot: this center has no such slot." in unknown.get_data(
        as_text=True)
    bad_time = client.post(base + "/room", data={"code": "r1", "time_limit_s": "7"})
    assert bad_time.status_code == 400
    assert counts() == before


def test_without_a_published_version_the_page_says_so(app: Flask, client: FlaskClient,
                                                      make_center: Callable[..., int],
                                                      make_coordinator: Callable[..., None]) -> None:
    center_id = make_center("North")
    make_coordinator(COORDINATOR, "North")
    sign_in(client, COORDINATOR)
    page = client.get(f"/centers/{center_id}/schedule/what-if/").get_data(as_text=True)
    assert "Nothing is published yet" in page and "See who is affected" not in page
    refused = client.get(f"/centers/{center_id}/schedule/what-if/facilitator?code=fac1")
    assert refused.status_code == 400 and "Nothing is published yet" in refused.get_data(as_text=True)


def test_only_the_centers_coordinator_may_ask(app: Flask, tiny_web: int, make_coordinator: Callable[..., None],
                                              counts: Callable[[], dict[str, int]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solving, "dispatch", lambda job: pytest.fail("a refused what-if started a build"))
    with app.app_context():
        other = import_scenario(load_scenario({**copy.deepcopy(TINY), "center": {**TINY["center"], "name": "Other"}}))
        facilitator = User(email="ana@staff.example.org", password_hash=accounts.hash_password(PASSWORD))
        db.session.add(facilitator)
        db.session.flush()
        db.session.add(Membership(user_id=facilitator.id, center_id=tiny_web, role=CenterRole.FACILITATOR))
        db.session.commit()
        other_id = other.id
    make_coordinator("other@example.org", "Other")
    base = f"/centers/{tiny_web}/schedule/what-if"
    before = counts()
    for email in ("other@example.org", "ana@staff.example.org", None):
        client = app.test_client()
        if email:
            assert sign_in(client, email).status_code == 302
        for response in (client.get(base + "/"), client.get(base + "/facilitator?code=ana"),
                         client.post(base + "/facilitator", data={"code": "ana", "time_limit_s": "10"})):
            if email is None:
                assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
            else:
                assert response.status_code == 404, (email, response.status_code)
    assert counts() == before
    assert other_id != tiny_web


def test_a_post_without_the_csrf_token_is_refused(database_url: str, tmp_path: Path,
                                                  make_coordinator: Callable[..., None],
                                                  tiny_web: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solving, "dispatch", lambda job: pytest.fail("a forged what-if started a build"))
    guarded = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    with guarded.app_context():
        before = table_counts()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    assert client.post("/sign-in", data={"email": COORDINATOR, "password": PASSWORD,
                                         "csrf_token": token.group(1)}).status_code == 302
    response = client.post(f"/centers/{tiny_web}/schedule/what-if/facilitator",
                           data={"code": "ana", "time_limit_s": "10"})
    assert response.status_code == 400
    with guarded.app_context():
        after = table_counts()
        assert db.session.scalar(select(SolveJob)) is None
    assert {k: v for k, v in after.items() if k != "audit_entries"} == {
        k: v for k, v in before.items() if k != "audit_entries"}
