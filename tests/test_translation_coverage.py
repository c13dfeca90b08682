"""Every user-facing string is translated, and the Spanish catalogue is complete and current.

* The main pages, rendered in Spanish as a coordinator, as a facilitator and as a participant on
  their personal page, show no English: no text equals an English message of the catalogue (a string
  marked for translation but shown untranslated), and no text reads as English words when it is in no
  catalogue at all (a string nobody marked). What people typed in (names of people, activities, rooms
  and centers, codes, email addresses) and numbers, dates and times are left out of the check.
* Every message of the Spanish catalogue has a translation with the same placeholders.
* The catalogue holds every message the code and templates mark (extracted here, in-process, the way
  ``make extract-messages`` does), so a new string without a translation fails the suite.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import ScheduleVersion, VersionStatus
from tests.conftest import sign_in
from tests.support.access import FACILITATOR, PUBLIC, ROUTES, SIGNED_IN, TOKEN, build_world
from tests.support.links import link_for, welcome_link
from tests.support.translation import HOLE, NUMBERS_AND_DATES, DataWords, data_words, visible_texts

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "scheduler" / "translations"
SPANISH_PO = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdif]")


@functools.cache
def spanish() -> Catalog:
    with SPANISH_PO.open("rb") as handle:
        return read_po(handle, locale="es")


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def ids_and_strings(message: Any) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of one message; a plural message pairs every form with its msgid."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [(ids[min(i, len(ids) - 1)], string or "") for i, string in enumerate(strings)]


# ----------------------------------------------------------------------------- the catalogue itself


def test_every_message_has_a_spanish_translation_with_the_same_placeholders() -> None:
    missing, fuzzy, mismatched = [], [], []
    for message in spanish():
        if not message.id:
            continue  # the header
        if message.fuzzy:
            fuzzy.append(message.id)
        for msgid, msgstr in ids_and_strings(message):
            if not msgstr.strip():
                missing.append(msgid)
            elif placeholders(msgid) != placeholders(msgstr):
                mismatched.append(f"{msgid!r} -> {msgstr!r}")
    assert not missing, f"{len(missing)} messages have no Spanish translation in {SPANISH_PO}: {missing}"
    assert not fuzzy, f"fuzzy translations are not used until reviewed (remove the flag): {fuzzy}"
    assert not mismatched, "placeholders differ between English and Spanish:\n" + "\n".join(mismatched)


def extracted_messages() -> dict[str, str]:
    """Every msgid the code and templates mark, with where it was found; as ``make extract-messages``
    does it (babel.cfg's mapping, babel's default keywords and ``_l``/``lazy_gettext``)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

    def only_sources(path: str) -> bool:
        relative = Path(path).resolve().relative_to(ROOT).parts
        return bool(relative) and relative[0] in {"scheduler", "templates"} and not any(
            part.startswith((".", "_")) for part in relative)

    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords, directory_filter=only_sources):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_the_catalogue_holds_every_message_the_code_marks() -> None:
    found = extracted_messages()
    assert len(found) > 500  # the extraction really ran over the code and the templates
    known: set[str] = set()
    for message in spanish():
        known.update(message.id if isinstance(message.id, tuple) else (message.id,))
    new = sorted(f"{where}: {msgid!r}" for msgid, where in found.items() if msgid not in known)
    assert not new, ("these strings are marked for translation but are not in the Spanish catalogue; run "
                     "`make extract-messages` and translate them in " + str(SPANISH_PO.relative_to(ROOT)) + ":\n"
                     + "\n".join(new))


