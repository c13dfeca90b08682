"""Building a schedule in the background: jobs, their live progress, and the versions they make.

A job's state lives in the database, not in the process that runs it, so any app server can show
its progress and a restart cannot lose it. While a job runs, a heartbeat thread beside the solver
writes the latest progress every second and reads the cancel flag; a job whose heartbeat stops
(its process died or restarted) is marked *interrupted* the next time anyone looks at it, and the
best schedule it had in hand is kept as a version.

Jobs run on a worker thread of the app by default, one solve at a time per process. With
``REDIS_URL`` configured they go to RQ workers (``flask --app scheduler worker``) instead, so
several app servers share a pool of solver machines. Each such worker keeps a short-lived key in
Redis (:class:`WorkerBeacon`), so a build page can say when no worker is there to run it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import CursorResult, Update, func, select, update
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
    from solver.objective import Weights
    from solver.scenario import Scenario
    from solver.schedule import Schedule
    from solver.solve import Pins, Progress

log = logging.getLogger(__name__)

MIN_TIME_LIMIT_S = 5
MAX_TIME_LIMIT_S = 600
HEARTBEAT_S = 1.0
# Long enough for a busy machine to miss a few beats, short enough that a coordinator who
# restarted the server sees "interrupted" within half a minute (SOLVE_STALE_AFTER_S overrides it).
STALE_AFTER = dt.timedelta(seconds=30)
RQ_QUEUE = "solver"
RQ_JOB_PREFIX = "queued as "
# A worker's key in Redis lives this long and is renewed every WORKER_BEACON_EVERY_S: a worker that
# was killed drops out of the count within WORKER_BEACON_TTL_S.
WORKER_BEACON_TTL_S = 15
WORKER_BEACON_EVERY_S = 5
WORKER_BEACON_PREFIX = "scheduler:solver-worker:"
# A web request never waits longer than this for Redis: a hung Redis must not hang the page.
REDIS_TIMEOUT_S = 2.0


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
    notice: str | None = None  # while queued: why it has not started (no worker, queue unreachable)

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


# --------------------------------------------------------------------------- starting and reading


def active_job(center: Center) -> SolveJob | None:
    reap_stale_jobs(center)
    return db.session.scalar(
        select(SolveJob).where(SolveJob.center_id == center.id, SolveJob.status.in_(ACTIVE_JOB_STATUSES))
    )


def create_job(center: Center, user: User | None, time_limit_s: float, *, seed: int = 0,
               stay_close_to: ScheduleVersion | None = None, weights: dict[str, Any] | None = None,
               scenario: Scenario | None = None, start_from: dict[str, Any] | None = None,
               purpose: dict[str, Any] | None = None) -> SolveJob:
    """A queued job for ``center`` holding the scenario as it is now. The caller commits, then
    calls :func:`dispatch`. Two solves of one center at once are refused. With ``stay_close_to``
    (the published version, mid-term), the solve pays for every change to it, so only what must
    change changes.

    The advisor's builds say more: ``scenario`` replaces the center's own (a what-if: a facilitator
    leaves, without touching the center's data), ``start_from`` is a schedule (dict, interchange
    format) the solve stays close to instead of the published one (a suggestion's verified schedule,
    so the people it promised stay seated), and ``purpose`` (JSON: ``kind`` and what the version
    page shows) is kept on the job, so the version it makes can say why it was built."""
    if not MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise SolveRefusedError(
            _("Choose a time limit between %(low)d and %(high)d seconds.", low=MIN_TIME_LIMIT_S,
              high=MAX_TIME_LIMIT_S), field="time_limit_s")
    running = active_job(center)
    if running is not None:
        raise SolveRefusedError(_("A schedule for this center is already being built. Wait for it to finish, "
                                  "or cancel it first."))
    if scenario is None:
        scenario = export_scenario(center)
    if not scenario.participants or not scenario.activities or not scenario.slots or not scenario.rooms:
        raise SolveRefusedError(_("Add at least one weekly slot, room, activity and participant first."))
    params: dict[str, Any] = {"seed": seed, "workers": current_app.config.get("SOLVER_WORKERS", 2)}
    if weights:  # the score's weights where they differ from the solver's (the JSON API offers them)
        params["weights"] = dict(weights)
    pinned = pins.for_solver(center, scenario)
    if pinned.count:
        # Stale pins stay out (the job page says how many); the search starts from the pinned version.
        params["pins"] = pinned.pins
        params["hint_version_id"] = pinned.hint_version_id
    if pinned.stale:
        params["stale_pins"] = len(pinned.stale)
    if stay_close_to is not None:
        params["baseline"] = term_baseline(stay_close_to)
    if start_from is not None:
        params["baseline"] = start_from
    if purpose is not None:
        params["purpose"] = purpose
    backend = "rq" if current_app.config.get("REDIS_URL") else "thread"
    job = SolveJob(center=center, created_by=user, time_limit_s=float(time_limit_s), scenario=scenario.to_dict(),
                   params=params, backend=backend,
                   # Until a worker takes it, the RQ job that carries it, so a build Redis lost can be told.
                   worker=f"{RQ_JOB_PREFIX}{os.urandom(8).hex()}" if backend == "rq" else None)
    db.session.add(job)
    return job


def purpose_of(version: ScheduleVersion) -> dict[str, Any] | None:
    """Why the advisor built ``version`` (a suggestion tried, a what-if), as ``create_job`` kept it."""
    if version.job is None:
        return None
    purpose = (version.job.params or {}).get("purpose")
    return purpose if isinstance(purpose, dict) else None


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


def stale_after() -> dt.timedelta:
    seconds = current_app.config.get("SOLVE_STALE_AFTER_S")
    return dt.timedelta(seconds=float(seconds)) if seconds else STALE_AFTER


def reap_stale_jobs(center: Center | None = None) -> int:
    """Mark as interrupted the running jobs whose heartbeat stopped, and in-process queued jobs
    that no thread will ever pick up (their server restarted); keep the best schedule each had in
    hand as a version. Returns how many. Safe when several app servers look at once: each job is
    claimed by a conditional update, so only one of them marks it and keeps its version."""
    limit = utcnow() - stale_after()
    query = select(SolveJob).where(SolveJob.status.in_(ACTIVE_JOB_STATUSES))
    if center is not None:
        query = query.where(SolveJob.center_id == center.id)
    stale: list[SolveJob] = []
    waiting: list[SolveJob] = []
    for job in db.session.scalars(query):
        if _aware(job.heartbeat_at or job.created_at) >= limit:
            continue
        (waiting if job.backend == "rq" and job.status == JobStatus.QUEUED else stale).append(job)
    return sum(_interrupt(job) for job in stale) + sum(_lost_from_queue(job) for job in waiting)


def _weights(stored: dict[str, Any] | None) -> Weights:
    from solver.objective import Weights

    if not stored:
        return Weights()
    chosen = dict(stored)
    if "rank_points" in chosen:
        chosen["rank_points"] = tuple(chosen["rank_points"])
    return Weights(**chosen)


def _rq_job_id(job: SolveJob) -> str:
    return (job.worker or "").removeprefix(RQ_JOB_PREFIX) or f"solve-{job.id}"


def _lost_from_queue(job: SolveJob) -> bool:
    """Close a queued build whose RQ job Redis no longer has (restarted without its data, flushed):
    no worker will ever take it, and it would refuse every later build of its center."""
    from redis.exceptions import RedisError
    from rq.job import Job

    url = current_app.config.get("REDIS_URL")
    if not url or not (job.worker or "").startswith(RQ_JOB_PREFIX):
        return False
    try:
        if Job.exists(_rq_job_id(job), connection=redis_connection(url)):
            return False
    except (RedisError, OSError):
        return False  # cannot tell now; the page says the queue cannot be reached
    message = _("The build queue lost this build before a worker took it (Redis restarted). Start it again.")
    closed = _rows_changed(
        update(SolveJob).where(SolveJob.id == job.id, SolveJob.status == JobStatus.QUEUED)
        .values(status=JobStatus.INTERRUPTED, finished_at=utcnow(), message=message))
    db.session.commit()
    if closed:
        db.session.refresh(job)
        log.warning("solve %s: its RQ job is gone from Redis; marked interrupted", job.id)
    return bool(closed)


def _rows_changed(statement: Update) -> int:
    """Run a conditional UPDATE; how many rows it changed (0: another process got there first)."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast("CursorResult[Any]", result).rowcount


