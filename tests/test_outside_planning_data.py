"""An outside tester's probes of a center's planning data: re-uploading its own export, published
versions that keep their own settings, "changed since version N was built", the calendar feeds'
revisions, moving one meeting, and bad input. Everything is done through the pages, the feeds and the
outbox, as a coordinator, a facilitator or a participant would; the only shortcuts are creating the
center from a scenario (as `make_center` does), the coordinator's account, and cheap password hashes.
The term is January-February 2027: the tests assume today is before it.

Tests that fail are findings: each says in its docstring what a user sees and what they should see."""

from __future__ import annotations

import copy
import datetime as dt
import html
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from scheduler.extensions import db
from scheduler.services.scenarios import import_scenario
from solver import load_scenario
from tests.conftest import sign_in

# ------------------------------------------------------------------ the center

# A scenario whose best schedule is unique (each activity has one possible facilitator, room and slot):
#   art-1   Monday 09:00  Garden room  Ana   Pat, Quinn, Uma, Vic
#   choir-1 Monday 11:00  Blue room    Cruz  Rosa, Vic
#   yoga-1  Monday 14:00  Quiet room   Cruz  Wen
#   talk-1  Tuesday 09:00 Sofa room    Ben   Pat, Quinn, Sam
# Tess has no times at all and wants only art: she is left out. No activity can use the Small office.
SCENARIO: dict[str, Any] = {
    "format": "sociotherapy-scenario/1",
    "center": {"name": "Riverside", "timezone": "Europe/Madrid", "term_start": "2027-01-11",
               "term_end": "2027-02-26", "holidays": ["2027-02-01"]},
    "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:30"},
              {"id": "MO-1100", "day": "MO", "start": "11:00", "end": "12:30"},
              {"id": "MO-1400", "day": "MO", "start": "14:00", "end": "15:30"},
              {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:30"}],
    "rooms": [{"id": "r1", "name": "Garden room", "capacity": 10, "features": ["easel"]},
              {"id": "r2", "name": "Blue room", "capacity": 10, "features": ["piano"]},
              {"id": "r3", "name": "Quiet room", "capacity": 10, "features": ["mats"]},
              {"id": "r4", "name": "Sofa room", "capacity": 10, "features": ["sofa"]},
              {"id": "r5", "name": "Small office", "capacity": 2, "features": []}],
    "activities": [
        {"id": "art", "name": "Art group", "sessions_per_week": 1, "min_size": 1, "max_size": 8, "max_groups": 1,
         "required_skills": ["art"], "facilitators_per_group": 1, "room_features": ["easel"]},
        {"id": "choir", "name": "Community choir", "sessions_per_week": 1, "min_size": 1, "max_size": 8,
         "max_groups": 1, "required_skills": ["music"], "facilitators_per_group": 1, "room_features": ["piano"]},
        {"id": "yoga", "name": "Gentle yoga", "sessions_per_week": 1, "min_size": 1, "max_size": 8,
         "max_groups": 1, "required_skills": ["yoga"], "facilitators_per_group": 1, "room_features": ["mats"]},
        {"id": "talk", "name": "Grief support", "sessions_per_week": 1, "min_size": 1, "max_size": 8,
         "max_groups": 1, "required_skills": ["talk"], "facilitators_per_group": 1, "room_features": ["sofa"]},
    ],
    "facilitators": [
        {"id": "ana", "name": "Ana Ruiz", "email": "ana@example.org", "skills": ["art"],
         "available": ["MO-0900"], "max_sessions_per_week": 5},
        {"id": "cruz", "name": "Cruz Vega", "email": "cruz@example.org", "skills": ["music", "yoga"],
         "available": ["MO-1100", "MO-1400"], "max_sessions_per_week": 5},
        {"id": "ben", "name": "Ben Soto", "email": "ben@example.org", "skills": ["talk"],
         "available": ["TU-0900"], "max_sessions_per_week": 5},
    ],
    "participants": [
        {"id": "p1", "name": "Pat Moreno", "email": "p1@example.org", "available": ["MO-0900", "TU-0900"],
         "preferences": ["art", "talk"], "max_groups": 2},
        {"id": "p2", "name": "Quinn Ortiz", "email": "p2@example.org", "available": ["MO-0900", "TU-0900"],
         "preferences": ["art", "talk"], "max_groups": 2},
        {"id": "p3", "name": "Rosa Diaz", "email": "p3@example.org", "available": ["MO-1100"],
         "preferences": ["choir"], "max_groups": 1},
        {"id": "p4", "name": "Sam Lee", "email": "p4@example.org", "available": ["TU-0900"],
         "preferences": ["talk"], "max_groups": 1},
        {"id": "p5", "name": "Tess Nobody", "email": "p5@example.org", "available": [],
         "preferences": ["art"], "max_groups": 1},
        {"id": "p6", "name": "Uma Ray", "email": "p6@example.org", "available": ["MO-0900"],
         "preferences": ["art"], "max_groups": 1},
        {"id": "p7", "name": "Vic Alba", "email": "p7@example.org", "available": ["MO-0900", "MO-1100"],
         "preferences": ["art", "choir"], "max_groups": 2},
        {"id": "p8", "name": "Wen Park", "email": "p8@example.org", "available": ["MO-1400"],
         "preferences": ["yoga"], "max_groups": 1},
    ],
    "keep_apart": [], "keep_together": [],
}
COORDINATOR = "coord@riverside.example"
FACILITATOR_PASSWORD = "a facilitator chose this long passphrase"
ART_MEMBERS = ("Pat Moreno", "Quinn Ortiz", "Uma Ray", "Vic Alba")


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes in this process: what is probed is who gets in, not the hash's cost."""
    from argon2 import PasswordHasher

    from scheduler.services import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def new_center(app: Flask, name: str = "Riverside", scenario: dict[str, Any] | None = None) -> int:
    data = copy.deepcopy(scenario or SCENARIO)
    data["center"]["name"] = name
    with app.app_context():
        center = import_scenario(load_scenario(data), name)
        db.session.commit()
        return center.id


