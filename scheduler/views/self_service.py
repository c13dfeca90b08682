"""A participant's own page, opened with their personal link (no password), and the coordinator's
view of who has answered, with invitations, reminders and the outbox."""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.forms.editing import SingleLine
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center, Facilitator, MailStatus, OutboxMessage, Participant
from scheduler.services import (
    accounts,
    answer_clashes,
    audit,
    feed_tokens,
    mail,
    mail_batches,
    people_search,
    planning,
    staff_invitations,
)
from scheduler.services import editing as svc
from scheduler.services import privacy as privacy_svc
from scheduler.services import self_service as answers_svc
from scheduler.views import welcome as welcome_links
from scheduler.views.auth import recent_password_required
from scheduler.views.calendars import replace_own_link
from scheduler.views.coordinator import get_center_or_404

if TYPE_CHECKING:
    from scheduler.views.monitoring.outcomes import PersonalPanel

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
    # The page's URL is the person's key: no Referer ever carries it. Only the origin is sent (never
    # over plain HTTP): the CSRF check needs it on a form sent over HTTPS, where Flask-WTF refuses a
    # POST without a Referer of this site, and it names no person.
    response.headers["Referrer-Policy"] = "strict-origin"
    return response


@bp.route("/p/<token>", methods=["GET", "POST"])
def page(token: str) -> Response:
    participant = _participant_or_gone(token)
    center = participant.center
    # Their own language when they chose one; otherwise the browser's, as on every page.
    with force_locale(participant.locale) if participant.locale else nullcontext():
        scenario = planning.read_center(center)
        data = scenario.to_dict()
        index = svc.find_index(data, "participants", participant.code)
        assert index is not None
        person = data["participants"][index]
        read_as = answers_svc.own_snapshot(scenario, "participants", participant.code)
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
                answers = answers_svc.parse(request.form, data, participant.code)
                page_read_as = answers_svc.read_as_value(request.form.get("read_as"))
                result = answers_svc.save(center, participant, answers, page_read_as)
                if result is not None and result.ok:
                    db.session.commit()
                    flash(_("Thank you. Your answers are saved. You can change them here at any time."), "success")
                    return _no_referrer(redirect(url_for("self_service.page", token=token)))
                db.session.rollback()
                if result is not None and result.stale and page_read_as is not None:
                    # Shown again as they are now (read after the refusal), with what they typed kept
                    # wherever it did not clash; the page is then read at the current answers.
                    scenario = planning.read_center(center)
                    data = scenario.to_dict()
                    read_as = answers_svc.own_snapshot(scenario, "participants", participant.code)
                    assert read_as is not None
                    problems = [_("Your answers were changed after you opened this page, so we kept them as "
                                  "they are and did not take this page: it would have undone that change. "
                                  "What changed:"),
                                *answers_svc.what_changed(page_read_as, read_as, data, DAY_NAMES),
                                _("The page below shows your answers as they are now, with your own changes "
                                  "kept where they did not clash. Please check it and press the button again.")]
                    answers = answers_svc.keep_typed(answers, page_read_as, read_as)
                else:
                    # Shown again as typed, so still read at what the page was first read at.
                    read_as = page_read_as if page_read_as is not None else read_as
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
            read_as=answers_svc.read_as_text(read_as),
            day_names=DAY_NAMES, token=token, meetings=answers_svc.my_meetings(center, participant),
            calendar=calendar, activity_text={a.code: a.description for a in center.activities},
            monitoring=_monitoring_panel(center, participant),
            clashes=answer_clashes.clashes(center, participant.code), answered=participant.answered_at is not None)
    return _no_referrer(make_response(html))


@bp.app_template_global("answer_clashes")
def answer_clashes_for(center: Center) -> list[answer_clashes.Clash]:
    """For templates/coordinator/_answer_clashes.html, which the dashboard includes."""
    return answer_clashes.clashes(center)


def _monitoring_panel(center: Center, participant: Participant) -> PersonalPanel:
    from scheduler.views.monitoring.outcomes import personal_panel  # it imports this module

    return personal_panel(center, participant)


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
    form = DeadlineForm(deadline=center.answers_deadline, facilitators_edit_profile=center.facilitators_edit_profile)
    audit.viewed_list(center.id, "answers", "participants' answers and links")
    db.session.commit()
    return _answers_page(center, form)


def _answers_page(center: Center, form: DeadlineForm) -> str:
    """One page of the answers list, as searched and filtered (people_search), never all 600 rows."""
    query = people_search.PeopleQuery.from_args(request.args)
    found = people_search.search(center.participants, query, name=lambda p: p.name, code=lambda p: p.code,
                                 facts=lambda p: people_search.PersonFacts(answered=p.answered_at is not None))
    live = {p.id: any(link.revoked_at is None for link in p.links) for p in found.items}
    return render_template("self_service/answers.html", center=center, people=found.items, found=found, query=query,
                           live=live, form=form, confirm=ConfirmForm(), total=len(center.participants),
                           answered=sum(1 for p in center.participants if p.answered_at),
                           changes=answers_svc.changes_since_last_solve(center),
                           asked=staff_invitations.awaiting_answer(center))


