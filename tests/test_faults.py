"""Faults, from outside, on the production shape: gunicorn with 2 workers, a private redis-server, one
RQ worker (``flask --app scheduler worker``), and PostgreSQL when TEST_DATABASE_URL is set (a throwaway
database) or else SQLite. Each test breaks one thing, checks what people see while it is broken and
after, and is bounded in time. The figures (answers during each outage, recovery time, what was kept)
are printed at the end of the module (``pytest -s tests/test_faults.py``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, make_url, select, text

from scheduler.extensions import db
from scheduler.models import Facilitator, JobStatus, SolveJob
from scheduler.services import feed_tokens
from scheduler.services.accounts import create_coordinator
from scheduler.services.scenarios import import_scenario
from scheduler.services.solving import WORKER_BEACON_TTL_S
from solver import read_scenario_file
from tests.conftest import PASSWORD, make_app, scenario_path
from tests.support.servers import RedisServer, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STALE_AFTER_S = 5  # the suite's heartbeat limit (30 s in production), so a dead worker is seen quickly
FIGURES: dict[str, str] = {}

if shutil.which("redis-server") is None:  # pragma: no cover - the machine has it; say so where it does not
    pytestmark = pytest.mark.skip(reason="redis-server is not installed (apt-get install redis-server)")


class Database:
    """A throwaway PostgreSQL database or an SQLite file, and a way to make it unreachable."""

    def __init__(self, workdir: Path) -> None:
        base = os.environ.get("TEST_DATABASE_URL")
        self.postgres = base is not None
        if base is not None:
            self.admin = make_url(base)
            self.name = f"scheduler_faults_{secrets.token_hex(5)}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = self.admin.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.file = workdir / "db" / "scheduler.db"
            self.file.parent.mkdir()
            self.url = f"sqlite:///{self.file}"
            self.aside = workdir / "db-aside"

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
        engine.dispose()

    def stop(self) -> None:
        if self.postgres:
            self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
                        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'")
        else:
            # The file (and its WAL) moved away, and a folder where it was: SQLite cannot open it.
            self.aside.mkdir()
            for path in self.file.parent.iterdir():
                path.rename(self.aside / path.name)
            self.file.mkdir()

    def start(self) -> None:
        if self.postgres:
            self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        else:
            self.file.rmdir()
            for path in list(self.file.parent.iterdir()):  # what SQLite made beside the folder meanwhile
                path.unlink()
            for path in self.aside.iterdir():
                path.rename(self.file.parent / path.name)
            self.aside.rmdir()

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Stack:
    workdir: Path
    redis: RedisServer
    database: Database
    center_id: int
    big_center_id: int
    feed_token: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_web(self) -> None:
        with (self.workdir / "gunicorn.log").open("ab") as log:  # the child keeps its own copy of the file
            self.web = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
                 "--graceful-timeout", "5", "scheduler:create_app()"],
                cwd=REPO, env=self.env, stdout=log, stderr=log)
        # Generous: on a loaded machine (the whole suite on two cores) two workers take a while to import.
        try:
            wait_for("gunicorn answers /healthz", lambda: _status(self.base + "/healthz") == 200, 120, every=0.3)
        except AssertionError as error:
            log_tail = (self.workdir / "gunicorn.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"{error}\n{log_tail}") from None

    def start_worker(self) -> None:
        # Its own process group, so killing it kills the work-horse it forked for the build too.
        with (self.workdir / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen([str(BIN / "flask"), "--app", "scheduler", "worker"], cwd=REPO,
                                           env=self.env, stdout=log, stderr=log, start_new_session=True)

    def kill_worker(self) -> None:
        """SIGKILL the worker and the work-horse it forked (RQ puts the horse in a session of its own)."""
        if self.worker is not None and self.worker.poll() is None:
            for pid in [*_descendants(self.worker.pid), self.worker.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.worker.wait(10)
        self.worker = None

    def stop_web(self) -> None:
        if self.web is not None:
            self.web.terminate()
            self.web.wait(15)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _status(url: str, timeout: float = 2.0) -> int | None:
    try:
        return requests.get(url, timeout=timeout).status_code
    except requests.RequestException:
        return None


def try_sign_in(stack: Stack, email: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(stack.base + "/sign-in", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    answer = browser.post(stack.base + "/sign-in", data={"csrf_token": token.group(1), "email": email,
                                                         "password": PASSWORD}, timeout=10, allow_redirects=False)
    answer.browser = browser  # type: ignore[attr-defined]
    return answer


def signed_in(stack: Stack, email: str) -> requests.Session:
    # Each gunicorn worker finds Redis back on its own: one may still answer 503 for a few seconds.
    deadline = time.monotonic() + 20
    answer = try_sign_in(stack, email)
    while answer.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = try_sign_in(stack, email)
    assert answer.status_code == 302, answer.text[:500]
    return answer.browser  # type: ignore[attr-defined,no-any-return]


def csrf(browser: requests.Session, url: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get(url, timeout=10).text)
    assert found, f"no form on {url}"
    return found.group(1)


def start_build(browser: requests.Session, stack: Stack, center_id: int, seconds: int = 10) -> requests.Response:
    overview = f"{stack.base}/centers/{center_id}/schedule/"
    return browser.post(overview + "build", data={"csrf_token": csrf(browser, overview), "time_limit_s": seconds,
                                                  "stay_close": ""}, timeout=20)


def job_id_of(response: requests.Response) -> int:
    found = re.search(r"/schedule/jobs/(\d+)", response.url)
    assert found, f"not on a job page: {response.url}"
    return int(found.group(1))


def progress(browser: requests.Session, stack: Stack, center_id: int, job_id: int) -> dict[str, Any]:
    answer = browser.get(f"{stack.base}/centers/{center_id}/schedule/jobs/{job_id}/progress", timeout=10)
    assert answer.status_code == 200, answer.status_code
    return dict(answer.json())


class Load:
    """Clients reading in a loop while something is broken: every answer's status, counted."""

    def __init__(self, urls: list[str], browser: requests.Session | None = None) -> None:
        self.urls = urls
        self.browser = browser
        self.answers: Counter[str] = Counter()
        self.slowest = 0.0
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(url,), daemon=True) for url in urls]

    def run(self, url: str) -> None:
        client = self.browser or requests.Session()
        while not self.stopped.is_set():
            started = time.monotonic()
            try:
                status = str(client.get(url, timeout=10, allow_redirects=False).status_code)
            except requests.RequestException as error:
                status = type(error).__name__
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.answers[status] += 1
            time.sleep(0.05)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(15)

    def summary(self) -> str:
        return ", ".join(f"{status}×{n}" for status, n in sorted(self.answers.items())) + \
            f"; slowest {self.slowest:.1f} s"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("faults")
    redis = RedisServer(workdir)
    redis.start()
    database = Database(workdir)
    app = make_app(database.url, workdir / "setup-instance")
    with app.app_context():
        db.create_all()
        center = import_scenario(read_scenario_file(scenario_path("small")), "North")
        big = import_scenario(read_scenario_file(scenario_path("large")), "Big")
        db.session.flush()
        create_coordinator("ana@example.org", PASSWORD, center)
        create_coordinator("ben@example.org", PASSWORD, center)
        create_coordinator("cy@example.org", PASSWORD, big)
        facilitator = db.session.scalars(select(Facilitator).where(Facilitator.center_id == center.id)).first()
        assert facilitator is not None
        token = feed_tokens.issue(facilitator)
        db.session.commit()
        center_id, big_id = center.id, big.id
        db.session.remove()
        db.engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database.url, "REDIS_URL": redis.url,
           "SCHEDULER_SECRET_KEY": secrets.token_hex(16), "SCHEDULER_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SCHEDULER_SESSION_COOKIE_SECURE": "false", "SCHEDULER_SERVER_PROCESSES": "2",
           "SCHEDULER_SOLVE_STALE_AFTER_S": str(STALE_AFTER_S), "SCHEDULER_SOLVER_WORKERS": "1",
           "SCHEDULER_SOLVER_QUEUE": f"solver-faults-{secrets.token_hex(3)}"}
    if not database.postgres:
        # A pooled SQLite connection keeps the file it opened even after it is moved away; recycling
        # connections each second makes the moved file an outage for every request, as a stopped
        # PostgreSQL is.
        env["SCHEDULER_SQLALCHEMY_ENGINE_OPTIONS"] = '{"pool_pre_ping": true, "pool_recycle": 1}'
    built = Stack(workdir, redis, database, center_id, big_id, token, env, port=port)
    try:
        built.start_web()
        yield built
    finally:
        built.kill_worker()
        built.stop_web()
        with contextlib.suppress(Exception):
            redis.stop()
        database.drop()
        if FIGURES:
            print("\n\nFault suite figures:")
            for name, figure in FIGURES.items():
                print(f"  {name}: {figure}")


