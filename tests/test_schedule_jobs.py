"""Building a schedule in the background, watching it, stopping it, and what happens when the
process running it goes away. Solves here are real (small scenario, short time limits)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import JobStatus, ScheduleVersion, SolveJob
from scheduler.services import solving
from scheduler.services.scenarios import find_center
from solver import load_scenario
from solver.check import check_schedule
from solver.schedule import load_schedule
from tests.conftest import sign_in


@pytest.fixture
def north(client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    return center_id


def wait_until_ended(client: FlaskClient, center_id: int, job_id: int, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()
        if data["status"] not in ("queued", "running"):
            return data
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {data['status']} after {timeout} s")


def start_build(client: FlaskClient, center_id: int, seconds: int = 10) -> int:
    response = client.post(f"/centers/{center_id}/schedule/build", data={"time_limit_s": seconds})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_build_runs_in_the_background_and_leaves_a_valid_draft(client: FlaskClient, north: int, app: Flask) -> None:
    started = time.monotonic()
    job_id = start_build(client, north, seconds=10)
    assert time.monotonic() - started < 5  # the request returned before the solve finished
    page = client.get(f"/centers/{north}/schedule/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in page and "Stop and keep the best so far" in page

    data = wait_until_ended(client, north, job_id)
    assert data["status"] == "finished"
    assert data["version_number"] == 1
    assert data["best_score"] > 0 and data["bound"] >= data["best_score"]
    assert 0 < data["covered"] <= data["participants"] == 120

    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion))
        assert version is not None and version.status == "draft"
        report = check_schedule(load_scenario(version.scenario), load_schedule(version.schedule))
        assert report.violations == []
        assert report.score == version.objective == data["best_score"]

    review = client.get(f"/centers/{north}/schedule/versions/1").get_data(as_text=True)
    assert "Weekly timetable" in review and "Key figures" in review
    assert "Publish this version" in review


def test_a_second_build_of_the_same_center_is_refused(client: FlaskClient, north: int, app: Flask) -> None:
    with app.app_context():
        center = find_center("North")
        assert center is not None
        job = solving.create_job(center, None, 60)
        job.status = JobStatus.RUNNING
        job.heartbeat_at = solving.utcnow()
        db.session.commit()
    response = client.post(f"/centers/{north}/schedule/build", data={"time_limit_s": 10}, follow_redirects=True)
    assert "A schedule for this center is already being built" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(SolveJob)).all()) == 1


def test_the_database_allows_one_active_job_per_center(app_ctx: Flask, make_center: Callable[..., int]) -> None:
    make_center("North")
    center = find_center("North")
    assert center is not None
    db.session.add(solving.create_job(center, None, 60))
    db.session.commit()
    # Bypass the service's check, as a racing second request would.
    db.session.add(SolveJob(center=center, backend="thread", time_limit_s=60, scenario={}, params={}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_job_whose_process_went_away_is_interrupted(client: FlaskClient, north: int, app: Flask) -> None:
    with app.app_context():
        center = find_center("North")
        assert center is not None
        job = solving.create_job(center, None, 60)
        job.status = JobStatus.RUNNING
        job.started_at = job.heartbeat_at = solving.utcnow() - dt.timedelta(minutes=2)
        db.session.commit()
        job_id = job.id
    data = client.get(f"/centers/{north}/schedule/jobs/{job_id}/progress").get_json()
    assert data["status"] == "interrupted"
    assert "The server stopped while this schedule was being built" in data["message"]
    # ...and a new build is allowed again.
    new_job = start_build(client, north)
    assert wait_until_ended(client, north, new_job)["status"] == "finished"


def test_cancel_stops_the_solve_and_keeps_the_best_so_far(client: FlaskClient, make_center: Callable[..., int],
                                                          make_coordinator: Callable[..., None], app: Flask) -> None:
    center_id = make_center("Big", scenario="large")
    make_coordinator("ana@example.org", "Big")
    sign_in(client, "ana@example.org")
    job_id = start_build(client, center_id, seconds=300)
    deadline = time.monotonic() + 60
    while client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()["best_score"] is None:
        assert time.monotonic() < deadline, "no first schedule within 60 s"
        time.sleep(0.3)
    client.post(f"/centers/{center_id}/schedule/jobs/{job_id}/cancel")
    # Ending well inside the 300 s limit shows the stop took effect (how fast is the benchmark's business).
    data = wait_until_ended(client, center_id, job_id, timeout=150)
    assert data["status"] == "cancelled"
    assert data["version_number"] == 1
    assert "best schedule found so far is kept as version 1" in data["message"]


def test_a_failing_solve_is_reported_without_a_trace(client: FlaskClient, north: int, app: Flask,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    solve_module = importlib.import_module("solver.solve")  # the package re-exports a function of that name

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(solve_module, "solve", broken)
    job_id = start_build(client, north)
    data = wait_until_ended(client, north, job_id)
    assert data["status"] == "failed"
    assert data["message"] == "Building the schedule failed: RuntimeError"
    page = client.get(f"/centers/{north}/schedule/jobs/{job_id}").get_data(as_text=True)
    assert "Traceback" not in page and "injected failure" not in page
    with app.app_context():
        assert db.session.scalar(select(ScheduleVersion)) is None


def test_time_limit_outside_the_choices_is_refused_next_to_the_field(client: FlaskClient, north: int,
                                                                     counts: Callable[[], dict[str, int]]) -> None:
    before = counts()
    response = client.post(f"/centers/{north}/schedule/build", data={"time_limit_s": 100000})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert counts() == before


def test_another_centers_jobs_and_versions_are_404(client: FlaskClient, north: int, app: Flask,
                                                   make_center: Callable[..., int]) -> None:
    south = make_center("South")
    with app.app_context():
        center = find_center("South")
        assert center is not None
        job = solving.create_job(center, None, 60)
        job.status = JobStatus.CANCELLED
        db.session.commit()
        job_id = job.id
    for url in (f"/centers/{south}/schedule/", f"/centers/{south}/schedule/jobs/{job_id}",
                f"/centers/{south}/schedule/jobs/{job_id}/progress", f"/centers/{south}/schedule/versions/1",
                f"/centers/{north}/schedule/jobs/{job_id}"):  # another center's job under one's own center
        assert client.get(url).status_code == 404, url
    assert client.post(f"/centers/{south}/schedule/build", data={"time_limit_s": 10}).status_code == 404


def _redis_or_skip(url: str) -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisConnectionError:
        if os.environ.get("CI") or "TEST_REDIS_URL" in os.environ:  # .ci/run sets it: never skip there
            pytest.fail(f"Redis is not reachable at {url}; CI must test the RQ path")
        pytest.skip(f"Redis is not reachable at {url}")


def test_with_redis_a_solve_runs_on_an_rq_worker(database_url: str, tmp_path: Any,
                                                 make_center: Callable[..., int],
                                                 make_coordinator: Callable[..., None]) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from tests.conftest import make_app

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    _redis_or_skip(url)
    queue_name = f"solver-test-{secrets.token_hex(4)}"
    rq_app = make_app(database_url, tmp_path / "rq", REDIS_URL=url, SOLVER_QUEUE=queue_name)
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    client = rq_app.test_client()
    sign_in(client, "ana@example.org")
    job_id = start_build(client, center_id)
    data = client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()
    assert data["status"] == "queued"  # nothing runs it in the app process

    connection = Redis.from_url(url)
    queue = Queue(queue_name, connection=connection)
    assert queue.count == 1
    with rq_app.app_context():
        SimpleWorker([queue], connection=connection).work(burst=True)
    data = client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()
    assert data["status"] == "finished" and data["version_number"] == 1
    queue.delete(delete_jobs=True)
    with rq_app.app_context():
        db.engine.dispose()
