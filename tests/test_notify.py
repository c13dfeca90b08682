"""Who is told about a change during the term, and when a message is urgent."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from scheduler.extensions import db
from scheduler.services import notify, swaps
from scheduler.services.term import term_state
from tests.support.swaps_term import ART1_JAN11, ART1_JAN25, BEFORE_TERM, make_term, person


def test_an_accepted_cover_tells_both_colleagues_and_the_members(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN25], now=BEFORE_TERM)
    swaps.accept(request, person("cruz"), now=BEFORE_TERM)
    db.session.commit()
    notices = notify.swap_accepted(term_state(version), request, BEFORE_TERM)
    assert sorted(n.email for n in notices) == ["ana@example.org", "cruz@example.org", "p1@example.org"]
    member = next(n for n in notices if n.email == "p1@example.org")
    assert member.body.startswith("Hello Pat,\n\nOn Monday, January 25, 2027 at 09:00, Art group is led "
                                  "by Cruz instead of Ana. It meets as usual, from 09:00 to ")
    assert "There is nothing to do: come as usual." in member.body
    ana = next(n for n in notices if n.email == "ana@example.org")
    assert "will cover for you on Monday, January 25, 2027" in ana.body and "swapped" not in ana.body
    assert not any(n.urgent for n in notices)  # more than 7 days ahead


def test_a_change_within_seven_days_is_urgent(app_ctx: Flask) -> None:
    version = make_term()
    now = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)  # six days before 11 January
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=now)
    swaps.accept(request, person("cruz"), now=now)
    notices = notify.swap_accepted(term_state(version), request, now)
    assert notices and all(n.urgent and n.subject.startswith("Soon: ") for n in notices)


def test_a_cancelled_meeting_tells_everyone_who_would_have_come(app_ctx: Flask) -> None:
    version = make_term()
    swaps.cancel_meeting(version, ART1_JAN25, None, now=BEFORE_TERM)  # type: ignore[arg-type]
    db.session.commit()
    notices = notify.meeting_cancelled(term_state(version), ART1_JAN25, BEFORE_TERM)
    assert sorted(n.email for n in notices) == ["ana@example.org", "p1@example.org"]
    assert "will not take place" in notices[0].body


def test_someone_without_an_email_is_skipped_without_failing(app_ctx: Flask) -> None:
    version = make_term()
    pat = db.session.scalars(db.select(notify.Participant)).first()
    assert pat is not None
    pat.email = ""
    db.session.commit()
    notices = notify.meeting_cancelled(term_state(version), ART1_JAN25, BEFORE_TERM)
    assert [n.email for n in notices] == ["ana@example.org"]