@pytest.fixture
def redis_up(stack: Stack) -> Iterator[None]:
    """Whatever a test did to Redis, the next one starts with it running."""
    yield
    if stack.redis.process is not None and stack.redis.process.poll() is None:
        stack.redis.signal(signal.SIGCONT)
    else:
        stack.redis.start()
    # Sign-in answers 503 while its limits cannot be counted; how soon both workers take it is a figure.
    in_a_row: list[int] = []

    def signs_in_again() -> bool:
        in_a_row.append(try_sign_in(stack, "ana@example.org").status_code)
        return in_a_row[-4:] == [302] * 4

    back = wait_for("sign-in after Redis is back", signs_in_again, 30, every=0.2)
    FIGURES.setdefault("Sign-in back after Redis returned", "")
    FIGURES["Sign-in back after Redis returned"] += f"{back:.1f} s; "


def _cancel_active(browser: requests.Session, stack: Stack, center_id: int) -> None:
    page = browser.get(f"{stack.base}/centers/{center_id}/schedule/", timeout=10).text
    found = re.search(r"/schedule/jobs/(\d+)", page)
    if found:
        job_page = f"{stack.base}/centers/{center_id}/schedule/jobs/{found.group(1)}"
        browser.post(job_page + "/cancel", data={"csrf_token": csrf(browser, job_page)}, timeout=10)