def _interrupt(job: SolveJob) -> bool:
    """Claim a stale job as interrupted (False if another request or its worker got there first)."""
    if job.backend == "rq":
        message = _("The build worker stopped while this schedule was being built.")
    else:
        message = _("The server stopped while this schedule was being built.")
    # Claimed only as last seen: a beat written since means it is alive after all.
    beat = SolveJob.heartbeat_at
    seen_beat = beat.is_(None) if job.heartbeat_at is None else beat == job.heartbeat_at
    claimed = _rows_changed(
        update(SolveJob).where(SolveJob.id == job.id, SolveJob.status == job.status, seen_beat)
        .values(status=JobStatus.INTERRUPTED, finished_at=utcnow(), message=message))
    if not claimed:
        db.session.rollback()
        return False
    db.session.commit()
    db.session.refresh(job)
    number = _keep_as_version(job, job.best_schedule) if job.best_schedule else None
    if number is not None:
        job.best_schedule = None  # it is the version now
        job.message = message + " " + _("The best schedule found before it stopped is kept as version %(number)d.",
                                        number=number)
    else:
        job.message = message + " " + _("No schedule had been found yet. Start it again.")
    db.session.commit()
    log.warning("solve %s: no heartbeat since %s; marked interrupted (%s)", job.id, job.heartbeat_at,
                f"version {number} kept" if number else "nothing found yet")
    return True


