"""Coordinators hand out calendar subscriptions: each person's feed URL (https and webcal), a QR
code to scan from a phone, and rotation when a link has been shared too widely."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from scheduler.extensions import db
from scheduler.models import Center, Facilitator, Participant
from scheduler.services import audit, feed_tokens, term_settings, versions
from scheduler.views.auth import recent_password_required
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("calendars", __name__, url_prefix="/centers/<int:center_id>/calendars")

KINDS: dict[str, type[Participant] | type[Facilitator]] = {"participants": Participant,
                                                           "facilitators": Facilitator}


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


class CalendarSettingsForm(FlaskForm):
    address = StringField(_l("The center's address, shown in every calendar event"), validators=[Length(max=300)])
    feeds_name_members = BooleanField(_l("Facilitators' calendars list the first names of their own groups' members"))


def get_person_or_404(center: Center, kind: str, code: str) -> Participant | Facilitator:
    model = KINDS.get(kind)
    if model is None:
        abort(404)
    person: Participant | Facilitator | None = db.session.scalar(
        db.select(model).where(model.center_id == center.id, model.code == code))
    if person is None:
        abort(404)
    return person


@bp.app_template_global()
def qr_svg(url: str) -> Markup:
    """For templates/calendars/_subscribe.html, on every page that offers a calendar link."""
    # segno writes plain SVG markup (no script), so it can sit inline under the strict CSP.
    return Markup(segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff"))  # nosec B704


def replace_own_link(person: Participant | Facilitator, action: str, back: str) -> str | None:
    """A person's own calendar-link button (a participant's page, a facilitator's): it makes a link when
    they have none; replacing one (the old URL dead at once) first shows a page that says what that does
    (``step=ask``), whose button confirms (``step=replace``). Returns that page, or None when the caller
    should go back to ``back``. The caller has checked the CSRF token."""
    step = request.form.get("step")
    has_one = feed_tokens.live_token(person) is not None
    if has_one and step == "ask":
        return render_template("calendars/replace.html", action=action, back=back)
    if not has_one or step == "replace":
        feed_tokens.issue(person)
        db.session.commit()
        if has_one:
            flash(_("Your new calendar link is ready, and the old one has stopped working. Add the new one "
                    "to your calendar."), "success")
    return None


@bp.get("/")
@login_required
def index(center_id: int) -> str:
    center = get_center_or_404(center_id)
    version = versions.current_published(center)
    groups = [(g.id, g.activity) for g in versions.version_data(version).schedule.groups] if version else []
    names = {a.code: a.name for a in center.activities}
    staff: list[tuple[str, str | None, str]] = [("center", None, _("The whole center"))]
    staff += [("group", gid, _("Group %(group)s (%(activity)s)", group=gid, activity=names.get(act, act)))
              for gid, act in groups]
    staff += [("room", room.code, _("Room: %(name)s", name=room.name)) for room in center.rooms]
    audit.viewed_list(center.id, "calendar links", "participants' and facilitators' names")
    db.session.commit()
    links = {}
    for scope, subject, _label in staff:
        token = feed_tokens.scoped_token(center.id, scope, subject)
        links[(scope, subject)] = feed_tokens.feed_urls(token) if token else None
    differences = term_settings.pending(center, version) if version else None
    return render_template("calendars/index.html", center=center, staff=staff, links=links, form=ConfirmForm(),
                           settings_form=CalendarSettingsForm(address=center.address,
                                                              feeds_name_members=center.feeds_name_members),
                           differences=differences)


@bp.post("/settings")
@login_required
def settings(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    form = CalendarSettingsForm()
    if form.validate_on_submit():
        center.address = (form.address.data or "").strip()
        center.feeds_name_members = bool(form.feeds_name_members.data)
        db.session.commit()
        flash(_("Saved. The published term keeps the address it was published with until you apply the "
                "settings to it or publish a new version; the members option applies at once."), "success")
    else:
        problems = [f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()
                    if name != "csrf_token"]
        flash(" ".join(problems) or _("The page had expired. Please try again."), "error")
    return redirect(url_for("calendars.index", center_id=center.id))


@bp.route("/apply-settings", methods=["GET", "POST"])
@login_required
@recent_password_required  # it publishes a version and writes to everyone whose meetings move
def apply_settings(center_id: int) -> str | Response:
    """The center's settings as they are now, applied to the published term: a page that says what
    differs and what happens, whose button records and publishes the new version."""
    center = get_center_or_404(center_id)
    version = versions.current_published(center)
    if version is None:
        abort(404)
    differences = term_settings.pending(center, version)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            new = term_settings.apply_to_published(center, version, current_user)
            db.session.commit()
        except versions.VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Version %(number)d is published with the center's settings; everyone whose meetings moved "
                    "is told.", number=new.number), "success")
            return redirect(url_for("calendars.index", center_id=center.id))
    return render_template("calendars/apply_settings.html", center=center, version=version,
                           differences=differences, form=form)


@bp.post("/staff/<any(center, group, room):scope>", defaults={"subject": None})
@bp.post("/staff/<any(center, group, room):scope>/<subject>")
@login_required
@recent_password_required
def staff_link(center_id: int, scope: str, subject: str | None) -> Response:
    """Make (or replace) the calendar link of the whole center, a group or a room."""
    center = get_center_or_404(center_id)
    version = versions.current_published(center)
    known: dict[str, set[str | None]] = {"center": {None}, "room": {r.code for r in center.rooms},
             "group": set(versions.version_data(version).groups) if version else set()}
    if subject not in known[scope] or (scope == "center") != (subject is None):
        abort(404)
    if ConfirmForm().validate_on_submit():
        feed_tokens.issue_scoped(center.id, scope, subject)
        db.session.commit()
        flash(_("A new calendar link is ready; any earlier one for it has stopped working."), "success")
    return redirect(url_for("calendars.index", center_id=center.id) + "#staff")


@bp.get("/<any(participants, facilitators):kind>/<code>")
@login_required
def person(center_id: int, kind: str, code: str) -> str:
    center = get_center_or_404(center_id)
    someone = get_person_or_404(center, kind, code)
    audit.viewed(center.id, audit.PEOPLE_SECTIONS[kind], someone.code, "calendar link")
    db.session.commit()
    token = feed_tokens.token_for(someone)
    if token is None:
        return render_template("calendars/person.html", center=center, person=someone, kind=kind, https=None,
                               form=ConfirmForm())
    https, webcal = feed_tokens.feed_urls(token)
    return render_template("calendars/person.html", center=center, person=someone, kind=kind, https=https,
                           webcal=webcal, form=ConfirmForm())


@bp.post("/<any(participants, facilitators):kind>/<code>/rotate")
@login_required
@recent_password_required
def rotate(center_id: int, kind: str, code: str) -> Response:
    center = get_center_or_404(center_id)
    someone = get_person_or_404(center, kind, code)
    if ConfirmForm().validate_on_submit():
        had_one = feed_tokens.token_for(someone) is not None
        feed_tokens.issue(someone)
        db.session.commit()
        if had_one:
            flash(_("A new calendar link is ready. The old one has stopped working; give %(name)s the new one.",
                    name=someone.name), "success")
    return redirect(url_for("calendars.person", center_id=center.id, kind=kind, code=code))