# --------------------------------------------------------------------------- Redis


def test_redis_stopped_at_build_start_blocks_nothing(stack: Stack, redis_up: None) -> None:
    ana = signed_in(stack, "ana@example.org")
    feeds = [f"{stack.base}/feeds/{stack.feed_token}.ics", f"{stack.base}/feeds/{'x' * 43}.ics"]
    stack.redis.stop()
    started = time.monotonic()
    with Load(feeds) as load:
        refused = start_build(ana, stack, stack.center_id)
        assert "The build queue could not be reached, so this build was not started" in refused.text
        assert refused.status_code == 200 and "/schedule/jobs/" not in refused.url
        assert time.monotonic() - started < 10
        feed = requests.get(feeds[0], timeout=10)
        unknown = requests.get(feeds[1], timeout=10)
        sign_in = try_sign_in(stack, "ben@example.org")
        time.sleep(1)
    FIGURES["Redis stopped: feeds (known, unknown token)"] = load.summary()
    # Sign-in either works or says plainly that it is briefly unavailable (docs/security.md says which).
    assert sign_in.status_code == 302 or (sign_in.status_code == 503 and sign_in.headers.get("Retry-After")
                                          and "briefly unavailable" in sign_in.text), sign_in.status_code
    assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
    assert unknown.status_code == 404
    assert set(load.answers) <= {"200", "404"}, load.answers

    stack.redis.start()
    back = time.monotonic()
    stack.start_worker()
    try:
        built = start_build(ana, stack, stack.center_id)
        assert "already being built" not in built.text
        job_id = job_id_of(built)
        wait_for("build after Redis is back", lambda: progress(ana, stack, stack.center_id, job_id)["status"]
                 in ("running", "finished"), 90, every=0.3)  # includes the worker's start-up
        FIGURES["Redis stopped: from Redis back to a build running"] = f"{time.monotonic() - back:.1f} s"
        _cancel_active(ana, stack, stack.center_id)
        wait_for("the build stopped", lambda: progress(ana, stack, stack.center_id, job_id)["status"]
                 not in ("queued", "running"), 30, every=0.3)
    finally:
        stack.kill_worker()


