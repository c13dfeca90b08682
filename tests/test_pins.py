"""Pinning parts of a version and building again: every pin reaches the solver and the new
version honours it; stale pins are shown and left out; bad requests write nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Pin, Room, ScheduleVersion, SolveJob
from scheduler.services import solving
from scheduler.services.scenarios import find_center
from solver import load_scenario
from solver.check import check_schedule
from solver.schedule import Schedule, load_schedule
from tests.conftest import scenario_path, sign_in


@pytest.fixture
def north(client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    return center_id


@dataclass(frozen=True)
class Built:
    status: str
    params: dict[str, Any]
    message: str | None
    version_number: int | None


def solve_now(app: Flask, seconds: int = 5) -> Built:
    """Build North's schedule in this thread (the background runner is tested in test_schedule_jobs)."""
    with app.app_context():
        center = find_center("North")
        assert center is not None
        job = solving.create_job(center, None, seconds)
        solving.commit_new_job(job)
        solving.run_job(job.id)
        found = db.session.get(SolveJob, job.id)
        assert found is not None
        db.session.refresh(found)
        return Built(found.status.value, dict(found.params), found.message,
                     found.version.number if found.version else None)


def latest_version(app: Flask) -> tuple[dict[str, Any], Schedule]:
    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion).order_by(ScheduleVersion.number.desc()).limit(1))
        assert version is not None
        return version.scenario, load_schedule(version.schedule)


def assert_honours(pins: dict[str, dict[str, Any]], schedule: Schedule) -> None:
    groups = {g.id: g for g in schedule.groups}
    for gid, slots in pins["group_slots"].items():
        assert sorted(groups[gid].sessions) == sorted(slots), gid
    for gid, room in pins["group_rooms"].items():
        assert groups[gid].room == room, gid
    for gid, facilitators in pins["group_facilitators"].items():
        assert sorted(groups[gid].facilitators) == sorted(facilitators), gid
    for pid, pinned in pins["participant_groups"].items():
        assert sorted(g.id for g in schedule.groups if pid in g.members) == sorted(pinned), pid


def test_pins_from_the_review_page_are_honoured_by_the_next_build(client: FlaskClient, north: int,
                                                                  app: Flask) -> None:
    solve_now(app)
    scenario, first = latest_version(app)
    # Two groups of different activities, pinned whole, and one participant of a third group.
    a, b = first.groups[0], next(g for g in first.groups if g.activity != first.groups[0].activity)
    other = next(g for g in first.groups if g.id not in (a.id, b.id) and g.members)
    for group, parts in ((a, ["slots", "room", "facilitators", "members"]), (b, ["slots", "room"])):
        response = client.post(f"/centers/{north}/schedule/versions/1/pins/groups/{group.id}",
                               data={part: "y" for part in parts}, follow_redirects=True)
        assert response.status_code == 200 and "pins kept" in response.get_data(as_text=True)
    response = client.post(f"/centers/{north}/schedule/versions/1/pins/participant",
                           data={"participant": other.members[0]}, follow_redirects=True)
    assert "Pinned" in response.get_data(as_text=True)

    listing = client.get(f"/centers/{north}/schedule/pins").get_data(as_text=True)
    assert "Stale" not in listing and "Version 1" in listing
    with app.app_context():
        assert db.session.query(Pin).count() == 2 + 3 + len(a.members) + (other.members[0] not in a.members)

    job = solve_now(app)
    sent = job.params["pins"]
    assert sent["group_rooms"] == {a.id: a.room, b.id: b.room}
    assert sent["group_facilitators"] == {a.id: list(a.facilitators)}
    assert set(sent["participant_groups"]) == set(a.members) | {other.members[0]}
    assert job.params["hint_version_id"] is not None
    scenario, second = latest_version(app)
    assert job.version_number == 2 and job.status == "finished"
    assert check_schedule(load_scenario(scenario), second).violations == []
    assert_honours(sent, second)


def test_pins_that_cannot_hold_together_are_sent_and_explained(client: FlaskClient, north: int, app: Flask) -> None:
    """Proof that pins reach the solver: pinned members into a room that can no longer hold them."""
    solve_now(app)
    _scenario, first = latest_version(app)
    group = max(first.groups, key=lambda g: len(g.members))
    assert len(group.members) >= 2
    client.post(f"/centers/{north}/schedule/versions/1/pins/groups/{group.id}", data={"room": "y", "members": "y"})
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.center_id == north, Room.code == group.room))
        assert room is not None
        room.capacity = len(group.members) - 1
        db.session.commit()
    job = solve_now(app)
    assert job.version_number is None and job.status == "finished"
    assert job.message is not None and "pinned" in job.message


