"""Browser tests: Playwright driving the machine's Chromium (Debian's ``chromium`` package;
Playwright's own browser download does not work here) against the app on a loopback port.

In CI (``CI`` set) they are mandatory: a missing Chromium fails. Elsewhere they skip and say why.
``.ci/run`` installs Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from scheduler.extensions import db
from tests.conftest import ThrowawayDatabases, make_app

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Without these, Chromium keeps trying to reach Google's services, which this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app: Flask):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join()


@pytest.fixture
def live_app(databases: ThrowawayDatabases, tmp_path: Path) -> Iterator[Flask]:
    """An app on its own migrated database (not the shared test schema), CSRF on, as in real use."""
    from flask_migrate import upgrade

    app = make_app(databases.new(), tmp_path / "instance", WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
