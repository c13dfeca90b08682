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
    # The heartbeat has written the schedule behind those figures, in case the worker dies.
    deadline = time.monotonic() + 10
    while True:
        with app.app_context():
            best = db.session.get(SolveJob, job_id).best_schedule  # type: ignore[union-attr]
            if best is not None:
                report = check_schedule(load_scenario(db.session.get(SolveJob, job_id).scenario),  # type: ignore[union-attr]
                                        load_schedule(best))
                assert report.violations == [] and report.score == best["objective"]
                break
        assert time.monotonic() < deadline, "no best schedule stored within 10 s of the first figures"
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


# --------------------------------------------------------------------------- when the queue or its worker fails


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stale_running_job(center_name: str, backend: str, best: dict[str, Any] | None) -> int:
    center = find_center(center_name)
    assert center is not None
    job = solving.create_job(center, None, 60)
    job.backend = backend
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = solving.utcnow() - dt.timedelta(minutes=2)
    job.best_schedule = best
    db.session.commit()
    return job.id


def _greedy_best(center_name: str) -> dict[str, Any]:
    """What the heartbeat stores once the greedy start has a schedule: the real thing, not a stand-in."""
    from solver.greedy import greedy_schedule
    from solver.objective import Weights, score_terms
    from solver.search import Progress

    center = find_center(center_name)
    assert center is not None
    scenario = load_scenario(solving.export_scenario(center).to_dict())
    made: list[Any] = []
    greedy_schedule(scenario, score=lambda groups: sum(score_terms(scenario, list(groups), Weights()).values()),
                    on_better=lambda groups: made.append(list(groups)))
    groups = made[-1]
    score = sum(score_terms(scenario, groups, Weights()).values())
    covered = len({p for g in groups for p in g.members})
    return solving.best_so_far(scenario, Progress(3.0, score, score + 500, covered, tuple(groups)), stability=False)


