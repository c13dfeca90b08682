"""Building a schedule in the background: jobs, their live progress, and the versions they make.

A job's state lives in the database, not in the process that runs it, so any app server can show
its progress and a restart cannot lose it. While a job runs, a heartbeat thread beside the solver
writes the latest progress every second and reads the cancel flag; a job whose heartbeat stops
(its process died or restarted) is marked *interrupted* the next time anyone looks at it.

Jobs run on a worker thread of the app by default, one solve at a time per process. With
``REDIS_URL`` configured they go to RQ workers (``flask --app scheduler worker``) instead, so
several app servers share a pool of solver machines.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import (
    ACTIVE_JOB_STATUSES,
    Center,
    JobStatus,
    ScheduleVersion,
    SolveJob,
    User,
)
from scheduler.models.accounts import utcnow
from scheduler.services import pins
from scheduler.services.scenarios import export_scenario
from solver import load_scenario

if TYPE_CHECKING:
    from solver.schedule import Schedule
    from solver.solve import Pins, Progress

log = logging.getLogger(__name__)

MIN_TIME_LIMIT_S = 5
MAX_TIME_LIMIT_S = 600
HEARTBEAT_S = 1.0
# Long enough for a busy machine to miss a few beats, short enough that a coordinator who
# restarted the server sees "interrupted" within half a minute.
STALE_AFTER = dt.timedelta(seconds=30)
RQ_QUEUE = "solver"


class SolveRefusedError(ValueError):
    """A solve that cannot start; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class JobProgress:
    """What the progress bar shows; also the JSON the page polls."""

    id: int
    status: str
    elapsed_s: float
    time_limit_s: float
    best_score: int | None
    bound: int | None
    covered: int | None
    participants: int
    message: str | None
    version_number: int | None

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


# --------------------------------------------------------------------------- starting and reading


def active_job(center: Center) -> SolveJob | None:
    reap_stale_jobs(center)
    return db.session.scalar(
        select(SolveJob).where(SolveJob.center_id == center.id, SolveJob.status.in_(ACTIVE_JOB_STATUSES))
    )


def create_job(center: Center, user: User | None, time_limit_s: float, *, seed: int = 0,
               stay_close_to: ScheduleVersion | None = None) -> SolveJob:
    """A queued job for ``center`` holding the scenario as it is now. The caller commits, then
    calls :func:`dispatch`. Two solves of one center at once are refused. With ``stay_close_to``
    (the published version, mid-term), the solve pays for every change to it, so only what must
    change changes."""
    if not MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise SolveRefusedError(
            _("Choose a time limit between %(low)d and %(high)d seconds.", low=MIN_TIME_LIMIT_S,
              high=MAX_TIME_LIMIT_S), field="time_limit_s")
    running = active_job(center)
    if running is not None:
        raise SolveRefusedError(_("A schedule for this center is already being built. Wait for it to finish, "
                                  "or cancel it first."))
    scenario = export_scenario(center)
    if not scenario.participants or not scenario.activities or not scenario.slots or not scenario.rooms:
        raise SolveRefusedError(_("Add at least one weekly slot, room, activity and participant first."))
    params: dict[str, Any] = {"seed": seed, "workers": current_app.config.get("SOLVER_WORKERS", 2)}
    pinned = pins.for_solver(center, scenario)
    if pinned.count:
        # Stale pins stay out (the job page says how many); the search starts from the pinned version.
        params["pins"] = pinned.pins
        params["hint_version_id"] = pinned.hint_version_id
    if pinned.stale:
        params["stale_pins"] = len(pinned.stale)
    if stay_close_to is not None:
        params["baseline"] = term_baseline(stay_close_to)
    job = SolveJob(center=center, created_by=user, time_limit_s=float(time_limit_s), scenario=scenario.to_dict(),
                   params=params,
                   backend="rq" if current_app.config.get("REDIS_URL") else "thread")
    db.session.add(job)
    return job


