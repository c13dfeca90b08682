"""Building, reviewing, comparing and publishing a center's schedule."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from scheduler.extensions import db
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center, PinKind, ScheduleVersion, SolveJob
from scheduler.services import audit, mail_batches, pins, publish_notices, review, solving, versions
from scheduler.views import version_page
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("schedules", __name__, url_prefix="/centers/<int:center_id>/schedule")

TIME_LIMITS = [SelectChoice(10, _l("10 seconds (a quick draft)")), SelectChoice(30, _l("30 seconds")),
               SelectChoice(60, _l("1 minute")), SelectChoice(120, _l("2 minutes")),
               SelectChoice(300, _l("5 minutes (best result)"))]


PIN_KINDS = {PinKind.GROUP_SLOTS: _l("times"), PinKind.GROUP_ROOM: _l("room"),
             PinKind.GROUP_FACILITATORS: _l("facilitators"), PinKind.PARTICIPANT_GROUPS: _l("groups")}


class BuildForm(FlaskForm):
    time_limit_s = SelectField(_l("Time to spend searching"), choices=TIME_LIMITS, coerce=int, default=60)
    stay_close = BooleanField(_l("Keep the published schedule: change only what must change"), default=True,
                              description=_l("During the term, people already meet in their groups. With this on, "
                                             "moving anyone, or any group's time, room or facilitator, costs "
                                             "points, so the new draft stays as close as it can."))


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


class PinGroupForm(FlaskForm):
    slots = BooleanField(_l("its times"))
    room = BooleanField(_l("its room"))
    facilitators = BooleanField(_l("its facilitators"))
    members = BooleanField(_l("its members (each keeps the groups they have in this version)"))

    def parts(self) -> list[str]:
        return [name for name in ("slots", "room", "facilitators", "members") if self[name].data]


class PinParticipantForm(FlaskForm):
    participant = SelectField(_l("Participant"), choices=[], validate_choice=True)


def participant_choices(view: review.VersionView) -> list[SelectChoice]:
    """The placed participants of a version, by name."""
    placed = {m for g in view.schedule.groups for m in g.members}
    return [SelectChoice(p.id, p.name) for p in sorted(view.scenario.participants, key=lambda p: p.name)
            if p.id in placed]


def get_job_or_404(center: Center, job_id: int) -> SolveJob:
    job = db.session.get(SolveJob, job_id)
    if job is None or job.center_id != center.id:
        abort(404)
    return job


def get_version_or_404(center: Center, number: int) -> ScheduleVersion:
    version = versions.find_version(center, number)
    if version is None:
        abort(404)
    return version


@bp.get("/")
@login_required
def overview(center_id: int) -> str:
    center = get_center_or_404(center_id)
    return render_template("schedules/overview.html", center=center, form=BuildForm(),
                           job=solving.active_job(center), versions=versions.list_versions(center),
                           published=versions.current_published(center))


@bp.post("/build")
@login_required
def build(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    form = BuildForm()
    if not form.validate_on_submit():
        return render_template("schedules/overview.html", center=center, form=form, job=solving.active_job(center),
                               versions=versions.list_versions(center),
                               published=versions.current_published(center)), 400
    try:
        published = versions.current_published(center)
        job = solving.create_job(center, current_user, form.time_limit_s.data or 60,
                                 stay_close_to=published if published is not None and form.stay_close.data else None)
        solving.commit_new_job(job)
    except solving.SolveRefusedError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(url_for("schedules.overview", center_id=center.id))
    try:
        solving.dispatch(job)
    except solving.SolveRefusedError as refusal:  # the queue could not take it; the job is closed
        flash(refusal.message, "error")
        return redirect(url_for("schedules.overview", center_id=center.id))
    if job.params.get("stale_pins"):
        flash(ngettext("%(num)d pin no longer fits the center's data and was left out. See the pins list.",
                       "%(num)d pins no longer fit the center's data and were left out. See the pins list.",
                       job.params["stale_pins"]), "error")
    return redirect(url_for("schedules.job", center_id=center.id, job_id=job.id))


@bp.get("/jobs/<int:job_id>")
@login_required
def job(center_id: int, job_id: int) -> str:
    center = get_center_or_404(center_id)
    found = get_job_or_404(center, job_id)
    return render_template("schedules/job.html", center=center, job=found, progress=solving.job_progress(found),
                           form=ConfirmForm())


@bp.get("/jobs/<int:job_id>/progress")
@login_required
def progress(center_id: int, job_id: int) -> Response:
    center = get_center_or_404(center_id)
    found = get_job_or_404(center, job_id)
    data = solving.job_progress(found).as_json()
    if data["version_number"]:
        data["version_url"] = url_for("schedules.version", center_id=center.id, number=data["version_number"])
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/jobs/<int:job_id>/cancel")
@login_required
def cancel(center_id: int, job_id: int) -> Response:
    center = get_center_or_404(center_id)
    found = get_job_or_404(center, job_id)
    if ConfirmForm().validate_on_submit() and solving.request_cancel(found):
        db.session.commit()
        flash(_("Stopping. The best schedule found so far, if any, will be kept."), "info")
    else:
        flash(_("This run had already ended."), "info")
    return redirect(url_for("schedules.job", center_id=center.id, job_id=found.id))


@bp.get("/versions/<int:number>")
@login_required
def version(center_id: int, number: int) -> str:
    center = get_center_or_404(center_id)
    found = get_version_or_404(center, number)
    page = version_page.version_page(found, request.args)
    audit.viewed_list(center.id, "rosters", f"version {found.number}")
    db.session.commit()
    return render_template("schedules/version.html", center=center, version=found, page=page,
                           sections=version_page.SECTIONS, day_names=DAY_NAMES, versions=versions.list_versions(center),
                           pin_group_form=PinGroupForm(), pins=pins.pin_views(center))


@bp.post("/versions/<int:number>/pins/groups/<group_id>")
@login_required
def pin_group(center_id: int, number: int, group_id: str) -> Response:
    center = get_center_or_404(center_id)
    found = get_version_or_404(center, number)
    form = PinGroupForm()
    back = url_for("schedules.version", center_id=center.id, number=number, _anchor=f"group-{group_id}",
                   **version_page.back_args(request.args))
    if not form.validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return redirect(back)
    try:
        made = pins.pin_group(center, found, group_id, form.parts(), current_user)
    except pins.PinError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    flash(ngettext("%(num)d pin kept. The next build keeps it.", "%(num)d pins kept. The next build keeps them.",
                   len(made)), "info")
    return redirect(back)


@bp.post("/versions/<int:number>/pins/participant")
@login_required
def pin_participant(center_id: int, number: int) -> Response:
    center = get_center_or_404(center_id)
    found = get_version_or_404(center, number)
    form = PinParticipantForm()
    data = versions.version_data(found)
    form.participant.choices = participant_choices(review.version_view(data.scenario, data.schedule))
    back = url_for("schedules.version", center_id=center.id, number=number, section="pins", _anchor="pins-heading")
    if not form.validate_on_submit():
        flash(_("Participant: %(error)s", error=" ".join(form.participant.errors) or _("choose a participant.")),
              "error")
        return redirect(back)
    try:
        pins.pin_participant(center, found, form.participant.data or "", current_user)
    except pins.PinError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    flash(_("Pinned. The next build keeps this participant in the same groups."), "info")
    return redirect(back)


@bp.get("/pins")
@login_required
def pin_list(center_id: int) -> str:
    center = get_center_or_404(center_id)
    audit.viewed_list(center.id, "pins", "pinned participants and groups")
    db.session.commit()
    return render_template("schedules/pins.html", center=center, pins=pins.pin_views(center), pin_kinds=PIN_KINDS)


@bp.post("/pins/<int:pin_id>/remove")
@login_required
def remove_pin(center_id: int, pin_id: int) -> Response:
    center = get_center_or_404(center_id)
    if ConfirmForm().validate_on_submit() and pins.remove_pin(center, pin_id):
        db.session.commit()
        flash(_("Pin removed."), "info")
    else:
        flash(_("That pin had already been removed."), "info")
    return redirect(url_for("schedules.pin_list", center_id=center.id))


@bp.route("/versions/<int:number>/publish", methods=["GET", "POST"])
@login_required
def publish(center_id: int, number: int) -> str | Response:
    center = get_center_or_404(center_id)
    found = get_version_or_404(center, number)
    form = ConfirmForm()
    # Who is left out, and who will be told what: read before publishing, against the version published now.
    notices = publish_notices.plan(center, found)
    if form.validate_on_submit():
        try:
            versions.publish(found, current_user)
            batch = mail_batches.create(center.id, _("Notices of version %(number)d", number=number),
                                        publish_notices.messages(center, found, notices))
        except versions.VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("schedules.version", center_id=center.id, number=number))
        db.session.commit()
        mail_batches.start(batch)
        flash(_("Version %(number)d is published.", number=number), "info")
        if batch.total:
            return redirect(url_for("self_service.mail_batch", center_id=center.id, batch_id=batch.id))
        return redirect(url_for("schedules.version", center_id=center.id, number=number))
    return render_template("schedules/publish.html", center=center, version=found, form=form,
                           published=versions.current_published(center), notices=notices,
                           limit=publish_notices.LIST_LIMIT)


@bp.get("/compare")
@login_required
def compare(center_id: int) -> str:
    center = get_center_or_404(center_id)
    old_number = request.args.get("a", type=int)
    new_number = request.args.get("b", type=int)
    if old_number is None or new_number is None:
        abort(404)
    old = get_version_or_404(center, old_number)
    new = get_version_or_404(center, new_number)
    page = version_page.compare_page(old, new, request.args)
    audit.viewed_list(center.id, "comparison", f"versions {old.number} and {new.number}")
    db.session.commit()
    return render_template("schedules/compare.html", center=center, old=old, new=new, page=page,
                           comparison=page.comparison, versions=versions.list_versions(center))
