"""Swaps and cover during the term: eligibility rule by rule, the workflow, the trade's
all-or-nothing, expiry, approval, cancellation, and the race between two colleagues."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import (
    AuditEntry,
    Center,
    MeetingOverride,
    ScheduleVersion,
    SwapRequest,
    SwapStatus,
)
from scheduler.services import swaps
from scheduler.services.cover import eligible_colleagues, problems_taking
from scheduler.services.term import MeetingKey, term_state
from tests.support.swaps_term import (
    ART1_JAN11,
    ART1_JAN25,
    ART2_JAN11,
    BEFORE_TERM,
    SCENARIO,
    TALK_JAN12,
    leaders,
    make_term,
    person,
)

# ----------------------------------------------------------------- eligibility, one rule at a time


def test_a_colleague_with_everything_is_eligible(app_ctx: Flask) -> None:
    state = term_state(make_term())
    assert problems_taking(state, person("cruz"), [ART1_JAN11]) == []


def test_missing_skill_makes_a_colleague_ineligible(app_ctx: Flask) -> None:
    state = term_state(make_term())
    assert "needs the skills art" in " ".join(problems_taking(state, person("dee"), [ART1_JAN11]))


def test_missing_language_makes_a_colleague_ineligible(app_ctx: Flask) -> None:
    state = term_state(make_term())
    assert "held in es" in " ".join(problems_taking(state, person("eli"), [TALK_JAN12]))
    assert problems_taking(state, person("ana"), [TALK_JAN12]) == []


def test_a_slot_outside_their_availability_makes_a_colleague_ineligible(app_ctx: Flask) -> None:
    state = term_state(make_term())
    assert "not available" in " ".join(problems_taking(state, person("cruz"), [ART2_JAN11]))


def test_leading_another_meeting_at_that_time_makes_a_colleague_ineligible(app_ctx: Flask) -> None:
    state = term_state(make_term())
    # Ben leads art-2 at MO-1100 and talk-1 on Tuesdays; Ana leads art-1 at MO-0900.
    assert problems_taking(state, person("ben"), [ART1_JAN11]) == []
    assert "already leads a meeting" in " ".join(problems_taking(state, person("ana"), [ART1_JAN11]))


def test_an_accepted_swap_counts_as_busy(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("cruz"), now=BEFORE_TERM)
    swaps.accept(request, person("cruz"), now=BEFORE_TERM)
    db.session.commit()
    state = term_state(version)
    assert "already leads a meeting" in " ".join(problems_taking(state, person("cruz"), [ART1_JAN11]))
    # Ana handed that date over, so she is free again then.
    assert problems_taking(state, person("ana"), [ART1_JAN11]) == []


def test_weekly_load_makes_a_colleague_ineligible(app_ctx: Flask) -> None:
    scenario = copy.deepcopy(SCENARIO)
    scenario["facilitators"][1]["max_sessions_per_week"] = 2  # Ben already leads 2 a week
    state = term_state(make_term(scenario))
    assert "the most they lead in a week is 2" in " ".join(problems_taking(state, person("ben"), [ART1_JAN11]))


def test_eligible_colleagues_are_listed_fairest_first(app_ctx: Flask) -> None:
    version = make_term()
    ana = person("ana")
    names = [c.facilitator.name for c in eligible_colleagues(term_state(version), ana, [ART1_JAN25])]
    assert names == ["Ben", "Cruz", "Eli"]  # Dee lacks the art skill
    # Ben covers one date for Ana; for the next request Cruz, with no covers yet, comes first.
    request = swaps.request_swap(version, ana, [ART1_JAN11], target=person("ben"), now=BEFORE_TERM)
    swaps.accept(request, person("ben"), now=BEFORE_TERM)
    db.session.commit()
    candidates = eligible_colleagues(term_state(version), ana, [ART1_JAN25])
    assert [(c.facilitator.name, c.covers) for c in candidates] == [("Cruz", 0), ("Eli", 0), ("Ben", 1)]


# ----------------------------------------------------------------- workflow


def test_cover_changes_that_date_only(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=BEFORE_TERM)
    assert request.status == SwapStatus.OPEN and request.target is None
    swaps.accept(request, person("cruz"), now=BEFORE_TERM)
    db.session.commit()
    assert request.status == SwapStatus.ACCEPTED and request.accepted_by.code == "cruz"
    assert leaders(version, ART1_JAN11) == ("cruz",)
    assert leaders(version, ART1_JAN25) == ("ana",)
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["swap.requested", "swap.accepted"]


def test_a_request_for_someone_elses_meeting_is_refused(app_ctx: Flask) -> None:
    version = make_term()
    # The date in words, as people read it, not 2027-01-11.
    with pytest.raises(swaps.SwapError, match="Ben does not lead art-1 on Mon, Jan 11, 2027"):
        swaps.request_swap(version, person("ben"), [ART1_JAN11], now=BEFORE_TERM)


def test_a_request_addressed_to_an_ineligible_colleague_is_refused_with_the_reason(app_ctx: Flask) -> None:
    version = make_term()
    with pytest.raises(swaps.SwapError, match="needs the skills art"):
        swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("dee"), now=BEFORE_TERM)


def test_only_the_named_colleague_may_accept(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("ben"), now=BEFORE_TERM)
    with pytest.raises(swaps.SwapError, match="addressed to a colleague"):
        swaps.accept(request, person("cruz"), now=BEFORE_TERM)
    db.session.rollback()
    assert leaders(version, ART1_JAN11) == ("ana",)


def test_an_ineligible_colleague_cannot_accept_an_open_request(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=BEFORE_TERM)
    db.session.commit()
    with pytest.raises(swaps.SwapError, match="needs the skills art"):
        swaps.accept(request, person("dee"), now=BEFORE_TERM)
    db.session.rollback()
    db.session.refresh(request)
    assert request.status == SwapStatus.OPEN  # still there for someone who can


def test_decline_and_cancel(app_ctx: Flask) -> None:
    version = make_term()
    asked = swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("ben"), now=BEFORE_TERM)
    with pytest.raises(swaps.SwapError, match="Only the colleague"):
        swaps.decline(asked, person("cruz"), now=BEFORE_TERM)
    swaps.decline(asked, person("ben"), now=BEFORE_TERM)
    assert asked.status == SwapStatus.DECLINED
    open_request = swaps.request_swap(version, person("ana"), [ART1_JAN25], now=BEFORE_TERM)
    with pytest.raises(swaps.SwapError, match="Only the person who asked"):
        swaps.cancel(open_request, person("ben"), now=BEFORE_TERM)
    swaps.cancel(open_request, person("ana"), now=BEFORE_TERM)
    assert open_request.status == SwapStatus.CANCELLED
    with pytest.raises(swaps.SwapError, match="already been taken or closed"):
        swaps.accept(open_request, person("ben"), now=BEFORE_TERM)
    db.session.rollback()
    assert leaders(version, ART1_JAN25) == ("ana",)


def test_an_accepted_request_can_no_longer_be_cancelled(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=BEFORE_TERM)
    swaps.accept(request, person("ben"), now=BEFORE_TERM)
    with pytest.raises(swaps.SwapError, match="can no longer be cancelled"):
        swaps.cancel(request, person("ana"), now=BEFORE_TERM)


def test_a_request_expires_when_its_first_meeting_starts(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11, ART1_JAN25], now=BEFORE_TERM)
    db.session.commit()
    # 09:00 in Madrid on 11 January is 08:00 UTC.
    assert request.expires_at.replace(tzinfo=dt.UTC) == dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC)
    started = dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(swaps.SwapError, match="expired"):
        swaps.accept(request, person("ben"), now=started)
    center = db.session.get(Center, request.center_id)
    assert center is not None
    assert swaps.expire_due(center, now=dt.datetime(2027, 1, 11, 7, 59, tzinfo=dt.UTC)) == 0
    assert swaps.expire_due(center, now=started) == 1
    db.session.commit()
    db.session.refresh(request)
    assert request.status == SwapStatus.EXPIRED


def test_a_meeting_that_has_started_cannot_be_offered(app_ctx: Flask) -> None:
    version = make_term()
    with pytest.raises(swaps.SwapError, match="already started"):
        swaps.request_swap(version, person("ana"), [ART1_JAN11],
                           now=dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC))


def test_a_trade_applies_both_halves(app_ctx: Flask) -> None:
    version = make_term()
    # Ana leads art-1 (Mon 09:00); Ben leads talk-1 (Tue). They trade one week.
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("ben"), take=[TALK_JAN12],
                                 now=BEFORE_TERM)
    swaps.accept(request, person("ben"), now=BEFORE_TERM)
    db.session.commit()
    assert leaders(version, ART1_JAN11) == ("ben",)
    assert leaders(version, TALK_JAN12) == ("ana",)


def test_a_trade_whose_second_half_is_impossible_applies_neither(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("ben"), take=[TALK_JAN12],
                                 now=BEFORE_TERM)
    db.session.commit()
    # Meanwhile Ana takes on another meeting at Tuesday 09:00 (say a cover already accepted elsewhere):
    swaps.set_override(version.id, version.center_id, TALK_JAN12, facilitators=["ben"], now=BEFORE_TERM)
    db.session.flush()
    ana = person("ana")
    ana.availability = [a for a in ana.availability if a.slot.code != "TU-0900"]
    db.session.commit()
    with pytest.raises(swaps.SwapError, match="not available"):
        swaps.accept(request, person("ben"), now=BEFORE_TERM)
    db.session.rollback()
    assert leaders(version, ART1_JAN11) == ("ana",)
    assert leaders(version, TALK_JAN12) == ("ben",)
    db.session.refresh(request)
    assert request.status == SwapStatus.OPEN


def test_a_trade_that_fails_halfway_through_applies_neither(app_ctx: Flask) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], target=person("ben"), take=[TALK_JAN12],
                                 now=BEFORE_TERM)
    db.session.commit()
    # The coordinator meanwhile gives Ben's Tuesday to Cruz: the first half (Ana's Monday to Ben) is
    # written before the second half finds Ben no longer leads that Tuesday.
    swaps.set_override(version.id, version.center_id, TALK_JAN12, facilitators=["cruz"], now=BEFORE_TERM)
    db.session.commit()
    with pytest.raises(swaps.SwapError, match="has changed since the request was made"):
        swaps.accept(request, person("ben"), now=BEFORE_TERM)
    db.session.rollback()
    assert leaders(version, ART1_JAN11) == ("ana",)
    assert leaders(version, TALK_JAN12) == ("cruz",)
    db.session.refresh(request)
    assert request.status == SwapStatus.OPEN


def test_with_approval_the_change_waits_for_the_coordinator(app_ctx: Flask) -> None:
    version = make_term(approval=True)
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=BEFORE_TERM)
    swaps.accept(request, person("ben"), now=BEFORE_TERM)
    db.session.commit()
    assert request.status == SwapStatus.PENDING_APPROVAL
    assert leaders(version, ART1_JAN11) == ("ana",)
    swaps.approve(request, None, now=BEFORE_TERM)  # type: ignore[arg-type]
    db.session.commit()
    assert request.status == SwapStatus.ACCEPTED
    assert leaders(version, ART1_JAN11) == ("ben",)
    second = swaps.request_swap(version, person("ana"), [ART1_JAN25], now=BEFORE_TERM)
    swaps.accept(second, person("cruz"), now=BEFORE_TERM)
    swaps.reject(second, None, now=BEFORE_TERM)  # type: ignore[arg-type]
    db.session.commit()
    assert second.status == SwapStatus.REJECTED
    assert leaders(version, ART1_JAN25) == ("ana",)
    with pytest.raises(swaps.SwapError, match="not waiting for approval"):
        swaps.approve(second, None, now=BEFORE_TERM)  # type: ignore[arg-type]


def test_the_coordinator_cancels_a_date(app_ctx: Flask) -> None:
    version = make_term()
    swaps.cancel_meeting(version, ART1_JAN25, None, now=BEFORE_TERM)  # type: ignore[arg-type]
    db.session.commit()
    state = term_state(version)
    assert state.by_key[ART1_JAN25].cancelled
    assert ART1_JAN25 not in {MeetingKey.of(m) for m in state.led_by("ana")}
    with pytest.raises(swaps.SwapError, match="already cancelled"):
        swaps.cancel_meeting(version, ART1_JAN25, None, now=BEFORE_TERM)  # type: ignore[arg-type]
    with pytest.raises(swaps.SwapError, match="does not meet"):
        swaps.cancel_meeting(version, MeetingKey(dt.date(2027, 1, 18), "MO-0900", "art-1"),  # a holiday
                             None, now=BEFORE_TERM)  # type: ignore[arg-type]
    override = db.session.scalar(select(MeetingOverride))
    assert override is not None and override.cancelled and override.sequence == 1


# ----------------------------------------------------------------- the race


def test_two_colleagues_accepting_at_once_exactly_one_wins(app: Flask) -> None:
    """Run on both databases; on PostgreSQL the two accepts really overlap in separate connections."""
    with app.app_context():
        version = make_term()
        request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=BEFORE_TERM)
        db.session.commit()
        request_id = request.id
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def take(code: str) -> None:
        with app.app_context():
            try:
                mine = db.session.get(SwapRequest, request_id)
                taker = person(code)
                barrier.wait(timeout=10)
                swaps.accept(mine, taker, now=BEFORE_TERM)  # type: ignore[arg-type]
                db.session.commit()
                outcomes[code] = "won"
            except swaps.SwapError as error:
                db.session.rollback()
                outcomes[code] = str(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take, args=(code,)) for code in ("ben", "cruz")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()).count("won") == 1, outcomes
    loser = next(message for message in outcomes.values() if message != "won")
    assert "Someone else has just taken this request" in loser
    with app.app_context():
        winner = next(code for code, message in outcomes.items() if message == "won")
        version = db.session.scalars(select(ScheduleVersion)).one()
        assert leaders(version, ART1_JAN11) == (winner,)
        assert db.session.scalars(select(MeetingOverride)).all()[0].sequence == 1


def test_an_open_request_is_refused_for_its_own_author(app_ctx: Flask, counts: Callable[[], dict[str, int]]) -> None:
    version = make_term()
    request = swaps.request_swap(version, person("ana"), [ART1_JAN11], now=BEFORE_TERM)
    db.session.commit()
    before = counts()
    with pytest.raises(swaps.SwapError, match="your own request"):
        swaps.accept(request, person("ana"), now=BEFORE_TERM)
    db.session.rollback()
    assert counts() == before
