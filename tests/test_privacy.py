"""A participant's copy of their data; erasure that leaves only an anonymous placeholder (and the
person's name, email and code nowhere in the database); and the audit log of who looked at whose
data: one entry per page that shows a person's data."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import (
    AuditEntry,
    FeedToken,
    JobStatus,
    MemberChange,
    MemberChangeKind,
    OfferStatus,
    OutboxMessage,
    PairKind,
    Participant,
    ParticipantPair,
    Pin,
    PinKind,
    ScheduleVersion,
    SeatOffer,
    SolveJob,
    VersionStatus,
)
from scheduler.services import accounts, feed_tokens, mail
from tests.conftest import sign_in
from tests.support.access import fast_passwords  # noqa: F401  (a fixture)


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
    client.get(f"/centers/{center_id}/participants/")  # a list: one entry for the page, not one per person
    response = client.post(f"/centers/{center_id}/participants/p1/edit",
                           data={"name": "Zora Quintana-Unique", "email": "", "languages": "", "max_groups": "1",
                                 "needs": ""})
    assert response.status_code == 302
    refused = client.post(f"/centers/{center_id}/participants/p1/edit",
                          data={"name": "", "email": "", "languages": "", "max_groups": "1", "needs": ""})
    assert refused.status_code == 200  # refused: nothing changed, nothing logged as changed
    log = client.get(f"/centers/{center_id}/audit?action=person.").get_data(as_text=True)
    for page in ("details", "availability", "preferences", "privacy", "calendar link"):
        shown = {"preferences": "wanted activities"}.get(page, page)  # as the page is called on screen
        assert f"looked at participant p1 (page: {shown})" in log, page
    assert log.count("changed the details of: participant p1") == 1
    assert log.count("looked at participants (page: list)") == 1
    assert "ana@example.org" in log
    assert re.search(r"what changed: [^<]*\bname\b", log)  # the field that changed, in words...
    assert "Zora" not in log and name not in log  # ...but never its old or new value
    client.post(f"/centers/{center_id}/answers/p1/privacy/erase", data={"confirm_name": "Zora Quintana-Unique"})
    log = client.get(f"/centers/{center_id}/audit?action=person.").get_data(as_text=True)
    assert "participant p1" not in log and "erased the data of: participant former-" in log


NAME, EMAIL = "Zorabel Quintanilla-Erased", "zorabel.quintanilla@example.org"


def spread_everywhere(app: Flask, client: FlaskClient, center_id: int) -> None:
    """Put participant p1 (with a name and email found nowhere else) everywhere the app can keep a
    person: rows, links, a calendar feed that was read, emails, a published version, a build's
    snapshot and its messages, a pin, a pair, a member change, a seat offer and the audit log."""
    with app.app_context():
        p1 = db.session.scalar(select(Participant).where(Participant.code == "p1"))
        p2 = db.session.scalar(select(Participant).where(Participant.code == "p2"))
        assert p1 is not None and p2 is not None
        p1.name, p1.email = NAME, EMAIL
        db.session.add(ParticipantPair(center_id=center_id, kind=PairKind.APART, first_id=p1.id,
                                       second_id=p2.id, position=0))
        db.session.flush()
        from scheduler.services.editing import current_scenario

        scenario = current_scenario(p1.center)
        schedule = {"format": "sociotherapy-schedule/1", "status": "FEASIBLE",
                    "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"], "room": "room1",
                                "facilitators": ["fac1"], "members": ["p1", "p2"]}],
                    "unassigned": [{"participant": "p1", "reason": "wants only act2"}],
                    "explanation": [f"{NAME} (p1) is pinned to act1-1"]}
        version = ScheduleVersion(center_id=center_id, number=2, status=VersionStatus.PUBLISHED,
                                  published_at=dt.datetime.now(dt.UTC), solver_status="FEASIBLE",
                                  scenario=copy.deepcopy(scenario), schedule=schedule)
        job = SolveJob(center_id=center_id, status=JobStatus.FINISHED, backend="thread", time_limit_s=10,
                       scenario=copy.deepcopy(scenario), cancel_requested=False,
                       params={"pins": {"participant_groups": {"p1": ["act1-1"]}}},
                       message=f"These requirements cannot all be met:\n{NAME} (p1) is pinned to act1-1")
        db.session.add_all([version, job])
        db.session.flush()
        db.session.add_all([
            Pin(center_id=center_id, kind=PinKind.PARTICIPANT_GROUPS, subject="p1", values=["act1-1"],
                version_id=version.id),
            MemberChange(center_id=center_id, version_id=version.id, group_code="act1-1", participant_code="p1",
                         kind=MemberChangeKind.LEFT, effective=dt.date(2027, 1, 18)),
            SeatOffer(center_id=center_id, version_id=version.id, group_code="act1-1", participant_code="p1",
                      effective=dt.date(2027, 1, 18), status=OfferStatus.DECLINED)])
        from scheduler.services.audit import record

        record(center_id, None, "seat.offered", "p1 act1-1", None, {"participant": "p1", "from": "2027-01-18"})
        mail.send(center_id, EMAIL, NAME, "Your seat", "A seat for you")
        feed = feed_tokens.token_for(p1)
        db.session.commit()
    assert feed is not None and client.get(f"/feeds/{feed}.ics").status_code == 200
    for page in ("participants/p1/edit", "participants/p1/availability", "answers/p1/privacy"):
        assert client.get(f"/centers/{center_id}/{page}").status_code == 200


def every_value() -> list[tuple[str, str, str]]:
    """(table, column, text) for every value of every column of every row."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                # Random secrets and their hashes cannot hold a name, and base64 could fake a code.
                if value is None or column.endswith(("_hash", "nonce", "secret")):
                    continue
                text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
                found.append((table.name, column, text))
    return found


