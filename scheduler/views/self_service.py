"""A participant's own page, opened with their personal link (no password), and the coordinator's
view of who has answered, with invitations, reminders and the outbox."""

from __future__ import annotations

import json
from contextlib import nullcontext

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center, MailStatus, OutboxMessage, Participant
from scheduler.services import accounts, audit, feed_tokens, mail, staff_invitations
from scheduler.services import editing as svc
from scheduler.services import privacy as privacy_svc
from scheduler.services import self_service as answers_svc
from scheduler.views.auth import recent_password_required, start_session
from scheduler.views.calendars import replace_own_link
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("self_service", __name__)


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


class DeadlineForm(FlaskForm):
    deadline = DateField(_l("Answers can be changed until (empty: no limit)"), validators=[Optional()])
    facilitators_edit_profile = BooleanField(_l("Facilitators may change their own skills and languages"))


def _gone() -> None:
    verdict = ratelimit.hit("token-miss", request.remote_addr or "-", 60, 60)
    if not verdict.allowed:
        response = make_response(render_template("self_service/gone.html"), 429)
        response.headers["Retry-After"] = str(verdict.retry_after_s)
        abort(response)
    abort(make_response(render_template("self_service/gone.html"), 404))


def _participant_or_gone(token: str) -> Participant:
    participant = accounts.participant_for_token(token)
    if participant is None:
        _gone()
    assert participant is not None
    return participant


def _no_referrer(response: Response) -> Response:
    # The page's URL is the person's key: never send it to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/p/<token>", methods=["GET", "POST"])
def page(token: str) -> Response:
    participant = _participant_or_gone(token)
    center = participant.center
    # Their own language when they chose one; otherwise the browser's, as on every page.
    with force_locale(participant.locale) if participant.locale else nullcontext():
        data = svc.current_scenario(center)
        index = svc.find_index(data, "participants", participant.code)
        assert index is not None
        person = data["participants"][index]
        read_only = answers_svc.is_read_only(center)
        form = ConfirmForm()
        answers = answers_svc.current_answers(person)
        problems: list[str] = []
        if request.method == "POST":
            if read_only:
                flash(_("The time for answers has passed. Please call your coordinator to change anything."),
                      "error")
                return _no_referrer(redirect(url_for("self_service.page", token=token)))
            if form.validate_on_submit():
                answers = answers_svc.parse(request.form, data)
                result = answers_svc.save(center, participant, answers)
                if result is not None and result.ok:
                    db.session.commit()
                    flash(_("Thank you. Your answers are saved. You can change them here at any time."), "success")
                    return _no_referrer(redirect(url_for("self_service.page", token=token)))
                db.session.rollback()
                if result is not None:
                    problems = [*(m for ms in result.field_problems.values() for m in ms),
                                *(str(p) for p in result.other_problems)]
            else:
                problems = [_("The page had expired. Please try again.")]
        features, languages = answers_svc.choices(data)
        calendar_token = feed_tokens.token_for(participant)
        calendar = feed_tokens.feed_urls(calendar_token) if calendar_token else None
        html = render_template(
            "self_service/page.html", participant=participant, center=center, data=data, answers=answers,
            problems=problems, read_only=read_only, form=form, features=features, languages=languages,
            day_names=DAY_NAMES, token=token, meetings=answers_svc.my_meetings(center, participant),
            calendar=calendar, activity_text={a.code: a.description for a in center.activities})
    return _no_referrer(make_response(html))


@bp.post("/p/<token>/calendar")
def make_calendar(token: str) -> Response:
    """The participant's calendar link: made when they have none; replaced (the old URL dead at once)
    only after a page that says what replacing does (``step=ask``) and its button (``step=replace``)."""
    participant = _participant_or_gone(token)
    back = url_for("self_service.page", token=token) + "#calendar"
    if not ConfirmForm().validate_on_submit():
        return _no_referrer(redirect(back))
    with force_locale(participant.locale) if participant.locale else nullcontext():
        page = replace_own_link(participant, url_for("self_service.make_calendar", token=token), back)
    return _no_referrer(make_response(page) if page is not None else redirect(back))


# --------------------------------------------------------------------------- coordinators


def _participant_or_404(center: Center, code: str) -> Participant:
    found = next((p for p in center.participants if p.code == code), None)
    if found is None:
        abort(404)
    return found


@bp.get("/centers/<int:center_id>/answers/")
@login_required
def answers(center_id: int) -> str:
    center = get_center_or_404(center_id)
    people = sorted(center.participants, key=lambda p: (p.answered_at is not None, p.name))
    live = {p.id: any(link.revoked_at is None for link in p.links) for p in people}
    form = DeadlineForm(deadline=center.answers_deadline, facilitators_edit_profile=center.facilitators_edit_profile)
    audit.viewed_list(center.id, "answers", "participants' answers and links")
    db.session.commit()
    return render_template("self_service/answers.html", center=center, people=people, live=live, form=form,
                           confirm=ConfirmForm(), answered=sum(1 for p in people if p.answered_at),
                           changes=answers_svc.changes_since_last_solve(center))