def commit_new_job(job: SolveJob) -> None:
    """Commit a job from :func:`create_job`; a race with another request for the same center
    ends on the database's one-active-job index and is reported like the ordinary refusal."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise SolveRefusedError(_("A schedule for this center is already being built. Wait for it to finish, "
                                  "or cancel it first.")) from error


def request_cancel(job: SolveJob) -> bool:
    """Ask a job to stop; a queued job stops at once. False when it had already ended."""
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.CANCELLED
        job.finished_at = utcnow()
        return True
    if job.status == JobStatus.RUNNING:
        job.cancel_requested = True
        return True
    return False


def reap_stale_jobs(center: Center | None = None) -> int:
    """Mark as interrupted the running jobs whose heartbeat stopped, and in-process queued jobs
    that no thread will ever pick up (their server restarted). Returns how many."""
    limit = utcnow() - STALE_AFTER
    query = select(SolveJob).where(SolveJob.status.in_(ACTIVE_JOB_STATUSES))
    if center is not None:
        query = query.where(SolveJob.center_id == center.id)
    reaped = 0
    for job in db.session.scalars(query):
        last_sign = _aware(job.heartbeat_at or job.created_at)
        waiting_for_rq = job.backend == "rq" and job.status == JobStatus.QUEUED
        if last_sign < limit and not waiting_for_rq:
            job.status = JobStatus.INTERRUPTED
            job.finished_at = utcnow()
            job.message = _("The server stopped while this schedule was being built. Start it again.")
            reaped += 1
    if reaped:
        db.session.commit()
    return reaped


def job_progress(job: SolveJob) -> JobProgress:
    if job.active:
        reap_stale_jobs(job.center)
    elapsed = job.elapsed_s or 0.0
    if job.status == JobStatus.RUNNING and job.started_at is not None:
        elapsed = max(elapsed, (utcnow() - _aware(job.started_at)).total_seconds())
    return JobProgress(
        id=job.id, status=job.status.value, elapsed_s=round(min(elapsed, job.time_limit_s), 1),
        time_limit_s=job.time_limit_s, best_score=job.best_score, bound=job.bound, covered=job.covered,
        participants=len(job.scenario.get("participants", [])), message=job.message,
        version_number=job.version.number if job.version else None,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- dispatch


def dispatch(job: SolveJob) -> None:
    """Hand a committed job to its runner."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if job.backend == "rq":
        from redis import Redis
        from rq import Queue

        queue = Queue(app.config.get("SOLVER_QUEUE", RQ_QUEUE), connection=Redis.from_url(app.config["REDIS_URL"]))
        queue.enqueue(run_job_from_rq, job.id, job_timeout=int(job.time_limit_s) + 300,
                      job_id=f"solve-{job.id}-{os.urandom(4).hex()}")
        return
    executor: ThreadPoolExecutor = app.extensions.setdefault(
        "solve_executor", ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve"))
    executor.submit(_run_in_app, app, job.id)


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def run_job_from_rq(job_id: int) -> None:
    """The RQ task. ``flask worker`` forks with its app context; a bare ``rq worker`` has none."""
    if has_app_context():
        # ``flask worker`` empties the pool before it forks work-horses (see cli.worker_command), so
        # a horse opens its own connections and never shares its parent's.
        run_job(job_id)
        db.session.remove()
        return
    from scheduler import create_app

    _run_in_app(create_app(), job_id)


# --------------------------------------------------------------------------- running


class _Heartbeat(threading.Thread):
    """Beside the solver: every second, write the latest progress and read the cancel flag.

    The solver's progress callback runs on CP-SAT's thread and only stores the newest figures
    here; all database work happens on this thread, with its own session."""

    def __init__(self, app: Flask, job_id: int, cancel: threading.Event):
        super().__init__(name=f"solve-heartbeat-{job_id}", daemon=True)
        self.app = app
        self.job_id = job_id
        self.cancel = cancel
        self.latest: Progress | None = None
        self.done = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            try:
                while not self.done.wait(HEARTBEAT_S):
                    self.beat()
            finally:
                db.session.remove()

    def beat(self) -> None:
        try:
            job = db.session.get(SolveJob, self.job_id)
            if job is None:
                self.cancel.set()
                return
            db.session.refresh(job)
            if job.cancel_requested:
                self.cancel.set()
            job.heartbeat_at = utcnow()
            _store_progress(job, self.latest)
            db.session.commit()
        except Exception:  # a missed beat must not kill the solve; the next one may succeed
            db.session.rollback()
            log.warning("solve %s: heartbeat failed", self.job_id, exc_info=True)


def _store_progress(job: SolveJob, progress: Progress | None) -> None:
    if progress is None:
        return
    job.elapsed_s = progress.elapsed_s
    job.best_score = progress.objective
    job.bound = progress.bound
    job.covered = progress.covered


def _solver_pins(data: dict[str, dict[str, Any]] | None) -> Pins:
    """The pins a job stored (see :func:`scheduler.services.pins.for_solver`) as ``solver.solve.Pins``."""
    from solver.solve import Pins

    data = data or {}
    return Pins(
        group_slots={g: tuple(s) for g, s in data.get("group_slots", {}).items()},
        group_rooms=dict(data.get("group_rooms", {})),
        group_facilitators={g: tuple(f) for g, f in data.get("group_facilitators", {}).items()},
        participant_groups={p: tuple(g) for p, g in data.get("participant_groups", {}).items()},
    )


def _hint_schedule(version_id: int | None) -> Schedule | None:
    """The pinned version's schedule, to start the search from; ids it names that the center no
    longer has are ignored by the solver."""
    if version_id is None:
        return None
    version = db.session.get(ScheduleVersion, version_id)
    if version is None:  # deleted since the build was asked for
        return None
    from solver.schedule import load_schedule

    return load_schedule(version.schedule)


def term_baseline(version: ScheduleVersion, day: dt.date | None = None) -> dict[str, Any]:
    """The published schedule as the term stands on ``day`` (today): its groups with today's members,
    after everyone who has left or joined since publishing."""
    from scheduler.services.term import rosters

    start = dt.date.fromisoformat(version.scenario["center"]["term_start"])
    on = max(day or dt.date.today(), start)
    by_group = rosters(version)
    baseline = dict(version.schedule)
    baseline["groups"] = [{**g, "members": list(by_group[g["id"]].on(on))} for g in version.schedule["groups"]]
    return baseline


def run_job(job_id: int) -> None:
    """Run one queued job to its end in the current app context."""
    job = db.session.get(SolveJob, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        return  # cancelled (or taken) before it started
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = utcnow()
    job.worker = f"{socket.gethostname()}:{os.getpid()}"
    scenario_data, time_limit_s, job_params = job.scenario, job.time_limit_s, dict(job.params)
    hint = _hint_schedule(job_params.get("hint_version_id"))
    # Commit, and touch the job no more until the solve ends: an open read transaction held
    # through a long solve would block the heartbeat's writes on SQLite.
    db.session.commit()

    cancel = threading.Event()
    heartbeat = _Heartbeat(current_app._get_current_object(), job_id, cancel)  # type: ignore[attr-defined]
    heartbeat.start()
    try:
        # Imported here: OR-Tools is only needed where solves run (with RQ, not on web servers).
        from solver.solve import SolveParams, solve

        scenario = load_scenario(scenario_data)
        from solver.schedule import load_schedule
        from solver.stability import Stability

        baseline = job_params.get("baseline")
        params = SolveParams(time_limit_s=time_limit_s, workers=int(job_params.get("workers", 2)),
                             seed=int(job_params.get("seed", 0)), pins=_solver_pins(job_params.get("pins")),
                             hint=hint, stability=Stability(load_schedule(baseline)) if baseline else None)

        def on_progress(progress: Progress) -> None:
            heartbeat.latest = progress

        schedule = solve(scenario, params, on_progress=on_progress, cancel=cancel)
    except Exception as error:
        heartbeat.done.set()
        heartbeat.join()
        log.exception("solve %s failed", job_id)
        db.session.rollback()
        job = db.session.get(SolveJob, job_id)
        assert job is not None
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
        job.message = _("Building the schedule failed: %(error)s", error=type(error).__name__)
        db.session.commit()
        return
    heartbeat.done.set()
    heartbeat.join()

    job = db.session.get(SolveJob, job_id)
    assert job is not None
    db.session.refresh(job)
    _store_progress(job, heartbeat.latest)
    job.finished_at = utcnow()
    if schedule.wall_s is not None:
        job.elapsed_s = schedule.wall_s
    job.status = JobStatus.CANCELLED if cancel.is_set() else JobStatus.FINISHED
    if schedule.groups:
        job.best_score, job.bound = schedule.objective, schedule.bound
        job.covered = len({member for group in schedule.groups for member in group.members})
        number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                    .where(ScheduleVersion.center_id == job.center_id)) or 0) + 1
        db.session.add(ScheduleVersion(
            center_id=job.center_id, number=number, job=job, solver_status=schedule.status,
            objective=schedule.objective, bound=schedule.bound, scenario=job.scenario, schedule=schedule.to_dict(),
        ))
        if cancel.is_set():
            job.message = _("Stopped on request. The best schedule found so far is kept as version %(number)d.",
                            number=number)
    elif schedule.status == "INFEASIBLE":
        job.message = _("These requirements cannot all be met:") + "\n" + "\n".join(schedule.explanation)
    elif not cancel.is_set():
        job.message = _("No schedule was found within the time limit. Try again with a longer time limit.")
    db.session.commit()
