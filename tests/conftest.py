"""Fixtures mirroring the app factory: ``app``, ``client``, ``runner`` and row builders.

Tests run on SQLite by default. With ``TEST_DATABASE_URL`` set to a PostgreSQL server URL, the
session creates its own throwaway database there and drops it at the end, so runs never see each
other's rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from scheduler import create_app
from scheduler.extensions import db

# The example scenarios are data of this repository (scenarios/ at its top level).
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def scenario_path(name: str) -> Path:
    path = SCENARIOS / f"{name}.json"
    if not path.exists():
        pytest.fail(f"example scenario {path} is missing from the repository's scenarios/ folder")
    return path


class ThrowawayDatabases:
    """Creates empty databases for one test session and drops them all at the end."""

    def __init__(self, base_url: str | None, tmp: Path):
        self.base_url = make_url(base_url) if base_url else None
        self.tmp = tmp
        self.created: list[str] = []

    def new(self) -> str:
        if self.base_url is None:
            return f"sqlite:///{self.tmp / f'{secrets.token_hex(4)}.db'}"
        name = f"scheduler_test_{secrets.token_hex(6)}"
        engine = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self.created.append(name)
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.base_url is None or not self.created:
            return
        engine = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabases]:
    dbs = ThrowawayDatabases(os.environ.get("TEST_DATABASE_URL"), tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: ThrowawayDatabases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database for the session, with the schema of the models."""
    url = databases.new()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "schema"},
                     instance_path=str(tmp_path_factory.mktemp("schema-instance")))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


# Every app a test builds, so its engine is disposed when the test ends, pass or fail. An engine left
# to the garbage collector closes its PostgreSQL connections late, inside some other test, as a
# ResourceWarning that the strict warning filter turns into that other test's failure.
_built_apps: list[Flask] = []


def tracked_app(settings: dict[str, Any], instance: Path) -> Flask:
    app = create_app(settings, instance_path=str(instance))
    _built_apps.append(app)
    return app


def make_app(url: str, instance: Path, **config: Any) -> Flask:
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-" + secrets.token_hex(8),
                "WTF_CSRF_ENABLED": False}
    settings.update(config)
    return tracked_app(settings, instance)


def _finish_background_solves(app: Flask) -> None:
    """A solve a test left running holds a database connection on its thread; let it end before the
    engine is disposed, or the connection is dropped unclosed later, inside another test."""
    for name in ("solve_executor", "mail_executor"):  # a batch of emails sending in the background, too
        executor = app.extensions.get(name)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(autouse=True)
def _dispose_built_apps() -> Iterator[None]:
    """Autouse, so set up first and torn down last: after the ``app`` fixture has emptied the tables."""
    yield
    while _built_apps:
        app = _built_apps.pop()
        _finish_background_solves(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path / "instance")
    yield app
    _finish_background_solves(app)
    with app.app_context():
        db.session.remove()
        # Empty every table, children first, so the next test starts from nothing.
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


def table_counts() -> dict[str, int]:
    """Rows per table: compared before and after a refused change to prove nothing was written."""
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables}


@pytest.fixture
def counts(app: Flask) -> Callable[[], dict[str, int]]:
    def read() -> dict[str, int]:
        with app.app_context():
            return table_counts()
    return read


PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_center(app: Flask) -> Callable[..., int]:
    """Import an example scenario as a center with the given name; returns the center id."""
    from scheduler.services.scenarios import import_scenario
    from solver import read_scenario_file

    def make(name: str, scenario: str = "small") -> int:
        with app.app_context():
            center = import_scenario(read_scenario_file(scenario_path(scenario)), name)
            db.session.commit()
            return center.id

    return make


@pytest.fixture
def make_coordinator(app: Flask) -> Callable[..., None]:
    from scheduler.services.accounts import create_coordinator
    from scheduler.services.scenarios import find_center

    def make(email: str, center_name: str, password: str = PASSWORD) -> None:
        with app.app_context():
            center = find_center(center_name)
            assert center is not None
            create_coordinator(email, password, center)
            db.session.commit()

    return make


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/sign-in", data={"email": email, "password": password})
