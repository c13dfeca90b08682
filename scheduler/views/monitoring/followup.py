"""Follow-up, for the coordinator: people at risk of dropping out, groups whose attendance is under
their minimum, what was done about each person, and the center's thresholds."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from scheduler.extensions import db
from scheduler.models import FollowUpKind
from scheduler.services import audit, versions
from scheduler.services.monitoring import attendance, followup
from scheduler.services.term import term_state
from scheduler.views.coordinator import get_center_or_404
from scheduler.views.monitoring.register import today_at

bp = Blueprint("monitoring_followup", __name__, url_prefix="/centers/<int:center_id>/follow-up")


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(FollowUpKind.CALLED.value, _l("Called")),
            SelectChoice(FollowUpKind.MESSAGE_SENT.value, _l("Message sent")),
            SelectChoice(FollowUpKind.LEFT_GROUP.value, _l("Left the group (frees the seat)"))]


class FollowUpForm(FlaskForm):
    group = HiddenField(validators=[DataRequired()])
    participant = HiddenField(validators=[DataRequired()])
    kind = RadioField(_l("What was done"), validators=[InputRequired(_l("Choose what was done."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=500)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()


class SettingsForm(FlaskForm):
    no_shows_in_a_row = IntegerField(_l("At risk after this many no-shows in a row"),
                                     validators=[InputRequired(), NumberRange(1, 20)])
    window_meetings = IntegerField(_l("…or, over this many of their last meetings"),
                                   validators=[InputRequired(), NumberRange(1, 20)])
    min_attendance_percent = IntegerField(_l("present at fewer than this percentage"),
                                          validators=[InputRequired(), NumberRange(0, 100)])
    retention_days = IntegerField(_l("Keep per-person attendance for (days; empty: keep)"),
                                  validators=[Optional(), NumberRange(1, 36_500)])


def _page(center_id: int, settings_form: SettingsForm | None = None) -> str:
    center = get_center_or_404(center_id)
    settings = followup.settings_for(center)
    form = settings_form or SettingsForm(obj=settings)
    version = versions.current_published(center)
    if version is None:
        return render_template("monitoring/followup.html", center=center, state=None, settings_form=form)
    state = term_state(version)
    today = today_at(center)
    people = followup.at_risk(state, settings, today)
    names = attendance.participant_names(version)
    if request.method == "GET":  # a form shown again with its errors was logged when the page opened
        audit.viewed_list(center.id, "at risk", "people at risk of dropping out and their follow-ups")
        db.session.commit()
    return render_template("monitoring/followup.html", center=center, state=state, people=people, names=names,
                           low=followup.low_attendance_groups(state, settings), settings_form=form,
                           kinds=kind_choices(), kind_labels={c.value: c.label for c in kind_choices()},
                           form=FollowUpForm(formdata=None))


@bp.get("/")
@login_required
def at_risk(center_id: int) -> str:
    return _page(center_id)


@bp.post("/record")
@login_required
def record(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    form = FollowUpForm()
    version = versions.current_published(center)
    if version is None:
        flash(_("No schedule is published yet."), "error")
    elif not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or _("Please try again."), "error")
    else:
        try:
            followup.record_follow_up(term_state(version), form.group.data or "", form.participant.data or "",
                                      FollowUpKind(form.kind.data), form.note.data or "", current_user,
                                      today_at(center))
            db.session.commit()
        except followup.FollowUpError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            if form.kind.data == FollowUpKind.LEFT_GROUP:
                flash(_("Recorded. %(code)s has left %(group)s: offer the seat from the waiting list.",
                        code=form.participant.data, group=form.group.data), "success")
                return redirect(url_for("waitlists.overview", center_id=center.id))
            flash(_("Follow-up recorded."), "success")
    return redirect(url_for("monitoring_followup.at_risk", center_id=center.id))


@bp.post("/settings")
@login_required
def settings(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            followup.save_settings(center, no_shows_in_a_row=form.no_shows_in_a_row.data,
                                   window_meetings=form.window_meetings.data,
                                   min_attendance_percent=form.min_attendance_percent.data,
                                   retention_days=form.retention_days.data, actor=current_user)
            db.session.commit()
        except followup.FollowUpError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("monitoring_followup.at_risk", center_id=center.id) + "#settings")
    return _page(center.id, form)
