"""During the term: facilitators ask each other for cover and trade meetings; coordinators approve,
assign cover, cancel dates and read the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from scheduler.extensions import db
from scheduler.forms.editing import ClockTimeField
from scheduler.i18n import DAY_NAMES, date_text
from scheduler.models import Center, CenterRole, Facilitator, ScheduleVersion, SwapRequest, SwapStatus
from scheduler.models.accounts import utcnow
from scheduler.services import audit, audit_words, feed_tokens, notify, swaps, versions
from scheduler.services.cover import eligible_colleagues, problems_taking
from scheduler.services.term import MeetingKey, TermState, term_state
from scheduler.views.auth import recent_password_required
from scheduler.views.calendars import replace_own_link
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("swaps", __name__, url_prefix="/centers/<int:center_id>")

AUDIT_PER_PAGE = 50
TRADE_CHOICES = 60  # a colleague's next meetings the requester could take in return


class MeetingForm(FlaskForm):
    group = HiddenField(validators=[DataRequired()])
    slot = HiddenField(validators=[DataRequired()])
    date = HiddenField(validators=[DataRequired()])

    def key(self) -> MeetingKey | None:
        # The overview's picker names a weekly series as one value, "group slot".
        series = request.values.get("series", "")
        if series and not (self.group.data or self.slot.data):
            self.group.data, _space, self.slot.data = series.partition(" ")
        try:
            return MeetingKey(dt.date.fromisoformat(self.date.data or ""), self.slot.data or "", self.group.data or "")
        except ValueError:
            return None


class AskForm(MeetingForm):
    scope = RadioField(_l("Which dates"), default="one", choices=[
        SelectChoice("one", _l("Only this date")), SelectChoice("until", _l("From this date until…")),
        SelectChoice("term", _l("The rest of the term"))])
    until = DateField(_l("Until (inclusive)"), validators=[Optional()])
    colleague = SelectField(_l("Ask"), default="")
    trade = SelectField(_l("In return, I take (optional)"), default="")
    note = TextAreaField(_l("Note for your colleague (optional)"), validators=[Length(max=500)])


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


class MoveForm(MeetingForm):
    room = SelectField(_l("Room"), validators=[DataRequired()])
    start = ClockTimeField(_l("Starts at"), validators=[InputRequired(_l("Enter a time."))])
    end = ClockTimeField(_l("Ends at"), validators=[InputRequired(_l("Enter a time."))])
    step = HiddenField(default="check")  # check: show what happens; confirm: do it


class AssignForm(FlaskForm):
    facilitator = SelectField(_l("Give it to"), coerce=int)


# --------------------------------------------------------------------------- lookups


def _published_or_none(center: Center) -> tuple[ScheduleVersion, TermState] | None:
    version = versions.current_published(center)
    if version is None:
        return None
    swaps.expire_due(center)
    db.session.commit()
    return version, term_state(version)


def get_own_facilitator_or_404(center_id: int) -> tuple[Center, Facilitator]:
    """The signed-in person's facilitator record at this center; anything else is 404."""
    center = db.session.get(Center, center_id)
    if center is None or center.id not in current_user.center_ids(CenterRole.FACILITATOR):
        abort(404)
    facilitator = db.session.scalar(select(Facilitator).where(
        Facilitator.center_id == center.id, Facilitator.user_id == current_user.id))
    if facilitator is None:
        abort(404)
    return center, facilitator


def get_request_or_404(center: Center, request_id: int) -> SwapRequest:
    found = db.session.get(SwapRequest, request_id)
    if found is None or found.center_id != center.id:
        abort(404)
    return found


def _meeting_label(state: TermState, key: MeetingKey) -> str:
    meeting = state.by_key.get(key)
    title = state.data.group_title(key.group)
    if meeting is None:
        return f"{title} {date_text(key.date)}"
    return _("%(activity)s, %(date)s at %(time)s", activity=title, date=date_text(key.date),
             time=meeting.start.strftime("%H:%M"))


def _tell_if_applied(request: SwapRequest) -> None:
    """Once a swap has changed the meetings, everyone concerned gets a message (calendars lag)."""
    if request.status == SwapStatus.ACCEPTED:
        notify.send_all(request.center_id, notify.swap_accepted(term_state(request.version), request, utcnow()))


# --------------------------------------------------------------------------- facilitators