# ----------------------------------------------------------------------------- pages in Spanish


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """The pages read the compiled .mo files (`make translations`); rebuild any older than its .po."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            with mo.open("wb") as target:
                write_mo(target, catalog)


# Common English words, and the product's own, none of which is also a Spanish word (so "no", "a",
# "me", "he", "son", "solo", "once", "real", "final", "total", "error", "plan", "base", "personal"... are
# left out): two of these in a row, in ASCII, is English text nobody marked for translation.
_ENGLISH = """
about above accept account action activities activity add added address after again all allowed also always
am an and another answer answered answers any anyone are around as ask asked asks assign at available away back
be because been before being below best between both build built but by calendar can cancel cancelled cannot
change changed changes check choice choices choose chosen clear close closed colleague come coming confirm copy
could cover create current date day days decline delete did do does done down draft each edit edited either
email empty end enough every everyone everything export facilitator facilitators feature features few file
find first for form free from full get give given go going good group groups had has have help here hide
his how if import in into is it its just keep kept know last later leave left less let like link links list
log made make many may meeting meetings members more most move must my name need needed needs new next none
nor not nothing now number of off offer offered old on one only open or other others our out over own page
part participant participants password people person pick pin pinned pins place please preference preferences
publish published put ready remove removed request requested requests required right room rooms run same save
saved schedule scheduled schedules score see seen send sent set shown sign skill skills slot slots so some
someone soon start started still stop swap swaps take taken than that the their them then there these they
this those time times to today too try two under until up use used using version versions very wait waiting
want was we week weekly well were what when where which while who whole why will with without word words
would yes yet you your
apart audit availability capacity center centers code codes commas compare content data deleting description
download ends erase figures fill holidays ids inclusive joining key language languages largest leaves link log
minutes moved nobody optional outbox pair pairs placed possible quick replace result return seconds second
settings several size sizes skip smallest speak staff starts such term timetable together trade unique upload
wanted welcome zone queued sessions session
monday tuesday wednesday thursday friday saturday sunday january february march april june july august
september october november december
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())

# Proper nouns and fixed names that are right in any language (none today: add one with its reason).
ALLOWED_ENGLISH: frozenset[str] = frozenset()

def skeleton(text: str) -> str:
    """The words of a text with every filled-in part (a placeholder, or data, a number, a date) as one
    hole: a message and the text it became on a page have the same skeleton."""
    text = re.sub(rf"[\s{HOLE}]*{HOLE}[\s{HOLE}]*", f" {HOLE} ", text)
    return " ".join(text.split())


@functools.cache
def untranslated_skeletons() -> dict[str, str]:
    """The skeleton of every English message whose Spanish differs, to its msgid."""
    found = {}
    for message in spanish():
        for msgid, msgstr in ids_and_strings(message):
            if msgid and msgstr != msgid and re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", msgid)):
                found[skeleton(PLACEHOLDER.sub(HOLE, msgid))] = msgid
    return found


def english_left(texts: Iterable[str], data: DataWords) -> list[str]:
    """Texts shown in English: an English message of the catalogue, or a run of English words."""
    found = []
    for text in texts:
        if text in ALLOWED_ENGLISH:
            continue
        if re.search(r"(?<![\w-])\d+(?:st|nd|rd|th)\b", data.remove(text)):
            found.append(f"{text!r} (an English ordinal: say it in words, translated)")
            continue
        rest = NUMBERS_AND_DATES.sub(HOLE, data.remove(text))
        known = untranslated_skeletons().get(skeleton(rest))
        if known is not None:
            found.append(f"{text!r} (the message {known!r}, untranslated)")
            continue
        run = 0
        # A token joining words with "_" or digits is a code (if_needed, art-1), not English.
        for token in re.findall(r"[\w'’-]+", rest):
            word = re.sub(r"'s$", "", token.replace("’", "'").lower()).strip("'")
            english = word.isascii() and word in ENGLISH_WORDS
            run = run + 1 if english else 0
            if run >= 2:
                found.append(f"{text!r} (English words not marked for translation)")
                break
    return found


def in_spanish(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "es", "next": "/"})


def in_english(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "en", "next": "/"})


MEETING = "group=art-1&slot=MO-0900&date=2027-01-25"  # one of Ana's meetings in build_world's term
CODES = {"slots": "MO-0900", "rooms": "r1", "activities": "art", "facilitators": "ana", "participants": "p1"}


def page_urls(app: Flask, ids: dict[str, Any], endpoints: set[str]) -> list[str]:
    """A URL for every GET page of these endpoints, one per choice of each `any(...)` part (the
    access matrix lists each choice as a route of its own)."""
    from flask import url_for

    found: list[str] = []
    for endpoint, rule_text, method, chosen in ROUTES:
        if method != "GET" or endpoint not in endpoints:
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
        values = dict(chosen)
        section = values.get("section") or values.get("kind") or (
            "activities" if "activity" in endpoint else "participants")
        filled = {name: values[name] if name in values else
                  ids.get(name, {"code": CODES.get(section, "p1"), "number": 1, "index": 0,
                                 "group_id": "art-1", "pin_id": ids.get("pin_id", 1),
                                 "slot": "MO-0900", "day": "2027-01-25"}.get(name))
                  for name in rule.arguments}
        with app.test_request_context():
            found.append(url_for(endpoint, **filled))
    return list(dict.fromkeys(found))


