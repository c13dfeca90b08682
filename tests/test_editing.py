"""The coordinator edits planning data in the browser, held to the import's rules."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from scheduler.extensions import db
from scheduler.models import Activity, Participant, ParticipantLink, Slot
from scheduler.services.accounts import issue_participant_link
from scheduler.services.scenarios import export_scenario, find_center
from solver import scenario as sc
from tests.conftest import make_app, scenario_path, sign_in


@pytest.fixture
def editor(client: FlaskClient, make_center: Callable[..., int],
           make_coordinator: Callable[..., None]) -> tuple[FlaskClient, int]:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    return client, center_id


def scenario_of(app: Flask, name: str = "North") -> dict:
    with app.app_context():
        center = find_center(name)
        assert center is not None
        return export_scenario(center).to_dict()


def error_of(page: str, field_id: str) -> str:
    """The text of the error paragraph tied to a field, and proof the field points at it."""
    assert re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-error', page) or re.search(
        rf'aria-describedby="[^"]*{field_id}-error[^"]*"[^>]*id="{field_id}"', page), f"{field_id} not described"
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    assert match, f"no error for {field_id}"
    return html.unescape(match.group(1))


ACTIVITY = {"id": "act99", "name": "Pottery", "sessions_per_week": "1", "min_size": "4", "max_size": "8",
            "min_groups": "0", "max_groups": "2", "facilitators_per_group": "1", "required_skills": "art",
            "room_features": "", "language": ""}


# --------------------------------------------------------------------------- happy paths


def test_activity_create_edit_delete(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    response = client.post(f"/centers/{cid}/activities/new", data=ACTIVITY)
    assert response.status_code == 302
    added = scenario_of(app)["activities"][-1]
    assert added == {"id": "act99", "name": "Pottery", "sessions_per_week": 1, "min_size": 4, "max_size": 8,
                     "max_groups": 2, "required_skills": ["art"], "facilitators_per_group": 1, "room_features": []}

    form = client.get(f"/centers/{cid}/activities/act99/edit").get_data(as_text=True)
    assert 'value="Pottery"' in form and 'value="art"' in form
    edited = {k: v for k, v in ACTIVITY.items() if k != "id"} | {"name": "Clay", "language": "es",
                                                                 "room_features": "kitchen, accessible"}
    assert client.post(f"/centers/{cid}/activities/act99/edit", data=edited).status_code == 302
    after = scenario_of(app)["activities"][-1]
    assert after["name"] == "Clay" and after["language"] == "es"
    assert after["room_features"] == ["kitchen", "accessible"]

    confirm = client.get(f"/centers/{cid}/activities/act99/delete")
    assert confirm.status_code == 200
    assert client.post(f"/centers/{cid}/activities/act99/delete").status_code == 302
    assert "act99" not in {a["id"] for a in scenario_of(app)["activities"]}


def test_slot_room_facilitator_create_edit_delete(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    assert client.post(f"/centers/{cid}/slots/new",
                       data={"id": "SA-1000", "day": "SA", "start": "10:00", "end": "11:00"}).status_code == 302
    assert client.post(f"/centers/{cid}/slots/SA-1000/edit",
                       data={"day": "SA", "start": "10:00", "end": "11:30"}).status_code == 302
    assert {"id": "SA-1000", "day": "SA", "start": "10:00", "end": "11:30"} in scenario_of(app)["slots"]
    assert client.post(f"/centers/{cid}/slots/SA-1000/delete").status_code == 302
    assert "SA-1000" not in {s["id"] for s in scenario_of(app)["slots"]}

    assert client.post(f"/centers/{cid}/rooms/new", data={"id": "r9", "name": "Garden", "capacity": "12",
                                                          "features": "accessible"}).status_code == 302
    assert client.post(f"/centers/{cid}/rooms/r9/edit", data={"name": "Garden room", "capacity": "14",
                                                             "features": ""}).status_code == 302
    assert {"id": "r9", "name": "Garden room", "capacity": 14, "features": []} in scenario_of(app)["rooms"]
    assert client.post(f"/centers/{cid}/rooms/r9/delete").status_code == 302
    assert "r9" not in {r["id"] for r in scenario_of(app)["rooms"]}

    data = {"id": "fac9", "name": "Eva", "email": "eva@example.org", "languages": "es, en", "skills": "art",
            "max_sessions_per_week": "3"}
    assert client.post(f"/centers/{cid}/facilitators/new", data=data).status_code == 302
    fac = scenario_of(app)["facilitators"][-1]
    assert fac["id"] == "fac9" and fac["skills"] == ["art"] and fac["max_sessions_per_week"] == 3
    assert fac["available"] == []
    del data["id"]
    assert client.post(f"/centers/{cid}/facilitators/fac9/edit", data=data | {"skills": "art, cbt"}).status_code == 302
    assert scenario_of(app)["facilitators"][-1]["skills"] == ["art", "cbt"]
    assert client.post(f"/centers/{cid}/facilitators/fac9/delete").status_code == 302
    assert "fac9" not in {f["id"] for f in scenario_of(app)["facilitators"]}


def test_participant_edit_keeps_the_row_and_its_personal_link(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    with app.app_context():
        p1 = db.session.scalar(select(Participant).where(Participant.center_id == cid, Participant.code == "p1"))
        assert p1 is not None
        row_id = p1.id
        issue_participant_link(p1)
        db.session.commit()
    before = scenario_of(app)["participants"][0]
    response = client.post(f"/centers/{cid}/participants/p1/edit",
                           data={"name": "Pat One", "email": "", "languages": "", "max_groups": "1",
                                 "needs": "accessible"})
    assert response.status_code == 302
    after = scenario_of(app)["participants"][0]
    assert after == before | {"name": "Pat One", "email": "", "max_groups": 1, "needs": ["accessible"]}
    with app.app_context():
        p1 = db.session.get(Participant, row_id)
        assert p1 is not None and p1.code == "p1"
        assert db.session.scalar(select(ParticipantLink).where(ParticipantLink.participant_id == row_id))


def test_ids_with_a_slash_still_have_pages(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    data = {"id": "team/a", "name": "Team A room", "capacity": "5", "features": ""}
    assert client.post(f"/centers/{cid}/rooms/new", data=data).status_code == 302
    assert client.get(f"/centers/{cid}/rooms/").status_code == 200
    assert client.post(f"/centers/{cid}/rooms/team/a/edit", data=data | {"capacity": "6"}).status_code == 302
    assert {"id": "team/a", "name": "Team A room", "capacity": 6, "features": []} in scenario_of(app)["rooms"]


def test_participant_create_and_delete_removes_their_pairs(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    data = {"id": "p500", "name": "New Person", "email": "new@example.org", "languages": "", "max_groups": "2",
            "needs": ""}
    assert client.post(f"/centers/{cid}/participants/new", data=data).status_code == 302
    assert scenario_of(app)["participants"][-1]["id"] == "p500"
    page = client.get(f"/centers/{cid}/participants/p56/delete").get_data(as_text=True)
    assert "1 keep-apart or keep-together pairs" in page
    assert client.post(f"/centers/{cid}/participants/p56/delete").status_code == 302
    after = scenario_of(app)
    assert "p56" not in {p["id"] for p in after["participants"]}
    assert ["p56", "p102"] not in after["keep_apart"] and len(after["keep_apart"]) == 3


def test_center_settings_edit(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    page = client.get(f"/centers/{cid}/settings").get_data(as_text=True)
    assert 'value="Europe/Madrid"' in page and "2027-02-24" in page
    response = client.post(f"/centers/{cid}/settings", data={
        "name": "North Star", "timezone": "Europe/Lisbon", "term_start": "2027-01-11", "term_end": "2027-04-05",
        "holidays": "2027-02-24\n2027-03-01"})
    assert response.status_code == 302
    info = scenario_of(app, "North Star")["center"]
    assert info == {"name": "North Star", "timezone": "Europe/Lisbon", "term_start": "2027-01-11",
                    "term_end": "2027-04-05", "holidays": ["2027-02-24", "2027-03-01"]}


def test_pairs_add_and_remove(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    assert client.post(f"/centers/{cid}/pairs/", data={"kind": "keep_together", "first": "p1",
                                                       "second": "p2"}).status_code == 302
    assert scenario_of(app)["keep_together"][-1] == ["p1", "p2"]
    confirm = client.get(f"/centers/{cid}/pairs/keep_together/3/delete").get_data(as_text=True)
    assert "(p1)" in confirm and "(p2)" in confirm
    assert client.post(f"/centers/{cid}/pairs/keep_together/3/delete").status_code == 302
    assert ["p1", "p2"] not in scenario_of(app)["keep_together"]


def test_pair_edit_and_move_to_the_other_list(editor: tuple[FlaskClient, int], app: Flask,
                                              counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    page = client.get(f"/centers/{cid}/pairs/keep_apart/0/edit").get_data(as_text=True)
    assert '<option selected value="p56">' in page or '<option value="p56" selected>' in page
    assert client.post(f"/centers/{cid}/pairs/keep_apart/0/edit",
                       data={"kind": "keep_apart", "first": "p56", "second": "p3"}).status_code == 302
    assert scenario_of(app)["keep_apart"][0] == ["p56", "p3"]
    assert client.post(f"/centers/{cid}/pairs/keep_apart/0/edit",
                       data={"kind": "keep_together", "first": "p56", "second": "p3"}).status_code == 302
    after = scenario_of(app)
    assert ["p56", "p3"] not in after["keep_apart"] and after["keep_together"][-1] == ["p56", "p3"]
    before = counts()
    page = client.post(f"/centers/{cid}/pairs/keep_apart/0/edit",
                       data={"kind": "keep_apart", "first": "p5", "second": "p5"}).get_data(as_text=True)
    assert "pairs a participant with themselves" in page
    assert counts() == before


def test_pair_with_oneself_is_refused(editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = client.post(f"/centers/{cid}/pairs/", data={"kind": "keep_apart", "first": "p1", "second": "p1"})
    assert page.status_code == 200
    assert "pairs a participant with themselves" in page.get_data(as_text=True)
    assert counts() == before


def test_availability_grid_without_javascript(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    page = client.get(f"/centers/{cid}/participants/p1/availability").get_data(as_text=True)
    assert '<label class="sr-only" for="slot-MO-0900">Monday 09:00-10:15</label>' in page
    assert "<fieldset" in page and "<legend>" in page
    assert re.search(r'<select id="slot-MO-0900" name="slot-MO-0900">.*?<option value="available" selected>',
                     page, re.S)
    assert "<script" not in page.split("</head>")[1]  # no inline script in the body
    data = {f"slot-{s['id']}": "no" for s in scenario_of(app)["slots"]}
    data |= {"slot-MO-0900": "available", "slot-TU-0900": "if_needed", "slot-FR-1600": "available"}
    assert client.post(f"/centers/{cid}/participants/p1/availability", data=data).status_code == 302
    p1 = scenario_of(app)["participants"][0]
    assert p1["available"] == ["MO-0900", "FR-1600"] and p1["if_needed"] == ["TU-0900"]


@pytest.mark.parametrize(("section", "heading"), [
    ("slots", "Add a weekly slot"), ("rooms", "Add a room"), ("activities", "Add an activity"),
    ("facilitators", "Add a facilitator"), ("participants", "Add a participant")])
def test_every_list_and_its_forms_render(editor: tuple[FlaskClient, int], app: Flask, section: str,
                                         heading: str) -> None:
    client, cid = editor
    first = scenario_of(app)[section][0]["id"]
    page = client.get(f"/centers/{cid}/{section}/").get_data(as_text=True)
    assert f'href="/centers/{cid}/{section}/{first}/edit"' in page
    assert f'href="/centers/{cid}/{section}/{first}/delete"' in page
    new = client.get(f"/centers/{cid}/{section}/new")
    assert new.status_code == 200
    assert f"<h1>{heading}</h1>" in new.get_data(as_text=True)  # a whole phrase: "an activity", not "a activity"
    assert client.get(f"/centers/{cid}/{section}/{first}/edit").status_code == 200


def test_facilitator_availability_keeps_their_account_link(editor: tuple[FlaskClient, int], app: Flask) -> None:
    from scheduler.models import Facilitator
    from scheduler.services.accounts import create_coordinator

    client, cid = editor
    with app.app_context():
        north = find_center("North")
        assert north is not None
        user = create_coordinator("fac@example.org", "correct horse battery staple", north)
        fac = db.session.scalar(select(Facilitator).where(Facilitator.center_id == cid, Facilitator.code == "fac1"))
        assert fac is not None and user is not None
        fac.user_id = user.id
        row_id, user_id = fac.id, user.id
        db.session.commit()
    data = {f"slot-{s['id']}": "no" for s in scenario_of(app)["slots"]} | {"slot-WE-0900": "if_needed"}
    assert client.post(f"/centers/{cid}/facilitators/fac1/availability", data=data).status_code == 302
    fac1 = scenario_of(app)["facilitators"][0]
    assert fac1["available"] == [] and fac1.get("if_needed") == ["WE-0900"]
    with app.app_context():
        fac = db.session.get(Facilitator, row_id)
        assert fac is not None and fac.user_id == user_id


def test_preferences_move_up_down_add_remove(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    url = f"/centers/{cid}/participants/p1/preferences"
    assert scenario_of(app)["participants"][0]["preferences"] == ["act5", "act4", "act7", "act8"]
    client.post(url, data={"action": "up:act4"})
    assert scenario_of(app)["participants"][0]["preferences"] == ["act4", "act5", "act7", "act8"]
    client.post(url, data={"action": "down:act7"})
    client.post(url, data={"action": "remove:act5"})
    client.post(url, data={"action": "add", "activity": "act1"})
    assert scenario_of(app)["participants"][0]["preferences"] == ["act4", "act8", "act7", "act1"]
    page = client.get(url).get_data(as_text=True)
    assert 'value="up:act8"' in page and 'value="up:act4"' not in page


def test_moving_an_activity_they_do_not_want_says_so_and_saves_nothing(editor: tuple[FlaskClient, int],
                                                                      app: Flask) -> None:
    client, cid = editor
    url = f"/centers/{cid}/participants/p1/preferences"
    before = scenario_of(app)
    for action in ("up:act1", "down:act1", "remove:act1", "up:nothing-like-it"):
        answer = client.post(url, data={"action": action})
        assert answer.status_code == 200, action
        assert "That activity is not among the wanted activities of" in answer.get_data(as_text=True)
    assert client.post(url, data={"action": "sideways:act5"}).status_code == 400
    assert scenario_of(app) == before


# --------------------------------------------------------------------------- the validator's rules on forms


def test_activity_min_size_over_max_size_shows_by_the_field(
    editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]
) -> None:
    client, cid = editor
    before = counts()
    page = client.post(f"/centers/{cid}/activities/new", data=ACTIVITY | {"min_size": "9"})
    assert page.status_code == 200
    assert error_of(page.get_data(as_text=True), "min_size") == "9 is larger than max_size 8"
    assert counts() == before


def test_form_parsing_errors_come_from_wtforms(editor: tuple[FlaskClient, int],
                                               counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = client.post(f"/centers/{cid}/rooms/new", data={"id": "r9", "name": "X", "capacity": "lots"})
    assert page.status_code == 200
    assert "Enter a whole number." in error_of(page.get_data(as_text=True), "capacity")
    assert counts() == before


def test_overlapping_slot_and_duplicate_id_are_refused(editor: tuple[FlaskClient, int],
                                                       counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = client.post(f"/centers/{cid}/slots/new", data={"id": "MO-0930", "day": "MO", "start": "09:30",
                                                          "end": "10:00"}).get_data(as_text=True)
    assert '"MO-0930" overlaps slot "MO-0900" (slots[0])' in error_of(page, "id")
    page = client.post(f"/centers/{cid}/activities/new", data=ACTIVITY | {"id": "act1"}).get_data(as_text=True)
    assert '"act1" is already used by activities[0]' in error_of(page, "id")
    assert counts() == before


def test_center_settings_errors_by_field(editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = client.post(f"/centers/{cid}/settings", data={
        "name": "North", "timezone": "Mars/Olympus", "term_start": "2027-04-05", "term_end": "2027-01-11",
        "holidays": "2027-02-24"}).get_data(as_text=True)
    assert "2027-01-11 is before term_start 2027-04-05" in error_of(page, "term_end")
    assert 'unknown time zone "Mars/Olympus"' in error_of(page, "timezone")
    page = client.post(f"/centers/{cid}/settings", data={
        "name": "North", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-04-05",
        "holidays": "2027-05-01"}).get_data(as_text=True)
    assert "2027-05-01 is outside the term (2027-01-11 to 2027-04-05)" in error_of(page, "holidays")
    assert counts() == before


def test_center_name_taken_is_refused(editor: tuple[FlaskClient, int], make_center: Callable[..., int],
                                      counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    make_center("South")
    before = counts()
    page = client.post(f"/centers/{cid}/settings", data={
        "name": "South", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-04-05",
        "holidays": ""}).get_data(as_text=True)
    assert 'a center named "South" already exists' in error_of(page, "name")
    assert counts() == before


def test_delete_slot_confirmation_says_what_goes_with_it(editor: tuple[FlaskClient, int], app: Flask,
                                                          counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    data = scenario_of(app)
    people = sum("MO-0900" in p["available"] + p.get("if_needed", []) for p in data["participants"])
    staff = sum("MO-0900" in f["available"] + f.get("if_needed", []) for f in data["facilitators"])
    assert people > 0 and staff > 0
    before = counts()
    page = html.unescape(client.get(f"/centers/{cid}/slots/MO-0900/delete").get_data(as_text=True))
    assert (f"Deleting slot MO-0900 also removes it from {people} participants' and {staff} facilitators' "
            "availability.") in page
    assert counts() == before  # the GET only asks
    assert client.post(f"/centers/{cid}/slots/MO-0900/delete").status_code == 302
    after = scenario_of(app)
    assert not any("MO-0900" in p["available"] for p in after["participants"] + after["facilitators"])
    with app.app_context():
        assert db.session.scalar(select(Slot).where(Slot.code == "MO-0900")) is None


def test_delete_activity_confirmation_counts_wanting_participants(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    wanting = sum("act1" in p["preferences"] for p in scenario_of(app)["participants"])
    page = html.unescape(client.get(f"/centers/{cid}/activities/act1/delete").get_data(as_text=True))
    assert f"removes it from {wanting} participants' wanted activities" in page
    client.post(f"/centers/{cid}/activities/act1/delete")
    with app.app_context():
        assert db.session.scalar(select(Activity).where(Activity.code == "act1")) is None
    assert not any("act1" in p["preferences"] for p in scenario_of(app)["participants"])


# --------------------------------------------------------------------------- reach and protection

URLS = [
    ("get", "/centers/{cid}/activities/"), ("get", "/centers/{cid}/activities/new"),
    ("post", "/centers/{cid}/activities/new"), ("get", "/centers/{cid}/activities/act1/edit"),
    ("post", "/centers/{cid}/activities/act1/edit"), ("get", "/centers/{cid}/activities/act1/delete"),
    ("post", "/centers/{cid}/activities/act1/delete"), ("get", "/centers/{cid}/slots/MO-0900/delete"),
    ("post", "/centers/{cid}/rooms/new"), ("get", "/centers/{cid}/settings"), ("post", "/centers/{cid}/settings"),
    ("get", "/centers/{cid}/participants/p1/availability"), ("post", "/centers/{cid}/facilitators/fac1/availability"),
    ("get", "/centers/{cid}/participants/p1/preferences"), ("post", "/centers/{cid}/participants/p1/preferences"),
    ("get", "/centers/{cid}/pairs/"), ("post", "/centers/{cid}/pairs/"),
    ("get", "/centers/{cid}/pairs/keep_apart/0/edit"), ("post", "/centers/{cid}/pairs/keep_apart/0/edit"),
    ("get", "/centers/{cid}/pairs/keep_apart/0/delete"), ("post", "/centers/{cid}/pairs/keep_apart/0/delete"),
    ("get", "/centers/{cid}/import"), ("post", "/centers/{cid}/import/scenario"),
    ("post", "/centers/{cid}/import/participants"), ("get", "/centers/{cid}/export.json"),
]


@pytest.mark.parametrize(("method", "url"), URLS)
def test_other_centers_coordinator_gets_404(client: FlaskClient, make_center: Callable[..., int],
                                            make_coordinator: Callable[..., None],
                                            counts: Callable[[], dict[str, int]], method: str, url: str) -> None:
    north = make_center("North")
    make_center("South")
    make_coordinator("bo@example.org", "South")
    sign_in(client, "bo@example.org")
    before = counts()
    assert getattr(client, method)(url.format(cid=north)).status_code == 404
    assert counts() == before


def test_editing_form_needs_csrf_token(database_url: str, tmp_path: Path, make_center: Callable[..., int]) -> None:
    strict = make_app(database_url, tmp_path / "strict", WTF_CSRF_ENABLED=True)
    from scheduler.services.accounts import create_coordinator

    cid = make_center("North")
    with strict.app_context():
        north = find_center("North")
        assert north is not None
        create_coordinator("ana@example.org", "correct horse battery staple", north)
        db.session.commit()
    client = strict.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    client.post("/sign-in", data={"email": "ana@example.org", "password": "correct horse battery staple",
                                  "csrf_token": token.group(1)})
    refused = client.post(f"/centers/{cid}/activities/new", data=ACTIVITY)
    assert refused.status_code == 400
    form = client.get(f"/centers/{cid}/activities/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token
    accepted = client.post(f"/centers/{cid}/activities/new", data=ACTIVITY | {"csrf_token": token.group(1)})
    assert accepted.status_code == 302


# --------------------------------------------------------------------------- import and export


def upload(client: FlaskClient, cid: int, raw: bytes, confirm: bool = True):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"file": FileStorage(io.BytesIO(raw), filename="scenario.json",
                                                   content_type="application/json")}
    if confirm:
        data["confirm"] = "y"
    # Encoded in memory: the test client spools a body over 500 KiB to a temporary file that it
    # leaves open (a ResourceWarning, an error under -W error).
    stream, _length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(f"/centers/{cid}/import/scenario", data=stream.read(),
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_download_round_trips(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    response = client.get(f"/centers/{cid}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="North.json"'
    downloaded = json.loads(response.get_data())
    original = json.loads(scenario_path("small").read_text())
    assert downloaded == original | {"center": original["center"] | {"name": "North"}}
    assert sc.validate_scenario(downloaded) == []
    assert upload(client, cid, response.get_data()).status_code == 302
    assert scenario_of(app) == downloaded


def test_upload_valid_scenario_replaces_planning_data(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    raw = scenario_path("medium").read_bytes()
    response = upload(client, cid, raw)
    assert response.status_code == 302
    expected = json.loads(raw)
    got = scenario_of(app)
    assert got["participants"] == expected["participants"] and got["slots"] == expected["slots"]
    assert got["center"]["name"] == "North"  # the center keeps its own name


def test_upload_needs_confirmation(editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = upload(client, cid, scenario_path("medium").read_bytes(), confirm=False)
    assert page.status_code == 200
    assert "Tick the box to confirm the replacement." in page.get_data(as_text=True)
    assert counts() == before


def test_upload_invalid_scenario_lists_every_problem_and_writes_nothing(
    editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]
) -> None:
    client, cid = editor
    data = json.loads(scenario_path("small").read_text())
    data["activities"][0]["min_size"] = 99
    data["participants"][12]["available"][3] = "XX-0900"
    data["center"]["term_end"] = "2026-01-01"
    before = counts()
    page = upload(client, cid, json.dumps(data).encode()).get_data(as_text=True)
    expected = [str(p) for p in sc.validate_scenario(data)]
    assert len(expected) >= 3
    assert "participants[12].available[3]: unknown slot &#34;XX-0900&#34;" in page
    for line in expected:
        assert line.replace('"', "&#34;") in page
    assert counts() == before


def test_upload_oversize_is_refused(editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    raw = b" " * (sc.MAX_SCENARIO_BYTES + 1)
    page = upload(client, cid, raw).get_data(as_text=True)
    assert "the limit is 10.0 MiB" in page
    assert counts() == before


def test_upload_not_json(editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = upload(client, cid, b"{nope").get_data(as_text=True)
    assert "file: not valid JSON" in page
    assert counts() == before


def csv_upload(client: FlaskClient, cid: int, text: str):  # type: ignore[no-untyped-def]
    return client.post(f"/centers/{cid}/import/participants", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(text.encode()), "people.csv")})


def test_csv_import_adds_and_updates(editor: tuple[FlaskClient, int], app: Flask) -> None:
    client, cid = editor
    text = ("id,name,email,max_groups,preferences,available,if_needed,needs,languages\n"
            "p900,Nora,nora@example.org,2,act1;act2,MO-0900;TU-0900,,accessible,es\n"
            "p1,Participant One,p1@example.org,1,act5,MO-0900,,,\n")
    response = csv_upload(client, cid, text)
    assert response.status_code == 302
    data = scenario_of(app)
    nora = data["participants"][-1]
    assert nora == {"id": "p900", "name": "Nora", "email": "nora@example.org", "available": ["MO-0900", "TU-0900"],
                    "preferences": ["act1", "act2"], "max_groups": 2, "needs": ["accessible"], "languages": ["es"]}
    assert data["participants"][0]["preferences"] == ["act5"] and data["participants"][0]["max_groups"] == 1


def test_csv_import_names_row_and_column_and_is_all_or_nothing(
    editor: tuple[FlaskClient, int], counts: Callable[[], dict[str, int]]
) -> None:
    client, cid = editor
    rows = ["id,name,email,max_groups,preferences,available"]
    rows += [f"p{900 + i},Person {i},,1,act1,MO-0900" for i in range(12)]
    rows.append("p999,Bad,,1,act1;act99,MO-0900")  # row 14 counting the header as row 1
    rows.append("p998,Worse,,many,act1,MO-0900")
    before = counts()
    page = csv_upload(client, cid, "\n".join(rows) + "\n").get_data(as_text=True)
    assert "row 15, column max_groups: must be a whole number, not &#34;many&#34;" in page
    page = csv_upload(client, cid, "\n".join(rows[:-1]) + "\n").get_data(as_text=True)
    assert "row 14, column preferences: unknown activity &#34;act99&#34;" in page
    assert counts() == before


def test_csv_import_refuses_unknown_columns(editor: tuple[FlaskClient, int],
                                            counts: Callable[[], dict[str, int]]) -> None:
    client, cid = editor
    before = counts()
    page = csv_upload(client, cid, "id,name,max_groups,shoe_size\np900,N,1,44\n").get_data(as_text=True)
    assert "row 1: unknown column(s) shoe_size" in page
    assert counts() == before


def test_dashboard_links_to_editing(editor: tuple[FlaskClient, int]) -> None:
    client, cid = editor
    page = client.get(f"/centers/{cid}/").get_data(as_text=True)
    for target in (f"/centers/{cid}/settings", f"/centers/{cid}/activities/", f"/centers/{cid}/import",
                   f"/centers/{cid}/pairs/", f"/centers/{cid}/export.json"):
        assert f'href="{target}"' in page
