"""/healthz and /readyz in-process: what each says when the database or Redis is down. The same
endpoints are read from outside, against gunicorn, in test_faults.py."""

from __future__ import annotations

import socket
from pathlib import Path

from flask import Flask

from tests.conftest import make_app


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthz_says_only_that_the_process_answers(tmp_path: Path) -> None:
    # The database does not even exist: the process is up all the same.
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'scheduler.db'}", tmp_path / "instance")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_the_database_and_no_redis_configured(app: Flask) -> None:
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "down": [], "database": "ok", "redis": "not configured"}


def test_readyz_names_redis_when_it_is_down(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path / "instance", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert response.get_json() == {"ready": False, "down": ["redis"], "database": "ok", "redis": "unreachable"}


def test_readyz_names_the_database_when_it_cannot_be_read(tmp_path: Path) -> None:
    # A file SQLite can create but that holds no schema, and a folder that does not exist.
    for url in (f"sqlite:///{tmp_path / 'empty.db'}", f"sqlite:///{tmp_path / 'missing' / 'scheduler.db'}"):
        app = make_app(url, tmp_path / "instance")
        response = app.test_client().get("/readyz")
        assert response.status_code == 503, url
        assert response.get_json()["down"] == ["database"]
