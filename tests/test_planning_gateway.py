"""The planning gateway: re-importing a center's own export changes nothing; a changed name keeps the
person; removals are listed and confirmed first; a stale save is refused with what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import json
import re
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.i18n import slot_text
from scheduler.models import Center, Facilitator, FeedToken, Participant, ParticipantLink, User
from scheduler.services import feed_tokens, planning
from scheduler.services.accounts import issue_participant_link
from scheduler.services.planning import edits
from tests import rows
from tests.conftest import scenario_path, sign_in

EMAIL = "coordinator@example.org"


@pytest.fixture
def center_id(app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    """The small example center, with everything a re-import must keep: a personal link, feed tokens,
    a facilitator's linked account, a participant's answers and page language."""
    cid = make_center("North")
    make_coordinator(EMAIL, "North")
    with app.app_context():
        center = db.session.get(Center, cid)
        assert center is not None
        p1 = center.participants[0]
        issue_participant_link(p1)
        p1.answered_at = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
        p1.locale = "es"
        feed_tokens.issue(p1)
        f1 = center.facilitators[0]
        f1.user = User(email="fac@example.org", password_hash="x")
        feed_tokens.issue(f1)
        db.session.commit()
    return cid


def _own_export(app: Flask, cid: int) -> bytes:
    with app.app_context():
        center = db.session.get(Center, cid)
        assert center is not None
        return json.dumps(planning.read_center(center).to_dict()).encode()


def test_reimporting_the_own_export_changes_no_row(app: Flask, center_id: int) -> None:
    raw = _own_export(app, center_id)
    with app.app_context():
        before = rows.snapshot()
        center = db.session.get(Center, center_id)
        assert center is not None
        assert planning.replace_scenario(center, planning.parse_scenario_bytes(raw)) == []
        db.session.commit()
        assert rows.differences(before, rows.snapshot()) == {}


def test_reimport_through_the_upload_page_keeps_links_tokens_and_accounts(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    raw = _own_export(app, center_id)
    with app.app_context():
        before = rows.snapshot()
    sign_in(client, EMAIL)
    response = client.post(f"/centers/{center_id}/import/scenario",
                           data={"file": (io.BytesIO(raw), "north.json"), "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        changed = rows.differences(before, rows.snapshot())
        # Signing in writes its own rows; the planning data and everything hanging on it is untouched.
        planning_tables = {"participants", "facilitators", "participant_links", "feed_tokens", "users",
                           "participant_availability", "facilitator_availability", "preferences", "activities",
                           "rooms", "slots", "holidays", "participant_pairs", "centers", "audit_entries"}
        assert planning_tables & changed.keys() == set(), changed


def test_a_changed_name_keeps_the_person_and_their_links(app: Flask, center_id: int) -> None:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        scenario = planning.read_center(center)
        first = scenario.participants[0]
        renamed = dataclasses.replace(first, name="Renamed Person")
        row_id = db.session.scalar(select(Participant.id).where(Participant.code == first.id))
        new = dataclasses.replace(scenario, participants=(renamed, *scenario.participants[1:]))
        planning.replace_scenario(center, new)
        db.session.commit()
        row = db.session.get(Participant, row_id)
        assert row is not None and row.name == "Renamed Person"
        assert db.session.scalar(select(ParticipantLink).where(ParticipantLink.participant_id == row_id))
        assert db.session.scalar(select(FeedToken).where(FeedToken.participant_id == row_id))
        assert row.locale == "es" and row.answered_at is not None
        facilitator = db.session.scalar(select(Facilitator).where(Facilitator.code == scenario.facilitators[0].id))
        assert facilitator is not None and facilitator.user is not None


def test_an_import_that_removes_people_lists_them_and_writes_nothing_until_confirmed(
        app: Flask, center_id: int) -> None:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        scenario = planning.read_center(center)
        gone = scenario.participants[0]
        smaller = dataclasses.replace(
            scenario, participants=scenario.participants[1:],
            keep_apart=tuple(p for p in scenario.keep_apart if gone.id not in p),
            keep_together=tuple(p for p in scenario.keep_together if gone.id not in p))
        before = rows.snapshot()
        with pytest.raises(planning.RemovalsNeedConfirmation) as question:
            planning.replace_scenario(center, smaller)
        db.session.rollback()
        assert [(r.kind, r.code, r.name) for r in question.value.removals] == [("participant", gone.id, gone.name)]
        assert rows.differences(before, rows.snapshot()) == {}
        center = db.session.get(Center, center_id)
        assert center is not None
        removed = planning.replace_scenario(center, smaller, confirmed_removals=True)
        db.session.commit()
        assert [r.code for r in removed] == [gone.id]
        assert db.session.scalar(select(Participant).where(Participant.code == gone.id)) is None


def test_the_upload_page_asks_before_removing_people(app: Flask, client: FlaskClient, center_id: int) -> None:
    data = json.loads(_own_export(app, center_id))
    gone = data["participants"].pop(0)
    for kind in ("keep_apart", "keep_together"):
        data[kind] = [pair for pair in data[kind] if gone["id"] not in pair]
    sign_in(client, EMAIL)
    page = client.post(f"/centers/{center_id}/import/scenario",
                       data={"file": (io.BytesIO(json.dumps(data).encode()), "north.json"), "confirm": "y"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert gone["name"] in text and gone["id"] in text
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == gone["id"])) is not None
    pending = re.search(r'name="pending" type="hidden" value="([^"]+)"', text)
    assert pending is not None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text)
    fields = {"pending": pending.group(1), "confirm_removals": "y"} | ({"csrf_token": token.group(1)} if token else {})
    done = client.post(f"/centers/{center_id}/import/scenario/confirm", data=fields)
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == gone["id"])) is None
    again = client.post(f"/centers/{center_id}/import/scenario/confirm", data=fields)
    assert again.status_code == 302  # the waiting file was used once; nothing more happens


def test_the_command_line_lists_removals_and_stops_when_told_no(
        app: Flask, runner: FlaskCliRunner, center_id: int, tmp_path: pytest.TempPathFactory) -> None:
    data = json.loads(_own_export(app, center_id))
    gone = data["participants"].pop(0)
    for kind in ("keep_apart", "keep_together"):
        data[kind] = [pair for pair in data[kind] if gone["id"] not in pair]
    path = tmp_path / "smaller.json"  # type: ignore[operator]
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["import-scenario", str(path), "--center", "North", "--replace"], input="n\n")
    assert result.exit_code == 2 and f"participant {gone['id']} ({gone['name']})" in result.output
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == gone["id"])) is not None
    result = runner.invoke(args=["import-scenario", str(path), "--center", "North", "--replace", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.code == gone["id"])) is None


def test_a_stale_form_save_is_refused_with_what_changed(app: Flask, client: FlaskClient, center_id: int) -> None:
    """Coordinator A renames a participant; B, whose form was opened before, saves an email change:
    B's save is refused, saying the name changed, and A's rename stays."""
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, EMAIL)
    with app.app_context():
        code = planning.read_center(db.session.get(Center, center_id)).participants[0].id  # type: ignore[arg-type]
    url = f"/centers/{center_id}/participants/{code}/edit"
    form_b = client.get(url).get_data(as_text=True)
    read_as = re.search(r'name="read_as" type="hidden" value="([^"]+)"', form_b)
    assert read_as is not None
    read_as_b = html.unescape(read_as.group(1))
    snapshot = json.loads(read_as_b)
    common = {"name": snapshot["name"], "email": snapshot["email"], "max_groups": str(snapshot["max_groups"]),
              "needs": ", ".join(snapshot["needs"]), "languages": ", ".join(snapshot["languages"])}
    saved_a = client.post(url, data={**common, "name": "Name From A", "read_as": read_as_b})
    assert saved_a.status_code == 302
    refused = client.post(url, data={**common, "email": "new@example.org", "read_as": read_as_b})
    assert refused.status_code == 200
    text = html.unescape(refused.get_data(as_text=True))
    assert "Someone else changed this" in text and "Name From A" in text
    with app.app_context():
        row = db.session.scalar(select(Participant).where(Participant.code == code))
        assert row is not None and row.name == "Name From A" and row.email == snapshot["email"]


def test_an_api_style_write_with_an_old_version_is_refused(app: Flask, center_id: int) -> None:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        code = planning.read_center(center).rooms[0].id
        version = planning.item_version(center, "rooms", code)
        assert version is not None
        first = planning.save_item(center, "rooms", code, {"capacity": 40}, expected_version=version)
        assert first.ok and first.version and first.version != version
        db.session.commit()
        second = planning.save_item(center, "rooms", code, {"name": "Other"}, expected_version=version)
        assert not second.ok and second.stale
        db.session.rollback()
        assert planning.read_center(center).rooms[0].capacity == 40
        assert planning.read_center(center).rooms[0].name != "Other"
        assert planning.item_version(center, "rooms", code) == first.version


def test_two_saves_at_the_same_moment_cannot_both_pass_the_check(
        app: Flask, center_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A and B read one participant at the same version, in two app contexts (two sessions, two
    connections). A passes the check and pauses before writing; B saves meanwhile. B must not pass
    the check on data A is about to change: it waits for A's commit, then is refused with what
    changed. Without the lock B passes its check during A's pause, and both renames are "kept"."""
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        code = planning.read_center(center).participants[1].id
        read_as = planning.item_snapshot(planning.read_center(center), "participants", code)
        assert read_as is not None
    real_apply_change = edits.apply_change
    a_passed_check, b_passed_check = threading.Event(), threading.Event()

    def apply_after_a_pause(center: Center, change: Callable[..., str], *,
                            before: planning.Scenario | None = None) -> planning.EditResult:
        """Called by the gateway between the check and the write."""
        if threading.current_thread().name == "A":
            a_passed_check.set()
            b_passed_check.wait(timeout=1.0)  # B's every chance to pass the check before A writes
        else:
            b_passed_check.set()
        return real_apply_change(center, change, before=before)

    monkeypatch.setattr(edits, "apply_change", apply_after_a_pause)
    results: dict[str, planning.EditResult] = {}
    errors: list[BaseException] = []

    def save(name: str) -> None:
        try:
            with app.app_context():
                center = db.session.get(Center, center_id)
                assert center is not None
                result = planning.save_item(center, "participants", code, {"name": f"Renamed By {name}"},
                                            read_as=read_as)
                if result.ok:
                    db.session.commit()
                else:
                    db.session.rollback()
                results[name] = result
                db.session.remove()
        except BaseException as error:  # shown by the main thread's assertion
            errors.append(error)

    first = threading.Thread(target=save, args=("A",), name="A")
    first.start()
    assert a_passed_check.wait(timeout=20)
    second = threading.Thread(target=save, args=("B",), name="B")
    second.start()
    first.join(30)
    second.join(30)
    assert not errors, errors
    assert not b_passed_check.is_set(), "B passed the version check while A was between its check and write"
    assert results["A"].ok and not results["B"].ok
    assert results["B"].stale[0].startswith("Someone else changed this")
    assert any("Renamed By A" in line for line in results["B"].stale)
    with app.app_context():
        row = db.session.scalar(select(Participant).where(Participant.code == code,
                                                          Participant.center_id == center_id))
        assert row is not None and row.name == "Renamed By A"


def test_the_gateway_reads_back_what_a_file_holds(app: Flask) -> None:
    with app.app_context():
        scenario = planning.parse_scenario_bytes(scenario_path("medium-ifneeded").read_bytes())
        center = planning.create_center(scenario, "Roundtrip")
        db.session.commit()
        assert planning.read_center(center) == dataclasses.replace(
            scenario, center=dataclasses.replace(scenario.center, name="Roundtrip"))


def test_a_stale_save_names_the_times_that_changed_in_words(app: Flask, center_id: int) -> None:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        scenario = planning.read_center(center)
        person = scenario.participants[0]
        read_as = planning.item_snapshot(scenario, "participants", person.id)
        extra = next(s for s in scenario.slots if s.id not in person.available and s.id not in person.if_needed)
        assert planning.save_availability(center, "participants", person.id, person.available, [extra.id]).ok
        db.session.commit()
        result = planning.save_item(center, "participants", person.id, {"email": "late@example.org"},
                                    read_as=read_as)
        db.session.rollback()
        assert result.stale and f"times if need be: added {slot_text(extra)}" in result.stale
        assert extra.id not in " ".join(result.stale)