def test_redis_paused_answers_in_time(stack: Stack, redis_up: None) -> None:
    ana = signed_in(stack, "ana@example.org")
    stack.redis.signal(signal.SIGSTOP)
    feeds = [f"{stack.base}/feeds/{stack.feed_token}.ics", f"{stack.base}/healthz"]
    with Load(feeds) as load:
        started = time.monotonic()
        refused = start_build(ana, stack, stack.center_id)
        build_s = time.monotonic() - started
        ready = requests.get(stack.base + "/readyz", timeout=10)
        time.sleep(2)
    FIGURES["Redis paused (SIGSTOP): feed and /healthz"] = load.summary()
    FIGURES["Redis paused: build refused after"] = f"{build_s:.1f} s"
    assert "The build queue could not be reached" in refused.text
    assert build_s < 10
    assert ready.status_code == 503 and ready.json()["down"] == ["redis"] and ready.headers["Retry-After"]
    assert set(load.answers) == {"200"}, load.answers
    assert load.slowest < 5
    stack.redis.signal(signal.SIGCONT)
    # The enqueue Redis read late, once resumed, starts nothing: that build is closed as failed.
    time.sleep(1)
    assert requests.get(stack.base + "/readyz", timeout=10).status_code == 200


# --------------------------------------------------------------------------- the worker


def test_a_build_with_no_worker_says_so_then_runs_when_one_starts(stack: Stack) -> None:
    ana = signed_in(stack, "ana@example.org")
    job_id = job_id_of(start_build(ana, stack, stack.center_id))
    job_url = f"{stack.base}/centers/{stack.center_id}/schedule/jobs/{job_id}"
    # A worker killed by an earlier test still counts until its beacon expires (WORKER_BEACON_TTL_S):
    # the promise is that the page says so within that time, not at once (CI once read it too early).
    wait_for("the no-worker notice",
             lambda: "No build worker is running, so this build has not started." in ana.get(job_url, timeout=10).text,
             WORKER_BEACON_TTL_S + 5, every=0.5)
    assert progress(ana, stack, stack.center_id, job_id)["status"] == "queued"
    stack.start_worker()
    try:
        started = time.monotonic()
        wait_for("queued build taken by the new worker",
                 lambda: progress(ana, stack, stack.center_id, job_id)["status"] == "finished", 90, every=0.5)
        FIGURES["No worker: from starting one to the waiting build finished"] = f"{time.monotonic() - started:.1f} s"
    finally:
        stack.kill_worker()


def test_a_worker_killed_mid_build_keeps_the_best_so_far(stack: Stack) -> None:
    cy = signed_in(stack, "cy@example.org")
    stack.start_worker()
    try:
        job_id = job_id_of(start_build(cy, stack, stack.big_center_id, seconds=120))
        wait_for("a first schedule", lambda: progress(cy, stack, stack.big_center_id, job_id)["best_score"]
                 is not None, 90, every=0.3)  # includes the worker's start-up
        time.sleep(2)  # a heartbeat or two: the schedule behind the figures is written
    finally:
        stack.kill_worker()
    killed = time.monotonic()
    seen = wait_for("the build marked interrupted",
                    lambda: progress(cy, stack, stack.big_center_id, job_id)["status"] == "interrupted",
                    STALE_AFTER_S + 15, every=0.5)
    data = progress(cy, stack, stack.big_center_id, job_id)
    FIGURES["Worker killed mid-build: noticed after"] = (f"{seen:.1f} s (heartbeat limit {STALE_AFTER_S} s here, "
                                                         f"30 s in production)")
    assert data["message"].startswith("The build worker stopped while this schedule was being built.")
    assert data["version_number"] is not None, data
    assert f"kept as version {data['version_number']}" in data["message"]
    version = cy.get(f"{stack.base}/centers/{stack.big_center_id}/schedule/versions/{data['version_number']}",
                     timeout=20)
    assert version.status_code == 200 and "Weekly timetable" in version.text
    # The coordinator can start again at once.
    stack.start_worker()
    try:
        again = start_build(cy, stack, stack.big_center_id, seconds=10)
        assert "already being built" not in again.text
        new_job = job_id_of(again)
        wait_for("the next build", lambda: progress(cy, stack, stack.big_center_id, new_job)["status"]
                 == "running", 90, every=0.3)
        FIGURES["Worker killed mid-build: from the kill to the next build running"] = (
            f"{time.monotonic() - killed:.1f} s")
        _cancel_active(cy, stack, stack.big_center_id)
        wait_for("the next build stopped", lambda: progress(cy, stack, stack.big_center_id, new_job)["status"]
                 not in ("queued", "running"), 30, every=0.3)
    finally:
        stack.kill_worker()


# --------------------------------------------------------------------------- the database


