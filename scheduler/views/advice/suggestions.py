"""Suggestions for the people a version leaves out, and trying one in one click: the change is written
to the center's data and a build starts that keeps the people it promised seated.

The list takes seconds to compute at 600 people, so the version page does not wait for it: a small
deferred script fetches it from here (``?part=1``), and without scripts the page links here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from scheduler.extensions import db
from scheduler.models import Center, ScheduleVersion
from scheduler.services import audit, solving
from scheduler.services.advice import suggestions
from scheduler.views.coordinator import get_center_or_404
from scheduler.views.schedules import TIME_LIMITS, get_version_or_404

bp = Blueprint("suggestions", __name__, url_prefix="/centers/<int:center_id>/schedule/versions/<int:number>")

DEFAULT_TIME_LIMIT_S = 60


class TrySuggestionForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(message=_l("choose a suggestion."))])
    # The times the build form offers; the confirmation page lets the coordinator choose one.
    time_limit_s = SelectField(_l("Time to spend searching"), choices=TIME_LIMITS, coerce=int,
                               default=DEFAULT_TIME_LIMIT_S)
    # Set only by the confirmation page: the first POST shows what will change and asks.
    confirmed = HiddenField()


@bp.app_context_processor
def _suggestion_purpose_of_version() -> dict[str, Any]:
    # The version page's suggestions partial asks this of any version: None unless built from a suggestion.
    return {"suggestion_purpose_of": suggestions.purpose}


def _list_page(center: Center, version: ScheduleVersion) -> str:
    part = request.args.get("part") == "1"
    page = suggestions.suggestions_page(version, suggestions.SHOWN_ON_VERSION if part else suggestions.SHOWN)
    # Names of people left out and of members who would move: one entry for the list.
    audit.viewed_list(center.id, "suggestions", f"version {version.number}")
    db.session.commit()
    template = "schedules/_suggestion_list.html" if part else "schedules/suggestions.html"
    return render_template(template, center=center, version=version, page=page, form=TrySuggestionForm(),
                           job=solving.active_job(center), part=part)


def _refused(center: Center, version: ScheduleVersion, message: str) -> Response:
    # Back to the list, which shows the suggestions as they stand now; a refusal writes nothing, not even
    # the list's audit entry (the page it leads to records its own view).
    flash(message, "error")
    return redirect(url_for("suggestions.index", center_id=center.id, number=version.number), 303)


@bp.get("/suggestions")
@login_required
def index(center_id: int, number: int) -> str:
    center = get_center_or_404(center_id)
    return _list_page(center, get_version_or_404(center, number))


@bp.post("/suggestions")
@login_required
def try_one(center_id: int, number: int) -> str | Response:
    center = get_center_or_404(center_id)
    version = get_version_or_404(center, number)
    form = TrySuggestionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return _refused(center, version, _("The form has expired. Try again."))
        if "time_limit_s" in form.errors:  # WTForms' own choice errors name no field
            return _refused(center, version, _("%(field)s: choose one of the times offered.",
                                               field=form.time_limit_s.label.text))
        return _refused(center, version, " ".join(
            _("%(field)s: %(problem)s", field=form[name].label.text if name != "key" else _("Suggestion"),
              problem=problem) for name, problems in form.errors.items() for problem in problems))
    if form.confirmed.data != "yes":
        shown = suggestions.offered(version, form.key.data or "")
        if shown is None:
            return _refused(center, version, _("That suggestion is not offered for version %(number)d. Nothing "
                                               "was changed.", number=version.number))
        return render_template("schedules/try_suggestion.html", center=center, version=version, suggestion=shown,
                               form=form, job=solving.active_job(center))
    try:
        job = suggestions.try_suggestion(center, version, form.key.data or "", current_user,
                                         form.time_limit_s.data or DEFAULT_TIME_LIMIT_S)
        solving.commit_new_job(job)
    except (suggestions.SuggestionError, solving.SolveRefusedError) as refusal:
        db.session.rollback()
        return _refused(center, version, refusal.message)
    try:
        solving.dispatch(job)
    except solving.SolveRefusedError as refusal:  # the queue could not take it; the job is closed
        flash(refusal.message, "error")
        return redirect(url_for("schedules.overview", center_id=center.id))
    flash(_("The center's data now has the suggested change, and a new draft is being built that keeps "
            "the people it seats. Nothing published changes until you publish it."), "info")
    return redirect(url_for("schedules.job", center_id=center.id, job_id=job.id))