def test_after_erasure_no_table_holds_the_persons_name_email_or_code(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    center_id, old_name = setup(app, make_center, make_coordinator)
    sign_in(client, "ana@example.org")
    spread_everywhere(app, client, center_id)
    code = re.compile(r"(?<![\w-])p1(?![\w-])")
    old = re.compile(rf"(?<!\w){re.escape(old_name)}(?!\w)")  # the name in version 1, before it changed
    with app.app_context():
        held = every_value()
        assert any(NAME in text for _t, _c, text in held) and any(code.search(text) for _t, _c, text in held)
    response = client.post(f"/centers/{center_id}/answers/p1/privacy/erase", data={"confirm_name": NAME})
    assert response.status_code == 302
    with app.app_context():
        left = [(table, column, text[:120]) for table, column, text in every_value()
                if NAME.lower() in text.lower() or EMAIL.lower() in text.lower() or code.search(text)
                or old.search(text)]
        assert left == [], left
        assert db.session.scalar(select(func.count()).select_from(Pin)) == 0
        job = db.session.scalars(select(SolveJob)).one()
        assert "Former participant" in (job.message or "") and "former-" in json.dumps(job.params)
        # Everyone else is untouched: p2 keeps their name, their seat in the group and their pair.
        version = db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.number == 2)).one()
        assert version.schedule["groups"][0]["members"][1] == "p2"
        assert next(pair for pair in version.scenario["keep_apart"] if pair[1] == "p2")[0].startswith("former-")
        assert db.session.scalar(select(Participant).where(Participant.code == "p2")) is not None


def test_erasure_waits_for_a_build_that_has_the_person_in_its_copy(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    center_id, name = setup(app, make_center, make_coordinator)
    with app.app_context():
        db.session.add(SolveJob(center_id=center_id, status=JobStatus.RUNNING, backend="thread", time_limit_s=60,
                                scenario={}, params={}, cancel_requested=False,
                                heartbeat_at=dt.datetime.now(dt.UTC)))
        db.session.commit()
    sign_in(client, "ana@example.org")
    response = client.post(f"/centers/{center_id}/answers/p1/privacy/erase", data={"confirm_name": name},
                           follow_redirects=True)
    assert "A schedule is being built" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == "p1")) is not None


