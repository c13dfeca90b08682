"""A participant's copy of their data, and erasure that leaves only an anonymous placeholder."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import FeedToken, OutboxMessage, Participant, ScheduleVersion, VersionStatus
from scheduler.services import accounts, feed_tokens, mail
from tests.conftest import sign_in


def setup(app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> tuple[int, str]:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    with app.app_context():
        p1 = db.session.scalar(select(Participant).where(Participant.code == "p1"))
        assert p1 is not None
        accounts.issue_participant_link(p1)
        feed_tokens.issue(p1)
        mail.send(center_id, p1.email, p1.name, "Hello", "Your link")
        from scheduler.services.editing import current_scenario

        scenario = current_scenario(p1.center)
        schedule = {"format": "sociotherapy-schedule/1", "status": "FEASIBLE",
                    "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"], "room": "room1",
                                "facilitators": ["fac1"], "members": ["p1", "p2"]}], "unassigned": []}
        db.session.add(ScheduleVersion(center_id=center_id, number=1, status=VersionStatus.PUBLISHED,
                                       published_at=dt.datetime.now(dt.UTC), solver_status="FEASIBLE",
                                       scenario=copy.deepcopy(scenario), schedule=schedule))
        db.session.commit()
        return center_id, p1.name


def test_a_participant_gets_a_copy_of_everything(app: Flask, client: FlaskClient, make_center: Callable[..., int],
                                                 make_coordinator: Callable[..., None]) -> None:
    center_id, name = setup(app, make_center, make_coordinator)
    sign_in(client, "ana@example.org")
    assert name in client.get(f"/centers/{center_id}/answers/p1/privacy").get_data(as_text=True)
    response = client.get(f"/centers/{center_id}/answers/p1/privacy/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["participant"]["name"] == name
    assert data["groups_in_schedule_versions"] == [{"version": 1, "status": "published", "groups": ["act1-1"]}]
    assert len(data["personal_links"]) == 1 and len(data["calendar_links"]) == 1 and len(data["emails"]) == 1
    assert "token" not in response.get_data(as_text=True).lower()


def test_erasure_removes_the_person_and_leaves_a_placeholder(app: Flask, client: FlaskClient,
                                                             make_center: Callable[..., int],
                                                             make_coordinator: Callable[..., None]) -> None:
    center_id, name = setup(app, make_center, make_coordinator)
    with app.app_context():
        from scheduler.services.audit import record

        record(center_id, None, "member.left", "p1 act1-1", None, None)
        record(center_id, None, "member.left", "p10 act1-1", None, None)
        db.session.commit()
    sign_in(client, "ana@example.org")
    client.post(f"/centers/{center_id}/answers/p1/privacy/erase", data={"confirm_name": "someone else"})
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == "p1")) is not None  # not confirmed
    response = client.post(f"/centers/{center_id}/answers/p1/privacy/erase", data={"confirm_name": name},
                           follow_redirects=True)
    assert "is erased" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == "p1")) is None
        assert db.session.scalars(select(FeedToken)).all() == []
        assert db.session.scalars(select(OutboxMessage)).all() == []
        version = db.session.scalars(select(ScheduleVersion)).one()
        text = json.dumps([version.scenario, version.schedule])
        assert f'"{name}"' not in text and '"p1"' not in text and '"p1@example.org"' not in text
        from scheduler.models import AuditEntry

        subjects = sorted(e.subject for e in db.session.scalars(select(AuditEntry)
                                                                 .where(AuditEntry.action == "member.left")))
        assert subjects[0].startswith("former-") and subjects[1] == "p10 act1-1"  # p10 untouched
        members = version.schedule["groups"][0]["members"]
        assert len(members) == 2 and members[0].startswith("former-") and members[1] == "p2"


def test_the_audit_log_says_who_looked_at_or_changed_a_persons_data_without_copying_it(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    center_id, name = setup(app, make_center, make_coordinator)
    sign_in(client, "ana@example.org")
    for page in ("participants/p1/edit", "participants/p1/availability", "participants/p1/preferences",
                 "answers/p1/privacy", "calendars/participants/p1"):
        assert client.get(f"/centers/{center_id}/{page}").status_code == 200, page
    client.get(f"/centers/{center_id}/participants/")  # a list: not one person's page, not logged
    response = client.post(f"/centers/{center_id}/participants/p1/edit",
                           data={"name": "Zora Quintana-Unique", "email": "", "languages": "", "max_groups": "1",
                                 "needs": ""})
    assert response.status_code == 302
    refused = client.post(f"/centers/{center_id}/participants/p1/edit",
                          data={"name": "", "email": "", "languages": "", "max_groups": "1", "needs": ""})
    assert refused.status_code == 200  # refused: nothing changed, nothing logged as changed
    log = client.get(f"/centers/{center_id}/audit?action=person.").get_data(as_text=True)
    for page in ("details", "availability", "preferences", "privacy", "calendar link"):
        assert f"person.viewed.{page} · participant p1" in log, page
    assert log.count("person.changed · participant p1") == 1
    assert "ana@example.org" in log
    assert "&#34;name&#34;" in log or '"name"' in log  # the field that changed...
    assert "Zora" not in log and name not in log  # ...but never its old or new value
    client.post(f"/centers/{center_id}/answers/p1/privacy/erase", data={"confirm_name": "Zora Quintana-Unique"})
    log = client.get(f"/centers/{center_id}/audit?action=person.").get_data(as_text=True)
    assert "participant p1" not in log and "person.erased · participant former-" in log
