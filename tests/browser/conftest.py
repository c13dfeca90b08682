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


# --- Accessibility: axe-core (npm, pinned in package-lock.json; `make test` runs `npm ci`) ---------
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0/2.1 A and AA, and the 2.2 AA additions: what the issue asks of every page.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        message = f"axe-core is not installed ({AXE_SCRIPT} is missing): run `npm ci` or `make test`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A page whose context lets axe-core be injected. The app's Content-Security-Policy allows no
    inline script, so the injected <script> would be refused; ``bypass_csp`` is Playwright's switch
    for exactly this (it only lifts the policy for this test browser, the pages are unchanged)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """The serious and critical WCAG A/AA violations axe-core finds in the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    violations: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                    resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), impact: n.impact,
                                          summary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"      {node['target']}  ({(node['summary'] or '').splitlines()[-1].strip()})")
        if len(v["nodes"]) > 8:
            lines.append(f"      ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


class AxeAudit:
    """Runs axe on page after page and keeps every finding, so one run reports all the pages."""

    def __init__(self, page: Any, source: str):
        self.page = page
        self.source = source
        self.checked: list[str] = []
        self.failures: list[str] = []

    def check(self, name: str) -> None:
        found = axe_violations(self.page, self.source)
        self.checked.append(name)
        if found:
            self.failures.append(describe_violations(f"{name} ({self.page.url})", found))

    def visit(self, name: str, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{name}: {url} answered {response and response.status}"
        self.check(name)

    def assert_clean(self) -> None:
        assert not self.failures, ("serious or critical accessibility violations on "
                                   f"{len(self.failures)} of {len(self.checked)} pages:\n\n"
                                   + "\n\n".join(self.failures))
