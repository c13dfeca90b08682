"""Outside walk of the advisor pages (suggestions, "where they fit now", what-if), as a coordinator.

Each test builds a tiny center, builds and publishes a schedule through the web pages, then uses the
pages the way a browser would: forms are read from the HTML and sent with every field they hold.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tests.conftest import sign_in

SLOTS = [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:00"},
         {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:00"}]


def tiny_scenario(name: str) -> dict[str, Any]:
    """One group of Community choir on Monday; p3 can come only on Tuesday, so is left out."""
    def person(pid: str, slots: list[str]) -> dict[str, Any]:
        return {"id": pid, "name": f"Person {pid[1:]}", "email": "", "available": slots,
                "preferences": ["act1"], "max_groups": 1}
    return {"format": "sociotherapy-scenario/1",
            "center": {"name": name, "timezone": "Europe/Madrid",
                       "term_start": "2027-01-11", "term_end": "2027-04-05"},
            "slots": SLOTS,
            "rooms": [{"id": "room1", "name": "Hall", "capacity": 10}],
            "activities": [{"id": "act1", "name": "Community choir", "sessions_per_week": 1, "min_size": 2,
                            "max_size": 6, "max_groups": 1, "facilitators_per_group": 1}],
            "facilitators": [{"id": "fac1", "name": "Fran", "email": "fran@example.org", "skills": [],
                              "available": ["MO-0900"], "max_sessions_per_week": 3}],
            "participants": [person("p1", ["MO-0900"]), person("p2", ["MO-0900"]), person("p3", ["TU-0900"])]}


def import_tiny(app: Flask, tmp_path: Path, name: str) -> int:
    from scheduler.extensions import db
    from scheduler.services.scenarios import import_scenario
    from solver import read_scenario_file

    path = tmp_path / f"{name.replace(' ', '_')}.json"
    path.write_text(json.dumps(tiny_scenario(name)), encoding="utf-8")
    with app.app_context():
        center = import_scenario(read_scenario_file(path), name)
        db.session.commit()
        return center.id


class Forms(HTMLParser):
    """Every form of a page: its action and its fields in document order (what a browser sends)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": []})
        elif tag == "input" and self.forms and a.get("name") and a.get("type") not in ("checkbox", "radio"):
            self.forms[-1]["fields"].append((a["name"], a.get("value") or ""))


def forms_of(html: str, action_ends: str) -> list[dict[str, Any]]:
    parser = Forms()
    parser.feed(html)
    return [f for f in parser.forms if f["action"].endswith(action_ends) and f["method"] == "post"]


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def build_and_publish(client: FlaskClient, center: int) -> int:
    response = client.post(f"/centers/{center}/schedule/build", data={"time_limit_s": "10"})
    assert response.status_code in (302, 303), response.status_code
    job = response.headers["Location"]
    deadline = time.monotonic() + 20
    version = None
    while time.monotonic() < deadline:
        page = client.get(job).get_data(as_text=True)
        found = re.search(rf"/centers/{center}/schedule/versions/(\d+)\"", page)
        if found and ("Finished" in page or ("Searching" not in page and "Waiting" not in page)):
            version = int(found.group(1))
            break
        time.sleep(0.3)
    assert version is not None, "the build did not finish"
    published = client.post(f"/centers/{center}/schedule/versions/{version}/publish")
    assert published.status_code in (302, 303)
    return version


def add_person_after_publish(client: FlaskClient, center: int) -> None:
    """p9, available on Monday and wanting the choir, arrives after the schedule is published."""
    csv = b"id,name,max_groups,preferences,available\np9,Person 9,1,act1,MO-0900\n"
    from io import BytesIO
    response = client.post(f"/centers/{center}/import/participants",
                           data={"file": (BytesIO(csv), "people.csv")}, content_type="multipart/form-data")
    assert response.status_code in (200, 302, 303)