def test_a_build_the_queue_cannot_take_is_closed_in_words_and_blocks_nothing(
        database_url: str, tmp_path: Any, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    from tests.conftest import make_app

    down = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there: Redis is down
    # The rate limits, also on Redis, are not the subject here (test_ratelimit.py has them).
    rq_app = make_app(database_url, tmp_path / "rq-down", REDIS_URL=down, RATELIMIT_ENABLED=False)
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    client = rq_app.test_client()
    sign_in(client, "ana@example.org")
    started = time.monotonic()
    response = client.post(f"/centers/{center_id}/schedule/build", data={"time_limit_s": 10}, follow_redirects=True)
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The build queue could not be reached, so this build was not started" in page
    with rq_app.app_context():
        jobs = db.session.scalars(select(SolveJob)).all()
        assert [job.status for job in jobs] == [JobStatus.FAILED]
        assert "could not be reached" in (jobs[0].message or "")
    # The failed attempt blocks nothing: the next one is tried (and refused for the same reason, not "already").
    again = client.post(f"/centers/{center_id}/schedule/build", data={"time_limit_s": 10}, follow_redirects=True)
    assert "already being built" not in again.get_data(as_text=True)
    assert "could not be reached" in again.get_data(as_text=True)


def test_a_build_whose_worker_died_keeps_its_best_schedule_as_a_version(client: FlaskClient, north: int,
                                                                       app: Flask) -> None:
    with app.app_context():
        best = _greedy_best("North")
        job_id = _stale_running_job("North", "rq", best)
    data = client.get(f"/centers/{north}/schedule/jobs/{job_id}/progress").get_json()
    assert data["status"] == "interrupted"
    assert data["message"].startswith("The build worker stopped while this schedule was being built.")
    assert "The best schedule found before it stopped is kept as version 1." in data["message"]
    assert data["version_number"] == 1
    with app.app_context():
        version = db.session.scalar(select(ScheduleVersion))
        assert version is not None and version.job_id == job_id
        report = check_schedule(load_scenario(version.scenario), load_schedule(version.schedule))
        assert report.violations == [] and report.score == version.objective
    page = client.get(f"/centers/{north}/schedule/versions/1").get_data(as_text=True)
    assert "Weekly timetable" in page
    # Looking again keeps one version, and the coordinator can start again at once.
    client.get(f"/centers/{north}/schedule/jobs/{job_id}")
    with app.app_context():
        assert len(db.session.scalars(select(ScheduleVersion)).all()) == 1
    new_job = start_build(client, north)
    assert wait_until_ended(client, north, new_job)["version_number"] == 2


def test_a_dead_build_with_nothing_found_says_so(client: FlaskClient, north: int, app: Flask) -> None:
    with app.app_context():
        job_id = _stale_running_job("North", "rq", None)
    data = client.get(f"/centers/{north}/schedule/jobs/{job_id}/progress").get_json()
    assert data["status"] == "interrupted" and data["version_number"] is None
    assert data["message"] == ("The build worker stopped while this schedule was being built. "
                               "No schedule had been found yet. Start it again.")


def test_a_late_result_of_a_build_given_up_for_dead_is_not_kept_twice(client: FlaskClient, north: int,
                                                                      app: Flask,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that was only paused (SIGSTOP, a long GC) comes back after its job was marked interrupted."""
    import importlib

    solve_module = importlib.import_module("solver.solve")
    real_solve = solve_module.solve

    def slow_then_real(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():  # meanwhile, the job is given up for dead, with its best so far kept
            job = db.session.get(SolveJob, job_id)
            assert job is not None
            job.heartbeat_at = solving.utcnow() - dt.timedelta(minutes=2)
            job.best_schedule = _greedy_best("North")
            db.session.commit()
            assert solving.reap_stale_jobs() == 1
            db.session.remove()
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(solve_module, "solve", slow_then_real)
    with app.app_context():
        center = find_center("North")
        assert center is not None
        job = solving.create_job(center, None, 5)
        db.session.commit()
        job_id = job.id
        solving.run_job(job_id)
        db.session.remove()
        job = db.session.get(SolveJob, job_id)
        assert job is not None and job.status == JobStatus.INTERRUPTED
        assert len(db.session.scalars(select(ScheduleVersion)).all()) == 1


def test_stopped_before_anything_was_found_says_why_there_is_no_version(
        client: FlaskClient, north: int, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why a stopped build once left no version: a build that starts from pins or the published schedule
    has no greedy start, and a stop before CP-SAT's first solution leaves nothing to keep. It now says so."""
    import importlib

    from solver.schedule import Schedule

    solve_module = importlib.import_module("solver.solve")

    def stopped_at_once(*_args: Any, cancel: Any = None, **_kwargs: Any) -> Schedule:
        cancel.set()
        return Schedule(status="UNKNOWN", wall_s=0.1)

    monkeypatch.setattr(solve_module, "solve", stopped_at_once)
    data = wait_until_ended(client, north, start_build(client, north))
    assert data["status"] == "cancelled" and data["version_number"] is None
    assert data["message"].startswith("Stopped on request before the search had found any schedule")


def test_a_queued_build_says_when_no_worker_is_running(database_url: str, tmp_path: Any,
                                                       make_center: Callable[..., int],
                                                       make_coordinator: Callable[..., None]) -> None:
    from redis import Redis
    from rq import Queue

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
    assert data["status"] == "queued"
    assert data["notice"].startswith("No build worker is running, so this build has not started.")
    assert "No build worker is running" in client.get(f"/centers/{center_id}/schedule/jobs/{job_id}").get_data(
        as_text=True)

    beacon = solving.WorkerBeacon(url, queue_name)  # what `flask worker` runs beside RQ
    beacon.start()
    try:
        deadline = time.monotonic() + 5
        while client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()["notice"]:
            assert time.monotonic() < deadline, "the worker's beacon was not seen"
            time.sleep(0.1)
    finally:
        beacon.stopped.set()
        beacon.join()
    # A worker that stops cleanly takes its beacon with it.
    assert client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()["notice"]
    Queue(queue_name, connection=Redis.from_url(url)).delete(delete_jobs=True)


def test_a_queued_build_that_redis_lost_is_closed_and_blocks_nothing(database_url: str, tmp_path: Any,
                                                                    make_center: Callable[..., int],
                                                                    make_coordinator: Callable[..., None]) -> None:
    from redis import Redis
    from rq import Queue

    from tests.conftest import make_app

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    _redis_or_skip(url)
    queue_name = f"solver-test-{secrets.token_hex(4)}"
    rq_app = make_app(database_url, tmp_path / "rq", REDIS_URL=url, SOLVER_QUEUE=queue_name, SOLVE_STALE_AFTER_S=1)
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    client = rq_app.test_client()
    sign_in(client, "ana@example.org")
    job_id = start_build(client, center_id)
    time.sleep(1.2)  # older than the (shortened) heartbeat limit, but Redis still has it: it waits on
    assert client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()["status"] == "queued"
    # Redis restarted without its data: the queued job is gone.
    Queue(queue_name, connection=Redis.from_url(url)).delete(delete_jobs=True)
    data = client.get(f"/centers/{center_id}/schedule/jobs/{job_id}/progress").get_json()
    assert data["status"] == "interrupted"
    assert data["message"] == ("The build queue lost this build before a worker took it (Redis restarted). "
                               "Start it again.")
    assert "already being built" not in client.post(f"/centers/{center_id}/schedule/build",
                                                    data={"time_limit_s": 10},
                                                    follow_redirects=True).get_data(as_text=True)
    Queue(queue_name, connection=Redis.from_url(url)).delete(delete_jobs=True)