@bp.get("/cover/")
@login_required
def my_cover(center_id: int) -> str:
    center, me = get_own_facilitator_or_404(center_id)
    token = feed_tokens.token_for(me)
    calendar = feed_tokens.feed_urls(token) if token else None
    published = _published_or_none(center)
    if published is None:
        return render_template("swaps/mine.html", center=center, me=me, state=None, calendar=calendar)
    version, state = published
    today = dt.date.today()
    upcoming = [m for m in state.led_by(me.code) if m.date >= today]
    my_groups = swaps.groups_led(state, me.code, max(today, state.data.center.term_start))
    if any(g.members for g in my_groups):
        audit.viewed_list(center.id, "my groups", "members of the facilitator's own groups")
        db.session.commit()
    requests = [r for r in swaps.requests_for(center, me) if r.version_id == version.id]
    takeable = [r for r in requests if r.status == SwapStatus.OPEN and r.requester_id != me.id
                and (r.target_id == me.id or r.target_id is None)]
    mine = [r for r in requests if r.requester_id == me.id]
    return render_template("swaps/mine.html", center=center, me=me, state=state, upcoming=upcoming,
                           takeable=takeable, mine=mine, label=_meeting_label, form=ConfirmForm(),
                           MeetingKey=MeetingKey, calendar=calendar, my_groups=my_groups, day_names=DAY_NAMES)


@bp.post("/cover/calendar")
@login_required
@recent_password_required  # it replaces the calendar link, as a coordinator's rotation does
def make_calendar_link(center_id: int) -> Response | str:
    """Make the facilitator's calendar link; replacing one asks first, as on a participant's page
    (``step=ask`` shows what replacing does, ``step=replace`` does it)."""
    center, me = get_own_facilitator_or_404(center_id)
    back = url_for("swaps.my_cover", center_id=center.id) + "#calendar"
    if ConfirmForm().validate_on_submit():
        page = replace_own_link(me, url_for("swaps.make_calendar_link", center_id=center.id), back)
        if page is not None:
            return page
    return redirect(back)


@bp.route("/cover/ask", methods=["GET", "POST"])
@login_required
def ask(center_id: int) -> str | Response:
    center, me = get_own_facilitator_or_404(center_id)
    published = _published_or_none(center)
    if published is None:
        abort(404)
    version, state = published
    form = AskForm(request.form if request.method == "POST" else request.args)
    first = form.key()
    led = {MeetingKey.of(m) for m in state.led_by(me.code)}
    if first is None or first not in led:
        flash(_("That meeting is not one of yours."), "error")
        return redirect(url_for("swaps.my_cover", center_id=center.id))
    until = (form.until.data if form.scope.data == "until" else
             state.meetings[-1].date if form.scope.data == "term" else None)
    keys = swaps.meetings_from(state, me, first, until)
    candidates = eligible_colleagues(state, me, keys)
    form.colleague.choices = [SelectChoice("", _("Anyone who can (open request)"))] + [
        SelectChoice(str(c.facilitator.id), _("%(name)s (covered %(n)d this term)", name=c.facilitator.name,
                                              n=c.covers)) for c in candidates]
    # A trade is with one colleague who can take these meetings, and offers only their meetings the
    # requester can take in return: never a list of every meeting of every colleague (1 371 at 600 people).
    today = dt.date.today()
    chosen = next((c.facilitator for c in candidates if str(c.facilitator.id) == (form.colleague.data or "")), None)
    theirs = [] if chosen is None else [
        m for m in state.led_by(chosen.code)
        if m.date >= today and not problems_taking(state, me, [MeetingKey.of(m)])][:TRADE_CHOICES]
    form.trade.choices = [SelectChoice("", _("Nothing (a cover, not a trade)"))] + [
        SelectChoice(f"{chosen.id}|{m.group_id}|{m.slot_id}|{m.date.isoformat()}",
                     _meeting_label(state, MeetingKey.of(m))) for m in theirs if chosen is not None]
    if request.method == "POST" and "show_trades" not in request.form and form.validate():
        if form.scope.data == "until" and form.until.data is None:
            form.until.errors = [*form.until.errors, _("Choose the last date.")]
        else:
            try:
                target, take = _parse_trade(center, form)
                if target is None and form.colleague.data:
                    target = db.session.get(Facilitator, int(form.colleague.data))
                    if target is None or target.center_id != center.id:
                        raise swaps.SwapError(_("Choose a colleague of this center."))
                made = swaps.request_swap(version, me, keys, target=target, take=take, note=form.note.data or "")
                asked = [target] if target is not None else [c.facilitator for c in candidates]
                notify.send_all(center.id, notify.swap_requested(state, made, asked, utcnow()))
                db.session.commit()
            except swaps.SwapError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                flash(_("Your request is sent."), "success")
                return redirect(url_for("swaps.my_cover", center_id=center.id))
    return render_template("swaps/ask.html", center=center, me=me, form=form, keys=keys, state=state,
                           label=_meeting_label, candidates=candidates, chosen=chosen)


