"""Reminders: the participant's choice on their own page, and ``flask send-reminders`` for cron."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import nullcontext

import click
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from scheduler.extensions import db
from scheduler.services.monitoring import reminders as svc
from scheduler.services.monitoring import sms
from scheduler.views.self_service import ConfirmForm, _no_referrer, _participant_or_gone

# cli_group=None: the command is ``flask send-reminders``, not ``flask monitoring_reminders ...``.
bp = Blueprint("monitoring_reminders", __name__, cli_group=None)


@bp.post("/p/<token>/reminders")
def choose(token: str) -> Response:
    participant = _participant_or_gone(token)
    back = url_for("self_service.page", token=token) + "#reminders"
    if not ConfirmForm().validate_on_submit():
        return _no_referrer(redirect(back))
    with force_locale(participant.locale) if participant.locale else nullcontext():
        by_email = request.form.get("by_email") == "yes"
        by_sms = request.form.get("by_sms") == "yes"
        phone = sms.valid_phone(request.form.get("phone", "")) if by_sms else ""
        if by_email and not participant.email:
            flash(_("Email reminders: we have no email address for you. Please give one to your coordinator."),
                  "error")
        elif phone is None:
            flash(_("Mobile number: write it with the country code, for example +34 612 345 678."), "error")
        else:
            svc.set_choice(participant, by_email, by_sms, phone)
            db.session.commit()
            flash(_("Saved. We will remind you the day before each meeting.") if by_email or by_sms
                  else _("Saved. We will not send you reminders."), "success")
    return _no_referrer(redirect(back))


@bp.cli.command("send-reminders")
@click.option("--now", "now_text", metavar="ISO-DATETIME",
              help="Pretend it is this moment (UTC unless an offset is given); for trying it out.")
@click.option("--every", "every_minutes", type=click.IntRange(1, 1440), metavar="MINUTES",
              help="Keep running, sending every MINUTES (where there is no cron: under a process manager).")
def send_reminders_command(now_text: str | None, every_minutes: int | None) -> None:
    """Send the reminders owed for tomorrow's meetings. Safe to run often: none is sent twice."""
    if every_minutes is not None:
        if now_text:
            click.echo("--now and --every: choose one.", err=True)
            raise SystemExit(2)
        while True:
            _send_once(None)
            db.session.remove()  # a fresh session each round: nothing stale is kept between rounds
            time.sleep(every_minutes * 60)
    _send_once(now_text)


def _send_once(now_text: str | None) -> None:
    now = dt.datetime.now(dt.UTC)
    if now_text:
        try:
            parsed = dt.datetime.fromisoformat(now_text)
        except ValueError:
            click.echo(f"--now: {now_text!r} is not a date and time like 2027-01-10T18:00", err=True)
            raise SystemExit(2) from None
        now = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    try:
        texts = sms.sender(current_app.config)
    except sms.SmsError as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None
    outcome = svc.send_due(now, texts)
    click.echo(f"Sent {outcome.emails} email and {outcome.texts} text reminders; {outcome.failed} failed "
               f"(tried again on the next run).")