@bp.post("/centers/<int:center_id>/answers/deadline")
@login_required
def deadline(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return _answers_page(center, form)
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
    # Back to the same search, page and row: after "Send a link" the person carries on where they were.
    back = people_search.PeopleQuery.from_args(request.args).args()
    return redirect(url_for("self_service.answers", center_id=center.id, _anchor=f"person-{participant.code}", **back))


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


def _report_invitation(invitation: staff_invitations.Invitation, name: str, email: str) -> None:
    """What a coordinator is told after inviting a facilitator, in plain words."""
    if invitation.outcome is staff_invitations.Outcome.ASKED_TO_ACCEPT:
        flash(_("%(email)s already belongs to an account (perhaps at another center), so no link to choose a "
                "password was made. Its owner was asked by email to accept; %(name)s becomes a facilitator here "
                "only after accepting while signed in.", email=email, name=name), "info")
    elif invitation.outcome is staff_invitations.Outcome.ALREADY_HERE:
        flash(_("%(name)s already has an account here and signs in with their own password. Nothing was sent.",
                name=name), "info")
    else:
        _report_send(invitation.message, name)


def _invite_or_refuse(center: Center, facilitator: Facilitator) -> staff_invitations.Outcome | None:
    """One invitation of "invite all"; an address that is not one is left out (None) and named."""
    try:
        return staff_invitations.invite_facilitator(center, facilitator, current_user).outcome
    except accounts.AccountError as error:
        flash(_("%(name)s cannot be invited: %(problem)s", name=facilitator.name, problem=error.message), "error")
        return None


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
    search = request.args.get("q", "").strip()[:mail.SEARCH_LIMIT]
    page = request.args.get("page", "1")
    page_number = max(int(page), 1) if page.isdigit() and len(page) < 7 else 1  # nonsense gives the first page
    messages, total = mail.outbox(center.id, search, page_number)
    pages = max((total + mail.OUTBOX_PAGE_SIZE - 1) // mail.OUTBOX_PAGE_SIZE, 1)
    return render_template("self_service/outbox.html", center=center, messages=messages, total=total,
                           search=search, page=page_number, pages=pages,
                           confirm=ConfirmForm(), body_parts=body_parts, batches=mail_batches.recent(center.id))


_LINK = re.compile(r"(?:https?|webcal)://[^\s<>\"']+")


def body_parts(body: str) -> list[tuple[str, bool]]:
    """A message's text cut into (text, is a link), so the page can make each link clickable and
    copyable while everything else stays plain, escaped text."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for found in _LINK.finditer(body):
        link = found.group().rstrip(".,;:)")
        parts.append((body[at:found.start()], False))
        parts.append((link, True))
        at = found.start() + len(link)
    parts.append((body[at:], False))
    return [p for p in parts if p[0]]


@bp.get("/centers/<int:center_id>/outbox/batches/<int:batch_id>")
@login_required
def mail_batch(center_id: int, batch_id: int) -> str:
    """How far a batch of emails (a publish's notices, invitations) has got; a script follows it."""
    center = get_center_or_404(center_id)
    batch = mail_batches.get(center.id, batch_id)
    if batch is None:
        abort(404)
    return render_template("self_service/mail_batch.html", center=center, batch=batch)


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


@bp.post("/centers/<int:center_id>/answers/facilitators/<code>/invite")
@login_required
@recent_password_required  # it grants an account and a role at the center
def invite_facilitator(center_id: int, code: str) -> Response:
    center = get_center_or_404(center_id)
    facilitator = next((f for f in center.facilitators if f.code == code), None)
    if facilitator is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            invitation = staff_invitations.invite_facilitator(center, facilitator, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(_("%(name)s cannot be invited: %(problem)s", name=facilitator.name, problem=error.message), "error")
            return redirect(url_for("self_service.answers", center_id=center.id) + "#facilitators")
        db.session.commit()
        _report_invitation(invitation, facilitator.name, facilitator.email)
    return redirect(url_for("self_service.answers", center_id=center.id) + "#facilitators")


@bp.post("/centers/<int:center_id>/answers/facilitators/invite-all")
@login_required
@recent_password_required  # like one invitation: it grants accounts and roles at the center
def invite_all_facilitators(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    if ConfirmForm().validate_on_submit():
        asked = staff_invitations.awaiting_answer(center)
        waiting = [f for f in center.facilitators if f.user_id is None and f.id not in asked]
        with mail.held() as messages:  # written now, sent in the background: a slow mail server holds nothing up
            outcomes = [_invite_or_refuse(center, f) for f in waiting]
        batch = mail_batches.adopt(center.id, _("Invitations to facilitators"), messages)
        db.session.commit()
        mail_batches.start(batch)
        sent = sum(1 for o in outcomes if o in (staff_invitations.Outcome.WELCOME_SENT,
                                                 staff_invitations.Outcome.ASKED_TO_ACCEPT))
        flash(_("Invited %(sent)d facilitators. %(missing)d have no email address.", sent=sent,
                missing=outcomes.count(staff_invitations.Outcome.NO_EMAIL)), "success")
        existing = outcomes.count(staff_invitations.Outcome.ASKED_TO_ACCEPT)
        if existing:
            flash(ngettext("%(num)d of them already has an account: its owner was asked by email to accept, and "
                           "becomes a facilitator here only after accepting while signed in.",
                           "%(num)d of them already have an account: their owners were asked by email to accept, "
                           "and become facilitators here only after accepting while signed in.", existing), "info")
        if batch.total:
            return redirect(url_for("self_service.mail_batch", center_id=center.id, batch_id=batch.id))
    return redirect(url_for("self_service.answers", center_id=center.id) + "#facilitators")


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> Response:
    """A welcome link (first password) or an invitation to an existing account: views/welcome.py."""
    page = welcome_links.open_link(token)
    if page is None:
        _gone()
    return _no_referrer(make_response(page))


@bp.route("/centers/<int:center_id>/me/times", methods=["GET", "POST"])
@login_required
def my_times(center_id: int) -> str | Response:
    from scheduler.views.swaps import get_own_facilitator_or_404

    center, me = get_own_facilitator_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    index = svc.find_index(data, "facilitators", me.code)
    assert index is not None
    person = data["facilitators"][index]
    read_as = answers_svc.own_snapshot(scenario, "facilitators", me.code)
    answers = answers_svc.current_answers(person)
    form = ConfirmForm()
    problems: list[str] = []
    if form.validate_on_submit():
        answers = answers_svc.parse(request.form, {**data, "activities": []})
        page_read_as = answers_svc.read_as_value(request.form.get("read_as"))
        if page_read_as is not None:  # shown again as typed, so still read at what the page was read at
            read_as = page_read_as
        if not answers.errors:
            fields = {"available": [s for s, v in answers.levels.items() if v == "available"],
                      "if_needed": [s for s, v in answers.levels.items() if v == "if_needed"]}
            if center.facilitators_edit_profile:
                known_skills, known_languages = answers_svc.staff_choices(data)
                fields["skills"] = [x for x in request.form.getlist("skills") if x in known_skills]
                fields["languages"] = [x for x in request.form.getlist("languages") if x in known_languages]
            result = planning.save_item(center, "facilitators", me.code, fields, read_as=page_read_as)
            if result.ok:
                db.session.commit()
                flash(_("Your times are saved. They count from the next schedule your coordinator builds."),
                      "success")
                return redirect(url_for("self_service.my_times", center_id=center.id))
            db.session.rollback()
            if result.stale and page_read_as is not None:
                # As on a participant's page: shown again as it is now, what they typed kept where it did not clash.
                scenario = planning.read_center(center)
                data = scenario.to_dict()
                read_as = answers_svc.own_snapshot(scenario, "facilitators", me.code)
                assert read_as is not None
                answers = answers_svc.keep_typed(answers, page_read_as, read_as)
                person = {**read_as, **{key: answers_svc.kept_list(key, fields[key], page_read_as, read_as)
                                        for key in ("skills", "languages") if key in fields}}
                problems = [_("Your times were changed after you opened this page, so we kept them as they are "
                              "and did not take this page: it would have undone that change. What changed:"),
                            *answers_svc.what_changed(page_read_as, read_as, data, DAY_NAMES),
                            _("The page below shows your times as they are now, with your own changes kept "
                              "where they did not clash. Please check it and press the button again.")]
            else:
                problems = [*(m for ms in result.field_problems.values() for m in ms),
                            *(str(p) for p in result.other_problems)]
    known_skills, known_languages = answers_svc.staff_choices(data)
    return render_template("self_service/my_times.html", center=center, me=me, data=data, answers=answers,
                           form=form, problems=problems, day_names=DAY_NAMES, person=person,
                           known_skills=known_skills, known_languages=known_languages,
                           read_as=answers_svc.read_as_text(read_as))


class ActivityTextForm(FlaskForm):
    calendar_label = StringField(_l("Name in participants' calendars (empty: the activity's name)"),
                                 validators=[SingleLine(200)])
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
    problems: list[str] = []
    if form.validate_on_submit():
        # The description is planning data (the scenario holds it): written by the gateway, checked as
        # every other edit; the calendar name is how versions present the activity, kept on its row.
        result = planning.save_item(center, "activities", activity.code,
                                    {"description": (form.description.data or "").strip()})
        if result.ok:
            activity.calendar_label = (form.calendar_label.data or "").strip() or None
            db.session.commit()
            flash(_("Saved what participants see about %(name)s.", name=activity.name), "success")
            return redirect(url_for("self_service.answers", center_id=center.id) + "#activities")
        db.session.rollback()
        problems = result.messages()
    return render_template("self_service/activity_text.html", center=center, activity=activity, form=form,
                           problems=problems)


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
