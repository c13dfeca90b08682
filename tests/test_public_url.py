"""Links that leave the site are built from the configured public address, never from the Host
header a client sent; a production start (gunicorn) without that address, or with several workers
and no shared store for the limits, refuses to start and says what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, url_for

from scheduler.extensions import db
from scheduler.models import OutboxMessage
from tests.conftest import PASSWORD, make_app

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "https://groups.example.org/north"
FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


@pytest.fixture
def public_app(database_url: str, tmp_path: Path) -> Flask:
    return make_app(database_url, tmp_path / "public", PUBLIC_URL=PUBLIC + "/", TRUSTED_PROXIES=1)


def test_emailed_links_use_the_configured_address_whatever_the_host_header(
        app: Flask, public_app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    client = public_app.test_client()
    client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD}, headers=FORGED)
    for path in ("answers/p1/invite", "answers/remind"):
        assert client.post(f"/centers/{center_id}/{path}", headers=FORGED).status_code == 302, path
    with public_app.app_context():
        bodies = db.session.scalars(db.select(OutboxMessage.body)).all()
    assert len(bodies) > 3
    for body in bodies:
        assert "evil.example" not in body and "localhost" not in body
        assert f"{PUBLIC}/p/" in body, body


def test_links_within_pages_stay_relative_and_background_work_gets_the_public_address(public_app: Flask) -> None:
    with public_app.test_request_context("/", headers=FORGED):
        assert url_for("auth.sign_in") == "/sign-in"
        assert url_for("feeds.feed", token="t", _external=True) == f"{PUBLIC}/feeds/t.ics"
        assert url_for("feeds.feed", token="t", _scheme="webcal") == "webcal://groups.example.org/north/feeds/t.ics"
        assert url_for("auth.sign_in", _external=True, _anchor="x y") == f"{PUBLIC}/sign-in#x%20y"
    with public_app.app_context():  # an email sent by a worker or a command: no request at all
        assert url_for("self_service.page", token="t") == f"{PUBLIC}/p/t"


@pytest.mark.parametrize("value", ["groups.example.org", "ftp://groups.example.org", "https://", "https://x/?a=1"])
def test_a_public_address_that_is_not_one_is_refused_by_name(database_url: str, tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError, match="SCHEDULER_PUBLIC_URL must be the address"):
        make_app(database_url, tmp_path / "bad", PUBLIC_URL=value)


def start_gunicorn(workers: int, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """gunicorn as a deployment starts it, from the repository's folder (so it reads gunicorn.conf.py)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_") and k != "REDIS_URL"}
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", "127.0.0.1:0", "--timeout", "20",
         f"scheduler:create_app(instance_path={str(tmp_path / 'instance')!r})"],
        cwd=ROOT, env={**base, "SCHEDULER_SECRET_KEY": "x", **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("workers", "env", "named"), [
    (1, {}, ["SCHEDULER_PUBLIC_URL"]),
    (2, {"SCHEDULER_PUBLIC_URL": PUBLIC}, ["REDIS_URL"]),
    (2, {}, ["SCHEDULER_PUBLIC_URL", "REDIS_URL"]),
])
def test_a_production_start_without_what_it_needs_refuses_saying_what_to_set(
        tmp_path: Path, workers: int, env: dict[str, str], named: list[str]) -> None:
    finished = start_gunicorn(workers, env, tmp_path)
    assert finished.returncode != 0
    assert "Refusing to start: set " in finished.stderr
    for setting in named:
        assert f"{setting}=" in finished.stderr
    if "REDIS_URL" not in named:
        assert "REDIS_URL=" not in finished.stderr


def test_the_checks_also_hold_in_a_worker_started_with_another_config(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", os.devnull, "-w", "1", "-b", "127.0.0.1:0",
         f"scheduler:create_app(instance_path={str(tmp_path / 'instance')!r})"],
        cwd=ROOT, env={**{k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")},
                       "SCHEDULER_SECRET_KEY": "x"},
        capture_output=True, text=True, timeout=60)
    assert finished.returncode != 0 and "SCHEDULER_PUBLIC_URL=" in finished.stderr
