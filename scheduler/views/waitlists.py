"""The coordinator's view of groups during the term: who left, who waits, and who gets a free seat."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, HiddenField
from wtforms.validators import DataRequired, InputRequired

from scheduler.extensions import db
from scheduler.i18n import date_text
from scheduler.models import Center, OfferStatus, ScheduleVersion, SeatOffer
from scheduler.services import audit, versions, waitlist
from scheduler.services.advice import best_fit
from scheduler.services.term import TermState, term_state
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("waitlists", __name__, url_prefix="/centers/<int:center_id>/waitlists")


class SeatForm(FlaskForm):
    group = HiddenField(validators=[DataRequired()])
    participant = HiddenField(validators=[DataRequired()])
    effective = DateField(_l("From"), validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


def _version_or_404(center: Center) -> ScheduleVersion:
    version = versions.current_published(center)
    if version is None:
        abort(404)
    return version


@bp.get("/")
@login_required
def overview(center_id: int) -> str:
    center = get_center_or_404(center_id)
    version = versions.current_published(center)
    if version is None:
        return render_template("waitlists/overview.html", center=center, groups=None)
    state = term_state(version)
    day = max(dt.date.today(), state.data.center.term_start)
    offers = {o.group_code: o for o in db.session.scalars(select(SeatOffer).where(
        SeatOffer.version_id == version.id, SeatOffer.status == OfferStatus.OFFERED))}
    groups = []
    for group in state.data.schedule.groups:
        activity = state.activity(group.activity)
        members = state.rosters[group.id].on(day)
        best = waitlist.best_fit(state, center, group.id, day)
        groups.append({"id": group.id, "title": best_fit.group_title(state, group.id), "activity": activity,
                       "members": members,
                       "below": waitlist.below_minimum(state, group.id, day),
                       "free": activity.max_size - len(members), "best": best, "offer": offers.get(group.id),
                       "waiting": waitlist.waiting_list(state, center, activity.id, day)})
    names = {p.code: p.name for p in center.participants}
    fits = _fits_of_offered(center, state, day, offers)
    audit.viewed_list(center.id, "waiting lists", "group members and waiting lists")
    db.session.commit()
    return render_template("waitlists/overview.html", center=center, groups=groups, day=day, names=names,
                           form=ConfirmForm(), fits=fits)


def _fits_of_offered(center: Center, state: TermState, day: dt.date,
                     offers: dict[str, SeatOffer]) -> dict[str, best_fit.FitPage]:
    """Where each person offered a seat fits now, by group (the page's partial shows it)."""
    found = {}
    for group_code, seat in offers.items():
        participant = best_fit.find_participant(center, seat.participant_code)
        page = best_fit.where_they_fit(center, participant, day, state) if participant else None
        if page is not None:
            found[group_code] = page
    return found


@bp.route("/leave", methods=["GET", "POST"])
@login_required
def leave(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    version = _version_or_404(center)
    form = SeatForm(request.form if request.method == "POST" else request.args)
    if request.method == "POST" and form.validate():
        try:
            waitlist.leave(version, form.group.data, form.participant.data, form.effective.data, current_user)
            db.session.commit()
        except waitlist.WaitlistError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            state = term_state(version)
            flash(_("%(code)s leaves %(group)s from %(date)s.", code=form.participant.data, group=form.group.data,
                    date=date_text(form.effective.data)), "success")
            if waitlist.below_minimum(state, form.group.data, form.effective.data):
                flash(_("%(group)s is now below its minimum size.", group=form.group.data), "warning")
            return redirect(url_for("waitlists.overview", center_id=center.id))
    return render_template("waitlists/leave.html", center=center, form=form)


@bp.post("/offer")
@login_required
def offer(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    version = _version_or_404(center)
    form = SeatForm()
    if form.validate_on_submit():
        try:
            seat = waitlist.offer(version, form.group.data, form.participant.data, form.effective.data,
                                  current_user)
            waitlist.tell_about_offer(center, version, seat)
            db.session.commit()
        except waitlist.WaitlistError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("The seat is offered to %(code)s.", code=form.participant.data), "success")
    else:
        flash(_("The offer was incomplete; please try again."), "error")
    return redirect(url_for("waitlists.overview", center_id=center.id))


@bp.post("/offers/<int:offer_id>/<any(accept, decline, withdraw):action>")
@login_required
def answer(center_id: int, offer_id: int, action: str) -> Response:
    center = get_center_or_404(center_id)
    seat = db.session.get(SeatOffer, offer_id)
    if seat is None or seat.center_id != center.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            if action == "withdraw":
                waitlist.withdraw(seat, current_user)
            else:
                waitlist.answer(seat, action == "accept", current_user)
            db.session.commit()
        except waitlist.WaitlistError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash({"accept": _("%(code)s joins the group.", code=seat.participant_code),
                   "decline": _("Declined; the seat can go to the next person."),
                   "withdraw": _("Offer withdrawn.")}[action], "success")
    return redirect(url_for("waitlists.overview", center_id=center.id))
