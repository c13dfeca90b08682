"""Real servers for the tests that run the app as deployed: a free port, waiting for something to
hold, a private redis-server (or CI's Redis), and gunicorn with two workers sharing it, spoken to by
a browser whose cookies are kept by hand."""

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

import pytest
from flask import Flask


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], bool], timeout: float, every: float = 0.1) -> float:
    """Seconds until ``check()`` held; fails the test after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(every)
    return time.monotonic() - started


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("redis-server up", self.answers, 10)

    def answers(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            return bool(Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
        except RedisError:
            return False

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(5)

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)


def redis_url_or_skip() -> str:
    """The Redis to test against. It is required (a failure, not a skip) when CI runs or when
    TEST_REDIS_URL names one: .ci/run checks that Redis answers and sets TEST_REDIS_URL."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisConnectionError:
        if os.environ.get("CI") or "TEST_REDIS_URL" in os.environ:
            pytest.fail(f"Redis is not reachable at {url}; the shared rate limits must be tested")
        pytest.skip(f"Redis is not reachable at {url}")
    return url


ROOT = Path(__file__).resolve().parents[2]
# The workers' limits read a clock stopped at the start of a window (a multiple of 60, 300 and 900 s),
# so no window ends halfway through a test; a new one each time, so a shared Redis holds no old counts.
GUNICORN_CONFIG = '''
exec(open({conf!r}).read())  # the production checks, as deployed

def post_worker_init(worker):
    from scheduler import ratelimit
    ratelimit._now = lambda: {clock}.0
'''


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
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
        url = redis_url_or_skip()
        yield url
        return
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, server, "redis-server")
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
        wait_for_port(server.port, process, "gunicorn")
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
