"""What if a facilitator leaves, a room closes or a weekly slot goes: choose one, see who the
published term loses, and start a re-plan as a draft (the center's own data stays as it is)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField

from scheduler.extensions import db
from scheduler.models import Center
from scheduler.services import solving, versions
from scheduler.services.advice import what_if
from scheduler.views.coordinator import get_center_or_404
from scheduler.views.schedules import TIME_LIMITS

bp = Blueprint("what_if", __name__, url_prefix="/centers/<int:center_id>/schedule/what-if")

KIND_WORDS = {"facilitator": _l("A facilitator leaves"), "room": _l("A room closes"),
              "slot": _l("A weekly slot is removed")}
FIELD_WORDS = {"facilitator": _l("Facilitator"), "room": _l("Room"), "slot": _l("Weekly slot")}


def _form_problem(form: ReplanForm) -> str:
    """What is wrong with the form, naming the field (WTForms' own choice errors name none)."""
    if "csrf_token" in form.errors:
        return _("The form has expired or is incomplete. Try again.")
    if "time_limit_s" in form.errors:
        return _("%(field)s: choose one of the times offered.", field=form.time_limit_s.label.text)
    return " ".join(_("%(field)s: %(problem)s", field=form[name].label.text, problem=message)
                    for name, messages in form.errors.items() for message in messages)


class ReplanForm(FlaskForm):
    code = HiddenField()
    time_limit_s = SelectField(_l("Time to spend searching"), choices=TIME_LIMITS, coerce=int, default=60)


@bp.app_context_processor
def _what_if_of_version() -> dict[str, Any]:
    # The version page's purpose partial asks this of any version: None unless built as a what-if.
    return {"what_if_of": what_if.summary}


def _index_page(center: Center, status: int = 200) -> tuple[str, int]:
    return render_template("what_if/index.html", center=center, choices=what_if.choices(center),
                           kinds=KIND_WORDS, fields=FIELD_WORDS, published=versions.current_published(center),
                           job=solving.active_job(center)), status


@bp.get("/")
@login_required
def index(center_id: int) -> tuple[str, int]:
    return _index_page(get_center_or_404(center_id))


@bp.route("/<any(facilitator, room, slot):kind>", methods=["GET", "POST"])
@login_required
def confirm(center_id: int, kind: str) -> tuple[str, int] | Response:
    center = get_center_or_404(center_id)
    form = ReplanForm()
    code = (request.form.get("code") if request.method == "POST" else request.args.get("code")) or ""
    try:
        found = what_if.impact(center, kind, code)
    except what_if.WhatIfError as refusal:
        flash(refusal.message, "error")
        return _index_page(center, 400)
    job = solving.active_job(center)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_form_problem(form), "error")
            status = 400
        else:
            try:
                started = what_if.start(center, current_user, kind, code, form.time_limit_s.data or 60)
            except (what_if.WhatIfError, solving.SolveRefusedError) as refusal:
                db.session.rollback()
                flash(refusal.message, "error")
                status = 400
            else:
                flash(_("The re-plan is being built as a draft. Nothing published changes until you publish it."),
                      "info")
                return redirect(url_for("schedules.job", center_id=center.id, job_id=started.id))
    form.code.data = code
    return render_template("what_if/confirm.html", center=center, impact=found, form=form, job=job, kind=kind,
                           kinds=KIND_WORDS), status
