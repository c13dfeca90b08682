"""Finding one person among 600: search and filters on the lists of people, bounded pages, and every
action returning to the same search, page and row."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from scheduler.services.people_search import PeopleQuery, natural_key, search
from tests.large_center import large

__all__ = ["large"]  # the fixture


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="person-([^"]+)"', html)


def test_names_sort_as_people_count_and_every_word_must_match() -> None:
    people = [("Participant 10", "p10"), ("Participant 9", "p9"), ("Participant 100", "p100")]
    found = search(people, PeopleQuery(), name=lambda p: p[0], code=lambda p: p[1])
    assert [p[1] for p in found.items] == ["p9", "p10", "p100"]
    assert natural_key("a2") < natural_key("a10")
    found = search(people, PeopleQuery(text="participant 10"), name=lambda p: p[0], code=lambda p: p[1])
    assert [p[1] for p in found.items] == ["p10", "p100"]


def test_a_stale_or_hand_made_query_narrows_nothing_rather_than_failing() -> None:
    query = PeopleQuery.from_args({"page": "x", "answered": "maybe", "q": "  a   b "})
    assert (query.page, query.answered, query.text) == (1, "", "a b")


def test_answers_list_is_bounded_searchable_and_filterable(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/answers/").get_data(as_text=True)
    assert len(rows(html)) == 50
    assert "of 600" in html and "Next page" in html
    html = client.get(f"/centers/{large}/answers/?q=participant+417").get_data(as_text=True)
    assert rows(html) == ["p417"]
    html = client.get(f"/centers/{large}/answers/?answered=yes").get_data(as_text=True)
    assert rows(html) == [] and "Nobody matches" in html  # nobody has answered through their link yet
    page12 = client.get(f"/centers/{large}/answers/?page=12").get_data(as_text=True)
    assert len(rows(page12)) == 50 and "Page 12 of 12" in page12


def test_send_a_link_returns_to_the_same_search_and_row(client: FlaskClient, large: int) -> None:
    page = client.get(f"/centers/{large}/answers/?q=417").get_data(as_text=True)
    action = re.search(r'action="([^"]*/answers/p417/invite[^"]*)"', page)
    assert action is not None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    response = client.post(action.group(1).replace("&amp;", "&"),
                           data={"csrf_token": token.group(1) if token else ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("?q=417#person-p417")


def test_participants_list_finds_by_group_and_left_out(client: FlaskClient, app: Flask, large: int) -> None:
    from scheduler.extensions import db
    from scheduler.models import ScheduleVersion
    with app.app_context():
        published = db.session.query(ScheduleVersion).filter_by(center_id=large, number=1).one()
        group = published.schedule["groups"][0]
        placed = {m for g in published.schedule["groups"] for m in g["members"]}
        left_out = sorted(p["id"] for p in published.scenario["participants"] if p["id"] not in placed)
    base = f"/centers/{large}/participants/"
    html = client.get(base).get_data(as_text=True)
    assert len(rows(html)) == 50 and "Page 1 of 12" in html
    html = client.get(f"{base}?group={group['id']}").get_data(as_text=True)
    assert sorted(rows(html)) == sorted(group["members"])[:50] or len(rows(html)) == min(50, len(group["members"]))
    assert set(rows(html)) <= set(group["members"])
    html = client.get(f"{base}?left_out=1").get_data(as_text=True)
    assert set(rows(html)) <= set(left_out) and len(rows(html)) == min(50, len(left_out))
    assert group["id"] not in re.sub(r'value="[^"]*"|id="[^"]*"|href="[^"]*"|action="[^"]*"', "", html)


def test_saving_a_person_returns_to_the_same_search_at_their_row(client: FlaskClient, large: int) -> None:
    listed = client.get(f"/centers/{large}/participants/?q=417").get_data(as_text=True)
    assert "/participants/p417/edit?q=417" in listed  # the edit link carries the search
    response = client.post(f"/centers/{large}/participants/p417/edit?q=417",
                           data={"name": "Pat 417", "email": "", "languages": "", "max_groups": "1", "needs": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith("/participants/?q=417#person-p417")


def test_facilitators_list_is_searchable(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/facilitators/?q=facilitator+7").get_data(as_text=True)
    assert rows(html) and all(code.startswith("f") for code in rows(html))


def test_suggestions_are_a_few_names_for_what_was_typed(client: FlaskClient, large: int) -> None:
    found = client.get(f"/centers/{large}/find-people.json?q=participant+41").get_json()
    assert 1 <= len(found["people"]) <= 8 and all("41" in p["name"] for p in found["people"])
    assert client.get(f"/centers/{large}/find-people.json?q=").get_json() == {"people": []}
    staff = client.get(f"/centers/{large}/find-people.json?q=a&kind=facilitators").get_json()
    assert staff["people"] and all(p["code"].startswith("f") for p in staff["people"])


def test_the_trade_list_offers_only_the_chosen_colleagues_meetings_one_can_take(
        app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> None:
    from sqlalchemy import select

    from scheduler.extensions import db
    from scheduler.models import Facilitator
    from tests.conftest import sign_in
    from tests.support.swaps_term import ART1_JAN11, meeting_data, setup_term

    cid = setup_term(app, make_coordinator)
    with app.app_context():
        ben = db.session.scalar(select(Facilitator).where(Facilitator.code == "ben", Facilitator.center_id == cid))
        assert ben is not None
        ben_id = ben.id
    sign_in(client, "ana@staff.example.org")
    form = client.get(f"/centers/{cid}/cover/ask", query_string=meeting_data(ART1_JAN11)).get_data(as_text=True)
    assert 'name="trade"' not in form  # no list of every colleague's meetings before a colleague is chosen
    shown = client.post(f"/centers/{cid}/cover/ask", data=meeting_data(ART1_JAN11, scope="one", colleague=str(ben_id),
                                                                       show_trades="1")).get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)\|[^"]*"', shown)
    assert options and set(options) == {str(ben_id)}  # only Ben's meetings