def _parse_trade(center: Center, form: AskForm) -> tuple[Facilitator | None, list[MeetingKey]]:
    if not form.trade.data:
        return None, []
    facilitator_id, group, slot, day = form.trade.data.split("|")
    target = db.session.get(Facilitator, int(facilitator_id))
    if target is None or target.center_id != center.id:
        raise swaps.SwapError(_("Choose a colleague of this center."))
    if form.colleague.data and form.colleague.data != facilitator_id:
        raise swaps.SwapError(_("A trade is with the colleague whose meeting you take."))
    return target, [MeetingKey(dt.date.fromisoformat(day), slot, group)]


@bp.post("/cover/requests/<int:request_id>/<any(accept, decline, cancel):action>")
@login_required
def answer(center_id: int, request_id: int, action: str) -> Response:
    """Accept or decline a colleague's request, or withdraw one's own."""
    center, me = get_own_facilitator_or_404(center_id)
    found = get_request_or_404(center, request_id)
    if ConfirmForm().validate_on_submit():
        try:
            answers: dict[str, Callable[[SwapRequest, Facilitator], object]] = {
                "accept": swaps.accept, "decline": swaps.decline, "cancel": swaps.cancel}
            answers[action](found, me)
            _tell_if_applied(found)
            db.session.commit()
        except swaps.SwapError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash({"accept": _("Thank you: the meetings are yours."), "decline": _("Declined."),
                   "cancel": _("Your request is withdrawn.")}[action], "success")
    return redirect(url_for("swaps.my_cover", center_id=center.id))


# --------------------------------------------------------------------------- coordinators


@bp.get("/swaps/")
@login_required
def overview(center_id: int) -> str:
    center = get_center_or_404(center_id)
    published = _published_or_none(center)
    if published is None:
        return render_template("swaps/overview.html", center=center, state=None)
    version, state = published
    requests = [r for r in swaps.requests_for(center) if r.version_id == version.id]
    uncovered = [r for r in requests if r.status == SwapStatus.OPEN]
    suggestions = {r.id: eligible_colleagues(state, r.requester, [MeetingKey(i.date, i.slot_code, i.group_code)
                                                                   for i in r.items if i.half.value == "give"])
                   for r in uncovered if r.kind.value == "cover"}
    series = [(f"{led.id} {slot}", _("%(group)s, %(day)s %(time)s", group=state.data.group_title(led.id),
                                                day=DAY_NAMES[t.day], time=t.start))
              for led in swaps.groups_led(state, None, state.data.center.term_start)
              for slot, t in zip(state.data.groups[led.id].sessions, led.times, strict=True)]
    return render_template("swaps/overview.html", center=center, state=state, requests=requests,
                           uncovered=uncovered, suggestions=suggestions, label=_meeting_label, form=ConfirmForm(),
                           MeetingKey=MeetingKey, series=series)


@bp.post("/swaps/<int:request_id>/<any(approve, reject):action>")
@login_required
def decide(center_id: int, request_id: int, action: str) -> Response:
    center = get_center_or_404(center_id)
    found = get_request_or_404(center, request_id)
    if ConfirmForm().validate_on_submit():
        try:
            (swaps.approve if action == "approve" else swaps.reject)(found, current_user)
            _tell_if_applied(found)
            db.session.commit()
        except swaps.SwapError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Approved: the meetings have changed.") if action == "approve" else _("Rejected."), "success")
    return redirect(url_for("swaps.overview", center_id=center.id))


