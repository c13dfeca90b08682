"""A crash in the middle of publishing leaves the previously published version current and intact,
on SQLite and PostgreSQL, and the coordinator sees a plain message, not a trace. The failure is
injected at the commit and between the writes of the publish (after the version's status has
reached the database, before the rest): a publish that committed in steps would leave a half-done
publish behind and fail here. And a publish commits exactly once, after all of its writes."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, VersionStatus
from scheduler.services import versions
from tests.conftest import sign_in
from tests.support.swaps_term import SCENARIO, SCHEDULE


def versions_as_they_are(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [(v.number, v.status, v.published_at, v.published_by_id, v.schedule) for v in
                db.session.scalars(select(ScheduleVersion).order_by(ScheduleVersion.number))]


@pytest.fixture
def two_versions(app: Flask, client: FlaskClient, make_center: Callable[..., int],
                 make_coordinator: Callable[..., None]) -> Iterator[int]:
    """Version 1 published, version 2 a draft; the coordinator signed in."""
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    with app.app_context():
        for number, status in ((1, VersionStatus.PUBLISHED), (2, VersionStatus.DRAFT)):
            db.session.add(ScheduleVersion(
                center_id=center_id, number=number, status=status, solver_status="FEASIBLE",
                scenario=copy.deepcopy(SCENARIO),  # what the schedule was built from: publishing reads it
                schedule=copy.deepcopy(SCHEDULE),
                published_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) if number == 1 else None))
        db.session.commit()
    sign_in(client, "ana@example.org")
    yield center_id


def _gone_away() -> OperationalError:
    return OperationalError("UPDATE", {}, Exception("the database went away"))


def fail_at_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash() -> None:
        raise _gone_away()

    monkeypatch.setattr(db.session, "commit", crash)


def fail_between_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The publish has set the version's status; the statement reaches the database; then, before
    the publish's remaining writes, the server loses the database."""
    def crash() -> dt.datetime:
        db.session.flush()
        raise _gone_away()

    monkeypatch.setattr(versions, "utcnow", crash)


@pytest.mark.parametrize("inject", [fail_at_commit, fail_between_writes], ids=["at the commit", "between writes"])
def test_a_failed_publish_keeps_the_published_version(app: Flask, client: FlaskClient, two_versions: int,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      inject: Callable[[pytest.MonkeyPatch], None]) -> None:
    center_id = two_versions
    before = versions_as_they_are(app)
    inject(monkeypatch)
    response = client.post(f"/centers/{center_id}/schedule/versions/2/publish")
    monkeypatch.undo()
    # The database lost mid-publish is an outage: 503 with Retry-After, in words.
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    text = response.get_data(as_text=True)
    assert "Nothing was saved" in text and "Traceback" not in text and "OperationalError" not in text
    assert versions_as_they_are(app) == before
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        current = versions.current_published(center)
        assert current is not None and current.number == 1
    # Nothing is left locked or half-done: the same publish succeeds at once.
    assert client.post(f"/centers/{center_id}/schedule/versions/2/publish").status_code == 302
    with app.app_context():
        current = versions.current_published(db.session.get(Center, center_id))  # type: ignore[arg-type]
        assert current is not None and current.number == 2


def test_a_publish_commits_once_after_all_its_writes(app: Flask, client: FlaskClient, two_versions: int) -> None:
    steps: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            steps.append("write")

    def on_commit(_conn: Any) -> None:
        steps.append("commit")

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        assert client.post(f"/centers/{two_versions}/schedule/versions/2/publish").status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
    writes = [i for i, step in enumerate(steps) if step == "write"]
    assert writes and steps.count("commit") == 1 and max(writes) < steps.index("commit"), steps