def test_a_pin_to_something_deleted_is_shown_stale_and_left_out(client: FlaskClient, north: int, app: Flask) -> None:
    solve_now(app)
    _scenario, first = latest_version(app)
    group = first.groups[0]
    client.post(f"/centers/{north}/schedule/versions/1/pins/groups/{group.id}", data={"room": "y", "slots": "y"})
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.center_id == north, Room.code == group.room))
        db.session.delete(room)
        db.session.commit()

    listing = client.get(f"/centers/{north}/schedule/pins")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Stale" in html and f"the room {group.room} has been deleted" in html
    assert "Kept in the next build" in html  # the slots pin still holds
    review = client.get(f"/centers/{north}/schedule/versions/1")
    assert review.status_code == 200 and "stale:" in review.get_data(as_text=True)

    # The build over the web starts, says a pin was left out, and sends only the slots.
    response = client.post(f"/centers/{north}/schedule/build", data={"time_limit_s": 10}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 pin no longer fits the center&#39;s data and was left out" in html
    assert "This build keeps 1 pin." in html
    with app.app_context():
        job = db.session.scalar(select(SolveJob).order_by(SolveJob.id.desc()).limit(1))
        assert job is not None
        assert job.params["pins"]["group_rooms"] == {}
        assert job.params["pins"]["group_slots"] == {group.id: list(group.sessions)}
        assert job.params["stale_pins"] == 1
        solving.request_cancel(job)
        db.session.commit()
        job_id = job.id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            if not db.session.get(SolveJob, job_id).active:  # type: ignore[union-attr]
                break
        time.sleep(0.2)

    # Pinning the room of that group again is refused in words, and writes nothing.
    with app.app_context():
        before = db.session.query(Pin).count()
    response = client.post(f"/centers/{north}/schedule/versions/1/pins/groups/{group.id}", data={"room": "y"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert f"This cannot be pinned: the room {group.room} has been deleted." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Pin).count() == before


HAND_MADE = {"format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 1, "bound": 2, "wall_s": 1.0,
             "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"], "room": "room1",
                         "facilitators": ["fac1"], "members": ["p1", "p2"]}],
             "unassigned": []}


@pytest.fixture
def hand_made(app: Flask, north: int) -> int:
    with app.app_context():
        db.session.add(ScheduleVersion(center_id=north, number=1, solver_status="FEASIBLE", objective=1, bound=2,
                                       scenario=json.loads(scenario_path("small").read_text()), schedule=HAND_MADE))
        db.session.commit()
    return north


@pytest.mark.parametrize(("url", "data", "message"), [
    ("versions/1/pins/groups/act1-1", {}, "Choose what to keep"),
    ("versions/1/pins/groups/act9-9", {"room": "y"}, "Version 1 has no group act9-9."),
    ("versions/1/pins/participant", {"participant": "p99"}, "Participant: Not a valid choice"),
    ("versions/1/pins/participant", {}, "Participant:"),
])
def test_bad_pin_requests_say_why_and_write_nothing(client: FlaskClient, hand_made: int,
                                                    counts: Callable[[], dict[str, int]], url: str,
                                                    data: dict[str, str], message: str) -> None:
    before = counts()
    response = client.post(f"/centers/{hand_made}/schedule/{url}", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    # Nothing but the audit log's entry for opening the version page the refusal leads back to.
    assert counts() == before | {"audit_entries": before["audit_entries"] + 1}


def test_pins_are_listed_removed_and_kept_to_their_center(client: FlaskClient, hand_made: int, app: Flask,
                                                          make_center: Callable[..., int],
                                                          make_coordinator: Callable[..., None]) -> None:
    client.post(f"/centers/{hand_made}/schedule/versions/1/pins/groups/act1-1", data={"slots": "y", "members": "y"})
    listing = client.get(f"/centers/{hand_made}/schedule/pins").get_data(as_text=True)
    assert "Participant 1" in listing and "Monday 09:00–10:15" in listing
    with app.app_context():
        pin_ids = list(db.session.scalars(select(Pin.id)))
    assert len(pin_ids) == 3

    make_center("South")
    make_coordinator("bo@example.org", "South")
    other = app.test_client()
    sign_in(other, "bo@example.org")
    assert other.get(f"/centers/{hand_made}/schedule/pins").status_code == 404
    assert other.post(f"/centers/{hand_made}/schedule/pins/{pin_ids[0]}/remove").status_code == 404

    response = client.post(f"/centers/{hand_made}/schedule/pins/{pin_ids[0]}/remove", follow_redirects=True)
    assert "Pin removed." in response.get_data(as_text=True)
    response = client.post(f"/centers/{hand_made}/schedule/pins/{pin_ids[0]}/remove", follow_redirects=True)
    assert "already been removed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Pin).count() == 2
