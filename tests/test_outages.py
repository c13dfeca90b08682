"""Degrade, don't fail: Redis holds only counts, so feeds and personal pages answer from the database
when Redis is stopped or hangs, and sign-in says plainly that it is briefly unavailable (503,
Retry-After). A database that is gone answers 503 with Retry-After (feeds in plain text), logged
once per outage, never a traceback per request."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.models import Center, Participant
from scheduler.services import accounts, feed_tokens
from tests.conftest import PASSWORD, make_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hanging_redis() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    server.close()


def links(app: Flask) -> tuple[str, str]:
    with app.app_context():
        participant = db.session.scalars(db.select(Participant).where(Participant.code == "p1")).one()
        page, feed = accounts.issue_participant_link(participant), feed_tokens.issue(participant)
        db.session.commit()
    return f"/p/{page}", f"/feeds/{feed}.ics"


@pytest.mark.parametrize("redis", ["stopped", "hanging"])
def test_without_redis_feeds_and_pages_answer_and_sign_in_says_it_is_briefly_unavailable(
        app: Flask, database_url: str, tmp_path: Path, make_center: Callable[..., int],
        make_coordinator: Callable[..., None], caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest,
        redis: str) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0" if redis == "stopped" else request.getfixturevalue("hanging_redis")
    make_center("North")
    make_coordinator("ana@example.org", "North")
    page, feed = links(app)
    degraded = make_app(database_url, tmp_path / "degraded", REDIS_URL=url).test_client()
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    for _round in range(3):
        answer = degraded.get(feed)
        assert answer.status_code == 200 and b"BEGIN:VCALENDAR" in answer.data
        assert degraded.get(page).status_code == 200
        assert degraded.get(f"/feeds/{'A' * 43}.ics").status_code == 404  # unknown tokens stay 404
        assert degraded.get("/p/not-a-link").status_code == 404
        assert degraded.get("/api/v1/rooms", headers={"Authorization": "Bearer wrong"}).status_code == 401
        refused = degraded.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD})
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
        assert "Signing in is briefly unavailable" in refused.get_data(as_text=True)
    # A Redis that hangs costs one short timeout per retry period, not seconds on every request.
    assert time.monotonic() - started < 5
    outage_lines = [r for r in caplog.records if r.name == "scheduler.ratelimit"]
    assert len(outage_lines) == 1 and "Redis unreachable" in outage_lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_when_redis_comes_back_the_shared_counts_are_used_again(
        app: Flask, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed")
    import subprocess

    port = free_port()
    limited = make_app(database_url, tmp_path / "limited", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    clock = [time.monotonic()]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    caplog.set_level(logging.INFO)
    with limited.test_request_context():
        with pytest.raises(ratelimit.LimitsUnavailable):
            ratelimit.hit("sign-in-client", "x", 10, 60)
        assert ratelimit.hit("token-miss", "x", 1, 60).allowed  # counted in this process meanwhile
        assert not ratelimit.hit("token-miss", "x", 1, 60).allowed
    server = subprocess.Popen([redis_server, "--port", str(port), "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "redis-server did not start"
                time.sleep(0.1)
        clock[0] += ratelimit.REDIS_RETRY_S + 1
        with limited.test_request_context():
            assert ratelimit.hit("sign-in-client", "x", 10, 60).allowed
    finally:
        server.terminate()
        server.wait(timeout=10)
    messages = [r.getMessage() for r in caplog.records if r.name == "scheduler.ratelimit"]
    assert len(messages) == 2 and "Redis reachable again" in messages[1]


@pytest.mark.parametrize("gone", ["sqlite", "postgresql"])
def test_a_database_that_is_gone_answers_503_with_retry_after_and_one_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, gone: str) -> None:
    url = (f"sqlite:///{tmp_path / 'no-such-folder' / 'gone.db'}" if gone == "sqlite"
           else f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/gone?connect_timeout=2")
    client = make_app(url, tmp_path / "instance").test_client()
    caplog.set_level(logging.INFO)
    for _round in range(5):
        feed = client.get(f"/feeds/{'A' * 43}.ics")
        assert feed.status_code == 503 and feed.mimetype == "text/plain"
        assert int(feed.headers["Retry-After"]) > 0
        page = client.get("/p/some-link")
        assert page.status_code == 503 and "cannot reach its database" in page.get_data(as_text=True)
        assert client.post("/sign-in", data={"email": "a@example.org", "password": "x" * 12}).status_code == 503
        api = client.get("/api/v1/participants", headers={"Authorization": "Bearer sk_" + "k" * 43})
        assert api.status_code == 503 and api.mimetype == "application/problem+json", api.get_data(as_text=True)
        assert int(api.headers["Retry-After"]) > 0 and api.get_json()["status"] == 503
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and "database unreachable" in errors[0].getMessage(), [r.getMessage() for r in errors]
    assert errors[0].exc_info is None


def test_the_database_coming_back_is_logged_once_and_pages_answer_again(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    app = make_app(f"sqlite:///{folder / 'back.db'}", tmp_path / "instance")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    client = app.test_client()
    caplog.set_level(logging.INFO)
    folder.rename(tmp_path / "elsewhere")  # the database is gone
    assert client.get(f"/feeds/{'A' * 43}.ics").status_code == 503
    assert client.get(f"/feeds/{'A' * 43}.ics").status_code == 503
    (tmp_path / "elsewhere").rename(folder)  # and back
    assert client.get(f"/feeds/{'A' * 43}.ics").status_code == 404
    messages = [r.getMessage() for r in caplog.records if r.name == "scheduler.views.errors"]
    assert len(messages) == 2 and "database reachable again" in messages[1], messages


def test_a_signed_in_person_gets_the_503_page_not_a_500(tmp_path: Path) -> None:
    """The error page is drawn without asking the database who is signed in (that would raise again
    inside the error handler)."""
    folder = tmp_path / "data"
    folder.mkdir()
    app = make_app(f"sqlite:///{folder / 'signed-in.db'}", tmp_path / "instance", PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.create_all()
        center = Center(name="Outage", timezone="Europe/Madrid", term_start=dt.date(2027, 1, 4),
                        term_end=dt.date(2027, 3, 26))
        db.session.add(center)
        db.session.flush()
        accounts.create_coordinator("ana@example.org", PASSWORD, center)
        db.session.commit()
        center_id = center.id
    client = app.test_client()
    assert client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 302
    assert client.get(f"/centers/{center_id}/schedule/").status_code == 200
    folder.rename(tmp_path / "aside")  # the database is gone, and a folder stands where its file was
    folder.mkdir()
    (folder / "signed-in.db").mkdir()
    with app.app_context():
        db.engine.dispose()
    for path in (f"/centers/{center_id}/schedule/", f"/centers/{center_id}/", "/no-such-page"):
        page = client.get(path)
        assert page.status_code in (503, 404), (path, page.status_code)
        if page.status_code == 503:
            assert "cannot reach its database" in page.get_data(as_text=True)
            assert int(page.headers["Retry-After"]) > 0