# --------------------------------------------------------------------------- who viewed whose data


def _views() -> list[tuple[str, str]]:
    return [(e.action, e.subject) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith("person.")).order_by(AuditEntry.id))]


# Coordinator pages that show participants' data and log it elsewhere than in this change, with why.
NOT_LOGGED_HERE: dict[str, str] = {}
# Pages that need a query to show anything.
QUERIES = {"schedules.compare": "?a=1&b=1",
           "swaps.cancel_meeting": "?group=art-1&slot=MO-0900&date=2027-01-11",
           "waitlists.leave": "?group=art-1&participant=p1&effective=2027-01-18"}


def test_every_coordinator_page_showing_a_persons_data_logs_one_view(
        app: Flask, make_coordinator: Callable[..., None], fast_passwords: None) -> None:  # noqa: F811
    from tests.support.access import PERSON_A, PERSON_B, ROUTES, build_world, category, route_id, url

    world = build_world(app, make_coordinator)
    with app.app_context():
        db.session.add(ParticipantPair(center_id=world.ids["center_id"], kind=PairKind.APART,
                                       first_id=world.ids["p1"], second_id=world.ids["p2"], position=0))
        db.session.commit()
    client = app.test_client()
    sign_in(client, world.emails["coordinator"])
    canaries = [PERSON_A["name"], PERSON_A["email"], PERSON_B["name"], PERSON_B["email"]]
    checked = []
    for endpoint, rule, method, chosen in ROUTES:
        if method != "GET" or category(endpoint) != "coordinator" or endpoint in NOT_LOGGED_HERE:
            continue
        with app.app_context():
            before = _views()
        target = url(app, endpoint, world.ids, **dict(chosen)) + QUERIES.get(endpoint, "")
        response = client.get(target)
        text = response.get_data(as_text=True)
        with app.app_context():
            new = _views()[len(before):]
        name = route_id(rule, method, chosen)
        assert len(new) <= 1, f"{name} logged {new}: one entry per page, not one per person"
        if any(canary in text for canary in canaries):
            checked.append(name)
            assert len(new) == 1, f"{name} shows a person's data but logs no view"
    # The pages the issue names, so a change of the world cannot make this test check nothing.
    for page in ("/answers/", "/outbox", "/waitlists/", "/schedule/versions/<int:number>", "/export.json",
                 "/participants/", "/pairs/", "/"):
        assert any(name.endswith(page) for name in checked), (page, checked)


def test_the_log_of_views_names_who_looked_at_what_without_copying_it(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    center_id, name = setup(app, make_center, make_coordinator)
    sign_in(client, "ana@example.org")
    for page in ("answers/", "outbox", "participants/", "export.json", "schedule/versions/1"):
        assert client.get(f"/centers/{center_id}/{page}").status_code == 200, page
    log = client.get(f"/centers/{center_id}/audit?action=person.").get_data(as_text=True)
    for entry in ("looked at participants&#39; answers and links (page: answers)",
                  "looked at emails to participants and facilitators (page: outbox)",
                  "looked at participants (page: list)",
                  "exported everyone&#39;s data: every participant and facilitator",
                  "looked at version 1 (page: rosters)"):
        assert entry in log, entry
    assert name not in log and "p1@" not in log


def test_a_facilitators_own_page_with_their_groups_members_logs_one_view(
        app: Flask, make_coordinator: Callable[..., None], fast_passwords: None) -> None:  # noqa: F811
    from tests.support.access import build_world

    world = build_world(app, make_coordinator)
    client = app.test_client()
    sign_in(client, world.emails["facilitator"])
    with app.app_context():
        before = _views()
    page = client.get(f"/centers/{world.ids['center_id']}/cover/")
    assert page.status_code == 200
    with app.app_context():
        new = _views()[len(before):]
    assert new == [("person.viewed.my groups", "members of the facilitator's own groups")]
