"""`make run`'s steps: migrations build the schema of the models, upgrade keeps rows, the demo
center loads once and its printed sign-in works."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import Center, Participant
from tests.conftest import ThrowawayDatabases, make_app, tracked_app


def test_migrations_build_exactly_the_schema_of_the_models(databases: ThrowawayDatabases, tmp_path: Path) -> None:
    app = make_app(databases.new(), tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == []


def test_demo_loads_once_and_upgrade_keeps_rows(databases: ThrowawayDatabases, tmp_path: Path) -> None:
    app = make_app(databases.new(), tmp_path / "instance")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo center" in first.output
    assert "http://127.0.0.1:5000" in first.output
    password = re.search(r"password: (\S+)", first.output)
    assert password is not None

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    second = runner.invoke(args=["load-demo"])
    assert second.exit_code == 0
    assert "Using the demo center" in second.output
    app.config["PUBLIC_URL"] = "https://groups.example.org"  # where a deployment serves, not the loopback
    assert "Open https://groups.example.org and sign in" in runner.invoke(args=["load-demo"]).output
    assert password.group(1) in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Center)) == 1
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 120

    client = app.test_client()
    response = client.post("/sign-in", data={"email": "coordinator@demo.example", "password": password.group(1)},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Riverside Community Center (demo)" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_secret_key_is_generated_once_and_kept(databases: ThrowawayDatabases, tmp_path: Path) -> None:
    url = databases.new()
    first = tracked_app({"SQLALCHEMY_DATABASE_URI": url}, tmp_path)
    second = tracked_app({"SQLALCHEMY_DATABASE_URI": url}, tmp_path)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