def setup_center(app: Flask, client: FlaskClient, tmp_path: Path,
                 make_coordinator: Callable[..., None], name: str = "Walk Center",
                 email: str = "walk@example.org") -> tuple[int, int]:
    center = import_tiny(app, tmp_path, name)
    make_coordinator(email, name)
    sign_in(client, email)
    version = build_and_publish(client, center)
    return center, version


def export_person(client: FlaskClient, center: int, pid: str) -> dict[str, Any]:
    data = client.get(f"/centers/{center}/export.json").get_json()
    return next(p for p in data["participants"] if p["id"] == pid)


# ---------------------------------------------------------------- findings (fail on the current code)

def test_fit_page_add_to_this_group_button_works_as_sent_by_a_browser(
        app: Flask, client: FlaskClient, tmp_path: Path, make_coordinator: Callable[..., None]) -> None:
    """The "Add to this group" form holds two `group` inputs, an empty one first; a browser sends both,
    and the page answers "Group: choose a group to join." instead of adding the person."""
    center, _ = setup_center(app, client, tmp_path, make_coordinator)
    add_person_after_publish(client, center)
    page = client.get(f"/centers/{center}/participants/p9/fit/")
    assert page.status_code == 200
    joins = forms_of(page.get_data(as_text=True), "/fit/join")
    assert joins, "p9 fits the choir group, which has free seats: an Add button is expected"
    groups = [value for name, value in joins[0]["fields"] if name == "group"]
    response = client.post(joins[0]["action"], data=MultiDict(joins[0]["fields"]), follow_redirects=True)
    text = text_of(response)
    assert "choose a group to join" not in text, f"the page's own form is refused (group fields sent: {groups})"
    assert "joins Community choir" in text


def test_try_it_refuses_a_time_limit_not_offered(
        app: Flask, client: FlaskClient, tmp_path: Path, make_coordinator: Callable[..., None],
        counts: Callable[[], dict[str, int]]) -> None:
    """What-if refuses time_limit_s=7 ("Time to spend searching: choose one of the times offered");
    the suggestion's "Try it" accepts it, changes the center's data and starts a 7-second build."""
    center, version = setup_center(app, client, tmp_path, make_coordinator)
    page = client.get(f"/centers/{center}/schedule/versions/{version}/suggestions").get_data(as_text=True)
    tries = forms_of(page, f"/versions/{version}/suggestions")
    assert tries, "p3 is left out and a change of their times would seat them: a suggestion is expected"
    before = export_person(client, center, "p3")
    fields = [(n, "7" if n == "time_limit_s" else v) for n, v in tries[0]["fields"]] + [("confirmed", "yes")]
    response = client.post(tries[0]["action"], data=MultiDict(fields), follow_redirects=True)
    assert response.status_code < 500
    assert "Time to spend searching" in text_of(response)
    assert export_person(client, center, "p3") == before, "nothing may be written for a refused time limit"


def test_spanish_weekdays_are_lower_case_inside_sentences(
        app: Flask, client: FlaskClient, tmp_path: Path, make_coordinator: Callable[..., None]) -> None:
    """In Spanish, day names are not capitalised mid-sentence: "no está disponible el lunes 09:00"."""
    center, _ = setup_center(app, client, tmp_path, make_coordinator)
    client.post("/language", data={"locale": "es", "next": "/"})
    text = text_of(client.get(f"/centers/{center}/participants/p3/fit/"))
    assert "disponible" in text, "the Spanish fit page should say why p3 cannot join"
    assert not re.search(r"\b(el|los) (Lunes|Martes|Miércoles|Jueves|Viernes|Sábado|Domingo)\b", text)


# ---------------------------------------------------------------- what held (pass on the current code)

