"""The participant's phone page: parts already answered fold away, ranking by tapping (the script is
tested in tests/browser/), a duplicate rank names the other activity, and answers that clash with the
published group warn the participant and show on the coordinator's list."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, VersionStatus
from scheduler.models.accounts import utcnow
from scheduler.services import answer_clashes
from tests.conftest import scenario_path
from tests.support.links import link_for
from tests.support.small_versions import V1


@pytest.fixture
def center_id(app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")
    make_coordinator("ana@example.org", "North")
    with app.app_context():
        db.session.add(ScheduleVersion(center_id=cid, number=1, solver_status="FEASIBLE", objective=100, bound=120,
                                       scenario=json.loads(scenario_path("small").read_text()), schedule=V1,
                                       status=VersionStatus.PUBLISHED, published_at=utcnow()))
        db.session.commit()
    return cid


def _answers(**extra: str) -> dict[str, str]:
    # p1's group (act1-1) meets on Monday at 09:00 (slot MO-0900).
    return {"slot-MO-0900": "available", "rank-act1": "1", **extra}


def test_a_part_already_answered_folds_away(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    first = client.get(url).get_data(as_text=True)
    assert '<details class="part" id="times-part" open>' in first  # not answered yet: open
    client.post(url, data=_answers())
    again = client.get(url).get_data(as_text=True)
    assert '<details class="part" id="times-part">' in again and '<details class="part" id="wanted-part">' in again
    assert "Answered: open to change" in again
    assert "js/ranking.js" in again and 'class="secondary tap-rank" data-select="rank-act1"' in again


def test_a_part_with_a_problem_stays_open(app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    client.post(url, data=_answers())
    refused = client.post(url, data=_answers(**{"rank-act2": "1"})).get_data(as_text=True)
    assert '<details class="part" id="wanted-part" open>' in refused
    assert "You gave number 1 to Anxiety support group too" in refused and "nothing was saved" in refused


def test_answering_no_at_the_time_of_ones_group_warns_them_and_the_coordinator(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    url = link_for(app)
    client.post(url, data=_answers())
    assert "Your answers and your group" not in client.get(url).get_data(as_text=True)
    client.post(url, data=_answers(**{"slot-MO-0900": "no"}))
    page = client.get(url).get_data(as_text=True)
    assert "Your answers and your group" in page
    assert "Anxiety support group meets on Monday 09:00–10:15, and you now answer “No” then." in page
    with app.test_request_context():
        center = db.session.scalar(select(Center).where(Center.id == center_id))
        assert center is not None
        found = answer_clashes.clashes(center)
        assert [(c.participant_code, c.group, c.when) for c in found][:1] == [
            ("p1", "Anxiety support group", "Monday 09:00–10:15")]
        with force_locale("es"):  # the participant's sentence names the day in lower case in Spanish
            assert [(c.when, c.when_in_sentence) for c in answer_clashes.clashes(center)][:1] == [
                ("Lunes 09:00–10:15", "lunes 09:00–10:15")]
        # What the dashboard shows: each clash, linked to the person in the answers list.
        html = render_template_string('{% include "coordinator/_answer_clashes.html" %}', center=center)
        assert "Participant 1</a>: Anxiety support group, Monday 09:00–10:15" in html
        assert f"/centers/{center_id}/answers/?q=p1" in html


def test_no_published_version_means_no_clash(app: Flask, center_id: int) -> None:
    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion))
        assert version is not None
        version.status = VersionStatus.DRAFT
        db.session.commit()
        center = db.session.get(Center, center_id)
        assert center is not None and answer_clashes.clashes(center) == []


def test_the_dashboard_shows_the_clashes(app: Flask, client: FlaskClient, center_id: int) -> None:
    from tests.conftest import sign_in

    client.post(link_for(app), data=_answers(**{"slot-MO-0900": "no"}))
    sign_in(client, "ana@example.org")
    html = client.get(f"/centers/{center_id}/").get_data(as_text=True)
    assert 'id="clashes-heading"' in html  # p1's, and any other member's answers that never fitted the group
    assert "Participant 1</a>: Anxiety support group, Monday 09:00–10:15" in html


def test_an_activity_description_travels_in_the_scenario_and_shows_on_the_page(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    from scheduler.services.scenarios import import_scenario
    from solver.scenario import ScenarioError, load_scenario, scenario_to_dict

    data = json.loads(scenario_path("small").read_text())
    data["activities"][0]["description"] = "We meet, talk\nand learn calm."
    with app.app_context():
        center = import_scenario(load_scenario(data), "East")
        db.session.commit()
        activity = next(a for a in center.activities if a.code == "act1")
        assert activity.description == "We meet, talk\nand learn calm."
        assert scenario_to_dict(load_scenario(data))["activities"][0]["description"] == "We meet, talk\nand learn calm."
        with pytest.raises(ScenarioError, match=r"activities\[0\]\.description"):
            load_scenario({**data, "activities": [{**data["activities"][0], "description": "x" * 501},
                                                  *data["activities"][1:]]})
