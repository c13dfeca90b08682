"""Participants read plain words: no page or email meant for them, in English or in Spanish, uses the
planners' jargon (solver, scenario, constraint, roster...). The pages are the personal page (with its
answers form, its problems and its read-only state after the deadline), the page for a link that no
longer works, a facilitator's welcome page, the coordinator's page about a participant's data; the
emails are the invitation, the reminder, a change to their group, a cancelled meeting and a free place.

They are also easy to read, measured with textstat: English at Flesch-Kincaid grade 7 or below (a
12-year-old follows it), Spanish at a Fernández-Huerta score of 70 or more (its scale is Flesch's
reading ease adapted to Spanish: 70-80 is "bastante fácil", the same seventh-grade level), for every
page and email as a whole; and no paragraph of eight words or more is much harder (grade 9 / score
60), so one hard paragraph cannot hide in an easy page."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, Facilitator, OutboxMessage, Participant, SeatOffer, SwapRequest
from scheduler.services import notify, swaps, waitlist
from scheduler.services import self_service as answers_svc
from scheduler.services.term import term_state
from scheduler.services.versions import current_published
from tests.conftest import sign_in
from tests.support.access import build_world
from tests.support.links import link_for, welcome_link
from tests.support.swaps_term import ART1_JAN25, BEFORE_TERM
from tests.support.translation import HOLE, NUMBERS_AND_DATES, DataWords, data_words, visible_texts

JARGON = re.compile(
    r"solver|cp-sat|roster|scenario|objective|constraint|optimi|algorithm"
    r"|solucionador|restricci[oó]n|escenario|algoritmo|optimiz",
    re.IGNORECASE)


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")  # people read "Monday, 25 January 2027", not this


def jargon_in(texts: list[str]) -> list[str]:
    return [f"{text!r}" for text in texts if JARGON.search(text)]


@pytest.fixture
def world(app: Flask, make_coordinator: Callable[..., None]) -> dict[str, Any]:
    return build_world(app, make_coordinator).ids


def set_language(client: FlaskClient, locale: str) -> None:
    client.post("/language", data={"locale": locale, "next": "/"})


def participant_pages(app: Flask, client: FlaskClient, ids: dict[str, Any]) -> dict[str, str]:
    pages: dict[str, str] = {}
    link = link_for(app)
    pages["personal page"] = client.get(link).get_data(as_text=True)
    client.post(f"{link}/calendar")
    pages["personal page with a calendar link"] = client.get(link).get_data(as_text=True)
    wrong = {"slot-MO-0900": "maybe", "rank-art": "1", "rank-talk": "1"}
    pages["answers form with problems"] = client.post(link, data=wrong).get_data(as_text=True)
    right = {"slot-MO-0900": "available", "slot-MO-1100": "if_needed", "slot-TU-0900": "no", "rank-art": "1"}
    pages["answers saved"] = client.post(link, data=right, follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        center = db.session.get(Center, ids["center_id"])
        assert center is not None
        center.answers_deadline = dt.date.today() - dt.timedelta(days=1)
        db.session.commit()
    pages["after the deadline"] = client.post(link, data=right, follow_redirects=True).get_data(as_text=True)
    pages["link that no longer works"] = client.get("/p/not-a-real-token").get_data(as_text=True)
    pages["welcome"] = client.get(welcome_link(app)).get_data(as_text=True)
    short = {"password": "short", "again": "short"}
    pages["welcome with problems"] = client.post(welcome_link(app), data=short).get_data(as_text=True)
    sign_in(client, "coord-a@example.org")
    pages["their data"] = client.get(f"/centers/{ids['center_id']}/answers/p1/privacy").get_data(as_text=True)
    client.post("/sign-out")
    return pages


@pytest.mark.parametrize("locale", ["en", "es"])
def test_participant_pages_use_plain_words(app: Flask, client: FlaskClient, world: dict[str, Any],
                                           locale: str) -> None:
    set_language(client, locale)
    pages = participant_pages(app, client, world)
    for name, html in pages.items():
        assert f'<html lang="{locale}">' in html, name
    found = [f"{name}: {text!r}" for name, html in pages.items() for text in visible_texts(html)
             if JARGON.search(text) or ISO_DATE.search(text)]
    assert not found, ("planners' words or dates written as 2027-01-25 on participants' pages (say it "
                       "plainly):\n" + "\n".join(found))


def participant_emails(app: Flask, ids: dict[str, Any], locale: str) -> list[OutboxMessage]:
    """Every email a participant can get, written in their language and read back from the outbox."""
    with app.test_request_context():
        center = db.session.get(Center, ids["center_id"])
        assert center is not None
        for participant in center.participants:
            participant.locale = locale
            participant.email = participant.email or f"{participant.code}@example.org"
        db.session.flush()
        pat = db.session.scalar(select(Participant).where(Participant.code == "p1"))
        assert pat is not None
        answers_svc.invite(center, pat)
        answers_svc.invite(center, pat, reminder=True)
        version = current_published(center)
        assert version is not None
        request = db.session.get(SwapRequest, ids["request_id"])
        cruz = db.session.scalar(select(Facilitator).where(Facilitator.code == "cruz"))
        assert request is not None and cruz is not None
        swaps.accept(request, cruz, now=BEFORE_TERM)
        notify.send_all(center.id, notify.swap_accepted(term_state(version), request, BEFORE_TERM))
        notify.send_all(center.id, notify.meeting_cancelled(term_state(version), ART1_JAN25, BEFORE_TERM))
        offer = db.session.get(SeatOffer, ids["offer_id"])
        assert offer is not None
        waitlist.tell_about_offer(center, version, offer)
        db.session.commit()
        addresses = [p.email for p in center.participants]
        return [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email.in_(addresses)))
                if m.subject != "Hello"]  # build_world's own test message


@pytest.mark.parametrize("locale", ["en", "es"])
def test_participant_emails_use_plain_words(app: Flask, world: dict[str, Any], locale: str) -> None:
    messages = participant_emails(app, world, locale)
    subjects = " | ".join(m.subject for m in messages)
    assert len(messages) >= 5, subjects  # invitation, reminder, group change, cancellation, free place
    if locale == "es":
        assert "Hello" not in " ".join(m.body for m in messages), subjects
    found = [f"{m.subject}: {line}" for m in messages for line in [m.subject, *m.body.splitlines()]
             if JARGON.search(line) or ISO_DATE.search(line)]
    assert not found, ("planners' words or dates written as 2027-01-25 in participants' emails (say it "
                       "plainly):\n" + "\n".join(found))


# ----------------------------------------------------------------------------- reading level

PAGE_LIMIT = {"en": 7.0, "es": 70.0}  # FK grade at most / Fernández-Huerta at least
PARAGRAPH_LIMIT = {"en": 9.0, "es": 60.0}
PARAGRAPH_WORDS = 8  # shorter texts (labels, buttons) are too short for the formulas to mean much


def sentences(texts: list[str], data: DataWords | None = None) -> list[str]:
    """Each text shown as a sentence of its own (a label or a heading ends without a full stop), with
    addresses, numbers, dates and times left out (the formulas count their digits as syllables), and
    what people typed in (names of people, activities, the center): our words are measured, not theirs."""
    found = []
    for text in texts:
        if data is not None:
            text = data.remove(text).replace(HOLE, " ")
        text = " ".join(NUMBERS_AND_DATES.sub(" ", text).split())
        if re.search(r"[^\W\d_]", text):
            found.append(text if text[-1] in ".!?:" else text + ".")
    return found


def reading_score(text: str, locale: str) -> float:
    """English: Flesch-Kincaid grade (lower is easier). Spanish: Fernández-Huerta (higher is easier)."""
    with warnings.catch_warnings():
        # textstat 0.7.5 reads its word lists with pkg_resources, which newer setuptools deprecate.
        warnings.simplefilter("ignore", DeprecationWarning)
        import textstat
    textstat.set_lang(locale)
    return float(textstat.flesch_kincaid_grade(text) if locale == "en" else textstat.fernandez_huerta(text))


def too_hard(texts: list[str], locale: str, limit: float) -> bool:
    score = reading_score(" ".join(texts), locale)
    return score > limit if locale == "en" else score < limit


def reading_problems(name: str, texts: list[str], locale: str, data: DataWords | None = None) -> list[str]:
    parts = sentences(texts, data)
    problems = []
    if too_hard(parts, locale, PAGE_LIMIT[locale]):
        problems.append(f"{name}: {reading_score(' '.join(parts), locale):.1f} as a whole")
    problems += [f"{name}: {reading_score(part, locale):.1f} for {part!r}" for part in parts
                 if len(part.split()) >= PARAGRAPH_WORDS and too_hard([part], locale, PARAGRAPH_LIMIT[locale])]
    return problems


@pytest.mark.parametrize("locale", ["en", "es"])
def test_participant_pages_and_emails_are_easy_to_read(app: Flask, client: FlaskClient, world: dict[str, Any],
                                                       locale: str) -> None:
    set_language(client, locale)
    pages = participant_pages(app, client, world)
    messages = participant_emails(app, world, locale)
    assert len(messages) >= 5
    data = data_words(app)
    problems = [p for name, html in pages.items() for p in reading_problems(name, visible_texts(html), locale, data)]
    problems += [p for m in messages for p in reading_problems(f"email {m.subject!r}",
                                                               [m.subject, *m.body.splitlines()], locale, data)]
    scale = "Flesch-Kincaid grade above" if locale == "en" else "Fernández-Huerta score below"
    assert not problems, (f"harder to read than a 12-year-old can follow ({scale} {PAGE_LIMIT[locale]} for a "
                          f"page, {PARAGRAPH_LIMIT[locale]} for a paragraph): use shorter sentences and "
                          "everyday words:\n" + "\n".join(problems))


def test_the_reading_level_check_finds_hard_text() -> None:
    hard_en = ("Notwithstanding the aforementioned considerations, participants' availability declarations "
               "constitute prerequisites for the determination of organisational arrangements.")
    easy_en = "Tell us when you can come. We use your answers to plan the groups."
    hard_es = ("No obstante las consideraciones anteriormente mencionadas, las declaraciones de disponibilidad "
               "constituyen requisitos imprescindibles para la determinación organizativa.")
    easy_es = "Díganos cuándo puede venir. Usamos sus respuestas para hacer los grupos."
    assert reading_problems("hard", [hard_en], "en") and not reading_problems("easy", [easy_en], "en")
    assert reading_problems("hard", [hard_es], "es") and not reading_problems("easy", [easy_es], "es")
    # One hard paragraph is found even among easy ones.
    assert reading_problems("mixed", [easy_en] * 20 + [hard_en], "en")
    assert sentences(["Save", "Hello.", "09:00–10:15", "pat@example.org"]) == ["Save.", "Hello."]
    assert sentences(["Hello Bartholomew Xylo-Beta"], DataWords(["Bartholomew Xylo-Beta"])) == ["Hello."]


def test_the_jargon_check_finds_jargon() -> None:
    assert jargon_in(["The solver found a roster", "Escenario", "optimización", "restricción"]) == [
        "'The solver found a roster'", "'Escenario'", "'optimización'", "'restricción'"]
    assert not jargon_in(["Your groups", "Sus grupos", "Horario"])
