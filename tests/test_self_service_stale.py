"""A personal page (a participant's link, a facilitator's own times) carries what it was read at:
a save from a page opened before someone else's change is refused in plain words, nothing is
overwritten, and the page comes back with the current answers and what the person typed."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, Participant, User
from scheduler.services import accounts, planning
from scheduler.services.editing import current_scenario
from tests.conftest import sign_in

FAC_PASSWORD = "a long enough sentence"


@pytest.fixture
def center_id(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")
    make_coordinator("ana@example.org", "North")
    return cid


def link_for(app: Flask, code: str = "p1") -> str:
    with app.app_context():
        participant = db.session.scalar(db.select(Participant).where(Participant.code == code))
        assert participant is not None
        token = accounts.issue_participant_link(participant)
        db.session.commit()
        return f"/p/{token}"


def item(app: Flask, center_id: int, section: str, code: str) -> dict[str, Any]:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        return next(p for p in current_scenario(center)[section] if p["id"] == code)


def coordinator_sets(app: Flask, center_id: int, section: str, code: str, **fields: Any) -> None:
    """Someone else's save (the coordinator's form goes through the same gateway operation)."""
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        assert planning.save_item(center, section, code, fields).ok
        db.session.commit()


def form_of(text: str) -> dict[str, Any]:
    """The answers a browser would send back from the page as shown."""
    form: dict[str, Any] = {"read_as": html.unescape(re.search(r'name="read_as" value="([^"]*)"', text)[1])}  # type: ignore[index]
    for name, value in re.findall(r'<input type="radio" name="(slot-[^"]+)" value="([^"]+)"[^>]*\bchecked', text):
        form[name] = value
    for name, options in re.findall(r'<select id="(rank-[^"]+)"[^>]*>(.*?)</select>', text, re.S):
        chosen = re.search(r'<option value="(\d*)" selected', options)
        form[name] = chosen[1] if chosen else ""
    for name in ("needs", "languages", "skills"):
        form[name] = re.findall(rf'name="{name}" value="([^"]+)" checked', text)
    return form


def problems_of(text: str) -> str:
    found = re.search(r'<div class="problems" role="alert">(.*?)</div>', text, re.S)
    return html.unescape(found[1]) if found else ""


def test_a_stale_personal_page_is_refused_and_nothing_is_overwritten(app: Flask, client: FlaskClient,
                                                                     center_id: int) -> None:
    url = link_for(app)
    opened = form_of(client.get(url).get_data(as_text=True))
    before = item(app, center_id, "participants", "p1")
    slot = next(name[5:] for name, value in opened.items() if name.startswith("slot-") and value == "no")
    # Meanwhile the coordinator marks a time as possible for p1, and renames someone else.
    coordinator_sets(app, center_id, "participants", "p1", available=[*before["available"], slot])
    coordinator_sets(app, center_id, "participants", "p2", name="Zebedee Otherperson")

    rank = sorted(name for name, value in opened.items() if name.startswith("rank-") and not value)[0]
    last = str(sum(1 for name in opened if name.startswith("rank-")))  # one more group wanted, last
    sent = {**opened, rank: last}
    answer = client.post(url, data=sent)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    message = problems_of(text)
    assert "changed after you opened this page" in message and "Yes" in message, message
    assert "Zebedee" not in text and "p2" not in message  # nothing about anyone else
    after = item(app, center_id, "participants", "p1")
    assert slot in after["available"] and after["preferences"] == before["preferences"]  # nothing overwritten

    # Shown again as it is now, with their own change kept: sent again, both changes stand.
    again = form_of(text)
    assert again[f"slot-{slot}"] == "available" and again[rank] == sent[rank]
    saved = client.post(url, data=again, follow_redirects=True)
    assert "Your answers are saved" in saved.get_data(as_text=True)
    final = item(app, center_id, "participants", "p1")
    assert slot in final["available"] and final["preferences"][-1] == rank[5:]


def test_a_fresh_personal_page_saves(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    opened = form_of(client.get(url).get_data(as_text=True))
    slot = next(name for name, value in opened.items() if name.startswith("slot-") and value == "no")
    saved = client.post(url, data={**opened, slot: "if_needed"}, follow_redirects=True)
    assert "Your answers are saved" in saved.get_data(as_text=True)
    assert slot[5:] in item(app, center_id, "participants", "p1").get("if_needed", [])


def test_a_garbled_read_as_writes_nothing(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    opened = form_of(client.get(url).get_data(as_text=True))
    before = item(app, center_id, "participants", "p1")
    slot = next(name for name, value in opened.items() if name.startswith("slot-") and value == "no")
    for garbled in ("{not json", "[1, 2]", '{"available": 5}'):
        answer = client.post(url, data={**opened, slot: "available", "read_as": garbled})
        assert answer.status_code == 200 and "changed after you opened this page" in problems_of(
            answer.get_data(as_text=True))
    assert item(app, center_id, "participants", "p1") == before


def facilitator_signed_in(app: Flask, client: FlaskClient, center_id: int, code: str = "fac1") -> None:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        center.facilitators_edit_profile = True
        facilitator = next(f for f in center.facilitators if f.code == code)
        user = User(email=f"{code}@staff.example.org", password_hash=accounts.hash_password(FAC_PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=center_id, role=CenterRole.FACILITATOR))
        facilitator.user_id = user.id
        db.session.commit()
    sign_in(client, f"{code}@staff.example.org", FAC_PASSWORD)


def test_a_stale_facilitator_times_page_is_refused_and_a_fresh_one_saves(app: Flask, client: FlaskClient,
                                                                       center_id: int) -> None:
    facilitator_signed_in(app, client, center_id)
    url = f"/centers/{center_id}/me/times"
    opened = form_of(client.get(url).get_data(as_text=True))
    before = item(app, center_id, "facilitators", "fac1")
    free = [name for name, value in opened.items() if name.startswith("slot-") and value == "no"]
    coordinator_sets(app, center_id, "facilitators", "fac1", available=[*before["available"], free[0][5:]])
    coordinator_sets(app, center_id, "facilitators", "fac2", name="Zebedee Otherperson")

    answer = client.post(url, data={**opened, free[1]: "if_needed"})
    text = answer.get_data(as_text=True)
    message = problems_of(text)
    assert answer.status_code == 200 and "changed after you opened this page" in message, message
    assert "Zebedee" not in text
    after = item(app, center_id, "facilitators", "fac1")
    assert free[0][5:] in after["available"] and free[1][5:] not in after.get("if_needed", [])

    again = form_of(text)
    assert again[free[0]] == "available" and again[free[1]] == "if_needed"
    saved = client.post(url, data=again, follow_redirects=True)
    assert "Your times are saved" in saved.get_data(as_text=True)
    final = item(app, center_id, "facilitators", "fac1")
    assert free[0][5:] in final["available"] and free[1][5:] in final.get("if_needed", [])


def test_a_page_shown_again_for_a_mistake_still_carries_what_it_was_first_read_at(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    opened = form_of(client.get(url).get_data(as_text=True))
    before = item(app, center_id, "participants", "p1")
    slot = next(name[5:] for name, value in opened.items() if name.startswith("slot-") and value == "no")
    coordinator_sets(app, center_id, "participants", "p1", available=[*before["available"], slot])
    ranks = sorted(name for name in opened if name.startswith("rank-"))
    mistaken = client.post(url, data={**opened, ranks[0]: "1", ranks[1]: "1"}).get_data(as_text=True)
    assert "Give each group a different number" in mistaken
    fixed = {**form_of(mistaken), **{name: "" for name in ranks}, ranks[0]: "1", ranks[1]: "2"}
    assert fixed[f"slot-{slot}"] == "no"  # still the page as they typed it ...
    refused = client.post(url, data=fixed).get_data(as_text=True)
    assert "changed after you opened this page" in problems_of(refused)  # ... so it cannot undo the change
    assert slot in item(app, center_id, "participants", "p1")["available"]
