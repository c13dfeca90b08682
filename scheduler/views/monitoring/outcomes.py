"""Outcome check-ins from the participant's own link, and the coordinator's before/after per activity."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from scheduler.extensions import db
from scheduler.models import Center, Participant, ReminderChoice
from scheduler.services import audit
from scheduler.services.monitoring import outcomes as svc
from scheduler.services.monitoring import reminders
from scheduler.services.versions import current_published
from scheduler.views.coordinator import get_center_or_404
from scheduler.views.self_service import ConfirmForm, _no_referrer, _participant_or_gone

bp = Blueprint("monitoring_outcomes", __name__)


def today() -> dt.date:
    """The date check-ins are opened by (one place, so tests can set it)."""
    return dt.date.today()


@dataclass(frozen=True)
class PersonalPanel:
    """What the participant's own page shows of reminders and check-ins."""

    reminders: ReminderChoice | None
    check_ins: list[svc.CheckIn]


def personal_panel(center: Center, participant: Participant, on: dt.date | None = None) -> PersonalPanel:
    return PersonalPanel(reminders.choice_for(participant),
                         svc.open_check_ins(center, participant, on or today()))


def _chosen(check_ins: list[svc.CheckIn], values: dict[str, str]) -> svc.CheckIn | None:
    return next((c for c in check_ins if c.activity_code == values.get("activity")
                 and c.phase.value == values.get("phase")), None)


@bp.route("/p/<token>/check-in", methods=["GET", "POST"])
def check_in(token: str) -> Response:
    participant = _participant_or_gone(token)
    center = participant.center
    back = url_for("self_service.page", token=token)
    with force_locale(participant.locale) if participant.locale else nullcontext():
        open_now = svc.open_check_ins(center, participant, today())
        chosen = _chosen(open_now, request.form if request.method == "POST" else request.args)
        if chosen is None:
            flash(_("This check-in is not open now, or you have already answered it. Thank you."), "info")
            return _no_referrer(redirect(back))
        form = ConfirmForm()
        parsed = svc.Parsed()
        if request.method == "POST":
            if not form.validate_on_submit():
                parsed.errors["form"] = _("The page had expired. Please try again.")
            else:
                parsed = svc.parse(request.form, chosen)
                if not parsed.errors:
                    if svc.save(center, participant, chosen, parsed):
                        db.session.commit()
                        flash(_("Thank you. Your answers are saved."), "success")
                    else:
                        db.session.rollback()
                        flash(_("You had already answered this check-in. Thank you."), "info")
                    return _no_referrer(redirect(back))
        html = render_template("monitoring/check_in.html", participant=participant, center=center, token=token,
                               check_in=chosen, questions=svc.QUESTIONS, rating_question=svc.RATING_QUESTION,
                               parsed=parsed, values=request.form, form=form)
    return _no_referrer(make_response(html, 400 if parsed.errors else 200))


# --------------------------------------------------------------------------- coordinators


@bp.get("/centers/<int:center_id>/outcomes/")
@login_required
def overview(center_id: int) -> str:
    center = get_center_or_404(center_id)
    version = current_published(center)
    switches = svc.settings(center)
    audit.viewed_list(center.id, "outcomes", "outcome check-ins (averages)")
    db.session.commit()
    return render_template("monitoring/outcomes.html", center=center, switches=switches,
                           summary=svc.summary(center, version) if version else None,
                           questions=svc.QUESTIONS, min_answers=svc.MIN_ANSWERS, confirm=ConfirmForm())


@bp.post("/centers/<int:center_id>/outcomes/<code>")
@login_required
def switch(center_id: int, code: str) -> Response:
    center = get_center_or_404(center_id)
    activity = next((a for a in center.activities if a.code == code), None)
    if activity is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        enabled = request.form.get("enabled") == "yes"
        svc.set_enabled(activity, enabled, request.form.get("ask_rating") == "yes")
        db.session.commit()
        flash(_("Check-ins are on for %(name)s.", name=activity.name) if enabled
              else _("Check-ins are off for %(name)s.", name=activity.name), "success")
    return redirect(url_for("monitoring_outcomes.overview", center_id=center.id))
