"""The register: a facilitator takes attendance for the meetings they lead or cover, from the day of
the meeting on; the coordinator sees every meeting's register and corrects it. Both write through
:func:`scheduler.services.monitoring.attendance.save_register` in one request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from scheduler.extensions import db
from scheduler.i18n import date_text
from scheduler.models import AttendanceStatus, Center, User
from scheduler.services import audit, versions
from scheduler.services.meetings import Meeting
from scheduler.services.monitoring import attendance
from scheduler.services.term import MeetingKey, TermState, term_state
from scheduler.views.coordinator import get_center_or_404
from scheduler.views.swaps import get_own_facilitator_or_404

bp = Blueprint("monitoring_register", __name__, url_prefix="/centers/<int:center_id>")

MEETING = "<group_id>/<slot>/<day>"


class ConfirmForm(FlaskForm):
    """The register's own fields are read from the form by member code; the CSRF token is checked here."""


def status_choices() -> list[tuple[str, str]]:
    return [(AttendanceStatus.PRESENT.value, _("Present")),
            (AttendanceStatus.EXCUSED.value, _("Absent with notice")),
            (AttendanceStatus.NO_SHOW.value, _("No-show")),
            (AttendanceStatus.LATE_CANCEL.value, _("Late cancellation"))]


def today_at(center: Center) -> dt.date:
    return attendance.local_today(center.timezone)


def _published_or_404(center: Center) -> TermState:
    version = versions.current_published(center)
    if version is None:
        abort(404)
    return term_state(version)


def _key_or_404(group_id: str, slot: str, day: str) -> MeetingKey:
    try:
        return MeetingKey(dt.date.fromisoformat(day), slot, group_id)
    except ValueError:
        abort(404)


def _meeting_label(state: TermState, meeting: Meeting) -> str:
    activity = state.activity(meeting.activity_id).name
    return _("%(activity)s, %(date)s at %(time)s", activity=activity,
             date=date_text(meeting.date), time=meeting.start.strftime("%H:%M"))


def _entries_from_form(state: TermState, meeting: Meeting) -> list[attendance.Entry]:
    """One entry per member, read from ``status-<code>`` and ``left_early-<code>``; a missing or unknown
    status is refused by name."""
    entries = []
    names = attendance.participant_names(state.version)
    for code in meeting.members:
        value = request.form.get(f"status-{code}", "")
        try:
            status = AttendanceStatus(value)
        except ValueError:
            raise attendance.RegisterError(_("Choose present or absent for %(name)s.",
                                             name=names.get(code, code))) from None
        entries.append(attendance.Entry(code, status, request.form.get(f"left_early-{code}") == "yes"))
    return entries


def _register(center: Center, state: TermState, meeting: Meeting, *, correction: bool,
              back: str) -> str | Response:
    """Show or save one meeting's register (shared by the facilitator's and the coordinator's routes)."""
    form = ConfirmForm()
    errors: str | None = None
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = _("The form expired. Please send it again.")
        else:
            try:
                changed = attendance.save_register(state, meeting, _entries_from_form(state, meeting),
                                                   current_user, correction=correction)
                db.session.commit()
            except attendance.RegisterError as error:
                db.session.rollback()
                errors = str(error)
            else:
                flash(_saved(changed), "success")
                return redirect(request.path)
    marks = attendance.marks_for_meeting(state.version.id, MeetingKey.of(meeting))
    names = attendance.participant_names(state.version)
    sent: dict[str, Any] = request.form if request.method == "POST" else {}
    lines = [{"code": code, "name": names.get(code, code),
              "status": sent.get(f"status-{code}") or (marks[code].status.value if code in marks else "present"),
              "left_early": (sent.get(f"left_early-{code}") == "yes") if sent else
              bool(code in marks and marks[code].left_early)}
             for code in sorted(meeting.members, key=lambda c: names.get(c, c))]
    latest = max(marks.values(), key=lambda m: m.recorded_at, default=None)
    recorder = db.session.get(User, latest.recorded_by_id) if latest and latest.recorded_by_id else None
    audit.viewed_list(center.id, "register",
                      f"attendance of {meeting.group_id} on {meeting.date.isoformat()}")
    db.session.commit()
    return render_template("monitoring/register.html", center=center, meeting=meeting, lines=lines,
                           label=_meeting_label(state, meeting), taken=bool(marks), form=form, errors=errors,
                           latest=latest, recorder=recorder,
                           choices=status_choices(), back=back, correction=correction)


