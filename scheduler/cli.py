"""``flask --app scheduler ...`` commands for coordinators and operators."""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, User
from scheduler.services import backups, password_resets, planning, staff_invitations
from scheduler.services.accounts import MIN_PASSWORD_LENGTH, AccountError, check_email, create_coordinator, find_user
from scheduler.services.demo import load_demo
from solver import ScenarioError, read_scenario_file

LOOPBACK_URL = "http://127.0.0.1:5000"  # where `make run` serves when no public address is set
# Exit status for bad input, as for a command-line usage error.
BAD_INPUT = 2


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(BAD_INPUT)


def register(app: Flask) -> None:
    register_worker(app)
    register_backups(app)

    @app.cli.command("import-scenario")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--center", "center_name", help="Name of the new center (default: the scenario's center name).")
    @click.option("--replace", is_flag=True,
                  help="Sync the file into the existing center of that name (matched by id: everyone in both keeps "
                       "their links, calendar and account).")
    @click.option("--yes", is_flag=True, help="With --replace: remove the people the file leaves out without asking.")
    def import_scenario_command(file: Path, center_name: str | None, replace: bool, yes: bool) -> None:
        """Import a scenario file as a center. Nothing is written unless the whole file is valid."""
        try:
            scenario = read_scenario_file(file)
        except ScenarioError as error:
            _fail([f"{file}: {len(error.problems)} problem(s); nothing was imported:"]
                  + [f"  {problem}" for problem in error.problems])
        name = center_name or scenario.center.name
        center = planning.find_center(name)
        if center is not None and not replace:
            _fail([f'center: a center named "{name}" already exists; choose another name with --center, '
                   "or use --replace. Nothing was imported."])
        try:
            if center is None:
                center = planning.create_center(scenario, name)
            else:
                try:
                    planning.replace_scenario(center, scenario, confirmed_removals=yes)
                except planning.RemovalsNeedConfirmation as question:
                    db.session.rollback()
                    click.echo(f"The file leaves out {len(question.removals)} people of {name}; they would be "
                               "removed with their personal links, calendar links and answers:")
                    for removal in question.removals:
                        click.echo(f"  {removal.kind} {removal.code} ({removal.name})")
                    if not click.confirm("Remove them?", default=False):
                        _fail(["Nothing was imported."])
                    center = planning.find_center(name)
                    assert center is not None
                    planning.replace_scenario(center, scenario, confirmed_removals=True)
            db.session.commit()
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
        center = planning.find_center(center_name)
        if center is None:
            _fail([f'center: no center named "{center_name}"'])
        text = json.dumps(planning.read_center(center).to_dict(), indent=1, ensure_ascii=False) + "\n"
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
        center = planning.find_center(center_name)
        if center is None:
            _fail([f'--center: no center named "{center_name}"'])
        try:
            existing = find_user(check_email(email))
            if existing is not None and existing.password_set_at is not None:
                _ask_existing_account(existing, center)
                return
            user = create_coordinator(email, password, center)
            db.session.commit()
        except AccountError as error:
            db.session.rollback()
            _fail([str(error)])
        click.echo(f'{user.email} now coordinates "{center.name}".')

    def _ask_existing_account(user: User, center: Center) -> None:
        """An account with a password is whoever holds that password, perhaps not the mailbox's owner
        (someone may have made it in their name): the role waits for the owner to accept through a link
        emailed to the address, and the password given here is not used (docs/security.md)."""
        if center.id in user.center_ids(CenterRole.COORDINATOR):
            raise AccountError("email", f'{user.email} is already a coordinator of "{center.name}"')
        if current_app.config.get("PUBLIC_URL"):
            staff_invitations.ask_to_coordinate(center, user)
        else:  # links are built from PUBLIC_URL; without it, from the address `make run` serves on
            click.echo(f"SCHEDULER_PUBLIC_URL is not set: the emailed link starts with {LOOPBACK_URL}.", err=True)
            with current_app.test_request_context(base_url=LOOPBACK_URL):
                staff_invitations.ask_to_coordinate(center, user)
        db.session.commit()
        click.echo(f"{user.email} already has an account with its own password, so it was NOT made a coordinator "
                   f'of "{center.name}" and the password given here was NOT used.')
        click.echo("An invitation was emailed to that address (to the account only: no center's outbox shows it; "
                   f"without a mail server, see `flask account-mail {user.email}`). The role is theirs once they "
                   "sign in with their own password, or a new one chosen through \"Forgotten your password?\", "
                   "and accept through the link.")

    @app.cli.command("account-mail")
    @click.argument("email")
    def account_mail_command(email: str) -> None:
        """Show the mail for EMAIL's account itself (password resets, invitations to coordinate), which no
        center's outbox shows: to pass on by hand when no mail server is set."""
        messages = password_resets.account_mail(email)
        if not messages:
            click.echo(f"No mail for the account {email}.")
        for message in messages:
            click.echo(f"--- {message.created_at:%Y-%m-%d %H:%M} UTC, {message.status.value}: {message.subject}")
            click.echo(message.body)

    @app.cli.command("clear-two-factor")
    @click.argument("email")
    def clear_two_factor_command(email: str) -> None:
        """Turn off EMAIL's two-factor sign-in (a lost phone) and end every session of the account. Check
        who is asking first: a password reset never does this, so only an administrator can."""
        user = find_user(email)
        if user is None or not user.totp_secret:
            _fail([f"email: {email} has no account with two-factor sign-in"])
        user.totp_secret, user.totp_last_step = None, None
        user.session_version += 1
        db.session.commit()
        click.echo(f"Two-factor sign-in is off for {user.email}; every session of the account has ended. They can "
                   "turn it on again from their account page.")

    @app.cli.command("load-demo")
    def load_demo_command() -> None:
        """Load the demo center once and print how to sign in."""
        try:
            sign_in = load_demo(current_app.config["DEMO_SCENARIO"], current_app.instance_path)
        except RuntimeError as error:
            _fail([str(error)])
        state = "Loaded" if sign_in.created else "Using"
        click.echo(f'{state} the demo center "{sign_in.center_name}".')
        click.echo(f"Open {current_app.config.get('PUBLIC_URL') or LOOPBACK_URL} and sign in with")
        click.echo(f"    email:    {sign_in.email}")
        click.echo(f"    password: {sign_in.password}")


WORKER_RESTART_S = 5


def register_worker(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Run an RQ worker that builds schedules and sends batches of emails (needs REDIS_URL)."""
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Worker

        from scheduler.services.mail_batches import MAIL_QUEUE
        from scheduler.services.solving import WorkerBeacon

        url = current_app.config.get("REDIS_URL")
        if not url:
            _fail(["REDIS_URL: not set; without it schedules are built inside the app and no worker is needed."])
        # Work-horses are forked from this process: hand them an empty connection pool, or parent
        # and child would talk over the same database sockets.
        db.engine.dispose()
        # Tells the app a worker is there (a build page says when none is): see solving.WorkerBeacon.
        beacon = WorkerBeacon(url, current_app.config["SOLVER_QUEUE"])
        beacon.start()
        try:
            while True:
                # Emails first: a batch of notices is seconds of work, a build minutes.
                queues = [current_app.config.get("MAIL_QUEUE", MAIL_QUEUE), current_app.config["SOLVER_QUEUE"]]
                worker = None
                try:
                    # Made inside the try: RQ asks Redis already here, and Redis may still be away.
                    worker = Worker(queues, connection=Redis.from_url(url))
                    worker.work(burst=burst)
                except RedisError as error:  # RQ's own bookkeeping on the way out, with Redis still away
                    click.echo(f"worker: Redis unreachable ({type(error).__name__})", err=True)
                except Exception as error:  # e.g. RQ's horse monitor timing out while Redis is away
                    # Whatever ended RQ's loop, the build in hand goes on in its own process (its state is
                    # in the database): this worker carries on rather than leave it orphaned.
                    click.echo(f"worker: the RQ loop stopped ({type(error).__name__}: {error})", err=True)
                # RQ quits its loop when Redis goes away, even mid-build (the build itself goes on: its
                # state is in the database). Asked to stop, or in burst mode, that is the end; otherwise
                # the worker waits for Redis and carries on, as its service would have to restart it.
                if burst or (worker is not None and worker._shutdown_requested_date is not None):
                    break
                click.echo(f"worker: the RQ loop ended; starting it again in {WORKER_RESTART_S} s", err=True)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # RQ's handlers belong to the loop that ended
                signal.signal(signal.SIGINT, signal.default_int_handler)
                time.sleep(WORKER_RESTART_S)
        finally:
            beacon.stopped.set()
            beacon.join(timeout=5)


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