@bp.post("/centers/<int:center_id>/answers/deadline")
@login_required
def deadline(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        people = sorted(center.participants, key=lambda p: (p.answered_at is not None, p.name))
        live = {p.id: any(link.revoked_at is None for link in p.links) for p in people}
        return render_template("self_service/answers.html", center=center, people=people, live=live, form=form,
                               confirm=ConfirmForm(), answered=sum(1 for p in people if p.answered_at),
                               changes=answers_svc.changes_since_last_solve(center))
    center.answers_deadline = form.deadline.data
    center.facilitators_edit_profile = bool(form.facilitators_edit_profile.data)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("self_service.answers", center_id=center.id))


@bp.post("/centers/<int:center_id>/answers/<code>/<any(invite, revoke):action>")
@login_required
def link_action(center_id: int, code: str, action: str) -> Response:
    center = get_center_or_404(center_id)
    participant = _participant_or_404(center, code)
    if ConfirmForm().validate_on_submit():
        if action == "revoke":
            count = accounts.revoke_participant_links(participant)
            db.session.commit()
            flash(_("%(name)s's link has stopped working.", name=participant.name) if count
                  else _("%(name)s had no working link.", name=participant.name), "success")
        else:
            message = answers_svc.invite(center, participant)
            db.session.commit()
            _report_send(message, participant.name)
    return redirect(url_for("self_service.answers", center_id=center.id))


def _report_send(message: OutboxMessage | None, name: str) -> None:
    if message is None:
        flash(_("%(name)s has no email address. Add one, or give them the link in person.", name=name), "error")
    elif message.status == MailStatus.FAILED:
        flash(_("The email to %(name)s could not be sent: %(error)s. You can retry from the outbox.",
                name=name, error=message.error), "error")
    elif message.status == MailStatus.OUTBOX:
        flash(_("No mail server is set up: the email to %(name)s is waiting in the outbox.", name=name), "info")
    else:
        flash(_("Sent the link to %(name)s.", name=name), "success")