def _keep_as_version(job: SolveJob, schedule: dict[str, Any], attempts: int = 3) -> int | None:
    """Save ``schedule`` as the center's next version, made by ``job``; its number, or None when the
    job already has one. A number taken by a version saved at the same moment is retried."""
    for _attempt in range(attempts):
        if db.session.scalar(select(ScheduleVersion.id).where(ScheduleVersion.job_id == job.id)) is not None:
            return None
        number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                    .where(ScheduleVersion.center_id == job.center_id)) or 0) + 1
        db.session.add(ScheduleVersion(
            center_id=job.center_id, number=number, job_id=job.id, solver_status=schedule["status"],
            objective=schedule["objective"], bound=schedule["bound"], scenario=job.scenario, schedule=schedule))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return number
    return None


def job_progress(job: SolveJob) -> JobProgress:
    if job.active:
        reap_stale_jobs(job.center)
    notice = waiting_notice() if job.status == JobStatus.QUEUED and job.backend == "rq" else None
    elapsed = job.elapsed_s or 0.0
    if job.status == JobStatus.RUNNING and job.started_at is not None:
        elapsed = max(elapsed, (utcnow() - _aware(job.started_at)).total_seconds())
    return JobProgress(
        id=job.id, status=job.status.value, elapsed_s=round(min(elapsed, job.time_limit_s), 1),
        time_limit_s=job.time_limit_s, best_score=job.best_score, bound=job.bound, covered=job.covered,
        participants=len(job.scenario.get("participants", [])), message=job.message,
        version_number=job.version.number if job.version else None, notice=notice,
    )


def waiting_notice() -> str | None:
    """Why a queued RQ build has not started, in words; None when a worker is there to take it."""
    workers = live_workers()
    if workers is None:
        return _("The build queue cannot be reached just now. This build starts once it can be reached "
                 "and a build worker is running.")
    if workers == 0:
        return _("No build worker is running, so this build has not started. It starts as soon as one "
                 "runs: ask whoever runs the server to start one (flask --app scheduler worker), or stop "
                 "this build.")
    return None


def live_workers() -> int | None:
    """How many ``flask worker`` processes serve this app's queue now; None if Redis cannot be reached."""
    from redis.exceptions import RedisError

    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    pattern = f"{WORKER_BEACON_PREFIX}{current_app.config.get('SOLVER_QUEUE', RQ_QUEUE)}:*"
    try:
        return sum(1 for _key in redis_connection(url).scan_iter(match=pattern, count=100))
    except (RedisError, OSError):
        return None


class WorkerBeacon(threading.Thread):
    """Beside ``flask worker``: a key in Redis that expires unless renewed, so the app can tell a
    live worker from none (RQ's own registry keeps a killed worker listed for minutes)."""

    def __init__(self, url: str, queue: str) -> None:
        super().__init__(name="solver-worker-beacon", daemon=True)
        self.key = f"{WORKER_BEACON_PREFIX}{queue}:{socket.gethostname()}:{os.getpid()}"
        self.url = url
        self.stopped = threading.Event()

    def run(self) -> None:
        from redis.exceptions import RedisError

        connection = redis_connection(self.url)
        while True:
            try:
                connection.set(self.key, "1", ex=WORKER_BEACON_TTL_S)
            except (RedisError, OSError):  # Redis away for a moment: the next beat says so again
                log.warning("solver worker: cannot reach Redis to say it is alive")
            if self.stopped.wait(WORKER_BEACON_EVERY_S):
                break
        with contextlib.suppress(RedisError, OSError):
            connection.delete(self.key)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- dispatch


