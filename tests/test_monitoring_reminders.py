"""Reminders the day before each meeting: exactly the right ones, once, never for a cancelled date,
never naming a discreet activity, in the person's language."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import (
    Activity,
    MeetingOverride,
    MemberChange,
    MemberChangeKind,
    OutboxMessage,
    Participant,
    ReminderChoice,
    ReminderSent,
    ScheduleVersion,
)
from scheduler.services import accounts
from scheduler.services.monitoring import reminders, sms
from tests.support.monitoring import make_monitoring_term, participant


def at(day: int, hour: int = 18) -> dt.datetime:
    """An evening of January 2027, in UTC."""
    return dt.datetime(2027, 1, day, hour, tzinfo=dt.UTC)


def opt_in(version: ScheduleVersion) -> None:
    reminders.set_choice(participant("p1"), True, False, "")
    reminders.set_choice(participant("p2"), True, True, "+34612345678")
    reminders.set_choice(participant("p4"), False, True, "+34699000111")  # no email address
    # p3 never asked for reminders.
    db.session.add(MeetingOverride(center_id=version.center_id, version_id=version.id, group_code="art-1",
                                   slot_code="MO-0900", date=dt.date(2027, 1, 25), cancelled=True))
    db.session.add(MemberChange(center_id=version.center_id, version_id=version.id, group_code="talk-1",
                                participant_code="p4", kind=MemberChangeKind.LEFT, effective=dt.date(2027, 1, 20)))
    db.session.commit()


def sent() -> set[tuple[str, str, str, str]]:
    rows = db.session.execute(select(Participant.code, ReminderSent.group_code, ReminderSent.date,
                                     ReminderSent.channel).join(Participant,
                                                                Participant.id == ReminderSent.participant_id))
    return {(code, group, day.isoformat(), str(channel)) for code, group, day, channel in rows}


def test_the_job_sends_exactly_the_right_reminders_once(app_ctx: Flask) -> None:
    version = make_monitoring_term()
    opt_in(version)
    texts = sms.ConsoleSms()

    # Sunday evening: Monday's art-1 (p1, p2 opted in; p3 not).
    outcome = reminders.send_due(at(10), texts)
    assert (outcome.emails, outcome.texts, outcome.failed) == (2, 1, 0)
    assert sent() == {("p1", "art-1", "2027-01-11", "email"), ("p2", "art-1", "2027-01-11", "email"),
                      ("p2", "art-1", "2027-01-11", "sms")}
    assert [to for to, _text in texts.sent] == ["+34612345678"]
    # Again, twice more the same evening: nothing more.
    assert reminders.send_due(at(10, 22), texts).emails == 0
    assert reminders.send_due(at(10, 21), texts).texts == 0
    assert len(sent()) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2

    # Monday evening: Tuesday's talk-1: p1 by email, p4 by text only (no address).
    outcome = reminders.send_due(at(11), texts)
    assert (outcome.emails, outcome.texts) == (1, 1)
    # Sunday 17th: Monday 18th is a holiday. Sunday 24th: Monday 25th is cancelled.
    assert reminders.send_due(at(17), texts).emails == 0
    assert reminders.send_due(at(24), texts).emails == 0
    # Monday 25th: Tuesday 26th's talk-1, which p4 has left.
    outcome = reminders.send_due(at(25), texts)
    assert (outcome.emails, outcome.texts) == (1, 0)
    assert {row for row in sent() if row[2] >= "2027-01-18"} == {("p1", "talk-1", "2027-01-26", "email")}
    assert not any(row[0] == "p3" for row in sent())


def test_the_day_is_the_centers_own(app_ctx: Flask) -> None:
    version = make_monitoring_term()
    opt_in(version)
    # 23:30 UTC on Sunday is already Monday 00:30 in Madrid: tomorrow is Tuesday.
    reminders.send_due(dt.datetime(2027, 1, 10, 23, 30, tzinfo=dt.UTC), sms.ConsoleSms())
    assert {row[1] for row in sent()} == {"talk-1"}


def test_a_reminder_names_a_discreet_activity_by_its_label_in_the_persons_language(app_ctx: Flask) -> None:
    version = make_monitoring_term()
    opt_in(version)
    art = db.session.scalar(select(Activity).where(Activity.code == "art"))
    assert art is not None
    art.calendar_label = "Monday group"
    db.session.commit()
    texts = sms.ConsoleSms()
    reminders.send_due(at(10), texts)
    messages = {m.to_email: m for m in db.session.scalars(select(OutboxMessage))}
    everything = " ".join(m.subject + m.body for m in messages.values()) + " ".join(t for _to, t in texts.sent)
    assert "Art group" not in everything
    assert "Monday group" in messages["p1@example.org"].subject
    assert "Reminder" in messages["p1@example.org"].subject
    assert "Recordatorio" in messages["p2@example.org"].subject  # p2 reads Spanish
    assert "lunes" in messages["p2@example.org"].body
    assert "Room 1" in messages["p1@example.org"].body


def test_a_failed_text_is_tried_again_on_the_next_run(app_ctx: Flask) -> None:
    version = make_monitoring_term()
    opt_in(version)

    class Down:
        def send(self, to: str, text: str) -> None:
            raise sms.SmsError("provider unreachable")

    outcome = reminders.send_due(at(10), Down())
    assert (outcome.emails, outcome.texts, outcome.failed) == (2, 0, 1)
    texts = sms.ConsoleSms()
    assert reminders.send_due(at(10, 20), texts).texts == 1
    assert len(texts.sent) == 1


def test_cli_sends_and_refuses_a_bad_time(app: Flask) -> None:
    with app.app_context():
        opt_in(make_monitoring_term())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders", "--now", "2027-01-10T18:00"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 email and 1 text reminders" in result.output
    again = runner.invoke(args=["send-reminders", "--now", "2027-01-10T18:00"])
    assert "Sent 0 email and 0 text reminders" in again.output
    bad = runner.invoke(args=["send-reminders", "--now", "tomorrow"])
    assert bad.exit_code == 2 and "--now" in bad.output


def test_participant_opts_in_on_their_own_page(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_monitoring_term()
        token = accounts.issue_participant_link(participant("p1"))
        no_email = accounts.issue_participant_link(participant("p4"))
        db.session.commit()
    page = client.get(f"/p/{token}")
    assert page.status_code == 200 and 'id="reminders"' in page.get_data(as_text=True)
    response = client.post(f"/p/{token}/reminders", data={"by_email": "yes"})
    assert response.status_code == 302
    bad = client.post(f"/p/{no_email}/reminders", data={"by_sms": "yes", "phone": "12"}, follow_redirects=True)
    assert "Mobile number" in bad.get_data(as_text=True)
    client.post(f"/p/{no_email}/reminders", data={"by_email": "yes"})
    with app.app_context():
        choices = {c.participant_id: c for c in db.session.scalars(select(ReminderChoice))}
        assert list(choices) == [participant("p1").id]  # neither refused request stored anything
        assert choices[participant("p1").id].by_email
    client.post(f"/p/{no_email}/reminders", data={"by_sms": "yes", "phone": "+34 699 000 111"})
    with app.app_context():
        choice = db.session.get(ReminderChoice, participant("p4").id)
        assert choice is not None and choice.phone == "+34699000111" and not choice.by_email


def test_cli_can_keep_running_where_there_is_no_cron(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from scheduler.views.monitoring import reminders as reminder_views

    class Stop(Exception):
        pass

    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        raise Stop

    monkeypatch.setattr(reminder_views.time, "sleep", nap)
    result = app.test_cli_runner().invoke(args=["send-reminders", "--every", "30"])
    assert isinstance(result.exception, Stop) and naps == [1800]
    assert "Sent 0 email and 0 text reminders" in result.output


def test_an_unknown_sms_backend_is_named(app: Flask) -> None:
    app.config["SMS_BACKEND"] = "no_such_module:Sender"
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 2 and "SMS_BACKEND" in result.output
