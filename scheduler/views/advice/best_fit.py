"""Where a participant fits now: the groups they can join today without moving anyone, why not the
others, and joining one of them (a coordinator's page, reached from the participant's form and the
waiting lists)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import DataRequired

from scheduler.extensions import db
from scheduler.i18n import date_text
from scheduler.models import Center, Participant
from scheduler.services import audit
from scheduler.services.advice import best_fit as fit
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("best_fit", __name__, url_prefix="/centers/<int:center_id>/participants/<path:code>/fit")


class JoinForm(FlaskForm):
    group = HiddenField(validators=[DataRequired()])


def _participant_or_404(center: Center, code: str) -> Participant:
    participant = fit.find_participant(center, code)
    if participant is None:
        abort(404)
    return participant


@bp.get("/")
@login_required
def page(center_id: int, code: str) -> str:
    center = get_center_or_404(center_id)
    participant = _participant_or_404(center, code)
    found = fit.where_they_fit(center, participant)
    audit.viewed(center.id, "participant", participant.code, "where they fit")
    db.session.commit()
    return render_template("best_fit/page.html", center=center, participant=participant, found=found,
                           form=JoinForm())


@bp.post("/join")
@login_required
def join(center_id: int, code: str) -> Response:
    center = get_center_or_404(center_id)
    participant = _participant_or_404(center, code)
    form = JoinForm()
    if not form.validate_on_submit():
        flash(_("Group: choose a group to join."), "error")
        return redirect(url_for("best_fit.page", center_id=center.id, code=participant.code))
    try:
        change = fit.join(center, form.group.data, participant.code, None, current_user)
        db.session.commit()
    except fit.JoinError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("%(name)s joins %(group)s from %(date)s.", name=participant.name,
                group=fit.published_group_title(center, change.group_code), date=date_text(change.effective)),
              "success")
    return redirect(url_for("best_fit.page", center_id=center.id, code=participant.code))
