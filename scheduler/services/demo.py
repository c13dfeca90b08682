"""The demo center that ``make run`` loads once, with a coordinator whose password is generated
on first load and kept in the instance folder (never in the repository)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, VersionStatus
from scheduler.services import versions
from scheduler.services.accounts import create_coordinator
from scheduler.services.planning import read_center
from scheduler.services.scenarios import find_center, import_scenario
from solver import read_scenario_file

DEMO_EMAIL = "coordinator@demo.example"
_WORDS = ("river", "maple", "lantern", "harbor", "meadow", "violin", "pepper", "copper", "willow", "orbit",
          "garden", "tandem", "canyon", "ember", "pillow", "quartz", "saffron", "timber", "walnut", "zephyr")


@dataclass(frozen=True)
class DemoSignIn:
    center_name: str
    email: str
    password: str
    created: bool  # False when the demo was already there


def load_demo(scenario_path: str, instance_path: str) -> DemoSignIn:
    """Load the demo center unless it is there already; return how to sign in. Commits."""
    scenario = read_scenario_file(scenario_path)
    credentials_file = Path(instance_path) / "demo-sign-in.json"
    existing = find_center(scenario.center.name)
    if existing is not None and credentials_file.exists():
        saved = json.loads(credentials_file.read_text())
        return DemoSignIn(existing.name, saved["email"], saved["password"], created=False)
    if existing is not None:
        raise RuntimeError(
            f'the demo center "{existing.name}" exists but {credentials_file} is gone; '
            f"create a coordinator with: flask --app scheduler create-coordinator EMAIL --center \"{existing.name}\""
        )
    # Four words and eight hex digits (about 49 random bits): easy to type from the terminal,
    # and the demo serves 127.0.0.1 only.
    password = "-".join(secrets.choice(_WORDS) for _ in range(4)) + "-" + secrets.token_hex(4)
    center = import_scenario(scenario)
    create_coordinator(DEMO_EMAIL, password, center)
    db.session.commit()
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"email": DEMO_EMAIL, "password": password}, handle)
    return DemoSignIn(center.name, DEMO_EMAIL, password, created=True)


PAST_TERM_WEEKS = 12


def past_term_dates(center: Center, today: dt.date) -> tuple[dt.date, dt.date]:
    """Twelve weeks, Monday to Sunday, ending before both today and the center's own term."""
    before = min(today, center.term_start)
    end = before - dt.timedelta(days=before.weekday() + 1)  # the Sunday before
    return end - dt.timedelta(weeks=PAST_TERM_WEEKS) + dt.timedelta(days=1), end


def load_past_term(center: Center, today: dt.date | None = None) -> tuple[ScheduleVersion, bool]:
    """Give the demo center a published schedule for a past term, with every meeting's attendance
    generated (seeded), so the register, the at-risk list and the term's report have a term to show.
    Returns the version and whether it was made now (False: it was there already). Commits."""
    from scheduler.services.monitoring import demo_attendance
    from solver.greedy import greedy_schedule

    for version in db.session.scalars(select(ScheduleVersion).where(
            ScheduleVersion.center_id == center.id, ScheduleVersion.status == VersionStatus.PUBLISHED)):
        if versions.term_of(version).term_end < center.term_start:
            return version, False
    start, end = past_term_dates(center, today or dt.date.today())
    live = read_center(center)
    scenario = dataclasses.replace(live, center=dataclasses.replace(live.center, term_start=start, term_end=end,
                                                                    holidays=()))
    schedule = greedy_schedule(scenario)
    if schedule is None:
        raise RuntimeError("the demo center's data gives no schedule for a past term")
    number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                .where(ScheduleVersion.center_id == center.id)) or 0) + 1
    version = ScheduleVersion(center_id=center.id, number=number, status=VersionStatus.PUBLISHED,
                              published_at=dt.datetime.combine(start - dt.timedelta(days=7), dt.time(9), tzinfo=dt.UTC),
                              solver_status=schedule.status, objective=schedule.objective, bound=schedule.bound,
                              scenario=scenario.to_dict(), schedule=schedule.to_dict(),
                              presentation=versions.presentation_of(center))  # as publishing holds it
    db.session.add(version)
    db.session.flush()
    demo_attendance.generate(version, until=end)
    db.session.commit()
    return version, True


def load_demo_past_term(scenario_path: str) -> tuple[ScheduleVersion, bool] | None:
    """:func:`load_past_term` for the demo center; None when the demo center is not loaded."""
    center = find_center(read_scenario_file(scenario_path).center.name)
    return None if center is None else load_past_term(center)
