"""Builds and versions over the API: start a build (time limit, stay close to the published
version), follow its progress, cancel it; list versions, read one's schedule in the interchange
format, compare two, publish one, and read a participant's groups. The same services as the pages
(``services.solving``, ``services.versions``, ``services.review``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion, SolveJob
from scheduler.services import planning, review, solving, versions
from scheduler.views.api import schemas
from scheduler.views.api.auth import current_center, current_key
from scheduler.views.api.problems import problem

SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _not_found() -> Response:
    return problem(404, _("Not found"), _("There is nothing here, or it is not yours to see."))


def _job(center: Center, build_id: int) -> SolveJob | None:
    job = db.session.get(SolveJob, build_id)
    return job if job is not None and job.center_id == center.id else None


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were stored as UTC.
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def _version_json(version: ScheduleVersion) -> dict[str, Any]:
    return {"number": version.number, "status": version.status.value, "created_at": _utc(version.created_at),
            "published_at": _utc(version.published_at), "solver_status": version.solver_status,
            "objective": version.objective, "bound": version.bound,
            "groups": len(versions.schedule_of(version).groups)}


def make_blueprint() -> Blueprint:
    blp = Blueprint("api_schedules", __name__, url_prefix="/api/v1",
                    description="Building, reading, comparing and publishing schedules")

    @blp.route("/builds", methods=["POST"], tags=["builds"])
    @blp.arguments(schemas.BuildArgsSchema)
    @blp.response(202, schemas.BuildSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.doc(summary="Start building a schedule", security=SECURITY)
    def start_build(args: dict[str, Any]) -> Response | tuple[dict[str, Any], int, dict[str, str]]:
        center = current_center()
        key = current_key()
        try:
            published = versions.current_published(center)
            job = solving.create_job(center, key.created_by, args["time_limit_s"],
                                     stay_close_to=published if published is not None and args["stay_close"] else None,
                                     weights=args.get("weights"))
            solving.commit_new_job(job)
        except solving.SolveRefusedError as refusal:
            db.session.rollback()
            errors = [{"pointer": f"/{refusal.field}", "detail": refusal.message}] if refusal.field else None
            return problem(422 if refusal.field else 409, _("The build cannot start."), refusal.message, errors)
        solving.dispatch(job)
        return (solving.job_progress(job).as_json(), 202,
                {"Location": url_for("api_schedules.build", build_id=job.id)})

    @blp.route("/builds/<int(max=2147483647):build_id>", methods=["GET"], tags=["builds"])
    @blp.response(200, schemas.BuildSchema)
    @blp.doc(summary="A build's progress", security=SECURITY)
    def build(build_id: int) -> Response | dict[str, Any]:
        job = _job(current_center(), build_id)
        return _not_found() if job is None else solving.job_progress(job).as_json()

    @blp.route("/builds/<int(max=2147483647):build_id>/cancel", methods=["POST"], tags=["builds"])
    @blp.response(200, schemas.BuildSchema)
    @blp.doc(summary="Stop a build (the best schedule so far is kept)", security=SECURITY)
    def cancel_build(build_id: int) -> Response | dict[str, Any]:
        job = _job(current_center(), build_id)
        if job is None:
            return _not_found()
        if not solving.request_cancel(job):
            return problem(409, _("This run had already ended."))
        db.session.commit()
        return solving.job_progress(job).as_json()

    @blp.route("/versions", methods=["GET"], tags=["versions"])
    @blp.response(200, schemas.VersionSchema(many=True))
    @blp.doc(summary="Every version, newest first", security=SECURITY)
    def version_list() -> list[dict[str, Any]]:
        return [_version_json(v) for v in versions.list_versions(current_center())]

    @blp.route("/versions/<int(max=2147483647):number>", methods=["GET"], tags=["versions"])
    @blp.response(200, schemas.VersionSchema)
    @blp.doc(summary="One version", security=SECURITY)
    def version(number: int) -> Response | dict[str, Any]:
        found = versions.find_version(current_center(), number)
        return _not_found() if found is None else _version_json(found)

    @blp.route("/versions/<int(max=2147483647):number>/schedule", methods=["GET"], tags=["versions"])
    @blp.response(200, schemas.ScheduleSchema)
    @blp.doc(summary="A version's schedule in the interchange format", security=SECURITY)
    def version_schedule(number: int) -> Response | dict[str, Any]:
        found = versions.find_version(current_center(), number)
        return _not_found() if found is None else found.schedule

    @blp.route("/versions/<int(max=2147483647):number>/publish", methods=["POST"], tags=["versions"])
    @blp.response(200, schemas.VersionSchema)
    @blp.doc(summary="Publish a draft version", security=SECURITY)
    def publish(number: int) -> Response | dict[str, Any]:
        center = current_center()
        found = versions.find_version(center, number)
        if found is None:
            return _not_found()
        try:
            versions.publish(found, current_key().created_by)
        except versions.VersionError as error:
            db.session.rollback()
            return problem(409, _("The version cannot be published."), str(error))
        db.session.commit()
        return _version_json(found)

    @blp.route("/versions/compare", methods=["GET"], tags=["versions"])
    @blp.arguments(schemas.CompareArgsSchema, location="query")
    @blp.response(200, schemas.ComparisonSchema)
    @blp.doc(summary="Who moved and which groups changed between two versions", security=SECURITY)
    def compare(args: dict[str, Any]) -> Response | dict[str, Any]:
        center = current_center()
        old, new = versions.find_version(center, args["a"]), versions.find_version(center, args["b"])
        if old is None or new is None:
            return _not_found()
        old_data, new_data = versions.version_data(old), versions.version_data(new)
        found = review.compare_versions(review.version_view(old_data.scenario, old_data.schedule),
                                        review.version_view(new_data.scenario, new_data.schedule))
        return {"a": old.number, "b": new.number,
                "moved": [{"participant": m.participant, "before": m.before, "after": m.after} for m in found.moved],
                "groups_added": found.groups_added, "groups_removed": found.groups_removed,
                "groups_changed": [{"group": gid, "changed": [what for what, _b, _a in changes]}
                                   for gid, changes in found.groups_changed]}

    @blp.route("/participants/<code>/groups", methods=["GET"], tags=["participants"])
    @blp.arguments(schemas.ma.Schema.from_dict({"version": schemas.Int(metadata={
        "description": "A version's number; the published one when left out"},
        validate=schemas.validate.Range(min=1, max=schemas.LARGEST))}, name="GroupsArgsSchema"),
        location="query")
    @blp.response(200, schemas.ParticipantGroupsSchema)
    @blp.doc(summary="A participant's groups in a version", security=SECURITY)
    def participant_groups(args: dict[str, Any], code: str) -> Response | dict[str, Any]:
        center = current_center()
        found = (versions.find_version(center, args["version"]) if "version" in args
                 else versions.current_published(center))
        if found is None:
            return _not_found()
        data = versions.version_data(found)
        known = {p.id for p in data.scenario.participants}
        if code not in known and all(p.id != code for p in planning.read_center(center).participants):
            return _not_found()
        # Typed groups; the response schema writes them in the interchange form.
        return {"version": found.number, "groups": [g for g in data.schedule.groups if code in g.members]}

    return blp