@bp.post("/swaps/<int:request_id>/assign")
@login_required
def assign(center_id: int, request_id: int) -> Response:
    center = get_center_or_404(center_id)
    found = get_request_or_404(center, request_id)
    form = AssignForm()
    form.facilitator.choices = [SelectChoice(f.id, f.name) for f in center.facilitators]
    if form.validate_on_submit():
        taker = db.session.get(Facilitator, form.facilitator.data)
        try:
            assert taker is not None
            swaps.accept(found, taker, assigned_by=current_user)
            _tell_if_applied(found)
            db.session.commit()
        except swaps.SwapError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("%(name)s now leads these meetings.", name=taker.name), "success")
    else:
        flash(_("Choose a facilitator."), "error")
    return redirect(url_for("swaps.overview", center_id=center.id))


@bp.route("/meetings/cancel", methods=["GET", "POST"])
@login_required
def cancel_meeting(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    published = _published_or_none(center)
    if published is None:
        abort(404)
    version, state = published
    form = MeetingForm(request.form if request.method == "POST" else request.args)
    key = form.key()
    if key is None or key not in state.by_key:
        flash(_("That meeting does not exist."), "error")
        return redirect(url_for("swaps.overview", center_id=center.id))
    if request.method == "POST" and form.validate():
        try:
            swaps.cancel_meeting(version, key, current_user)
            notify.send_all(center.id, notify.meeting_cancelled(term_state(version), key, utcnow()))
            db.session.commit()
        except swaps.SwapError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Cancelled. Calendars will show this date as cancelled."), "success")
        return redirect(url_for("swaps.overview", center_id=center.id))
    meeting = state.by_key[key]
    return render_template("swaps/cancel_meeting.html", center=center, form=form, meeting=meeting,
                           label=_meeting_label(state, key), members=len(meeting.members))


@bp.route("/meetings/move", methods=["GET", "POST"])
@login_required
def move_meeting(center_id: int) -> str | Response:
    """Move one date of a group to another room or time that day: a form, then a page saying what
    happens and who is told, whose button does it. Clashes are refused with every reason."""
    center = get_center_or_404(center_id)
    published = _published_or_none(center)
    if published is None:
        abort(404)
    version, state = published
    form = MoveForm(request.form if request.method == "POST" else request.args)
    key = form.key()
    meeting = state.by_key.get(key) if key is not None else None
    if key is None or meeting is None or meeting.cancelled:
        flash(_("That meeting does not exist."), "error")
        return redirect(url_for("swaps.overview", center_id=center.id))
    form.room.choices = [SelectChoice(r.id, r.name) for r in state.data.scenario.rooms]
    if request.method == "GET":
        form.room.data, form.start.data, form.end.data = meeting.room, meeting.start, meeting.end
    page = {"center": center, "form": form, "meeting": meeting, "label": _meeting_label(state, key),
            "members": len(meeting.members)}
    if request.method == "POST" and form.validate():
        move = swaps.Move(form.room.data or "", form.start.data, form.end.data)
        problems = swaps.move_problems(state, key, move)
        if problems:
            return render_template("swaps/move_meeting.html", problems=problems, **page)
        if form.step.data != "confirm":
            return render_template("swaps/move_meeting.html", confirm=move,
                                   room=state.data.room_name(move.room), **page)
        try:
            swaps.move_meeting(version, key, move, current_user)
            notify.send_all(center.id, notify.meeting_moved(term_state(version), key, meeting, utcnow()))
            db.session.commit()
        except swaps.SwapError as error:
            db.session.rollback()
            return render_template("swaps/move_meeting.html", problems=[str(error)], **page)
        flash(_("Moved. Calendars will show this date in its new place, and everyone concerned is told."),
              "success")
        return redirect(url_for("swaps.overview", center_id=center.id))
    return render_template("swaps/move_meeting.html", **page)


@bp.get("/audit")
@login_required
def audit_log(center_id: int) -> str:
    center = get_center_or_404(center_id)
    action = request.args.get("action", "")[:64]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    # One more than the page holds, to know whether there is a next page.
    found = audit.entries(center.id, action_prefix=action, limit=page * AUDIT_PER_PAGE + 1)
    namer = audit_words.Namer(center)
    rows = [audit_words.sentence(namer, e) for e in found[(page - 1) * AUDIT_PER_PAGE:page * AUDIT_PER_PAGE]]
    return render_template("swaps/audit.html", center=center, entries=rows, action=action, page=page,
                           more=len(found) > page * AUDIT_PER_PAGE)