@pytest.fixture
def center(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> int:
    """Riverside, built and published through the pages, with its coordinator signed in on `client`."""
    center_id = new_center(app)
    make_coordinator(COORDINATOR, "Riverside")
    assert sign_in(client, COORDINATOR).status_code == 302
    build_and_publish(client, center_id)
    return center_id


def build(client: FlaskClient, center_id: int) -> int:
    answer = client.post(f"/centers/{center_id}/schedule/build", data={"time_limit_s": "10"})
    assert answer.status_code == 302, page_text(answer)[:500]
    job = answer.headers["Location"]
    progress: dict[str, Any] = {}
    for _ in range(300):
        progress = client.get(job + "/progress").get_json()
        if progress["status"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert progress.get("version_number"), progress
    return int(progress["version_number"])


def build_and_publish(client: FlaskClient, center_id: int) -> int:
    number = build(client, center_id)
    answer = client.post(f"/centers/{center_id}/schedule/versions/{number}/publish")
    assert answer.status_code == 302, page_text(answer)[:500]
    return number


# ------------------------------------------------------------------ reading pages

def page_text(response: TestResponse | str) -> str:
    """The words of a page's main part, flashes left out, as a reader sees them."""
    body = response if isinstance(response, str) else response.get_data(as_text=True)
    start = body.find("<main")
    body = body[start:] if start >= 0 else body
    body = re.sub(r'<div class="flashes".*?</div>', " ", body, flags=re.S)
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def flashes(response: TestResponse) -> str:
    found = re.findall(r'<p class="flash[^"]*">(.*?)</p>', response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(f) for f in found)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class _Forms(HTMLParser):
    """Each form of a page with what a browser would send back unchanged."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        if not self.forms:
            return
        fields = self.forms[-1].fields
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                fields.setdefault(name, [])
                if "checked" in a:
                    fields[name].append(a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                fields[name] = [a.get("value", "")]
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
            fields[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                fields[self._select] = [value]
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.forms[-1].fields[self._select] = [self._select_first]
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            value = self.forms[-1].fields[self._textarea][0] + data
            self.forms[-1].fields[self._textarea] = [value.lstrip("\r\n")]


def forms_of(response: TestResponse) -> list[Form]:
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    return [f for f in parser.forms if f.method == "post" and not f.action.endswith(("/language", "/sign-out",
                                                                                       "/sign-out-everywhere"))]


def submit(client: FlaskClient, url: str, changes: dict[str, str | list[str]] | None = None, *,
           action: str | None = None, index: int = 0) -> TestResponse:
    """Open `url`, take its post form (the one whose action contains `action`, else the `index`th), change
    some fields and send it, as a browser would."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    candidates = [f for f in forms_of(page) if action is None or action in f.action]
    assert candidates, f"no form on {url}"
    form = candidates[0] if action else candidates[index]
    data: dict[str, list[str]] = {k: list(v) for k, v in form.fields.items()}
    for key, value in (changes or {}).items():
        data[key] = [value] if isinstance(value, str) else list(value)
    return client.post(form.action or url, data={k: v for k, v in data.items() if v})


# ------------------------------------------------------------------ outbox, links and feeds

LINK = re.compile(r"(?:https?|webcal)://localhost(/(?:p|welcome|feeds)/[A-Za-z0-9_\-]+(?:\.ics)?)")


def outbox(client: FlaskClient, center_id: int, email: str) -> list[tuple[str, str, list[str]]]:
    """The messages to `email`, newest first: (subject, body text, links), read on the outbox page."""
    found = []
    body = client.get(f"/centers/{center_id}/outbox", query_string={"q": email}).get_data(as_text=True)
    for article in re.findall(r'<article class="card outbox-message">(.*?)</article>', body, flags=re.S):
        if f"&lt;{email}&gt;" not in article:
            continue
        subject = html.unescape(re.search(r"<h3>(.*?)</h3>", article, flags=re.S).group(1))  # type: ignore[union-attr]
        words = page_text(article)
        found.append((subject, words, list(dict.fromkeys(LINK.findall(article)))))
    return found


def personal_link(client: FlaskClient, center_id: int, code: str, email: str) -> str:
    assert client.post(f"/centers/{center_id}/answers/{code}/invite").status_code == 302
    links = [link for _s, _b, links in outbox(client, center_id, email) for link in links if link.startswith("/p/")]
    assert links, f"no personal link in the outbox for {email}"
    return links[0]


def feed_link(client: FlaskClient, center_id: int, kind: str, code: str) -> str:
    """A person's calendar link from the coordinator's "Calendar links" page (made if there is none)."""
    url = f"/centers/{center_id}/calendars/{kind}/{code}"
    page = client.get(url).get_data(as_text=True)
    if "/feeds/" not in page:
        assert client.post(url + "/rotate").status_code == 302
        page = client.get(url).get_data(as_text=True)
    found = re.search(r"https?://localhost(/feeds/[A-Za-z0-9_\-]+\.ics)", page)
    assert found, page_text(page)[:300]
    return found.group(1)


def staff_feed(client: FlaskClient, center_id: int, scope: str, subject: str = "") -> str:
    tail = f"/{subject}" if subject else ""
    assert client.post(f"/centers/{center_id}/calendars/staff/{scope}{tail}").status_code == 302
    page = client.get(f"/centers/{center_id}/calendars/").get_data(as_text=True)
    row = re.search(rf'action="/centers/{center_id}/calendars/staff/{scope}{re.escape(tail)}"', page)
    assert row
    links = re.findall(r"<code>https?://localhost(/feeds/[A-Za-z0-9_\-]+\.ics)</code>", page[:row.start()])
    assert links
    return links[-1]


def fetch(client: FlaskClient, path: str) -> TestResponse:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer


def unfolded(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def without_dtstamp(body: bytes) -> list[str]:
    return [line for line in unfolded(body) if not line.startswith("DTSTAMP")]


def moment(event: Any, name: str) -> dt.datetime:
    """A date-time property of an event (DTSTART, RECURRENCE-ID, LAST-MODIFIED)."""
    value: Any = event[name].dt
    assert isinstance(value, dt.datetime), (name, value)
    return value


def components(body: bytes) -> dict[str, Any]:
    """Every VEVENT by UID (an override by UID/RECURRENCE-ID date)."""
    found: dict[str, Any] = {}
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        key = str(event["UID"])
        if "RECURRENCE-ID" in event:
            key += "/" + moment(event, "RECURRENCE-ID").strftime("%Y%m%d")
        found[key] = event
    return found


def sequences(body: bytes) -> dict[str, int]:
    return {key: int(event.get("SEQUENCE", 0)) for key, event in components(body).items()}


def export(client: FlaskClient, center_id: int) -> bytes:
    answer = client.get(f"/centers/{center_id}/export.json")
    assert answer.status_code == 200
    return answer.data


def upload(client: FlaskClient, center_id: int, data: bytes, name: str = "center.json") -> TestResponse:
    return client.post(f"/centers/{center_id}/import/scenario",
                       data={"file": (io.BytesIO(data), name), "confirm": "y"}, content_type="multipart/form-data")


def changes_section(client: FlaskClient, center_id: int) -> str:
    page = client.get(f"/centers/{center_id}/answers/").get_data(as_text=True)
    found = re.search(r'<section aria-labelledby="changes-heading".*?</section>', page, flags=re.S)
    assert found, "no 'Changed since version N was built' section"
    return page_text(found.group(0))


def facilitator_client(app: Flask, client: FlaskClient, center_id: int, code: str, email: str) -> FlaskClient:
    """Invite a facilitator; they open the welcome link in the outbox, choose a password and sign in."""
    assert client.post(f"/centers/{center_id}/answers/facilitators/{code}/invite").status_code == 302
    [welcome] = [link for _s, _b, links in outbox(client, center_id, email) for link in links
                 if link.startswith("/welcome/")][:1]
    person = app.test_client()
    answer = person.post(welcome, data={"password": FACILITATOR_PASSWORD, "again": FACILITATOR_PASSWORD})
    assert answer.status_code == 302, page_text(answer)[:400]
    if "/sign-in" in answer.headers["Location"]:
        assert sign_in(person, email, FACILITATOR_PASSWORD).status_code == 302
    return person


def answers_form(client: FlaskClient, link: str, changes: dict[str, str | list[str]] | None = None) -> TestResponse:
    """A participant saves the answers form of their own page (the last post form on it)."""
    page = client.get(link)
    form = next(f for f in forms_of(page) if "read_as" in f.fields)
    data = {k: list(v) for k, v in form.fields.items()}
    for key, value in (changes or {}).items():
        data[key] = [value] if isinstance(value, str) else list(value)
    return client.post(link, data={k: v for k, v in data.items() if v})


@pytest.fixture
def world(app: Flask, client: FlaskClient, center: int) -> Iterator[dict[str, Any]]:
    """Riverside in use: Pat has a personal link and answered, Ana has an account, a pin, a moved meeting,
    feeds for Pat, Quinn, Ana, the whole center and the Garden room."""
    links: dict[str, Any] = {"center": center}
    links["p1"] = personal_link(client, center, "p1", "p1@example.org")
    links["pat"] = app.test_client()
    assert answers_form(links["pat"], links["p1"], {"slot-MO-1100": "if_needed"}).status_code in (200, 302)
    links["ana_client"] = facilitator_client(app, client, center, "ana", "ana@example.org")
    assert client.post(f"/centers/{center}/schedule/versions/1/pins/groups/talk-1",
                       data={"slots": "y", "room": "y"}).status_code == 302
    links["feeds"] = {
        "p1": feed_link(client, center, "participants", "p1"),
        "p2": feed_link(client, center, "participants", "p2"),
        "ana": feed_link(client, center, "facilitators", "ana"),
        "center": staff_feed(client, center, "center"),
        "r1": staff_feed(client, center, "room", "r1"),
    }
    yield links



def move_form(client: FlaskClient, center_id: int, group: str, slot: str, date: str, room: str, start: str,
              end: str) -> TestResponse:
    """The first step of "Move one meeting": the check. Returns the page it answers with."""
    return client.post(f"/centers/{center_id}/meetings/move",
                       data={"group": group, "slot": slot, "date": date, "step": "check", "room": room,
                             "start": start, "end": end})


def move(client: FlaskClient, center_id: int, group: str, slot: str, date: str, room: str, start: str,
         end: str) -> TestResponse:
    """Check, then confirm, as the coordinator does."""
    checked = move_form(client, center_id, group, slot, date, room, start, end)
    assert checked.status_code == 200, checked.status_code
    assert "Move this meeting?" in page_text(checked), page_text(checked)[:600]
    [form] = [f for f in forms_of(checked) if f.fields.get("step") == ["confirm"]]
    return client.post(f"/centers/{center_id}/meetings/move", data=form.fields)


# ------------------------------------------------------------------ 1. re-uploading one's own export

def snapshot(client: FlaskClient, world: dict[str, Any]) -> dict[str, Any]:
    c = world["center"]
    pat: FlaskClient = world["pat"]
    ana: FlaskClient = world["ana_client"]
    return {
        "pat's page": page_text(pat.get(world["p1"])),
        "ana's page": page_text(ana.get(f"/centers/{c}/cover/")),
        "feeds": {name: without_dtstamp(fetch(client, path).data) for name, path in world["feeds"].items()},
        "last-modified": {name: fetch(client, path).headers["Last-Modified"]
                          for name, path in world["feeds"].items()},
        "pins": page_text(client.get(f"/centers/{c}/schedule/pins")),
        "versions": page_text(client.get(f"/centers/{c}/schedule/")),
        "swaps": page_text(client.get(f"/centers/{c}/swaps/")),
        "answers": page_text(client.get(f"/centers/{c}/answers/")),
        "changes": changes_section(client, c),
        "calendar links": page_text(client.get(f"/centers/{c}/calendars/")),
    }


def test_reuploading_the_center_s_own_export_changes_nothing(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    assert move(client, c, "art-1", "MO-0900", "2027-01-25", "r4", "14:00", "15:30").status_code == 302
    _ana, dora = cover(app, client, c, "2027-01-18", world["ana_client"])
    world["feeds"]["dora"] = feed_link(client, c, "facilitators", "dora")
    before = snapshot(client, world)
    dora_before = page_text(dora.get(f"/centers/{c}/cover/"))
    assert "Dora Gil" in before["swaps"]
    exported = export(client, c)

    answer = upload(client, c, exported)
    assert answer.status_code == 302, page_text(answer)[:800]
    assert "/import/scenario/confirm" not in answer.headers["Location"]
    assert "leaves out" not in page_text(client.get(answer.headers["Location"]))

    after = snapshot(client, world)
    for part in before:
        assert after[part] == before[part], f"re-uploading the export changed {part}"
    assert page_text(dora.get(f"/centers/{c}/cover/")) == dora_before
    assert export(client, c) == exported
    assert world["ana_client"].get(f"/centers/{c}/cover/").status_code == 200


def test_reuploading_twice_and_after_a_session_still_keeps_every_link(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    """The same file twice in a row, and Ana signing in afresh afterwards."""
    c = world["center"]
    exported = export(client, c)
    for _ in range(2):
        assert upload(client, c, exported).status_code == 302
    assert "Hello Pat Moreno" in page_text(world["pat"].get(world["p1"]))
    for path in world["feeds"].values():
        fetch(client, path)
    again = app.test_client()
    assert sign_in(again, "ana@example.org", FACILITATOR_PASSWORD).status_code == 302
    assert "Art group" in page_text(again.get(f"/centers/{c}/cover/"))


def test_reuploading_the_export_keeps_what_the_file_format_does_not_carry(
        client: FlaskClient, world: dict[str, Any]) -> None:
    """Calendar labels, descriptions, the address, a participant's page language, pairs: none are lost."""
    c = world["center"]
    assert submit(client, f"/centers/{c}/answers/activities/talk",
                  {"calendar_label": "Tuesday group", "description": "A quiet group."}).status_code == 302
    assert submit(client, f"/centers/{c}/calendars/", {"address": "Calle Mayor 1"},
                  action="/calendars/settings").status_code == 302
    assert world["pat"].post(world["p1"] + "/language", data={"locale": "es"}).status_code in (302, 303)
    assert submit(client, f"/centers/{c}/pairs/", {"kind": "keep_apart", "first": "p2", "second": "p6"}
                  ).status_code == 302
    views = {
        "answers": lambda: page_text(client.get(f"/centers/{c}/answers/")),
        "calendars": lambda: page_text(client.get(f"/centers/{c}/calendars/")),
        "address": lambda: str(forms_of(client.get(f"/centers/{c}/calendars/"))[0].fields.get("address")),
        "pat": lambda: page_text(world["pat"].get(world["p1"])),
        "pairs": lambda: page_text(client.get(f"/centers/{c}/pairs/")),
        "apply": lambda: page_text(client.get(f"/centers/{c}/calendars/apply-settings")),
    }
    before = {name: view() for name, view in views.items()}
    assert "Tuesday group" in before["answers"] and "Quinn Ortiz (p2), Uma Ray (p6)" in before["pairs"]
    assert "Hola, Pat Moreno" in before["pat"] and "Calle Mayor 1" in before["address"]
    exported = export(client, c)
    assert upload(client, c, exported).status_code == 302
    for name, view in views.items():
        assert view() == before[name], f"re-uploading the export changed {name}"


def test_an_upload_that_leaves_people_out_lists_them_and_changes_nothing_until_confirmed(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    data = json.loads(export(client, c))
    data["participants"] = [p for p in data["participants"] if p["id"] != "p1"]
    data["facilitators"] = [f for f in data["facilitators"] if f["id"] != "ben"]
    data["activities"] = [a for a in data["activities"] if a["id"] != "talk"]
    for p in data["participants"]:
        p["preferences"] = [a for a in p["preferences"] if a != "talk"]
    exported = export(client, c)

    asked = upload(client, c, json.dumps(data).encode())
    assert asked.status_code == 200, asked.status_code
    words = page_text(asked)
    assert "participant p1, Pat Moreno" in words and "facilitator ben, Ben Soto" in words
    assert "Quinn" not in words
    assert export(client, c) == exported, "the upload changed the center before the confirmation"
    assert "Hello Pat Moreno" in page_text(world["pat"].get(world["p1"]))

    # Confirming without ticking the box is refused in words, and changes nothing.
    [form] = forms_of(asked)
    refused = client.post(form.action, data={k: v for k, v in form.fields.items() if k != "confirm_removals"})
    assert refused.status_code in (200, 400), refused.status_code
    assert export(client, c) == exported

    done = client.post(form.action, data={**form.fields, "confirm_removals": "y"})
    assert done.status_code == 302, page_text(done)[:500]
    assert world["pat"].get(world["p1"]).status_code in (404, 410)
    assert client.get(world["feeds"]["p1"]).status_code == 404
    fetch(client, world["feeds"]["p2"])  # everyone else keeps their calendar


def test_confirming_removals_with_no_upload_waiting_is_refused_in_words(client: FlaskClient, center: int) -> None:
    exported = export(client, center)
    answer = client.post(f"/centers/{center}/import/scenario/confirm", data={"confirm_removals": "y"})
    assert answer.status_code in (200, 302, 400), answer.status_code
    shown = page_text(client.get(answer.headers["Location"])) if answer.status_code == 302 else page_text(answer)
    assert "Internal" not in shown and "Traceback" not in shown
    assert export(client, center) == exported


def test_a_changed_name_keeps_the_person_their_links_and_their_answers(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    data = json.loads(export(client, c))
    for p in data["participants"]:
        if p["id"] == "p1":
            p["name"] = "Patricia Moreno"
    answer = upload(client, c, json.dumps(data).encode())
    assert answer.status_code == 302, page_text(answer)[:500]
    page = page_text(world["pat"].get(world["p1"]))
    assert "Hello Patricia Moreno" in page
    [pat_times] = [f for f in forms_of(world["pat"].get(world["p1"])) if "read_as" in f.fields]
    assert pat_times.fields["slot-MO-1100"] == ["if_needed"], "Pat's own answer was lost"
    fetch(client, world["feeds"]["p1"])
    assert "Patricia Moreno" in page_text(client.get(f"/centers/{c}/answers/"))



def participants(client: FlaskClient, center_id: int) -> dict[str, str]:
    """Code and name of each participant, from the answers table."""
    page = client.get(f"/centers/{center_id}/answers/", query_string={"per_page": 500}).get_data(as_text=True)
    return {code: html.unescape(name) for code, name in
            re.findall(r'<tr id="person-([^"]+)">\s*<th scope="row">(.*?)</th>', page, flags=re.S)}


def without(data: bytes, code: str) -> bytes:
    scenario = json.loads(data)
    scenario["participants"] = [p for p in scenario["participants"] if p["id"] != code]
    return json.dumps(scenario).encode()


def test_two_uploads_in_two_tabs_each_confirm_only_what_its_page_listed(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    exported = export(client, c)
    first = upload(client, c, without(exported, "p8"))
    second = upload(client, c, without(exported, "p6"))
    assert "Wen Park" in page_text(first) and "Uma Ray" in page_text(second)
    [form] = forms_of(first)
    assert client.post(form.action, data={**form.fields, "confirm_removals": "y"}).status_code == 302
    names = participants(client, c)
    assert "p8" not in names and "p6" in names, "confirming the first page applied another file"
    # The first confirmation again (a double click, the back button) removes nobody else.
    again = client.post(form.action, data={**form.fields, "confirm_removals": "y"})
    assert again.status_code in (200, 302, 400)
    assert "p6" in participants(client, c)


def test_a_pending_upload_of_one_center_cannot_be_confirmed_into_another(
        app: Flask, client: FlaskClient, center: int, make_coordinator: Callable[..., None]) -> None:
    """One coordinator of two centers, two tabs: North's upload confirmed on South's page."""
    south = new_center(app, "Southside")
    make_coordinator(COORDINATOR, "Southside")
    south_before = export(client, south)
    asked = upload(client, center, without(export(client, center), "p8"))
    [form] = forms_of(asked)
    answer = client.post(f"/centers/{south}/import/scenario/confirm", data={**form.fields, "confirm_removals": "y"})
    assert answer.status_code in (200, 302, 400, 404)
    assert export(client, south) == south_before, "North's file was written into Southside"


# ------------------------------------------------------------------ 2. published versions keep their settings

def change_settings(client: FlaskClient, center_id: int, **changes: str) -> TestResponse:
    return submit(client, f"/centers/{center_id}/settings", dict(changes))


NEW_SETTINGS = {"timezone": "America/Bogota", "term_end": "2027-02-19", "holidays": "2027-02-01\n2027-01-18"}


def test_changing_the_settings_leaves_published_feeds_and_pages_as_they_were(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    before = {name: fetch(client, path) for name, path in world["feeds"].items()}
    pat_before = page_text(world["pat"].get(world["p1"]))
    ana_before = page_text(world["ana_client"].get(f"/centers/{c}/cover/"))
    answer = change_settings(client, c, **NEW_SETTINGS)
    assert answer.status_code == 302, page_text(answer)[:600]
    assert "America/Bogota" in page_text(client.get(f"/centers/{c}/"))
    for name, path in world["feeds"].items():
        now = fetch(client, path)
        assert without_dtstamp(now.data) == without_dtstamp(before[name].data), f"the {name} feed changed"
        assert now.headers["Last-Modified"] == before[name].headers["Last-Modified"], name
    assert page_text(world["pat"].get(world["p1"])) == pat_before
    assert page_text(world["ana_client"].get(f"/centers/{c}/cover/")) == ana_before


def test_applying_the_settings_to_the_published_term_reaches_the_feeds(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    before = fetch(client, world["feeds"]["p1"]).data
    assert change_settings(client, c, **NEW_SETTINGS).status_code == 302
    assert "See what differs and apply them" in page_text(client.get(f"/centers/{c}/calendars/"))
    asked = client.get(f"/centers/{c}/calendars/apply-settings")
    words = page_text(asked)
    assert "time zone" in words.lower() and "holidays" in words.lower(), words[:800]
    applied = submit(client, f"/centers/{c}/calendars/apply-settings")
    assert applied.status_code == 302, page_text(applied)[:600]
    after = fetch(client, world["feeds"]["p1"]).data
    assert b"TZID=America/Bogota" in after and b"TZID=Europe/Madrid" not in after
    assert b"20270118T090000" in after  # 18 January is now a holiday: an EXDATE
    old, new = sequences(before), sequences(after)
    assert set(old) == set(new)
    assert all(new[key] > old[key] for key in old), (old, new)
    assert "Monday, January 18, 2027" not in page_text(world["pat"].get(world["p1"]))
    assert "See what differs" not in page_text(client.get(f"/centers/{c}/calendars/"))



# ------------------------------------------------------------------ 3. "Changed since version N was built"

def test_saving_answers_unchanged_lists_nobody(app: Flask, client: FlaskClient, center: int) -> None:
    """The participant on their page, the coordinator on the forms, the facilitator on their times."""
    c = center
    link = personal_link(client, c, "p2", "p2@example.org")
    quinn = app.test_client()
    assert answers_form(quinn, link).status_code == 302
    assert submit(client, f"/centers/{c}/participants/p3/availability").status_code == 302
    for step in ("up:talk", "down:talk"):  # Pat's wanted activities reordered, then put back
        assert submit(client, f"/centers/{c}/participants/p1/preferences", {"action": step}).status_code == 302
    assert submit(client, f"/centers/{c}/participants/p4/edit").status_code == 302
    assert submit(client, f"/centers/{c}/activities/art/edit").status_code == 302
    assert change_settings(client, c).status_code == 302
    cruz = facilitator_client(app, client, c, "cruz", "cruz@example.org")
    assert submit(cruz, f"/centers/{c}/me/times").status_code == 302
    assert changes_section(client, c) == "Changed since version 1 was built Nothing has changed since then."


def test_a_change_and_its_undoing_leave_nobody_listed(app: Flask, client: FlaskClient, center: int) -> None:
    c = center
    link = personal_link(client, c, "p2", "p2@example.org")
    quinn = app.test_client()
    assert answers_form(quinn, link, {"slot-MO-1400": "available"}).status_code == 302
    assert "Quinn Ortiz" in changes_section(client, c)
    assert answers_form(quinn, link, {"slot-MO-1400": "no"}).status_code == 302
    assert "Nothing has changed since then." in changes_section(client, c)


def test_a_real_change_names_who_and_what_in_words(app: Flask, client: FlaskClient, center: int) -> None:
    """FINDING. Quinn, on her own page, says she can also come on Monday at 14:00 and swaps Grief support
    for Gentle yoga. "Changed since version 1 was built" reads "Quinn Ortiz (times available: added
    MO-1400; wanted activities: art, talk → art, yoga)": the slot's and the activities' codes, not words.
    At a center whose codes are "act5" or "s17" (the example scenarios) the coordinator cannot tell what
    changed. It should say "Monday 14:00–15:30" and "Art group, Grief support → Art group, Gentle yoga"."""
    c = center
    link = personal_link(client, c, "p2", "p2@example.org")
    quinn = app.test_client()
    assert answers_form(quinn, link, {"slot-MO-1400": "available", "rank-talk": "", "rank-yoga": "2"}
                        ).status_code == 302
    words = changes_section(client, c)
    assert "Quinn Ortiz" in words
    for other in ("Pat Moreno", "Rosa Diaz", "Sam Lee", "Tess Nobody", "Uma Ray", "Vic Alba", "Wen Park"):
        assert other not in words
    assert "Monday 14:00" in words and "Gentle yoga" in words and "Grief support" in words, words



# ------------------------------------------------------------------ 4. feeds: SEQUENCE and Last-Modified

def add_dora(app: Flask, client: FlaskClient, center_id: int) -> FlaskClient:
    """A new art facilitator joins mid-term, free on Mondays at 09:00, and gets an account."""
    made = submit(client, f"/centers/{center_id}/facilitators/new",
                  {"id": "dora", "name": "Dora Gil", "email": "dora@example.org", "skills": "art",
                   "max_sessions_per_week": "3"})
    assert made.status_code == 302, page_text(made)[:500]
    assert submit(client, f"/centers/{center_id}/facilitators/dora/availability",
                  {"slot-MO-0900": "available"}).status_code == 302
    return facilitator_client(app, client, center_id, "dora", "dora@example.org")


def cover(app: Flask, client: FlaskClient, center_id: int, date: str, ana: FlaskClient | None = None
          ) -> tuple[FlaskClient, FlaskClient]:
    """Ana asks Dora to take art on `date`; Dora accepts on her page."""
    ana = ana or facilitator_client(app, client, center_id, "ana", "ana@example.org")
    dora = add_dora(app, client, center_id)
    page = ana.get(f"/centers/{center_id}/cover/ask", query_string={"group": "art-1", "slot": "MO-0900",
                                                                   "date": date})
    [option] = re.findall(r'<option value="([^"]+)"[^>]*>Dora Gil', page.get_data(as_text=True))
    asked = submit(ana, f"/centers/{center_id}/cover/ask?group=art-1&slot=MO-0900&date={date}",
                   {"colleague": option})
    assert asked.status_code == 302, page_text(asked)[:600]
    mine = dora.get(f"/centers/{center_id}/cover/")
    [accept] = [f for f in forms_of(mine) if f.action.endswith("/accept")]
    assert dora.post(accept.action, data=accept.fields).status_code == 302
    return ana, dora



def test_a_published_calendar_label_raises_the_cover_event_s_sequence(
        app: Flask, client: FlaskClient, center: int) -> None:
    c = center
    cover(app, client, c, "2027-01-18")
    feeds = {"dora": feed_link(client, c, "facilitators", "dora"), "ana": feed_link(client, c, "facilitators", "ana"),
             "pat": feed_link(client, c, "participants", "p1"), "room": staff_feed(client, c, "room", "r1"),
             "center": staff_feed(client, c, "center")}
    before = {name: fetch(client, path).data for name, path in feeds.items()}
    [(cover_uid, cover_event)] = components(before["dora"]).items()
    assert str(cover_event["SUMMARY"]) == "Art group"

    assert submit(client, f"/centers/{c}/answers/activities/art", {"calendar_label": "Monday group"}
                  ).status_code == 302
    for name, path in feeds.items():  # not published yet: nothing moves
        assert without_dtstamp(fetch(client, path).data) == without_dtstamp(before[name]), name
    assert submit(client, f"/centers/{c}/calendars/apply-settings").status_code == 302

    after = {name: fetch(client, path).data for name, path in feeds.items()}
    event = components(after["dora"])[cover_uid]
    assert str(event["SUMMARY"]) == "Monday group"
    assert int(event["SEQUENCE"]) > int(cover_event["SEQUENCE"])
    assert moment(event, "LAST-MODIFIED") > moment(cover_event, "LAST-MODIFIED")
    for name, body in after.items():
        text = b"".join(line.encode() for line in unfolded(body))
        assert b"Art group" not in text and b"art-1" not in text, f"the {name} feed still names the activity"


def test_a_feed_s_last_modified_is_the_latest_change_it_shows(client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    pat = fetch(client, world["feeds"]["p1"])
    time.sleep(1.1)  # Last-Modified counts whole seconds
    # Choir and yoga are not Pat's groups: a change to them must not move her feed.
    assert move(client, c, "choir-1", "MO-1100", "2027-01-25", "r3", "11:00", "12:30").status_code == 302
    assert client.post(f"/centers/{c}/meetings/cancel",
                       data={"group": "yoga-1", "slot": "MO-1400", "date": "2027-02-08"}).status_code == 302
    assert fetch(client, world["feeds"]["p1"]).headers["Last-Modified"] == pat.headers["Last-Modified"]
    assert fetch(client, world["feeds"]["p1"]).data == pat.data
    center_feed = fetch(client, world["feeds"]["center"])
    assert center_feed.headers["Last-Modified"] != pat.headers["Last-Modified"]  # the center's feed shows them

    time.sleep(1.1)
    assert move(client, c, "art-1", "MO-0900", "2027-01-25", "r4", "14:00", "15:30").status_code == 302
    moved = fetch(client, world["feeds"]["p1"])
    assert moved.headers["Last-Modified"] != pat.headers["Last-Modified"]
    stamps = [moment(event, "LAST-MODIFIED") for event in components(moved.data).values()]
    newest = max(stamps).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert moved.headers["Last-Modified"] == newest


def replace_own_calendar_link(participant: FlaskClient, link: str) -> str:
    asked = participant.post(link + "/calendar", data={"step": "ask"})
    assert asked.status_code == 200, asked.status_code
    [form] = [f for f in forms_of(asked) if f.action.endswith("/calendar")]
    done = participant.post(form.action, data=form.fields)
    assert done.status_code == 302, page_text(done)[:400]
    found = re.search(r"https?://localhost(/feeds/[A-Za-z0-9_\-]+\.ics)",
                      participant.get(link).get_data(as_text=True))
    assert found
    return found.group(1)


def test_sequence_and_last_modified_survive_a_new_link(client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    old_path = world["feeds"]["p1"]
    assert move(client, c, "art-1", "MO-0900", "2027-01-25", "r4", "14:00", "15:30").status_code == 302
    fetch(client, old_path)  # Pat's phone reads the first move
    time.sleep(1.1)
    assert move(client, c, "art-1", "MO-0900", "2027-01-25", "r2", "16:00", "17:30").status_code == 302
    old = fetch(client, old_path)
    assert max(sequences(old.data).values()) >= 2
    new_path = replace_own_calendar_link(world["pat"], world["p1"])
    assert new_path != old_path and client.get(old_path).status_code == 404
    new = fetch(client, new_path)
    assert sequences(new.data) == sequences(old.data)
    assert new.headers["Last-Modified"] == old.headers["Last-Modified"]
    assert without_dtstamp(new.data) == without_dtstamp(old.data)
    # The coordinator's "Make a new link" likewise.
    assert client.post(f"/centers/{c}/calendars/participants/p1/rotate").status_code == 302
    third = fetch(client, feed_link(client, c, "participants", "p1"))
    assert sequences(third.data) == sequences(old.data)


# ------------------------------------------------------------------ 5. moving one meeting

def refused(answer: TestResponse) -> str:
    assert answer.status_code == 200, answer.status_code
    words = page_text(answer)
    assert "Move this meeting?" not in words, f"the move was offered: {words[:400]}"
    return words


@pytest.mark.parametrize(("group", "slot", "room", "start", "end", "named"), [
    ("art-1", "MO-0900", "r2", "11:00", "12:30", "Blue room"),     # the room has choir then
    ("art-1", "MO-0900", "r2", "10:00", "11:30", "Blue room"),     # half an hour of overlap is a clash
    ("yoga-1", "MO-1400", "r4", "11:00", "12:30", "Cruz"),         # Cruz leads choir then
    ("choir-1", "MO-1100", "r3", "09:00", "10:30", "members"),     # Vic is in art then
], ids=["room", "room-overlap", "facilitator", "member"])
def test_a_move_that_clashes_is_refused_naming_the_clash(
        client: FlaskClient, center: int, group: str, slot: str, room: str, start: str, end: str,
        named: str) -> None:
    exported = export(client, center)
    words = refused(move_form(client, center, group, slot, "2027-01-11", room, start, end))
    assert named in words, words[:600]
    assert export(client, center) == exported


def test_a_clash_is_explained_in_words_naming_the_group_and_the_member(client: FlaskClient, center: int) -> None:
    """FINDING. Moving Community choir's meeting of 11 January to 09:00 is refused with "1 of the group's
    members are in art-1 (09:00–10:30) then", and moving Art group into the Blue room at 11:00 with "Blue
    room is taken then by choir-1": groups by their code, and not who is busy. The coordinator has to
    work out which group "art-1" is and which member it means. It should read, e.g., "Vic Alba is in Art
    group (09:00–10:30) then" and "Blue room is taken then by Community choir"."""
    member = refused(move_form(client, center, "choir-1", "MO-1100", "2027-01-11", "r3", "09:00", "10:30"))
    room = refused(move_form(client, center, "art-1", "MO-0900", "2027-01-11", "r2", "11:00", "12:30"))
    assert "Vic Alba" in member and "Art group (09:00" in member, member[:500]
    assert "by Community choir" in room, room[:500]


def test_moving_a_date_someone_covers_moves_the_cover_event_and_checks_the_cover(
        app: Flask, client: FlaskClient, center: int) -> None:
    """Dora covers Ana's art meeting of 18 January; that date then moves to the Sofa room at 14:00."""
    c = center
    cover(app, client, c, "2027-01-18")
    dora_feed, ana_feed = feed_link(client, c, "facilitators", "dora"), feed_link(client, c, "facilitators", "ana")
    before = outbox(client, c, "dora@example.org")
    assert move(client, c, "art-1", "MO-0900", "2027-01-18", "r4", "14:00", "15:30").status_code == 302
    day = dt.date(2027, 1, 18)
    assert occurrences(fetch(client, dora_feed).data, day) == [("14:00", "Sofa room, Riverside")]
    assert occurrences(fetch(client, ana_feed).data, day) == []
    assert len(outbox(client, c, "dora@example.org")) > len(before), "Dora was not told"


def test_moves_are_checked_against_other_moved_meetings(client: FlaskClient, center: int) -> None:
    c = center
    assert move(client, c, "art-1", "MO-0900", "2027-01-11", "r4", "14:00", "15:30").status_code == 302
    # The Sofa room is now taken at 14:00 by art; Vic is in art at 14:00.
    assert "Sofa room" in refused(move_form(client, c, "yoga-1", "MO-1400", "2027-01-11", "r4", "14:00", "15:30"))
    assert "members" in refused(move_form(client, c, "choir-1", "MO-1100", "2027-01-11", "r2", "14:00", "15:30"))
    # The Garden room and Ana are free at 09:00 that day now: yoga may go there (Cruz and Wen are free).
    assert move(client, c, "yoga-1", "MO-1400", "2027-01-11", "r1", "09:00", "10:30").status_code == 302


def occurrences(body: bytes, day: dt.date) -> list[tuple[str, str]]:
    import recurring_ical_events  # type: ignore[import-untyped]

    calendar = icalendar.Calendar.from_ical(body)
    found = recurring_ical_events.of(calendar).at(day)
    return sorted((moment(e, "DTSTART").strftime("%H:%M"), str(e.get("LOCATION", ""))) for e in found)


def test_a_moved_meeting_is_an_override_in_every_feed_that_shows_it_and_people_are_told(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    feeds = dict(world["feeds"])
    feeds.update({"p6": feed_link(client, c, "participants", "p6"), "p7": feed_link(client, c, "participants", "p7"),
                  "p3": feed_link(client, c, "participants", "p3"), "p8": feed_link(client, c, "participants", "p8"),
                  "r4": staff_feed(client, c, "room", "r4"), "group": staff_feed(client, c, "group", "art-1")})
    before = {name: fetch(client, path).data for name, path in feeds.items()}
    outbox_before = {code: len(outbox(client, c, f"{code}@example.org")) for code in ("p1", "p3", "p6", "ana")}
    assert move(client, c, "art-1", "MO-0900", "2027-01-11", "r4", "14:00", "15:30").status_code == 302

    monday = dt.date(2027, 1, 11)
    for name in ("p1", "p2", "p6", "p7", "ana", "center", "group", "r4"):
        body = fetch(client, feeds[name]).data
        overrides = [e for e in components(body).values() if "RECURRENCE-ID" in e]
        assert overrides, f"no override in the {name} feed"
        assert any(moment(e, "RECURRENCE-ID").strftime("%Y%m%dT%H%M") == "20270111T0900" for e in overrides), name
        assert ("14:00", "Sofa room, Riverside") in occurrences(body, monday), (name, occurrences(body, monday))
        assert not [o for o in occurrences(body, monday) if o[0] == "09:00" and "Garden" in o[1]], name
    assert not [o for o in occurrences(fetch(client, feeds["r1"]).data, monday) if "Garden" in o[1]]
    for name in ("p3", "p8"):  # not in art: their calendars do not move
        assert fetch(client, feeds[name]).data == before[name], name
    for code in ("p1", "p6", "ana"):
        assert len(outbox(client, c, f"{code}@example.org")) > outbox_before[code], f"{code} was not told"
    assert len(outbox(client, c, "p3@example.org")) == outbox_before["p3"]
    [(subject, words, _links)] = outbox(client, c, "p6@example.org")[:1]
    assert "14:00" in words and "Sofa room" in words, (subject, words)
    assert "14:00" in page_text(world["pat"].get(world["p1"]))




def test_a_confirmation_page_left_open_is_checked_again_when_confirmed(client: FlaskClient, center: int) -> None:
    """Two tabs: the first shows "Move this meeting?" for Art group into the Sofa room at 14:00; meanwhile
    yoga is moved there and then. Confirming the first tab must not put two groups in one room."""
    c = center
    first = move_form(client, c, "art-1", "MO-0900", "2027-01-11", "r4", "14:00", "15:30")
    [stale] = [f for f in forms_of(first) if f.fields.get("step") == ["confirm"]]
    assert move(client, c, "yoga-1", "MO-1400", "2027-01-11", "r4", "14:00", "15:30").status_code == 302
    answer = client.post(f"/centers/{c}/meetings/move", data=stale.fields)
    shown = page_text(answer) if answer.status_code == 200 else flashes(client.get(answer.headers["Location"]))
    assert not shown.startswith("Moved."), shown
    room = fetch(client, staff_feed(client, c, "room", "r4")).data
    assert len(occurrences(room, dt.date(2027, 1, 11))) == 1, occurrences(room, dt.date(2027, 1, 11))


def test_a_meeting_cannot_be_moved_into_a_room_too_small_for_its_members(client: FlaskClient, center: int) -> None:
    """Art group has four members; the Small office holds two."""
    c = center
    words = refused(move_form(client, c, "art-1", "MO-0900", "2027-01-11", "r5", "09:00", "10:30"))
    assert "Small office" in words


# ------------------------------------------------------------------ 6. no times is not "too few days"

def test_a_participant_with_no_times_is_not_told_they_are_available_on_too_few_days(
        app: Flask, client: FlaskClient, center: int) -> None:
    """FINDING. Tess Nobody answered no time at all. Version 1's "Not placed" list says "wants only Art
    group: they are available on too few days when a facilitator can run it (1 needed)", as if she had
    some days. It should say she gave no times at which she can come (so the coordinator calls her to
    ask), never "too few days"."""
    c = center
    link = personal_link(client, c, "p5", "p5@example.org")
    places = {
        "left out": page_text(client.get(f"/centers/{c}/schedule/versions/1", query_string={"section": "left-out"})),
        "suggestions": page_text(client.get(f"/centers/{c}/schedule/versions/1/suggestions")),
        "fit": page_text(client.get(f"/centers/{c}/participants/p5/fit/")),
        "her page": page_text(app.test_client().get(link)),
        "her mail": " ".join(words for _s, words, _l in outbox(client, c, "p5@example.org")),
    }
    assert "Tess Nobody" in places["left out"]
    said = {name: words for name, words in places.items() if "too few days" in words}
    assert not said, {name: re.findall(r"[^.]*too few days[^.]*", words) for name, words in said.items()}


# ------------------------------------------------------------------ who may reach it

def coordinator_urls(c: int) -> list[tuple[str, str, dict[str, Any]]]:
    move = {"group": "art-1", "slot": "MO-0900", "date": "2027-01-11", "room": "r4", "start": "14:00",
            "end": "15:30"}
    return [
        ("GET", f"/centers/{c}/import", {}),
        ("GET", f"/centers/{c}/export.json", {}),
        ("POST", f"/centers/{c}/import/scenario", {"confirm": "y"}),
        ("POST", f"/centers/{c}/import/scenario/confirm", {"confirm_removals": "y"}),
        ("GET", f"/centers/{c}/settings", {}),
        ("POST", f"/centers/{c}/settings", {"name": "Taken", "timezone": "UTC", "term_start": "2027-01-11",
                                            "term_end": "2027-02-26", "holidays": ""}),
        ("GET", f"/centers/{c}/calendars/", {}),
        ("POST", f"/centers/{c}/calendars/settings", {"address": "Elsewhere"}),
        ("GET", f"/centers/{c}/calendars/apply-settings", {}),
        ("POST", f"/centers/{c}/calendars/apply-settings", {}),
        ("GET", f"/centers/{c}/calendars/participants/p1", {}),
        ("POST", f"/centers/{c}/calendars/participants/p1/rotate", {}),
        ("POST", f"/centers/{c}/calendars/staff/center", {}),
        ("GET", f"/centers/{c}/meetings/move?series=art-1+MO-0900&date=2027-01-11", {}),
        ("POST", f"/centers/{c}/meetings/move", {**move, "step": "confirm"}),
        ("POST", f"/centers/{c}/meetings/cancel", {"group": "art-1", "slot": "MO-0900", "date": "2027-01-18"}),
        ("GET", f"/centers/{c}/answers/", {}),
        ("POST", f"/centers/{c}/answers/activities/art", {"calendar_label": "Taken"}),
        ("POST", f"/centers/{c}/answers/p1/invite", {}),
        ("GET", f"/centers/{c}/schedule/versions/1", {}),
        ("POST", f"/centers/{c}/schedule/versions/1/pins/groups/art-1", {"slots": "y"}),
        ("GET", f"/centers/{c}/schedule/pins", {}),
        ("GET", f"/centers/{c}/outbox", {}),
    ]


def test_another_center_s_coordinator_reaches_none_of_it(
        app: Flask, client: FlaskClient, world: dict[str, Any], make_coordinator: Callable[..., None]) -> None:
    c = world["center"]
    new_center(app, "Southside")
    make_coordinator("bo@south.example", "Southside")
    pending = forms_of(upload(client, c, without(export(client, c), "p8")))[0].fields["pending"][0]
    exported = export(client, c)
    feeds = {name: without_dtstamp(fetch(client, path).data) for name, path in world["feeds"].items()}
    bo = app.test_client()
    assert sign_in(bo, "bo@south.example").status_code == 302
    reached = []
    for method, url, data in coordinator_urls(c):
        if url.endswith("/import/scenario/confirm"):
            data = {**data, "pending": pending}
        if url.endswith("/import/scenario"):
            data = {**data, "file": (io.BytesIO(exported.replace(b"Pat Moreno", b"Taken")), "x.json")}
        answer = bo.get(url) if method == "GET" else bo.post(url, data=data)
        if answer.status_code != 404:
            reached.append((method, url, answer.status_code))
    assert not reached
    assert export(client, c) == exported
    for name, path in world["feeds"].items():
        assert without_dtstamp(fetch(client, path).data) == feeds[name], name
    assert "participant p8, Wen Park" in page_text(upload(client, c, without(exported, "p8")))


def test_a_facilitator_and_a_participant_link_reach_none_of_the_coordinator_s_pages(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    exported = export(client, c)
    ana: FlaskClient = world["ana_client"]
    pat: FlaskClient = world["pat"]
    reached = []
    for method, url, data in coordinator_urls(c):
        for who, person in (("ana", ana), ("pat", pat)):
            answer = person.get(url) if method == "GET" else person.post(url, data=data)
            location = answer.headers.get("Location", "")
            if answer.status_code not in (403, 404) and not (answer.status_code == 302 and "/sign-in" in location):
                reached.append((who, method, url, answer.status_code))
    assert not reached
    assert export(client, c) == exported


def test_a_participant_s_link_and_calendar_show_nobody_else(client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    others = ("Quinn", "Uma", "Vic", "Rosa", "Sam", "Tess", "Wen", "Ortiz", "p2@example.org")
    page = world["pat"].get(world["p1"]).get_data(as_text=True)
    feed = b"".join(line.encode() for line in unfolded(fetch(client, world["feeds"]["p1"]).data)).decode()
    assert not [name for name in others if name in page], "Pat's page names another participant"
    assert not [name for name in others if name in feed], "Pat's calendar names another participant"
    # Neither token opens the other's kind of page, nor anything of the coordinator's.
    feed_token = world["feeds"]["p1"].removeprefix("/feeds/").removesuffix(".ics")
    page_token = world["p1"].removeprefix("/p/")
    assert world["pat"].get(f"/p/{feed_token}").status_code == 404
    assert client.get(f"/feeds/{page_token}.ics").status_code == 404
    assert world["pat"].get(f"/centers/{c}/answers/p2/privacy").status_code in (302, 403, 404)


# ------------------------------------------------------------------ 7. bad input; what the published term needs

def test_removing_what_the_published_version_uses_leaves_every_page_and_feed_working(
        client: FlaskClient, world: dict[str, Any]) -> None:
    """An upload drops yoga, its slot and room, Cruz and Wen; the published version 1 still has them."""
    c = world["center"]
    yoga_feed = feed_link(client, c, "participants", "p8")
    before = {name: without_dtstamp(fetch(client, path).data) for name, path in world["feeds"].items()}
    data = json.loads(export(client, c))
    data["activities"] = [a for a in data["activities"] if a["id"] not in ("yoga", "choir")]
    data["slots"] = [s for s in data["slots"] if s["id"] != "MO-1400"]
    data["rooms"] = [r for r in data["rooms"] if r["id"] != "r3"]
    data["facilitators"] = [f for f in data["facilitators"] if f["id"] != "cruz"]
    data["participants"] = [p for p in data["participants"] if p["id"] not in ("p8", "p3")]
    for p in data["participants"]:
        p["preferences"] = [a for a in p["preferences"] if a not in ("yoga", "choir")]
        p["available"] = [s for s in p["available"] if s != "MO-1400"]
    asked = upload(client, c, json.dumps(data).encode())
    assert asked.status_code == 200, page_text(asked)[:500]
    [form] = forms_of(asked)
    assert client.post(form.action, data={**form.fields, "confirm_removals": "y"}).status_code == 302

    broken = []
    for url in (f"/centers/{c}/", f"/centers/{c}/answers/", f"/centers/{c}/calendars/",
                f"/centers/{c}/calendars/apply-settings", f"/centers/{c}/schedule/", f"/centers/{c}/schedule/pins",
                f"/centers/{c}/schedule/versions/1", f"/centers/{c}/swaps/", f"/centers/{c}/waitlists/",
                f"/centers/{c}/meetings/move?series=art-1+MO-0900&date=2027-01-18",
                f"/centers/{c}/meetings/move?series=choir-1+MO-1100&date=2027-01-18"):
        answer = client.get(url)
        if answer.status_code >= 500 or "Something went wrong" in page_text(answer):
            broken.append((url, answer.status_code))
    for who, url in (("pat", world["p1"]), ("ana", f"/centers/{c}/cover/")):
        answer = world[who if who == "pat" else "ana_client"].get(url)
        if answer.status_code != 200:
            broken.append((url, answer.status_code))
    assert not broken
    for name, path in world["feeds"].items():  # the published term is as it was
        assert without_dtstamp(fetch(client, path).data) == before[name], name
    assert client.get(yoga_feed).status_code == 404  # Wen was removed: her link stops
    words = changes_section(client, c)
    assert "Gentle yoga" in words and "Cruz Vega" in words and "Wen Park" in words, words



def field_errors(answer: TestResponse) -> str:
    body = answer.get_data(as_text=True)
    found = re.findall(r'<(div|p) class="(?:problems[^"]*|error)"[^>]*>(.*?)</\1>', body, flags=re.S)
    return " ".join(page_text(inner) for _tag, inner in found)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("timezone", "Mars/Olympus", 'unknown time zone "Mars/Olympus"'),
    ("term_end", "2027-13-45", 'not "2027-13-45"'),
    ("term_end", "2027-01-01", "before"),
    ("holidays", "2027-02-01\n2028-01-01", "outside the term"),
    ("holidays", "next monday", 'not "next monday"'),
    ("name", "Riverside\nEvil: header", "single line"),
])
def test_bad_settings_are_refused_naming_the_field_and_nothing_moves(
        client: FlaskClient, center: int, name: str, value: str, says: str) -> None:
    c = center
    exported = export(client, c)
    paths = {"p1": feed_link(client, c, "participants", "p1"), "center": staff_feed(client, c, "center")}
    feeds = {n: without_dtstamp(fetch(client, path).data) for n, path in paths.items()}
    answer = change_settings(client, c, **{name: value})
    assert answer.status_code == 200, answer.status_code
    assert f'id="{name}"' in answer.get_data(as_text=True) and 'aria-invalid="true"' in answer.get_data(as_text=True)
    assert says in field_errors(answer), field_errors(answer)
    assert export(client, c) == exported
    for n, path in paths.items():
        assert without_dtstamp(fetch(client, path).data) == feeds[n], n


@pytest.mark.parametrize(("data", "says"), [
    (b"{not json", "not valid JSON"),
    ('{"a": "é"}'.encode("latin-1"), "not UTF-8"),
    (b"[" * 50000, "nested too deeply"),
])
def test_a_broken_file_is_refused_whole_in_words(client: FlaskClient, center: int, data: bytes, says: str) -> None:
    exported = export(client, center)
    answer = upload(client, center, data)
    assert answer.status_code == 200 and says in field_errors(answer), field_errors(answer)
    assert export(client, center) == exported


def test_a_file_with_several_problems_lists_each_with_its_path_and_writes_nothing(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    exported = export(client, c)
    data = json.loads(exported)
    data["participants"][0]["name"] = "Pat Moreno-Changed"  # a fine change, which must not be written either
    data["participants"][3]["available"].append("XX-0900")
    data["activities"][1]["min_size"] = 99
    data["center"]["holidays"].append("2030-01-01")
    answer = upload(client, c, json.dumps(data).encode())
    words = field_errors(answer)
    assert 'participants[3].available[1]: unknown slot "XX-0900"' in words, words
    assert "activities[1].min_size" in words and "center.holidays" in words, words
    assert export(client, c) == exported
    assert "Hello Pat Moreno " in page_text(world["pat"].get(world["p1"]))


def test_a_calendar_label_with_a_line_break_is_refused(client: FlaskClient, center: int) -> None:
    """FINDING (low). "What participants see about Art group" accepts a calendar name typed with a line
    break ("Monday\\ngroup", e.g. pasted) and saves it as two lines, though docs/feeds.md says the entry
    forms refuse line breaks in stored names (every other name field does: the center's name is refused
    with "This must be a single line of text"). It should be refused in the same words."""
    answer = submit(client, f"/centers/{center}/answers/activities/art", {"calendar_label": "Monday\ngroup"})
    stored = forms_of(client.get(f"/centers/{center}/answers/activities/art"))[0].fields["calendar_label"]
    assert answer.status_code == 200 and "single line" in field_errors(answer), (answer.status_code, stored)


def test_a_mistyped_time_is_called_invalid_not_missing(client: FlaskClient, center: int) -> None:
    """FINDING (low). In "Move one meeting", a start time typed as "9.30" (a browser without a time
    picker sends what was typed) is answered "Starts at: This field is required.", though the field was
    filled in. It should say the time is not valid and how to write it (HH:MM)."""
    answer = move_form(client, center, "art-1", "MO-0900", "2027-01-11", "r4", "9.30", "15:30")
    words = field_errors(answer)
    assert "Starts at" in words and "required" not in words, words


def test_a_stale_wanted_activities_page_is_answered_in_words(client: FlaskClient, center: int) -> None:
    """FINDING. The coordinator has Pat's "Wanted activities" open; in another tab (or another
    coordinator) Grief support is removed from them. Clicking "Move up" for Grief support on the first
    page answers 400 "Something went wrong", a dead end. "Add" on the same stale page answers properly
    ("Someone else changed this while you were editing it; nothing was saved. Here is what changed"):
    "Move up", "Move down" and "Remove" should too."""
    url = f"/centers/{center}/participants/p1/preferences"
    stale = forms_of(client.get(url))[0]
    assert submit(client, url, {"action": "remove:talk"}).status_code == 302
    answer = client.post(url, data={**stale.fields, "action": "up:talk"})
    assert answer.status_code == 200 and "Someone else changed this" in page_text(answer), (
        answer.status_code, page_text(answer)[:200])


def test_every_optional_key_survives_upload_then_export(client: FlaskClient, center: int) -> None:
    """A file with every optional key the format allows comes back the same from "Download", and
    uploading that download again changes nothing."""
    c = center
    data = json.loads(export(client, c))
    data["activities"][0].update({"min_groups": 1, "language": "es",
                                  "description": "Paint, draw, \"collage\".\nBring an apron: ¡olé!"})
    data["activities"][3]["description"] = "Un grupo tranquilo."
    for p in data["participants"]:
        p["if_needed"] = ["MO-1400"] if p["id"] == "p1" else []
        p["languages"] = ["es", "en"] if p["id"] in ("p1", "p2", "p6", "p7") else []
        p.setdefault("needs", [])
    data["participants"][1]["name"] = "Quinn Ñúñez-O'Hara"
    data["participants"][3]["email"] = ""
    for f in data["facilitators"]:
        f["languages"] = ["es"]
        f["if_needed"] = ["MO-1400"] if f["id"] == "ana" else []
    data["keep_apart"] = [["p2", "p6"]]
    data["keep_together"] = [["p1", "p7"]]
    sent = json.dumps(data).encode()
    answer = upload(client, c, sent)
    assert answer.status_code == 302, field_errors(answer) or page_text(answer)[:500]
    back = export(client, c)
    assert json.loads(back) == data
    assert upload(client, c, back).status_code == 302
    assert export(client, c) == back


def test_the_command_line_round_trip_keeps_links_too(
        app: Flask, client: FlaskClient, world: dict[str, Any], tmp_path: Any) -> None:
    c = world["center"]
    before = {name: without_dtstamp(fetch(client, path).data) for name, path in world["feeds"].items()}
    runner = app.test_cli_runner()
    path = tmp_path / "riverside.json"
    out = runner.invoke(args=["export-scenario", "Riverside", "-o", str(path)])
    assert out.exit_code == 0, out.output
    done = runner.invoke(args=["import-scenario", str(path), "--center", "Riverside", "--replace"])
    assert done.exit_code == 0, done.output
    assert "Hello Pat Moreno" in page_text(world["pat"].get(world["p1"]))
    for name, feed in world["feeds"].items():
        assert without_dtstamp(fetch(client, feed).data) == before[name], name
    path.write_bytes(without(path.read_bytes(), "p8"))
    refused = runner.invoke(args=["import-scenario", str(path), "--center", "Riverside", "--replace"], input="n\n")
    assert "p8" in refused.output and "Wen Park" in refused.output, refused.output
    assert "p8" in participants(client, c)


def republished_with(app: Flask, client: FlaskClient, center_id: int, change: Callable[[dict[str, Any]], None]
                     ) -> int:
    """Upload the center's export changed by `change`, then build and publish, so nothing differs."""
    data = json.loads(export(client, center_id))
    change(data)
    assert upload(client, center_id, json.dumps(data).encode()).status_code == 302
    number = build_and_publish(client, center_id)
    assert "Nothing has changed since then." in changes_section(client, center_id)
    return number


def test_an_unchanged_save_does_not_drop_a_language_no_activity_uses(
        app: Flask, client: FlaskClient, center: int) -> None:
    """FINDING (data loss). Pat speaks Spanish and English (from the center's file); only Grief support
    has a language (Spanish). Pat opens her page and presses "Save my answers" without touching
    anything: her English is deleted, and "Changed since version 2 was built" lists "Pat Moreno
    (languages: removed en)". Her page offers only the languages activities use, and a save replaces
    the whole list. An unchanged save should keep every language and list nobody."""
    def speaks(data: dict[str, Any]) -> None:
        data["activities"][3]["language"] = "es"
        for p in data["participants"]:
            p["languages"] = ["es", "en"] if p["id"] in ("p1", "p2", "p4") else []

    number = republished_with(app, client, center, speaks)
    link = personal_link(client, center, "p1", "p1@example.org")
    assert answers_form(app.test_client(), link).status_code == 302
    assert changes_section(client, center) == (
        f"Changed since version {number} was built Nothing has changed since then.")


def test_an_unchanged_save_does_not_count_a_new_order_as_a_change(
        app: Flask, client: FlaskClient, center: int) -> None:
    """FINDING. Pat's times and needs came from a file (or the CSV import, or the API) in another order
    ("TU-0900, MO-0900"; "sofa, easel"). The coordinator opens her availability and saves it unchanged,
    and Pat saves her page unchanged: "Changed since version 2 was built" then lists "Pat Moreno (times
    available: new order MO-0900, TU-0900; needs: new order easel, sofa; times if need be: new order
    ...)". Nothing changed for the schedule; it should list nobody."""
    def shuffled(data: dict[str, Any]) -> None:
        for p in data["participants"]:
            if p["id"] == "p1":
                p.update({"available": ["TU-0900", "MO-0900"], "if_needed": ["MO-1400", "MO-1100"],
                          "needs": ["sofa", "easel"]})
            else:
                p.update({"if_needed": [], "needs": p.get("needs", [])})

    number = republished_with(app, client, center, shuffled)
    nothing = f"Changed since version {number} was built Nothing has changed since then."
    listed = {}
    assert submit(client, f"/centers/{center}/participants/p1/availability").status_code == 302
    listed["the coordinator's availability form"] = changes_section(client, center)
    link = personal_link(client, center, "p1", "p1@example.org")
    assert answers_form(app.test_client(), link).status_code == 302
    listed["Pat's page"] = changes_section(client, center)
    assert listed == dict.fromkeys(listed, nothing)


def test_a_draft_built_after_a_settings_change_leaves_the_feeds_until_it_is_published(
        client: FlaskClient, world: dict[str, Any]) -> None:
    c = world["center"]
    before = without_dtstamp(fetch(client, world["feeds"]["p1"]).data)
    assert change_settings(client, c, timezone="America/Bogota").status_code == 302
    number = build(client, c)
    assert client.get(f"/centers/{c}/calendars/apply-settings").status_code == 200  # looking applies nothing
    assert without_dtstamp(fetch(client, world["feeds"]["p1"]).data) == before
    assert client.post(f"/centers/{c}/schedule/versions/{number}/publish").status_code == 302
    assert b"TZID=America/Bogota" in fetch(client, world["feeds"]["p1"]).data



def test_the_settings_page_shows_no_stray_field(client: FlaskClient, center: int) -> None:
    """FINDING (low). "Center settings" shows a label "Read As" above nothing (the label of a hidden
    field), and the hidden field is on the page twice with the same id, so a screen reader announces a
    "Read As" field that cannot be reached. Every other editing form hides it."""
    page = client.get(f"/centers/{center}/settings").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert "Read As" not in page_text(page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_one_date_changes_follow_the_published_term_not_the_new_settings(
        client: FlaskClient, world: dict[str, Any]) -> None:
    """After the settings say the term ends on 19 February and 18 January is a holiday (not applied),
    the published term still meets on 22 February and 18 January: those dates can be moved and
    cancelled, and Pat is told in the published term's words."""
    c = world["center"]
    assert change_settings(client, c, **NEW_SETTINGS).status_code == 302
    page = client.get(f"/centers/{c}/meetings/move", query_string={"series": "art-1 MO-0900", "date": "2027-02-22"})
    assert page.status_code == 200, flashes(client.get(page.headers.get("Location", "/")))
    assert move(client, c, "art-1", "MO-0900", "2027-02-22", "r4", "14:00", "15:30").status_code == 302
    cancelled = client.post(f"/centers/{c}/meetings/cancel",
                            data={"group": "art-1", "slot": "MO-0900", "date": "2027-01-18"})
    assert cancelled.status_code == 302
    assert "does not exist" not in flashes(client.get(cancelled.headers["Location"]))
    body = fetch(client, world["feeds"]["p1"]).data
    assert occurrences(body, dt.date(2027, 2, 22)) == [("14:00", "Sofa room, Riverside")]
    assert occurrences(body, dt.date(2027, 1, 18)) == []
    assert b"TZID=Europe/Madrid" in body and b"America/Bogota" not in body
    [(_subject, words, _links), *_] = outbox(client, c, "p1@example.org")
    assert "Bogota" not in words


def test_the_small_example_center_round_trips_unchanged(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    """The 120-person example, uploaded from its own download: the same file back, every link kept."""
    c = make_center("Synthetic")
    make_coordinator("small@example.org", "Synthetic")
    assert sign_in(client, "small@example.org").status_code == 302
    links = [personal_link(client, c, code, f"{code}@example.org") for code in ("p1", "p60", "p120")]
    feeds = [feed_link(client, c, "participants", code) for code in ("p2", "p119")]
    exported = export(client, c)
    answer = upload(client, c, exported)
    assert answer.status_code == 302, field_errors(answer) or page_text(answer)[:300]
    assert export(client, c) == exported
    for link in links:
        assert app.test_client().get(link).status_code == 200
    for feed in feeds:
        fetch(client, feed)
