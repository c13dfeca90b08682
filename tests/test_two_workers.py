"""The limits hold for the whole server, and no token reaches a log in any spelling: a real gunicorn
with 2 workers, sharing a private redis-server, asked in parallel (so both workers answer), with its
access log on (the worker's pid on each line proves that both did)."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest
from flask import Flask

from scheduler.extensions import db
from scheduler.models import Participant
from scheduler.services import accounts, feed_tokens, sign_in_limits, two_factor
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
# The workers' limits read a clock stopped at the start of a window (a multiple of 60, 300 and 900 s),
# so no window ends halfway through a test; a new one each time, so a shared Redis holds no old counts.
GUNICORN_CONFIG = '''
exec(open({conf!r}).read())  # the production checks, as deployed

def post_worker_init(worker):
    from scheduler import ratelimit
    ratelimit._now = lambda: {clock}.0
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start")
            time.sleep(0.1)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private redis-server on a free port, or TEST_REDIS_URL's (CI's) when none is installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        from tests.test_ratelimit import _redis_url_or_skip

        url = _redis_url_or_skip()
        yield url
        return
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        wait_for(port, server, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class Server:
    port: int
    access: Path
    error: Path

    def logs(self) -> str:
        time.sleep(0.5)  # let the workers flush their log lines
        return self.access.read_text() + self.error.read_text()


@pytest.fixture
def gunicorn(app: Flask, tmp_path: Path, redis_url: str) -> Iterator[Server]:
    config = tmp_path / "gunicorn_two_workers.py"
    config.write_text(GUNICORN_CONFIG.format(conf=str(ROOT / "gunicorn.conf.py"),
                                             clock=900 * (10**6 + secrets.randbelow(10**9))))
    server = Server(free_port(), tmp_path / "access.log", tmp_path / "error.log")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")},
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SCHEDULER_SECRET_KEY": app.config["SECRET_KEY"],
           "SCHEDULER_PUBLIC_URL": "https://groups.example.org", "REDIS_URL": redis_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{server.port}", "-c", str(config),
         "--access-logfile", str(server.access), "--access-logformat", '%(p)s "%(r)s" %(s)s',
         "--error-logfile", str(server.error), "--log-level", "debug",
         f"scheduler:create_app(instance_path={str(tmp_path / 'instance')!r})"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(server.port, process, "gunicorn")
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight any more
        process.wait(timeout=20)


@dataclass
class Browser:
    """One browser's cookies, kept by hand; requests are sent exactly as given (no redirects followed)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, form: dict[str, str] | None = None, keep: bool = True) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode(errors="replace")
        if keep:
            for cookie in answer.msg.get_all("Set-Cookie") or []:
                name, _sep, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name] = value
        connection.close()
        return answer.status, text

    def form_token(self, path: str) -> str:
        _status, page = self.send("GET", path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page[:500]
        return found.group(1)

    def all_at_once(self, method: str, path: str, forms: list[dict[str, str]]) -> list[int]:
        """Parallel requests with this browser's cookies as they are now (answers do not change them)."""
        with ThreadPoolExecutor(6) as pool:
            return list(pool.map(lambda form: self.send(method, path, form, keep=False)[0], forms))


def links(app: Flask, make_center: Callable[..., int]) -> tuple[str, str]:
    """Participant p1's personal link and feed token."""
    make_center("North")
    with app.app_context():
        participant = db.session.scalars(db.select(Participant).where(Participant.code == "p1")).one()
        page, feed = accounts.issue_participant_link(participant), feed_tokens.issue(participant)
        db.session.commit()
    return page, feed


def accounts_and_links(app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None],
                       ) -> tuple[str, str, str]:
    """Three coordinators (one with two-factor sign-in), participant p1's personal link and feed token."""
    page, feed = links(app, make_center)
    for name in ("ana", "ben", "cy"):
        make_coordinator(f"{name}@example.org", "North")
    secret = pyotp.random_base32()
    with app.app_context():
        ben = accounts.find_user("ben@example.org")
        assert ben is not None and two_factor.turn_on(ben, secret, pyotp.TOTP(secret).now())
        db.session.commit()
    return secret, page, feed