@pytest.fixture
def world(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None]) -> dict[str, Any]:
    """build_world's center (a published term, a swap request, a seat offer, a finished solve, a
    message in the outbox), with a draft second version, a pin and a pair kept apart added."""
    ids = build_world(app, make_coordinator).ids
    with app.app_context():
        published = db.session.scalar(select(ScheduleVersion).where(ScheduleVersion.center_id == ids["center_id"]))
        assert published is not None
        db.session.add(ScheduleVersion(center_id=published.center_id, number=2, status=VersionStatus.DRAFT,
                                       solver_status="OPTIMAL", objective=3, bound=3,
                                       scenario=published.scenario, schedule=published.schedule))
        db.session.commit()
    sign_in(client, "coord-a@example.org")
    center = f"/centers/{ids['center_id']}"
    client.post(f"{center}/schedule/versions/1/pins/groups/art-1", data={"kind": "time"})
    client.post(f"{center}/participants/new", data={"id": "p3", "name": "Quinn", "email": "", "max_groups": "1"})
    for kind in ("keep_apart", "keep_together"):
        client.post(f"{center}/pairs/", data={"kind": kind, "first": "p1", "second": "p3"})
    client.post("/sign-out")
    client.get("/sign-in")  # the English messages flashed while setting up are shown and gone
    return ids


def read_pages(client: FlaskClient, urls: Iterable[str]) -> dict[str, str]:
    pages = {}
    for target in urls:
        response = client.get(target)
        if response.status_code in (301, 302, 303):
            response = client.get(response.headers["Location"])
        if response.mimetype == "text/html":
            pages[target] = response.get_data(as_text=True)
    return pages


def coordinator_pages(app: Flask, client: FlaskClient, ids: dict[str, Any]) -> dict[str, str]:
    sign_in(client, "coord-a@example.org")
    in_spanish(client)
    coordinator = {e for e, _r, _m, _c in ROUTES} - PUBLIC - TOKEN - FACILITATOR
    center = f"/centers/{ids['center_id']}"
    extra = [f"{center}/schedule/compare?a=1&b=2", f"{center}/schedule/versions/2/publish", "/centers/999999/",
             f"{center}/meetings/cancel?{MEETING}"]
    return read_pages(client, [*page_urls(app, ids, coordinator), *extra])


def facilitator_pages(app: Flask, client: FlaskClient, ids: dict[str, Any]) -> dict[str, str]:
    sign_in(client, "ana@staff.example.org")
    in_spanish(client)
    extra = [f"/centers/{ids['center_id']}/cover/ask?{MEETING}"]
    return read_pages(client, [*page_urls(app, ids, FACILITATOR | SIGNED_IN), *extra])


def public_pages(app: Flask, client: FlaskClient) -> dict[str, str]:
    in_spanish(client)
    client.post("/sign-out")  # the language chosen is kept; "you are signed out" shows in it
    return read_pages(client, ["/sign-in", link_for(app), "/p/not-a-real-token", welcome_link(app)])


def assert_spanish(app: Flask, pages: dict[str, str]) -> None:
    data = data_words(app)
    problems = [f"{target}: {problem}" for target, html in pages.items()
                for problem in english_left(visible_texts(html), data)]
    assert not problems, ("English text on Spanish pages: mark it for translation (`_()`, in templates "
                          "`{{ _('...') }}`), run `make extract-messages` and translate it:\n" + "\n".join(problems))


def test_coordinator_pages_in_spanish_show_no_english(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    pages = coordinator_pages(app, client, world)
    assert len(pages) > 30
    for target, html in pages.items():
        assert '<html lang="es">' in html, target
    assert_spanish(app, pages)


def test_facilitator_pages_in_spanish_show_no_english(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    pages = facilitator_pages(app, client, world)
    assert len(pages) >= 4
    assert_spanish(app, pages)


def test_participant_and_public_pages_in_spanish_show_no_english(app: Flask, client: FlaskClient,
                                                                 world: dict[str, Any]) -> None:
    pages = public_pages(app, client)
    assert len(pages) == 4
    assert_spanish(app, pages)


def test_the_checker_finds_english_and_leaves_data_alone() -> None:
    data = DataWords(["Art group", "Pat", "r1"])
    assert english_left(["Sign in"], data)  # a message of the catalogue, untranslated
    assert english_left(["Nothing to see here"], data)  # in no catalogue at all
    assert not english_left(["Iniciar sesión", "Art group", "Pat · r1 · 2027-01-11 09:00", "pat@example.org"], data)
    assert not english_left(["Grupo Art group con Pat"], data)
    assert english_left(["2nd opción"], data)
