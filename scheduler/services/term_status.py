"""Where a center's term stands, in a handful of figures the dashboard shows first: answers in, the
build, the published version, people left out, open cover requests, groups under their minimum.
Also the words for how a build ended, as it happened (stopped by you, the time limit, proven best)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.i18n import number_text, percent_text
from scheduler.models import Center, Participant, ScheduleVersion, SolveJob
from scheduler.models.schedules import JobStatus
from scheduler.models.swaps import SwapRequest, SwapStatus
from scheduler.services import people_search, versions
from scheduler.services.term import rosters


@dataclass(frozen=True)
class Placement:
    """Who is in which group in the version that matters now: the published one, else the newest draft."""

    version: ScheduleVersion
    titles: dict[str, str]                  # group id -> 'Community choir, group 2'
    groups_of: dict[str, frozenset[str]]    # participant code -> group ids

    def facts(self, code: str, answered: bool | None = None) -> people_search.PersonFacts:
        groups = self.groups_of.get(code, frozenset())
        return people_search.PersonFacts(answered=answered, groups=groups, placed=bool(groups))

    def group_choices(self) -> list[tuple[str, str]]:
        return sorted(self.titles.items(), key=lambda item: people_search.natural_key(item[1]))


def current_placement(center: Center) -> Placement | None:
    version = versions.current_published(center) or next(iter(versions.list_versions(center)), None)
    if version is None:
        return None
    data = versions.version_data(version)
    return Placement(version=version, titles=people_search.group_titles(data.scenario, data.schedule),
                     groups_of=people_search.placements(data.schedule))


@dataclass(frozen=True)
class TermStatus:
    participants: int
    answered: int
    job: SolveJob | None              # the newest build, running or not
    newest: ScheduleVersion | None    # the newest version
    published: ScheduleVersion | None
    left_out: int | None              # in the published version (None: nothing published)
    open_cover: int
    below_minimum: list[str]          # titles of published groups under their minimum today


def term_status(center: Center, today: dt.date | None = None) -> TermStatus:
    participants = db.session.scalar(select(func.count()).select_from(Participant)
                                     .where(Participant.center_id == center.id)) or 0
    answered = db.session.scalar(select(func.count()).select_from(Participant).where(
        Participant.center_id == center.id, Participant.answered_at.is_not(None))) or 0
    job = db.session.scalar(select(SolveJob).where(SolveJob.center_id == center.id)
                            .order_by(SolveJob.id.desc()).limit(1))
    newest = next(iter(versions.list_versions(center)), None)
    published = versions.current_published(center)
    open_cover = db.session.scalar(select(func.count()).select_from(SwapRequest).where(
        SwapRequest.center_id == center.id,
        SwapRequest.status.in_((SwapStatus.OPEN, SwapStatus.PENDING_APPROVAL)))) or 0
    left_out = None
    below: list[str] = []
    if published is not None:
        data = versions.version_data(published)
        placed = {m for g in data.schedule.groups for m in g.members}
        codes = {p.id for p in data.scenario.participants}
        left_out = len(codes - placed)
        day = max(today or dt.date.today(), center.term_start)
        smallest = {a.id: a.min_size for a in data.scenario.activities}
        titles = people_search.group_titles(data.scenario, data.schedule)
        activity_of = {g.id: g.activity for g in data.schedule.groups}
        for gid, roster in rosters(published).items():
            if len(roster.on(day)) < smallest.get(activity_of.get(gid, ""), 0):
                below.append(titles.get(gid, gid))
    return TermStatus(participants=participants, answered=answered, job=job, newest=newest, published=published,
                      left_out=left_out, open_cover=open_cover,
                      below_minimum=sorted(below, key=people_search.natural_key))


def build_outcome(version: ScheduleVersion) -> str:
    """How the search that made a version ended, as it happened."""
    job = version.job
    if version.solver_status == "OPTIMAL":
        return _("Proven the best possible")
    if job is not None and job.cancel_requested:
        return _("Stopped by you; the best schedule found until then")
    if job is not None and job.status == JobStatus.INTERRUPTED:
        return _("Interrupted; the best schedule found until then")
    if version.solver_status == "FEASIBLE":
        return _("Good; the time limit was reached before it could be proven the best")
    if version.solver_status == "INFEASIBLE":
        return _("Impossible as set up")
    return _("No result")


def job_state(job: SolveJob) -> str:
    """A build's state in words: running, or how it ended."""
    if job.status == JobStatus.QUEUED:
        return _("Waiting to start")
    if job.status == JobStatus.RUNNING:
        return _("Stopping") if job.cancel_requested else _("Searching")
    if job.status == JobStatus.CANCELLED or (job.cancel_requested and job.status == JobStatus.FINISHED):
        return _("Stopped by you")
    if job.status == JobStatus.INTERRUPTED:
        return _("Interrupted (the server running it stopped)")
    if job.status == JobStatus.FAILED:
        return _("Failed")
    if job.version is not None and job.version.solver_status == "OPTIMAL":
        return _("Finished: proven the best possible")
    return _("Finished: the time limit was reached")


def score_sentence(objective: int | None, bound: int | None) -> str:
    """What a score means, in one sentence, wherever one is shown (solver.objective's default weights)."""
    if objective is None:
        return _("No score: this version has no schedule.")
    explained = _("The score gives 100 points for each person placed, 10 more for each place in a first choice "
                  "(7 for a second, 5 for a third, fewer after), and takes a few off for uneven group sizes and "
                  "for meetings at “if need be” times. Higher is better.")
    if bound is None or bound <= 0:
        return explained
    return _("%(explained)s This one reaches %(share)s of the most any schedule could (%(bound)s).",
             explained=explained, share=percent_text(objective / bound, 1), bound=number_text(bound))