def test_every_limit_holds_exactly_with_two_workers(app: Flask, gunicorn: Server, make_center: Callable[..., int],
                                                     make_coordinator: Callable[..., None]) -> None:
    secret, page, feed = accounts_and_links(app, make_center, make_coordinator)
    port = gunicorn.port

    # Sign-in: 10 wrong passwords per address and account, then 429, the right password included.
    ana = Browser(port)
    token = ana.form_token("/sign-in")
    limit = sign_in_limits.CLIENT_LIMIT[0]
    guesses = [{"csrf_token": token, "email": "ana@example.org", "password": f"guess {n}"} for n in range(limit + 6)]
    statuses = ana.all_at_once("POST", "/sign-in", guesses)
    assert sorted(statuses) == [200] * limit + [429] * 6, statuses
    assert ana.send("POST", "/sign-in", {**guesses[0], "password": PASSWORD})[0] == 429

    # Two-factor codes: five tries, then the sign-in starts over.
    ben = Browser(port)
    token = ben.form_token("/sign-in")
    signed_in = ben.send("POST", "/sign-in", {"csrf_token": token, "email": "ben@example.org", "password": PASSWORD})
    assert signed_in[0] == 302
    token = ben.form_token("/sign-in/code")
    wrong = next(c for c in ("000000", "111111", "222222") if c != pyotp.TOTP(secret).now())
    statuses = ben.all_at_once("POST", "/sign-in/code", [{"csrf_token": token, "code": wrong}] * 8)
    assert sorted(statuses) == [200] * 5 + [302] * 3, statuses

    # The password again before a sensitive action: 10 wrong per 15 minutes, then 429.
    cy = Browser(port)
    token = cy.form_token("/sign-in")
    assert cy.send("POST", "/sign-in", {"csrf_token": token, "email": "cy@example.org", "password": PASSWORD})[0] == 302
    token = cy.form_token("/confirm-password")
    limit = sign_in_limits.CONFIRM_LIMIT[0]
    statuses = cy.all_at_once("POST", "/confirm-password",
                              [{"csrf_token": token, "password": f"guess {n}"} for n in range(limit + 3)])
    assert sorted(statuses) == [200] * limit + [429] * 3, statuses

    # Wrong personal-link, welcome-link and feed tokens: 60 a minute per address, together.
    anyone = Browser(port)
    misses = [f"/feeds/{secrets.token_urlsafe(32)}.ics" for _ in range(30)] + \
             [f"/p/{secrets.token_urlsafe(32)}" for _ in range(25)] + \
             [f"/welcome/{secrets.token_urlsafe(32)}" for _ in range(15)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda path: anyone.send("GET", path, keep=False)[0], misses))
    assert sorted(statuses) == [404] * 60 + [429] * 10, statuses
    assert anyone.send("GET", f"/p/{page}")[0] == 200  # a real link is never held up by others' misses

    # One feed: 120 requests a minute.
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _n: anyone.send("GET", f"/feeds/{feed}.ics", keep=False)[0], range(125)))
    assert sorted(statuses) == [200] * 120 + [429] * 5, statuses

    pids = {line.split(" ", 1)[0] for line in gunicorn.access.read_text().splitlines()}
    assert len(pids) == 2, pids  # both workers answered


def raw_get(port: int, target: str) -> int:
    """The request line exactly as written (no client normalises it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_no_spelling_of_a_token_url_reaches_the_logs(app: Flask, gunicorn: Server,
                                                    make_center: Callable[..., int]) -> None:
    page, feed = links(app, make_center)
    welcome = secrets.token_urlsafe(32)
    encoded = f"{page[:5]}%{ord(page[5]):02X}{page[6:]}"
    served = {f"/%70/{page}": 200, f"/%66eeds/{feed}.ics": 200, f"/feeds/{feed}%2Eics": 200, f"/p/{encoded}": 200}
    other = [f"//p/{page}", f"/p//{page}", f"/P/{page}", f"/FEEDS/{feed}.ics", f"/%2570/{page}", f"/./p/{page}",
             f"/w%65lcome/{welcome}", f"/%57ELCOME/{welcome}", f"/sign-in?next=%252Fp%252F{page}",
             f"/p\\{page}", f"/%66eeds/{feed}.ics?x=%0A"]
    for target, status in served.items():
        assert raw_get(gunicorn.port, target) == status, target  # these spellings are served, so logged
    for target in other:
        raw_get(gunicorn.port, target)
    logs = gunicorn.logs()
    for kind, token in (("personal link", page), ("feed", feed), ("welcome link", welcome)):
        assert token not in logs, f"the {kind} token is in gunicorn's logs"
    access = gunicorn.access.read_text().splitlines()  # the proof is not an empty log: every request is there
    assert len(access) == len(served) + len(other) and all("[token]" in line for line in access), access
