"""`flask backup` and `flask restore`: a restore into an empty database gives back every row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, select

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.services.accounts import create_coordinator
from scheduler.services.scenarios import import_scenario
from solver import read_scenario_file
from tests.conftest import ThrowawayDatabases, make_app, scenario_path


def everything(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (including Alembic's), in a stable order."""
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        rows = {name: sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
                for name, table in metadata.tables.items()}
    engine.dispose()
    return rows


@pytest.fixture
def filled(databases: ThrowawayDatabases, tmp_path: Path) -> tuple[Flask, str]:
    url = databases.new()
    app = make_app(url, tmp_path / "source")
    with app.app_context():
        upgrade()
        center = import_scenario(read_scenario_file(scenario_path("small")), "North")
        create_coordinator("ana@example.org", "correct horse battery staple", center)
        db.session.flush()
        db.session.add(ScheduleVersion(center_id=center.id, number=1, solver_status="FEASIBLE",
                                       scenario=json.loads(scenario_path("small").read_text()),
                                       schedule={"format": "sociotherapy-schedule/1", "status": "FEASIBLE",
                                                 "groups": [], "unassigned": []}))
        db.session.commit()
        db.engine.dispose()
    return app, url


def test_restore_into_an_empty_database_gives_back_every_row(
    filled: tuple[Flask, str], databases: ThrowawayDatabases, tmp_path: Path
) -> None:
    app, url = filled
    backup_file = tmp_path / "backups" / "north.backup"
    result = app.test_cli_runner().invoke(args=["backup", "-o", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_mode & 0o077 == 0  # personal data: owner only

    empty_url = databases.new()
    target = make_app(empty_url, tmp_path / "target")
    result = target.test_cli_runner().invoke(args=["restore", str(backup_file)], input="y\n")
    assert result.exit_code == 0, result.output
    original, restored = everything(url), everything(empty_url)
    assert len(original["participants"]) == 120
    assert restored == original


def test_restore_asks_first(filled: tuple[Flask, str], databases: ThrowawayDatabases, tmp_path: Path) -> None:
    app, _url = filled
    backup_file = tmp_path / "north.backup"
    app.test_cli_runner().invoke(args=["backup", "-o", str(backup_file)])
    target_url = databases.new()
    target = make_app(target_url, tmp_path / "target")
    result = target.test_cli_runner().invoke(args=["restore", str(backup_file)], input="n\n")
    assert result.exit_code != 0
    assert "This replaces ALL data" in result.output
    assert everything(target_url).get("participants") is None  # still empty


def test_a_file_that_is_not_a_backup_changes_nothing(filled: tuple[Flask, str], tmp_path: Path) -> None:
    app, url = filled
    before = everything(url)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all")
    result = app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 2
    assert "is not a backup made by 'flask backup'" in result.output
    assert "The database was not changed." in result.output
    assert everything(url) == before


def test_a_backup_of_the_other_kind_of_database_is_refused(filled: tuple[Flask, str], tmp_path: Path) -> None:
    app, url = filled
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" + b"\0" * 64 if url.startswith("sqlite") else b"SQLite format 3\x00" + b"\0" * 84)
    result = app.test_cli_runner().invoke(args=["restore", str(other), "--yes"])
    assert result.exit_code == 2
    assert "backup; the database is" in result.output
