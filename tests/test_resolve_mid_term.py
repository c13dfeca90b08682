"""Re-solving mid-term from the published version: the job carries the term's current rosters as
the baseline, and the new draft moves nobody who did not need to move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, SolveJob, VersionStatus
from scheduler.services import solving, waitlist
from scheduler.services.editing import current_scenario
from solver import SolveParams, load_scenario, solve
from solver.schedule import load_schedule
from solver.stability import moves
from tests.conftest import sign_in


def publish_a_solve(center: Center) -> ScheduleVersion:
    scenario = load_scenario(current_scenario(center))
    result = solve(scenario, SolveParams(time_limit_s=8, workers=2, seed=1))
    version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                              published_at=dt.datetime.now(dt.UTC), solver_status=result.status,
                              objective=result.objective, bound=result.bound, scenario=scenario.to_dict(),
                              schedule=result.to_dict())
    db.session.add(version)
    db.session.commit()
    return version


def test_a_re_solve_from_the_published_version_moves_only_what_must(app_ctx: Flask,
                                                                   make_center: Callable[..., int]) -> None:
    center = db.session.get(Center, make_center("North"))
    assert center is not None
    version = publish_a_solve(center)
    group = next(g for g in version.schedule["groups"] if len(g["members"]) > 1)
    leaver = group["members"][0]
    # Someone left their group last week; another participant is gone from the center altogether.
    waitlist.leave(version, group["id"], leaver, dt.date.fromisoformat(version.scenario["center"]["term_start"]),
                   None)
    gone = next(p for p in center.participants if p.code not in group["members"]
                and any(p.code in g["members"] for g in version.schedule["groups"]))
    db.session.delete(gone)
    db.session.commit()

    job = solving.create_job(center, None, 10, stay_close_to=version)
    db.session.commit()
    baseline = load_schedule(job.params["baseline"])
    assert leaver not in next(g for g in baseline.groups if g.id == group["id"]).members
    solving.run_job(job.id)
    done = db.session.get(SolveJob, job.id)
    assert done is not None and done.version is not None, done and done.message
    new = load_schedule(done.version.schedule)
    moved = moves(baseline, new.groups)
    assert moved.participants <= {gone.code}, moved


def test_the_build_form_offers_to_stay_close_once_something_is_published(
        app: Flask, client: FlaskClient, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    sign_in(client, "ana@example.org")
    assert "Keep the published schedule" not in client.get(f"/centers/{center_id}/schedule/").get_data(as_text=True)
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        publish_a_solve(center)
    page = client.get(f"/centers/{center_id}/schedule/").get_data(as_text=True)
    assert "Keep the published schedule" in page
    with app.app_context():
        job = solving.create_job(db.session.get(Center, center_id), None, 10)  # type: ignore[arg-type]
        assert "baseline" not in job.params  # without stay_close_to, a fresh solve
        db.session.rollback()
