"""No token reaches a log: the app served by a real gunicorn (access and error log files) and by
werkzeug's development server, asked for every kind of token URL, including one that fails."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from scheduler.extensions import db
from scheduler.models import Facilitator, Participant
from scheduler.services import accounts, feed_tokens, staff_invitations
from scheduler.views.feeds import RedactTokens
from tests.support.feeds import person, published_center

ROOT = Path(__file__).resolve().parents[1]
FAULT_HEADER = "X-Test-Fault"

# Loaded by gunicorn in each worker: one header makes the participant's page fail, so the error
# path (Flask's "Exception on <path>" with its traceback) is exercised for real.
GUNICORN_CONFIG = f'''
def post_worker_init(worker):
    from flask import request
    from scheduler.services import self_service

    original = self_service.my_meetings

    def failing(*args, **kwargs):
        if request.headers.get("{FAULT_HEADER}"):
            raise RuntimeError("injected by the log test")
        return original(*args, **kwargs)

    self_service.my_meetings = failing
'''


def tokens_of_every_kind(app: Flask) -> dict[str, str]:
    with app.app_context():
        published_center()
        p1 = person(Participant, "p1")
        found = {"feed": feed_tokens.issue(p1), "personal": accounts.issue_participant_link(p1),
                 "staff": feed_tokens.issue_scoped(p1.center_id, "center", None)}
        ana = person(Facilitator, "ana")
        ana.email = "ana@example.org"
        with app.test_request_context():
            staff_invitations.invite_facilitator(ana.center, ana)
        db.session.commit()
        assert ana.user is not None
        found["welcome"] = staff_invitations.issue_welcome_link(ana.user)
        db.session.commit()
    return found


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # nosec B310: our own server on loopback
            answer.read()
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def ask_for_everything(base: str, tokens: dict[str, str]) -> dict[str, int]:
    """Every token route, each kind of answer (200, 304, 404, a failed form, a 500), and the token
    in places other than the path (a query string, percent-encoded; a Referer)."""
    feed = f"{base}/feeds/{tokens['feed']}.ics"
    page = f"{base}/p/{tokens['personal']}"
    statuses = {"feed": fetch(feed, {"Referer": page}), "staff": fetch(f"{base}/feeds/{tokens['staff']}.ics"),
                "page": fetch(page), "welcome": fetch(f"{base}/welcome/{tokens['welcome']}"),
                "calendar": fetch(f"{page}/calendar", data=b"csrf_token=nope"),
                "query": fetch(f"{base}/sign-in?next=%2Fp%2F{tokens['personal']}"),
                "failing": fetch(page, {FAULT_HEADER: "1"})}
    etag_request = urllib.request.Request(feed)
    with urllib.request.urlopen(etag_request, timeout=20) as answer:  # nosec B310: our own server on loopback
        etag = answer.headers["ETag"]
    statuses["revalidated"] = fetch(feed, {"If-None-Match": etag})
    statuses["unknown"] = fetch(f"{base}/feeds/{'A' * 43}.ics")
    return statuses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(app: Flask, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """The app under gunicorn (one sync worker) on a free port, on the test's database."""
    config = tmp_path / "gunicorn_test_config.py"
    config.write_text(GUNICORN_CONFIG)
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SCHEDULER_SECRET_KEY": app.config["SECRET_KEY"], "SCHEDULER_PUBLIC_URL": "http://127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "-c", str(config),
         "--access-logfile", str(access), "--error-logfile", str(error), "--log-level", "debug",
         f"scheduler:create_app(instance_path={str(tmp_path / 'instance')!r})"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {error.read_text() if error.exists() else ''}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", access, error
    finally:
        server.terminate()
        server.wait(timeout=20)


def raw_request(base: str, line: str) -> None:
    """A request gunicorn itself refuses, whose error message quotes the request line."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(line.encode() + b"\r\nHost: x\r\n\r\n")
        connection.recv(4096)


def test_no_token_reaches_gunicorns_access_or_error_log(app: Flask, gunicorn: tuple[str, Path, Path]) -> None:
    tokens = tokens_of_every_kind(app)
    base, access, error = gunicorn
    statuses = ask_for_everything(base, tokens)
    assert statuses == {"feed": 200, "staff": 200, "page": 200, "welcome": 200, "calendar": 400, "query": 200,
                        "failing": 500, "revalidated": 304, "unknown": 404}, statuses
    for line in (f"GET /p/{tokens['personal']}", f"GET /p/{tokens['personal']} HTTP/1.1 extra"):
        raw_request(base, line)
    time.sleep(0.5)  # let the worker flush its log lines
    logs = {"access": access.read_text(), "error": error.read_text()}
    for name, text in logs.items():
        for kind, token in tokens.items():
            assert token not in text, f"the {kind} token is in gunicorn's {name} log"
    # The lines are there, redacted: the proof is not an empty log.
    assert logs["access"].count("/feeds/[token].ics") >= 4 and "/welcome/[token]" in logs["access"]
    assert "/p/[token]/calendar" in logs["access"] and "next=/p/[token]" in logs["access"]
    assert "GET /p/[token]" in logs["error"] and "injected by the log test" in logs["error"]
    assert "Invalid HTTP request line: 'GET /p/[token]'" in logs["error"]


def test_no_token_reaches_the_development_servers_log(app: Flask, caplog: pytest.LogCaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import request

    from scheduler.services import self_service

    tokens = tokens_of_every_kind(app)
    original = self_service.my_meetings

    def failing(*args: object, **kwargs: object) -> object:
        if request.headers.get(FAULT_HEADER):
            raise RuntimeError("injected by the log test")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(self_service, "my_meetings", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs the failure itself
    caplog.set_level(logging.DEBUG)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        statuses = ask_for_everything(f"http://127.0.0.1:{server.server_port}", tokens)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert statuses["failing"] == 500 and statuses["feed"] == 200
    for kind, token in tokens.items():
        assert token not in caplog.text, f"the {kind} token is in the log"
    assert caplog.text.count("/feeds/[token].ics") >= 4 and "injected by the log test" in caplog.text


def test_redaction_reads_every_shape_of_log_call(caplog: pytest.LogCaptureFixture, app: Flask) -> None:
    """gunicorn's access logger is handed a mapping, werkzeug a tuple, others a finished string."""
    caplog.set_level(logging.INFO)
    secret = "Zq9" * 14 + "x"
    logging.getLogger("gunicorn.access").info('%(r)s "%(f)s"', {"r": f"GET /p/{secret}/calendar HTTP/1.1",
                                                                 "f": f"https://x/feeds/{secret}.ics"})
    logging.getLogger("werkzeug").info('"%s" %s', f"GET /welcome/{secret} HTTP/1.1", 200)
    app.logger.error(f"Exception on /p/{secret} [GET]")
    assert secret not in caplog.text
    assert RedactTokens.redact(f"/feeds/{secret}.ics?x=1") == "/feeds/[token].ics?x=1"