def _saved(changed: int) -> str:
    if changed == 0:
        return _("Saved. Nothing had changed.")
    return ngettext("Saved: %(num)d mark recorded.", "Saved: %(num)d marks recorded.", changed)


# --------------------------------------------------------------------------- facilitators


@bp.get("/register/")
@login_required
def mine(center_id: int) -> str:
    center, me = get_own_facilitator_or_404(center_id)
    version = versions.current_published(center)
    if version is None:
        return render_template("monitoring/register_list.html", center=center, meetings=None)
    state = term_state(version)
    meetings = attendance.meetings_led(state, me.code, today_at(center))
    taken = {m.meeting for m in attendance.marks_for_term(version.id)}
    return render_template("monitoring/register_list.html", center=center, state=state, meetings=meetings,
                           taken=taken, MeetingKey=MeetingKey, label=_meeting_label)


@bp.route(f"/register/{MEETING}", methods=["GET", "POST"])
@login_required
def take(center_id: int, group_id: str, slot: str, day: str) -> str | Response:
    center, me = get_own_facilitator_or_404(center_id)
    state = _published_or_404(center)
    key = _key_or_404(group_id, slot, day)
    meeting = state.by_key.get(key)
    # Only the meetings they lead or cover exist for them: anyone else's is 404, like another center's.
    if meeting is None or me.code not in meeting.facilitators:
        abort(404)
    try:
        attendance.register_meeting(state, key, today_at(center))
    except attendance.RegisterError as error:
        flash(str(error), "error")
        return redirect(url_for("monitoring_register.mine", center_id=center.id))
    return _register(center, state, meeting, correction=False,
                     back=url_for("monitoring_register.mine", center_id=center.id))


# --------------------------------------------------------------------------- coordinators


@bp.get("/attendance/")
@login_required
def overview(center_id: int) -> str:
    center = get_center_or_404(center_id)
    version = versions.current_published(center)
    if version is None:
        return render_template("monitoring/attendance.html", center=center, meetings=None)
    state = term_state(version)
    today = today_at(center)
    counts = attendance.counts_for_term(version.id)
    meetings = sorted((m for m in state.meetings if m.date <= today), key=lambda m: (m.date, m.start),
                      reverse=True)
    return render_template("monitoring/attendance.html", center=center, state=state, meetings=meetings,
                           counts=counts, MeetingKey=MeetingKey, label=_meeting_label)


@bp.route(f"/attendance/{MEETING}", methods=["GET", "POST"])
@login_required
def correct(center_id: int, group_id: str, slot: str, day: str) -> str | Response:
    center = get_center_or_404(center_id)
    state = _published_or_404(center)
    key = _key_or_404(group_id, slot, day)
    try:
        meeting = attendance.register_meeting(state, key, today_at(center))
    except attendance.RegisterError as error:
        flash(str(error), "error")
        return redirect(url_for("monitoring_register.overview", center_id=center.id))
    return _register(center, state, meeting, correction=True,
                     back=url_for("monitoring_register.overview", center_id=center.id))


# --------------------------------------------------------------------------- retention, for cron

# cli_group=None: the command is ``flask forget-old-attendance``.
cli_bp = Blueprint("monitoring_retention", __name__, cli_group=None)


@cli_bp.cli.command("forget-old-attendance")
def forget_old_attendance() -> None:
    """Turn per-person attendance older than each center's retention period into anonymous counts,
    and delete follow-ups as old. Run it daily (cron); it is safe to run again."""
    import click
    from sqlalchemy import select

    from scheduler.services.monitoring import retention

    for center in db.session.scalars(select(Center).order_by(Center.id)):
        done = retention.forget_old(center)
        db.session.commit()
        click.echo(f"{center.name}: {done.marks} attendance marks made anonymous, {done.follow_ups} follow-ups deleted")


@cli_bp.cli.command("load-demo-past-term")
def load_demo_past_term_command() -> None:
    """Give the demo center (after ``flask load-demo``) a published past term with its attendance,
    generated from a fixed seed. Run again, it changes nothing."""
    import click
    from flask import current_app

    from scheduler.services.demo import load_demo_past_term

    loaded = load_demo_past_term(current_app.config["DEMO_SCENARIO"])
    if loaded is None:
        raise click.ClickException("load the demo center first: flask --app scheduler load-demo")
    version, made = loaded
    term = versions.version_data(version).center
    click.echo(f'{"Added" if made else "Kept"} the past term {term.term_start} to {term.term_end} '
               f"(version {version.number}) with its attendance.")