@bp.post("/centers/<int:center_id>/answers/remind")
@login_required
def remind(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    if ConfirmForm().validate_on_submit():
        sent, missing = answers_svc.remind_unanswered(center, current_user)
        db.session.commit()
        flash(_("Reminded %(sent)d people. %(missing)d have no email address.", sent=sent, missing=missing),
              "success")
    return redirect(url_for("self_service.answers", center_id=center.id))


@bp.get("/centers/<int:center_id>/outbox")
@login_required
def outbox(center_id: int) -> str:
    center = get_center_or_404(center_id)
    audit.viewed_list(center.id, "outbox", "emails to participants and facilitators")
    db.session.commit()
    return render_template("self_service/outbox.html", center=center, messages=mail.outbox(center.id),
                           confirm=ConfirmForm())


@bp.post("/centers/<int:center_id>/outbox/<int:message_id>/retry")
@login_required
def retry(center_id: int, message_id: int) -> Response:
    center = get_center_or_404(center_id)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.center_id != center.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        mail.deliver(message)
        db.session.commit()
        _report_send(message, message.to_name or message.to_email)
    return redirect(url_for("self_service.outbox", center_id=center.id))



# --------------------------------------------------------------------------- facilitators


class WelcomeForm(FlaskForm):
    password = PasswordField(_l("Choose a password (at least 12 characters; a short sentence works well)"),
                             validators=[InputRequired()])
    again = PasswordField(_l("The same password again"), validators=[InputRequired()])


@bp.post("/centers/<int:center_id>/answers/facilitators/<code>/invite")
@login_required
@recent_password_required  # it grants an account and a role at the center
def invite_facilitator(center_id: int, code: str) -> Response:
    center = get_center_or_404(center_id)
    facilitator = next((f for f in center.facilitators if f.code == code), None)
    if facilitator is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        message = staff_invitations.invite_facilitator(center, facilitator)
        db.session.commit()
        _report_send(message, facilitator.name)
    return redirect(url_for("self_service.answers", center_id=center.id) + "#facilitators")


@bp.post("/centers/<int:center_id>/answers/facilitators/invite-all")
@login_required
@recent_password_required  # like one invitation: it grants accounts and roles at the center
def invite_all_facilitators(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    if ConfirmForm().validate_on_submit():
        waiting = [f for f in center.facilitators if f.user_id is None]
        sent = sum(1 for f in waiting if staff_invitations.invite_facilitator(center, f) is not None)
        db.session.commit()
        flash(_("Invited %(sent)d facilitators. %(missing)d have no email address.", sent=sent,
                missing=len(waiting) - sent), "success")
    return redirect(url_for("self_service.answers", center_id=center.id) + "#facilitators")


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> str | Response:
    user = staff_invitations.user_for_welcome(token)
    if user is None:
        _gone()
    assert user is not None
    form = WelcomeForm()
    if form.validate_on_submit():
        if form.password.data != form.again.data:
            form.again.errors = [*form.again.errors, _("The two passwords are not the same.")]
        else:
            try:
                staff_invitations.set_password(user, form.password.data or "")
            except accounts.AccountError as error:
                form.password.errors = [*form.password.errors, error.message]
            else:
                db.session.commit()
                start_session(user)
                flash(_("Welcome. Your password is set."), "success")
                return redirect(url_for("coordinator.index"))
    return _no_referrer(make_response(render_template("self_service/welcome.html", form=form, email=user.email)))


@bp.route("/centers/<int:center_id>/me/times", methods=["GET", "POST"])
@login_required
def my_times(center_id: int) -> str | Response:
    from scheduler.views.swaps import get_own_facilitator_or_404

    center, me = get_own_facilitator_or_404(center_id)
    data = svc.current_scenario(center)
    index = svc.find_index(data, "facilitators", me.code)
    assert index is not None
    person = data["facilitators"][index]
    answers = answers_svc.current_answers(person)
    form = ConfirmForm()
    problems: list[str] = []
    if form.validate_on_submit():
        answers = answers_svc.parse(request.form, {**data, "activities": []})
        if not answers.errors:
            item = {**person, "available": [s for s, v in answers.levels.items() if v == "available"],
                    "if_needed": [s for s, v in answers.levels.items() if v == "if_needed"]}
            if center.facilitators_edit_profile:
                known_skills, known_languages = answers_svc.staff_choices(data)
                item["skills"] = [x for x in request.form.getlist("skills") if x in known_skills]
                item["languages"] = [x for x in request.form.getlist("languages") if x in known_languages]
            result = svc.apply_change(center, svc.put_item("facilitators", index, item), before=data)
            if result.ok:
                db.session.commit()
                flash(_("Your times are saved. They count from the next schedule your coordinator builds."),
                      "success")
                return redirect(url_for("self_service.my_times", center_id=center.id))
            db.session.rollback()
            problems = [*(m for ms in result.field_problems.values() for m in ms),
                        *(str(p) for p in result.other_problems)]
    known_skills, known_languages = answers_svc.staff_choices(data)
    return render_template("self_service/my_times.html", center=center, me=me, data=data, answers=answers,
                           form=form, problems=problems, day_names=DAY_NAMES, person=person,
                           known_skills=known_skills, known_languages=known_languages)


class ActivityTextForm(FlaskForm):
    calendar_label = StringField(_l("Name in participants' calendars (empty: the activity's name)"),
                                 validators=[Length(max=200)])
    description = TextAreaField(_l("A sentence or two for participants choosing"), validators=[Length(max=500)])


@bp.route("/centers/<int:center_id>/answers/activities/<code>", methods=["GET", "POST"])
@login_required
def activity_text(center_id: int, code: str) -> str | Response:
    """What participants read about an activity, and the discreet name their calendars show."""
    center = get_center_or_404(center_id)
    activity = next((a for a in center.activities if a.code == code), None)
    if activity is None:
        abort(404)
    form = ActivityTextForm(obj=activity)
    if form.validate_on_submit():
        activity.calendar_label = (form.calendar_label.data or "").strip() or None
        activity.description = (form.description.data or "").strip()
        db.session.commit()
        flash(_("Saved what participants see about %(name)s.", name=activity.name), "success")
        return redirect(url_for("self_service.answers", center_id=center.id) + "#activities")
    return render_template("self_service/activity_text.html", center=center, activity=activity, form=form)


# --------------------------------------------------------------------------- privacy


@bp.get("/centers/<int:center_id>/answers/<code>/privacy")
@login_required
def privacy(center_id: int, code: str) -> str:
    center = get_center_or_404(center_id)
    participant = _participant_or_404(center, code)
    audit.viewed(center.id, "participant", participant.code, "privacy")
    db.session.commit()
    return render_template("self_service/privacy.html", center=center, participant=participant,
                           confirm=ConfirmForm())


@bp.get("/centers/<int:center_id>/answers/<code>/privacy/export.json")
@login_required
@recent_password_required
def privacy_export(center_id: int, code: str) -> Response:
    center = get_center_or_404(center_id)
    participant = _participant_or_404(center, code)
    data = privacy_svc.export_participant(center, participant)
    audit.record(center.id, current_user, "person.exported", f"participant {participant.code}", None, None)
    db.session.commit()
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="participant-{participant.code}.json"'
    return response


@bp.post("/centers/<int:center_id>/answers/<code>/privacy/erase")
@login_required
@recent_password_required
def privacy_erase(center_id: int, code: str) -> Response:
    center = get_center_or_404(center_id)
    participant = _participant_or_404(center, code)
    if ConfirmForm().validate_on_submit() and request.form.get("confirm_name", "").strip() == participant.name:
        name = participant.name
        try:
            privacy_svc.erase_participant(center, participant, current_user)
        except privacy_svc.PrivacyError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("self_service.privacy", center_id=center.id, code=code))
        db.session.commit()
        flash(_("Everything about %(name)s is erased; published schedules show an anonymous placeholder.",
                name=name), "success")
        return redirect(url_for("self_service.answers", center_id=center.id))
    flash(_("Type the participant's full name exactly to confirm."), "error")
    return redirect(url_for("self_service.privacy", center_id=center.id, code=code))