def redis_connection(url: str) -> Any:
    """A Redis client that gives up after REDIS_TIMEOUT_S instead of hanging a request."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)


def dispatch(job: SolveJob) -> None:
    """Hand a committed job to its runner. When the queue cannot take it, the job is closed as
    failed (so it blocks no later build) and :class:`SolveRefusedError` says so in words."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if job.backend == "rq":
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            queue = Queue(app.config.get("SOLVER_QUEUE", RQ_QUEUE),
                          connection=redis_connection(app.config["REDIS_URL"]))
            queue.enqueue(run_job_from_rq, job.id, job_timeout=int(job.time_limit_s) + 300, job_id=_rq_job_id(job))
        except (RedisError, OSError):
            log.warning("solve %s: the build queue (Redis) could not be reached; the build was not started", job.id)
            db.session.rollback()
            message = _("The build queue could not be reached, so this build was not started. Nothing else "
                        "changed. Try again in a minute.")
            # Conditional: a worker that did get the job after all (a Redis that answered late) keeps it.
            closed = _rows_changed(
                update(SolveJob).where(SolveJob.id == job.id, SolveJob.status == JobStatus.QUEUED)
                .values(status=JobStatus.FAILED, finished_at=utcnow(), message=message))
            db.session.commit()
            if closed:
                raise SolveRefusedError(message) from None
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
        self.best: Progress | None = None  # the latest progress that came with its schedule
        self.saved_best: Progress | None = None
        self.scenario: Scenario | None = None
        self.baseline: bool = False
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
            if job.cancel_requested or job.status != JobStatus.RUNNING:  # stopped, or given up for dead
                self.cancel.set()
            job.heartbeat_at = utcnow()
            _store_progress(job, self.latest)
            best = self.best
            if best is not None and best is not self.saved_best and self.scenario is not None:
                job.best_schedule = best_so_far(self.scenario, best, stability=self.baseline)
                self.saved_best = best
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


def best_so_far(scenario: Scenario, progress: Progress, *, stability: bool) -> dict[str, Any]:
    """The schedule behind ``progress`` as a complete result (score terms, who is left out and why),
    ready to become a version if the build never ends on its own."""
    from solver.explain import explain_unassigned
    from solver.objective import Weights, score_terms
    from solver.schedule import Schedule, Unassigned

    groups = progress.groups or ()
    terms = score_terms(scenario, list(groups), Weights())
    if stability:  # the rest of the score is what the changes to the published schedule cost
        terms["disruption"] = progress.objective - sum(terms.values())
    schedule = Schedule(status="FEASIBLE", groups=tuple(groups), objective=progress.objective,
                        bound=max(progress.bound, progress.objective), wall_s=progress.elapsed_s,
                        score_terms=terms)
    unassigned = tuple(Unassigned(p, reason) for p, reason in explain_unassigned(scenario, schedule).items())
    return Schedule(status=schedule.status, groups=schedule.groups, objective=schedule.objective,
                    bound=schedule.bound, wall_s=schedule.wall_s, score_terms=terms,
                    unassigned=unassigned).to_dict()


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
    from scheduler.services.versions import schedule_of

    return schedule_of(version)


def term_baseline(version: ScheduleVersion, day: dt.date | None = None) -> dict[str, Any]:
    """The published schedule as the term stands on ``day`` (today): its groups with today's members,
    after everyone who has left or joined since publishing."""
    from scheduler.services.term import rosters
    from scheduler.services.versions import version_data

    data = version_data(version)
    on = max(day or dt.date.today(), data.center.term_start)
    by_group = rosters(version)
    groups = tuple(dataclasses.replace(g, members=tuple(by_group[g.id].on(on))) for g in data.schedule.groups)
    return dataclasses.replace(data.schedule, groups=groups).to_dict()


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
        heartbeat.scenario, heartbeat.baseline = scenario, bool(baseline)
        params = SolveParams(time_limit_s=time_limit_s, workers=int(job_params.get("workers", 2)),
                             seed=int(job_params.get("seed", 0)), pins=_solver_pins(job_params.get("pins")),
                             hint=hint, stability=Stability(load_schedule(baseline)) if baseline else None,
                             weights=_weights(job_params.get("weights")))

        def on_progress(progress: Progress) -> None:
            heartbeat.latest = progress
            if progress.groups is not None:
                heartbeat.best = progress

        schedule = solve(scenario, params, on_progress=on_progress, cancel=cancel)
    except Exception as error:
        heartbeat.done.set()
        heartbeat.join()
        log.exception("solve %s failed", job_id)
        db.session.rollback()
        job = db.session.get(SolveJob, job_id)
        assert job is not None
        if job.status != JobStatus.RUNNING:
            return  # given up for dead meanwhile (see reap_stale_jobs), which said what happened
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
    if job.status != JobStatus.RUNNING:
        # Given up for dead while it was stalled (paused, cut off from the database); the page already
        # says so, and the best schedule it had then is a version. This late result is not kept twice.
        log.warning("solve %s ended after it was marked %s; its result is dropped", job_id, job.status.value)
        db.session.rollback()
        return
    _store_progress(job, heartbeat.latest)
    job.best_schedule = None  # only for a build that never ends on its own; the result is below
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
    else:
        job.message = _("Stopped on request before the search had found any schedule, so there is no version "
                        "to keep. Start it again and let it run a little longer.")
    db.session.commit()