def test_a_database_outage_answers_503_and_recovers(stack: Stack) -> None:
    ana = signed_in(stack, "ana@example.org")
    feed_url = f"{stack.base}/feeds/{stack.feed_token}.ics"
    page_url = f"{stack.base}/centers/{stack.center_id}/schedule/"
    assert ana.get(page_url, timeout=10).status_code == 200
    tracebacks_before = _tracebacks(stack)
    stack.database.stop()
    try:
        with Load([feed_url, f"{stack.base}/sign-in"]) as load:
            wait_for("/readyz names the database", lambda: _ready_down(stack) == ["database"], 10)
            time.sleep(3)
            feed = requests.get(feed_url, timeout=10)
            healthz = _status(stack.base + "/healthz")
    finally:
        stack.database.start()
    recovered = wait_for("feeds answer again", lambda: _status(feed_url) == 200, 20, every=0.1)
    FIGURES["Database down (about 4 s): feed and sign-in page answers"] = load.summary()
    FIGURES["Database down: feeds back after it was"] = f"{recovered:.1f} s"
    assert feed.status_code == 503 and feed.headers.get("Retry-After"), (feed.status_code, feed.text[:200])
    assert healthz == 200  # the process is up: no orchestrator should restart it
    assert set(load.answers) <= {"200", "503"} and "503" in load.answers, load.answers
    assert recovered < 10
    assert ana.get(page_url, timeout=10).status_code == 200  # still signed in; nothing lost
    wait_for("/readyz ready again", lambda: _ready_down(stack) == [], 10)
    added = _tracebacks(stack) - tracebacks_before
    FIGURES["Database down: tracebacks added to the server log"] = str(added)
    assert added == 0


def test_a_signed_in_page_during_a_database_outage_answers_503(stack: Stack) -> None:
    ana = signed_in(stack, "ana@example.org")
    page_url = f"{stack.base}/centers/{stack.center_id}/schedule/"
    stack.database.stop()
    try:
        with Load([page_url], browser=ana) as load:
            wait_for("/readyz names the database", lambda: _ready_down(stack) == ["database"], 10)
            time.sleep(2)
    finally:
        stack.database.start()
    FIGURES["Database down: a coordinator's page answers"] = load.summary()
    assert set(load.answers) <= {"200", "503"}, load.answers


def _tracebacks(stack: Stack) -> int:
    return (stack.workdir / "gunicorn.log").read_text(errors="replace").count("Traceback")


def _ready_down(stack: Stack) -> list[str] | None:
    try:
        return list(requests.get(stack.base + "/readyz", timeout=5).json()["down"])
    except (requests.RequestException, ValueError):
        return None


# --------------------------------------------------------------------------- two coordinators


