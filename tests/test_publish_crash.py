"""A crash in the middle of publishing leaves the previously published version current and intact,
on SQLite and PostgreSQL, and the coordinator sees a plain message, not a trace."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, VersionStatus
from scheduler.services import versions
from tests.conftest import sign_in
from tests.test_swaps import SCHEDULE


def test_a_failed_publish_keeps_the_published_version(app: Flask, client: FlaskClient,
                                                      make_center: Callable[..., int],
                                                      make_coordinator: Callable[..., None],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    with app.app_context():
        for number, status in ((1, VersionStatus.PUBLISHED), (2, VersionStatus.DRAFT)):
            db.session.add(ScheduleVersion(
                center_id=center_id, number=number, status=status, solver_status="FEASIBLE", scenario={},
                schedule=copy.deepcopy(SCHEDULE),
                published_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) if number == 1 else None))
        db.session.commit()
        before = [(v.number, v.status, v.published_at, v.schedule) for v in
                  db.session.scalars(select(ScheduleVersion).order_by(ScheduleVersion.number))]
    sign_in(client, "ana@example.org")

    def crash() -> None:
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(db.session, "commit", crash)
    response = client.post(f"/centers/{center_id}/schedule/versions/2/publish")
    monkeypatch.undo()
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Nothing was saved" in text and "Traceback" not in text and "OperationalError" not in text
    with app.app_context():
        after = [(v.number, v.status, v.published_at, v.schedule) for v in
                 db.session.scalars(select(ScheduleVersion).order_by(ScheduleVersion.number))]
        assert after == before
        center = db.session.get(Center, center_id)
        assert center is not None
        current = versions.current_published(center)
        assert current is not None and current.number == 1
