"""Rate limits: guessing passwords and tokens is slowed, a lock-out ends with its window, and with
Redis the counts are shared by every app server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler import ratelimit
from tests.conftest import PASSWORD, make_app


def test_too_many_wrong_passwords_lock_the_account_for_one_window(
        app: Flask, client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    for _attempt in range(10):
        assert client.post("/sign-in", data={"email": "ana@example.org", "password": "wrong guess"}).status_code == 200
    refused = client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in refused.get_data(as_text=True)
    clock[0] += 901  # the next window: the lock-out is over
    assert client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 302


def test_guessing_tokens_is_slowed_but_real_links_keep_working(app: Flask, client: FlaskClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit.time, "time", lambda: 2_000_000.0)
    for n in range(60):
        assert client.get(f"/feeds/{'A' * 42}{n % 10}.ics").status_code == 404
    assert client.get(f"/feeds/{'B' * 43}.ics").status_code == 429
    assert client.get("/p/another-guess").status_code == 429


def test_with_redis_the_counts_are_shared_between_app_servers(database_url: str, tmp_path: Path) -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url).ping()
    except RedisConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {url}")
    first = make_app(database_url, tmp_path / "a", REDIS_URL=url)
    second = make_app(database_url, tmp_path / "b", REDIS_URL=url)
    key = secrets.token_hex(8)
    with first.app_context():
        assert ratelimit.hit("test", key, 2, 60, now=5_000_000).allowed
        assert ratelimit.hit("test", key, 2, 60, now=5_000_000).allowed
    with second.app_context():
        assert not ratelimit.hit("test", key, 2, 60, now=5_000_000).allowed
        assert ratelimit.hit("test", key, 2, 60, now=5_000_060).allowed  # a new window
