"""Follow-up: who is at risk of dropping out by the center's thresholds, groups under their minimum,
and the follow-ups a coordinator records (leaving the group frees the seat for the waiting list)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    AuditEntry,
    Center,
    FollowUp,
    MemberChange,
    MemberChangeKind,
    MonitoringSettings,
    ScheduleVersion,
)
from scheduler.services.monitoring import attendance, followup
from scheduler.services.term import term_state
from tests.conftest import sign_in
from tests.support.access import fast_passwords  # noqa: F401  (a fixture)
from tests.support.monitoring import MONDAYS, E, L, N, P, long_term, take


def risky(version: ScheduleVersion, today: dt.date = MONDAYS[-1]) -> dict[str, tuple[str, ...]]:
    center = db.session.get(Center, version.center_id)
    assert center is not None
    found = followup.at_risk(term_state(version), followup.settings_for(center), today)
    return {item.participant: item.reasons for item in found}


def test_two_no_shows_in_a_row_put_someone_at_risk_and_a_visit_takes_them_off(app_ctx: Flask) -> None:
    version = long_term()
    take(version, MONDAYS[0], p1=P, p2=N, p3=P)
    assert risky(version) == {}
    take(version, MONDAYS[1], p1=P, p2=N, p3=P)
    assert risky(version) == {"p2": ("2 no-shows in a row",)}
    take(version, MONDAYS[2], p1=P, p2=P, p3=P)
    assert risky(version) == {}


def test_attendance_under_half_over_the_last_four_meetings_counts_only_once_there_are_four(app_ctx: Flask) -> None:
    version = long_term()
    for day, status in zip(MONDAYS[:3], (E, L, P), strict=True):
        take(version, day, p1=P, p2=P, p3=status)
    assert risky(version) == {}  # three meetings: too early to judge a rate
    take(version, MONDAYS[3], p1=P, p2=P, p3=E)
    assert risky(version) == {"p3": ("present at 1 of the last 4 meetings",)}
    take(version, MONDAYS[4], p1=P, p2=P, p3=P)  # now 2 of the last 4: half is not under half
    assert risky(version) == {}


def test_thresholds_are_the_centers_own(app_ctx: Flask) -> None:
    version = long_term()
    take(version, MONDAYS[0], p1=P, p2=N, p3=P)
    take(version, MONDAYS[1], p1=P, p2=N, p3=P)
    center = db.session.get(Center, version.center_id)
    assert center is not None
    followup.save_settings(center, no_shows_in_a_row=3, window_meetings=2, min_attendance_percent=50,
                           retention_days=None, actor=None)
    db.session.commit()
    assert risky(version) == {"p2": ("present at 0 of the last 2 meetings",)}
    followup.save_settings(center, no_shows_in_a_row=3, window_meetings=2, min_attendance_percent=0,
                           retention_days=None, actor=None)
    assert risky(version) == {}
    with pytest.raises(followup.FollowUpError, match="No-shows in a row"):
        followup.save_settings(center, no_shows_in_a_row=0, window_meetings=2, min_attendance_percent=0,
                               retention_days=None, actor=None)


def test_a_group_whose_attendance_falls_under_its_minimum_is_flagged(app_ctx: Flask) -> None:
    version = long_term()
    center = db.session.get(Center, version.center_id)
    assert center is not None
    take(version, MONDAYS[0], p1=P, p2=P, p3=E)
    assert followup.low_attendance_groups(term_state(version), followup.settings_for(center)) == []
    take(version, MONDAYS[1], p1=P, p2=N, p3=E)  # on average 1.5 came; the minimum is 2
    low = followup.low_attendance_groups(term_state(version), followup.settings_for(center))
    assert [(g.group, g.average_present, g.min_size, g.meetings) for g in low] == [("art-1", 1.5, 2, 2)]


@pytest.fixture
def risky_term(app: Flask, make_coordinator: Callable[..., None], monkeypatch: pytest.MonkeyPatch,
               fast_passwords: None) -> dict:  # noqa: F811
    monkeypatch.setattr(attendance, "local_today", lambda _zone, now=None: MONDAYS[2])
    with app.app_context():
        version = long_term()
        take(version, MONDAYS[0], p1=P, p2=N, p3=P)
        take(version, MONDAYS[1], p1=P, p2=N, p3=P)
        found = {"center": version.center_id, "version": version.id}
    make_coordinator("coord@example.org", "Swaps")
    return found


def test_the_coordinator_records_a_call_and_the_list_shows_it(app: Flask, risky_term: dict) -> None:
    client = app.test_client()
    sign_in(client, "coord@example.org")
    dashboard = client.get(f"/centers/{risky_term['center']}/").get_data(as_text=True)
    assert f"/centers/{risky_term['center']}/follow-up/" in dashboard  # linked from the dashboard
    page = client.get(f"/centers/{risky_term['center']}/follow-up/").get_data(as_text=True)
    assert "Quinn" in page and "2 no-shows in a row" in page and "No follow-up yet." in page
    response = client.post(f"/centers/{risky_term['center']}/follow-up/record",
                           data={"group": "art-1", "participant": "p2", "kind": "called", "note": "Back next week"})
    assert response.status_code == 302
    page = client.get(f"/centers/{risky_term['center']}/follow-up/").get_data(as_text=True)
    assert "Last follow-up: Called" in page and "Back next week" in page
    with app.app_context():
        assert db.session.scalar(select(FollowUp.kind)) == "called"
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"follow_up.recorded", "person.viewed.at risk"} <= actions


def test_leaving_the_group_frees_the_seat_and_takes_them_off_the_list(app: Flask, risky_term: dict) -> None:
    client = app.test_client()
    sign_in(client, "coord@example.org")
    response = client.post(f"/centers/{risky_term['center']}/follow-up/record",
                           data={"group": "art-1", "participant": "p2", "kind": "left_group"})
    assert response.status_code == 302 and "/waitlists/" in response.headers["Location"]
    with app.app_context():
        change = db.session.scalar(select(MemberChange))
        assert change is not None and (change.participant_code, change.kind, change.effective) == (
            "p2", MemberChangeKind.LEFT, MONDAYS[2])
        version = db.session.get(ScheduleVersion, risky_term["version"])
        assert version is not None and "p2" not in term_state(version).rosters["art-1"].on(MONDAYS[2])
    page = client.get(f"/centers/{risky_term['center']}/follow-up/").get_data(as_text=True)
    assert "Quinn" not in page


@pytest.mark.parametrize(("data", "message"), [
    ({"group": "art-1", "participant": "p9", "kind": "called"}, "p9 is not in art-1"),
    ({"group": "art-1", "participant": "p2", "kind": "shouted"}, "Not a valid choice"),
    ({"group": "nope", "participant": "p2", "kind": "called"}, "There is no group nope"),
])
def test_a_wrong_follow_up_is_refused_by_name_and_saves_nothing(app: Flask, risky_term: dict, data: dict,
                                                               message: str) -> None:
    client = app.test_client()
    sign_in(client, "coord@example.org")
    response = client.post(f"/centers/{risky_term['center']}/follow-up/record", data=data, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FollowUp)) is None


def test_thresholds_are_edited_on_the_page_and_bad_numbers_are_named(app: Flask, risky_term: dict) -> None:
    client = app.test_client()
    sign_in(client, "coord@example.org")
    url = f"/centers/{risky_term['center']}/follow-up/settings"
    bad = client.post(url, data={"no_shows_in_a_row": "0", "window_meetings": "4", "min_attendance_percent": "50"})
    assert bad.status_code == 200 and "At risk after this many no-shows in a row" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MonitoringSettings, risky_term["center"]) is None
    good = client.post(url, data={"no_shows_in_a_row": "3", "window_meetings": "4", "min_attendance_percent": "50",
                                  "retention_days": "365"})
    assert good.status_code == 302
    page = client.get(f"/centers/{risky_term['center']}/follow-up/").get_data(as_text=True)
    assert "Nobody is at risk" in page
    with app.app_context():
        saved = db.session.get(MonitoringSettings, risky_term["center"])
        assert saved is not None and (saved.no_shows_in_a_row, saved.retention_days) == (3, 365)
