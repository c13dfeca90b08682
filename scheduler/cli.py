"""``flask --app scheduler ...`` commands for coordinators and operators."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.services import backups
from scheduler.services.accounts import MIN_PASSWORD_LENGTH, AccountError, create_coordinator
from scheduler.services.demo import load_demo
from scheduler.services.scenarios import CenterExistsError, export_scenario, find_center, import_scenario
from solver import ScenarioError, read_scenario_file

# Exit status for bad input, as for a command-line usage error.
BAD_INPUT = 2


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(BAD_INPUT)


def register(app: Flask) -> None:
    register_worker(app)
    register_backups(app)

    @app.cli.command("import-scenario")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--center", "center_name", help="Name of the new center (default: the scenario's center name).")
    @click.option("--replace", is_flag=True, help="Replace the planning data of an existing center of that name.")
    def import_scenario_command(file: Path, center_name: str | None, replace: bool) -> None:
        """Import a scenario file as a center. Nothing is written unless the whole file is valid."""
        try:
            scenario = read_scenario_file(file)
        except ScenarioError as error:
            _fail([f"{file}: {len(error.problems)} problem(s); nothing was imported:"]
                  + [f"  {problem}" for problem in error.problems])
        try:
            center = import_scenario(scenario, center_name, replace=replace)
            db.session.commit()
        except CenterExistsError as error:
            db.session.rollback()
            _fail([f"center: {error}; choose another name with --center, or use --replace. Nothing was imported."])
        except IntegrityError as error:
            db.session.rollback()
            _fail([f"{file}: the database refused the data ({error.orig}); nothing was imported."])
        click.echo(f'Imported "{center.name}": {len(scenario.participants)} participants, '
                   f"{len(scenario.facilitators)} facilitators, {len(scenario.activities)} activities.")

    @app.cli.command("export-scenario")
    @click.argument("center_name", metavar="CENTER")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="File to write (use - for standard output).")
    def export_scenario_command(center_name: str, output: Path) -> None:
        """Write a center's planning data as a scenario file."""
        center = find_center(center_name)
        if center is None:
            _fail([f'center: no center named "{center_name}"'])
        text = json.dumps(export_scenario(center).to_dict(), indent=1, ensure_ascii=False) + "\n"
        if str(output) == "-":
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            click.echo(f'Exported "{center.name}" to {output}.')

    @app.cli.command("create-coordinator")
    @click.argument("email")
    @click.option("--center", "center_name", required=True, help="Name of the center they coordinate.")
    @click.password_option(prompt=f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
                           help="Prompted for when not given.")
    def create_coordinator_command(email: str, center_name: str, password: str) -> None:
        """Make EMAIL a coordinator of a center (creating the account if needed)."""
        center = find_center(center_name)
        if center is None:
            _fail([f'--center: no center named "{center_name}"'])
        try:
            user = create_coordinator(email, password, center)
            db.session.commit()
        except AccountError as error:
            db.session.rollback()
            _fail([str(error)])
        click.echo(f'{user.email} now coordinates "{center.name}".')

    @app.cli.command("load-demo")
    def load_demo_command() -> None:
        """Load the demo center once and print how to sign in."""
        try:
            sign_in = load_demo(current_app.config["DEMO_SCENARIO"], current_app.instance_path)
        except RuntimeError as error:
            _fail([str(error)])
        state = "Loaded" if sign_in.created else "Using"
        click.echo(f'{state} the demo center "{sign_in.center_name}".')
        click.echo("Open http://127.0.0.1:5000 and sign in with")
        click.echo(f"    email:    {sign_in.email}")
        click.echo(f"    password: {sign_in.password}")


def register_worker(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Run an RQ worker that builds schedules (needs REDIS_URL)."""
        from redis import Redis
        from rq import Worker

        url = current_app.config.get("REDIS_URL")
        if not url:
            _fail(["REDIS_URL: not set; without it schedules are built inside the app and no worker is needed."])
        worker = Worker([current_app.config["SOLVER_QUEUE"]], connection=Redis.from_url(url))
        # Work-horses are forked from this process: hand them an empty connection pool, or parent
        # and child would talk over the same database sockets.
        db.engine.dispose()
        worker.work(burst=burst)


def register_backups(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  help="File to write (default: instance/backups/<date>.sqlite or .pgdump).")
    def backup_command(output: Path | None) -> None:
        """Write a consistent copy of the whole database."""
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if output is None:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            suffix = "sqlite" if url.startswith("sqlite") else "pgdump"
            output = Path(current_app.instance_path) / "backups" / f"scheduler-{stamp}.{suffix}"
        try:
            backups.backup(url, output)
        except backups.BackupError as error:
            _fail([f"backup: {error}"])
        click.echo(f"Backed up {backups.describe(url)} to {output}.")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(file: Path, yes: bool) -> None:
        """Replace everything in the database with a backup."""
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if not yes:
            click.confirm(f"This replaces ALL data in {backups.describe(url)} with {file}. Continue?", abort=True)
        db.session.remove()
        db.engine.dispose()  # no pooled connection may hold the old database open
        try:
            backups.restore(url, file)
        except backups.BackupError as error:
            _fail([f"restore: {error}. The database was not changed."])
        click.echo(f"Restored {backups.describe(url)} from {file}.")