def test_two_coordinators_racing_to_build_start_one_build(stack: Stack) -> None:
    ana, ben = signed_in(stack, "ana@example.org"), signed_in(stack, "ben@example.org")
    overview = f"{stack.base}/centers/{stack.center_id}/schedule/"
    tokens = {id(b): csrf(b, overview) for b in (ana, ben)}
    jobs_before = _jobs(stack)
    go = threading.Barrier(2)
    answers: list[requests.Response] = []

    def press(browser: requests.Session) -> None:
        go.wait()
        answers.append(browser.post(overview + "build", data={"csrf_token": tokens[id(browser)],
                                                               "time_limit_s": 10}, timeout=20))

    threads = [threading.Thread(target=press, args=(b,)) for b in (ana, ben)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [200, 200]
    started = [a for a in answers if "/schedule/jobs/" in a.url]
    refused = [a for a in answers if "A schedule for this center is already being built" in a.text]
    assert (len(started), len(refused)) == (1, 1), [a.url for a in answers]
    FIGURES["Two coordinators pressing Build at once"] = "one build started, the other refused in words"
    assert len(_jobs(stack)) == len(jobs_before) + 1
    _cancel_active(ana, stack, stack.center_id)
    assert all(status not in (JobStatus.QUEUED, JobStatus.RUNNING) for status in _jobs(stack))


def _jobs(stack: Stack) -> list[JobStatus]:
    """The status of each of the center's builds, read straight from the database."""
    app = make_app(stack.database.url, stack.workdir / "check-instance")
    with app.app_context():
        statuses = list(db.session.scalars(select(SolveJob.status).where(SolveJob.center_id == stack.center_id)))
        db.session.remove()
        db.engine.dispose()
    return statuses


ROUNDS = 6  # a race is won or lost by timing: several rounds, so a check that can let both through is caught


def test_two_coordinators_saving_one_participant_at_once_lose_nothing(stack: Stack) -> None:
    """Both opened the form before either saved; both press Save at the same moment on different
    gunicorn workers. One save is kept, the other is refused showing what changed: nothing is overwritten."""
    import json

    ana, ben = signed_in(stack, "ana@example.org"), signed_in(stack, "ben@example.org")
    code = json.loads(scenario_path("small").read_text())["participants"][1]["id"]
    url = f"{stack.base}/centers/{stack.center_id}/participants/{code}/edit"
    outcomes = [_race_one_save(stack, url, code, ana, ben, round_number) for round_number in range(ROUNDS)]
    lost = [outcome for outcome in outcomes if outcome != "one kept, one refused"]
    FIGURES["Two coordinators saving one participant at once"] = (
        f"{ROUNDS - len(lost)} of {ROUNDS} rounds: one save kept, the other refused with what changed")
    assert not lost, outcomes


def _race_one_save(stack: Stack, url: str, code: str, ana: requests.Session, ben: requests.Session,
                   round_number: int) -> str:
    import html
    import json

    forms = {}
    for who, browser in (("ana", ana), ("ben", ben)):
        page = browser.get(url, timeout=10).text
        read_as = re.search(r'name="read_as" type="hidden" value="([^"]+)"', page)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert read_as and token, f"no edit form for {code}"
        forms[who] = (browser, token.group(1), html.unescape(read_as.group(1)))
    snapshot = json.loads(forms["ana"][2])
    common = {"name": snapshot["name"], "email": snapshot["email"] or "", "max_groups": str(snapshot["max_groups"]),
              "needs": ", ".join(snapshot["needs"]), "languages": ", ".join(snapshot["languages"])}
    # The same field: if both were kept, one rename would silently replace the other.
    changes = {"ana": {"name": f"Renamed By Ana {round_number}"}, "ben": {"name": f"Renamed By Ben {round_number}"}}
    go = threading.Barrier(2)
    answers: dict[str, requests.Response] = {}

    def save(who: str) -> None:
        browser, token, read_as = forms[who]
        go.wait()
        answers[who] = browser.post(url, data={**common, **changes[who], "csrf_token": token, "read_as": read_as},
                                    timeout=20, allow_redirects=False)

    threads = [threading.Thread(target=save, args=(who,)) for who in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    kept = [who for who, answer in answers.items() if answer.status_code == 302]
    refused = [who for who, answer in answers.items()
               if answer.status_code == 200 and "Someone else changed this" in html.unescape(answer.text)]
    if (len(kept), len(refused)) != (1, 1):
        return f"round {round_number}: " + ", ".join(f"{who} {a.status_code}" for who, a in sorted(answers.items()))
    app = make_app(stack.database.url, stack.workdir / "check-instance")
    from scheduler.models import Participant

    with app.app_context():
        row = db.session.scalar(select(Participant).where(Participant.code == code,
                                                          Participant.center_id == stack.center_id))
        assert row is not None
        saved = {"name": row.name, "email": row.email or ""}
        db.session.remove()
        db.engine.dispose()
    if saved != {"name": changes[kept[0]]["name"], "email": common["email"]}:
        return f"round {round_number}: {kept[0]} kept but the row holds {saved}"
    return "one kept, one refused"


def test_a_batch_of_emails_is_sent_by_the_worker(stack: Stack) -> None:
    """With Redis, emails sent in the background (here: inviting every facilitator) go on the mail queue,
    which `flask worker` serves, so a deployment with Redis never leaves them waiting."""
    if stack.worker is None or stack.worker.poll() is not None:
        stack.start_worker()
    ana = signed_in(stack, "ana@example.org")
    answers = f"{stack.base}/centers/{stack.center_id}/answers/"
    sent = ana.post(answers + "facilitators/invite-all", data={"csrf_token": csrf(ana, answers)}, timeout=30)
    found = re.search(r"/outbox/batches/(\d+)", sent.url)
    assert found, f"not on the batch's page: {sent.url}"
    page = sent.url
    wait_for("the batch is sent", lambda: "Done:" in ana.get(page, timeout=10).text, 40, every=0.5)
    worker_log = (stack.workdir / "worker.log").read_text(errors="replace")
    assert "run_from_rq" in worker_log, worker_log[-2000:]  # the worker sent it, not a thread of the web server