def test_try_it_asks_before_writing_and_confirm_builds_a_draft_that_says_what_it_tried(
        app: Flask, client: FlaskClient, tmp_path: Path, make_coordinator: Callable[..., None],
        counts: Callable[[], dict[str, int]]) -> None:
    center, version = setup_center(app, client, tmp_path, make_coordinator)
    page = client.get(f"/centers/{center}/schedule/versions/{version}/suggestions").get_data(as_text=True)
    tries = forms_of(page, f"/versions/{version}/suggestions")
    assert tries
    before_p3 = export_person(client, center, "p3")
    before_rows = counts()
    confirm = client.post(tries[0]["action"], data=MultiDict(tries[0]["fields"]))
    assert confirm.status_code == 200
    assert "Try this suggestion?" in text_of(confirm)
    assert "This changes the center's data" in text_of(confirm)
    assert counts() == before_rows, "showing the confirmation must write nothing"
    assert export_person(client, center, "p3") == before_p3
    yes = forms_of(confirm.get_data(as_text=True), f"/versions/{version}/suggestions")
    assert yes and ("confirmed", "yes") in yes[0]["fields"]
    fields = [(n, "10" if n == "time_limit_s" else v) for n, v in yes[0]["fields"]]
    started = client.post(yes[0]["action"], data=MultiDict(fields))
    assert started.status_code in (302, 303) and "/schedule/jobs/" in started.headers["Location"]
    assert export_person(client, center, "p3") != before_p3
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = client.get(started.headers["Location"]).get_data(as_text=True)
        found = re.search(rf"/centers/{center}/schedule/versions/(\d+)\"", job)
        if found and int(found.group(1)) != version and "Searching" not in job and "Waiting" not in job:
            draft = text_of(client.get(f"/centers/{center}/schedule/versions/{found.group(1)}"))
            assert "Built to try a suggestion" in draft
            assert "Seated as promised: Person 3" in draft
            return
        time.sleep(0.3)
    raise AssertionError("the suggested build did not finish")


def test_what_if_odd_input_is_answered_with_the_field_named(
        app: Flask, client: FlaskClient, tmp_path: Path, make_coordinator: Callable[..., None]) -> None:
    center, _ = setup_center(app, client, tmp_path, make_coordinator)
    base = f"/centers/{center}/schedule/what-if"
    for url, words in [(f"{base}/facilitator?code=nope", "Facilitator: this center has no such facilitator"),
                       (f"{base}/room?code=nope", "Room: this center has no such room"),
                       (f"{base}/slot?code=XX-0900", "Weekly slot: this center has no such slot")]:
        response = client.get(url)
        assert response.status_code == 400 and words in text_of(response), url
    response = client.post(f"{base}/facilitator", data={"code": "fac1", "time_limit_s": "7"})
    assert response.status_code == 400
    assert "Time to spend searching: choose one of the times offered" in text_of(response)
    affected = client.get(f"{base}/facilitator?code=fac1")
    assert affected.status_code == 200 and "act1-1" not in text_of(affected)


def test_another_centers_coordinator_gets_404_on_every_advisor_page(
        app: Flask, client: FlaskClient, tmp_path: Path, make_coordinator: Callable[..., None],
        counts: Callable[[], dict[str, int]]) -> None:
    center, version = setup_center(app, client, tmp_path, make_coordinator)
    page = client.get(f"/centers/{center}/schedule/versions/{version}/suggestions").get_data(as_text=True)
    key = dict(forms_of(page, "/suggestions")[0]["fields"])["key"]
    import_tiny(app, tmp_path, "Other Center")
    make_coordinator("other@example.org", "Other Center")
    other = app.test_client()
    sign_in(other, "other@example.org")
    before = counts()
    for url in [f"/centers/{center}/schedule/versions/{version}/suggestions",
                f"/centers/{center}/schedule/versions/{version}/suggestions?part=1",
                f"/centers/{center}/participants/p3/fit/",
                f"/centers/{center}/schedule/what-if/",
                f"/centers/{center}/schedule/what-if/facilitator?code=fac1"]:
        assert other.get(url).status_code == 404, url
    for url, data in [(f"/centers/{center}/schedule/versions/{version}/suggestions",
                       {"key": key, "time_limit_s": "10", "confirmed": "yes"}),
                      (f"/centers/{center}/participants/p3/fit/join", {"group": "act1-1"}),
                      (f"/centers/{center}/schedule/what-if/room", {"code": "room1", "time_limit_s": "10"})]:
        assert other.post(url, data=data).status_code == 404, url
    assert counts() == before
