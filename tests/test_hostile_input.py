"""Hostile input (issue 8, item 6): property-based tests with hypothesis on every form, the scenario
import, the token URLs and the query strings.

Every answer must be below 500 and show no stack trace. An answer that refuses the input (a 4xx, a
form shown again, or a redirect with an error message) must leave every table exactly as it was.

The forms are not listed by hand: each test signs in as the role allowed to use them, walks the
pages from its start page and reads every ``<form method="post">`` (its action, field names, current
values and offered choices). Hypothesis then sends each action hostile variations of its own form:
a few fields replaced by empty, very long, unicode (right-to-left, zero-width, NUL), injection,
out-of-range, impossible-date or repeated values. Every POST route of the role must have been
reached that way or through the access matrix's URL for it, so a new form is covered without
editing this file.

After each example the database is put back to the world as built (rows copied and restored), so an
accepted input does not change what the next example meets, and a failure replays exactly."""

from __future__ import annotations

import copy
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter
from werkzeug.test import TestResponse

from scheduler.extensions import db
from scheduler.models import Center, Participant, User
from scheduler.services import accounts, editing, solving, staff_invitations, versions
from scheduler.services.monitoring import outcomes
from scheduler.services.term import term_state
from scheduler.views.monitoring import outcomes as outcome_views
from tests.conftest import PASSWORD, sign_in
from tests.support.access import ROUTES, build_world, category, url

FAST = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])

# Examples per form action; the main edit forms get more.
EXAMPLES = 5
CURATED_EXAMPLES = 14
CURATED = {"editing.item_form", "editing.settings", "editing.availability", "editing.preferences",
           "editing.pairs", "editing.edit_pair", "editing.import_scenario_file", "editing.import_participants",
           "calendars.settings", "self_service.deadline", "self_service.page", "self_service.my_times"}

HOSTILE = [
    "", " ", "\x00", "a\x00b", "x" * 10_000, "\u202eevil\u202c", "zero\u200bwidth\ufeff", "\u05e9\u05dc\u05d5\u05dd",
    "' OR 1=1 --", "'; DROP TABLE participants; --", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
    "{{7*7}}", "%(name)s", "../../etc/passwd", "%00", "-1", "0", "-0", "1.5", "1e309", "NaN", "inf",
    "99999999999999999999999", "-99999999999999999999", "²", "\u0661\u0662", "2027-02-30", "2027-13-01",
    "0000-00-00", "9999-12-31", "1-1-1", "24:00", "25:61", "09:00", "Europe/Nowhere", "null", "[]", "{}",
    "true", "\U0001f642" * 500, "a" * 65, "art", "p1", "ana", "MO-0900", "available", "if_needed",
    "up:art", "add", "remove:p1", "x|y|z|w", "1|art-1|MO-0900|2027-02-30", "ana@example.org",
]
# Text without lone surrogates: a browser cannot send those (they are not encodable as UTF-8).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
VALUE = st.one_of(st.sampled_from(HOSTILE), TEXT, st.integers().map(str))

SCRIPT = "<script>alert(1)</script>"

# Forms whose success is a page, not a redirect, and the words that say it succeeded: a new API key
# is shown once on the answer to its POST (never stored, so it cannot be shown after a redirect).
SUCCESS_ANSWERS_200 = {"api_keys.create": "sk_"}


# --------------------------------------------------------------------------- reading the pages' forms


@dataclass
class FormField:
    defaults: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    is_file: bool = False


@dataclass
class Form:
    action: str  # path and query, as the page wrote it
    fields: dict[str, FormField] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.action).path


class FormReader(HTMLParser):
    """The forms of a page (action, fields, values, choices) and its same-site links."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text: list[str] = []

    def _field(self, name: str) -> FormField:
        assert self.form is not None
        return self.form.fields.setdefault(name, FormField())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        if tag == "form":
            method = a.get("method", "get").lower()
            self.form = Form(action=a.get("action") or self.page) if method == "post" else None
            if self.form is not None:
                self.forms.append(self.form)
            return
        name = a.get("name")
        if self.form is None or not name:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            found = self._field(name)
            if kind in ("checkbox", "radio"):
                found.options.append(a.get("value", "on"))
                if "checked" in a:
                    found.defaults.append(a.get("value", "on"))
            elif kind == "file":
                found.is_file = True
            elif kind not in ("submit", "button", "reset", "image"):
                found.defaults.append(a.get("value", ""))
            else:
                found.options.append(a.get("value", ""))
        elif tag == "button":
            found = self._field(name)
            found.options.append(a.get("value", ""))
            if not found.defaults:
                found.defaults.append(a.get("value", ""))  # as if the first button was clicked
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = name, None, False
            self._field(name)
        elif tag == "option" and self.select:
            value = a.get("value", "")
            found = self._field(self.select)
            found.options.append(value)
            if self.select_first is None:
                self.select_first = value
            if "selected" in a:
                found.defaults.append(value)
                self.select_chosen = True
        elif tag == "textarea":
            self.textarea, self.text = name, []
            self._field(name)

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None and self.form is not None:
            if not self.select_chosen and self.select_first is not None:
                self._field(self.select).defaults.append(self.select_first)
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self._field(self.textarea).defaults.append("".join(self.text).removeprefix("\n"))
            self.textarea = None


# --------------------------------------------------------------------------- the world and its checks


def endpoint_key(app: Flask, path: str, method: str) -> tuple[str, tuple[str, ...]] | None:
    """An endpoint and the values of its ``any(...)`` parts: /slots/new and /rooms/new are two forms."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(path, method=method)
    except Exception:
        return None
    rule = next(r for r in app.url_map.iter_rules(endpoint) if r.rule and method in (r.methods or set()))
    anys = tuple(str(values[name]) for name in sorted(values)
                 if isinstance(rule._converters.get(name), AnyConverter))
    return str(endpoint), anys


def rows(app: Flask) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order, as values the tables take back."""
    with app.app_context(), db.engine.connect() as connection:
        return {table.name: [dict(row._mapping) for row in connection.execute(
                    table.select().order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables}


def fingerprint(app: Flask) -> dict[str, list[Any]]:
    """Every row of every table as the driver returns it: quick to read after each example."""
    with app.app_context(), db.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            found = {}
            for table in db.metadata.sorted_tables:
                order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
                cursor.execute(f'SELECT * FROM "{table.name}" ORDER BY {order}')  # our own table names
                found[table.name] = [tuple(row) for row in cursor.fetchall()]
            return found
        finally:
            cursor.close()


def restore(app: Flask, snapshot: dict[str, list[dict[str, Any]]]) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            for table in db.metadata.sorted_tables:
                if snapshot[table.name]:
                    connection.execute(table.insert(), snapshot[table.name])


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def no_trace(response: TestResponse, what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body, f"{what} showed a stack trace"
    if response.mimetype == "text/html":
        assert SCRIPT not in body, f"{what} echoed a script unescaped"


def same_site(location: str) -> bool:
    """As a browser reads a Location: tabs and newlines dropped, backslashes as slashes."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    parts = urlsplit(seen)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    return (parts.netloc in ("", "localhost")) and not (not parts.netloc and seen.startswith("//"))


@dataclass
class Target:
    key: tuple[str, tuple[str, ...]]
    form: Form
    found_on_page: bool


class World:
    """The access matrix's two centers, with a client signed in as one role."""

    def __init__(self, app: Flask, client: FlaskClient, ids: dict[str, Any]) -> None:
        self.app, self.client, self.ids = app, client, ids
        self.refresh_baseline()

    def refresh_baseline(self) -> None:
        self.baseline, self.baseline_rows = fingerprint(self.app), rows(self.app)

    def crawl(self, starts: list[str], inside: Callable[[str], bool], limit: int = 160) -> list[Form]:
        """Every post form on the pages reachable from ``starts`` (at most two pages per endpoint)."""
        queue, seen, per_key, forms = list(starts), set(), {}, []
        while queue and len(seen) < limit:
            target = queue.pop(0)
            path = urlsplit(target).path
            if target in seen or not inside(path) or path.endswith((".json", ".ics", "/progress")):
                continue
            seen.add(target)
            key = endpoint_key(self.app, path, "GET")
            if key is None or per_key.get(key, 0) >= 2:
                continue
            per_key[key] = per_key.get(key, 0) + 1
            response = self.client.get(target)
            no_trace(response, f"GET {target}")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            reader = FormReader(target)
            reader.feed(response.get_data(as_text=True))
            forms += reader.forms
            queue += [link for link in reader.links if link not in seen]
        self.restore_if_changed()
        return forms

    def targets(self, forms: list[Form], kinds: set[str]) -> list[Target]:
        """One form per endpoint (and ``any`` part) of the given access categories; the access
        matrix's URL, with no known fields, for a POST route no page offered."""
        chosen: dict[tuple[str, tuple[str, ...]], Target] = {}
        for form in forms:
            key = endpoint_key(self.app, form.path, "POST")
            if key is not None and category(key[0]) in kinds and key not in chosen:
                chosen[key] = Target(key, form, True)
        for endpoint, _rule, method, _chosen in ROUTES:
            if method == "POST" and category(endpoint) in kinds and not any(k[0] == endpoint for k in chosen):
                action = url(self.app, endpoint, self.ids)
                key = endpoint_key(self.app, action, "POST")
                assert key is not None
                chosen[key] = Target(key, Form(action), False)
        return [chosen[k] for k in sorted(chosen)]

    def restore_if_changed(self) -> None:
        if fingerprint(self.app) != self.baseline:
            restore(self.app, self.baseline_rows)

    def send(self, method: str, target: str, data: Any = None) -> tuple[TestResponse, list[str], list[str]]:
        """The response, the tables it changed, and the error messages it flashed for the next page."""
        changed: list[str] | None = None
        try:
            response = self.client.open(target, method=method, data=data)
            response.close()
            with self.client.session_transaction() as session:
                flashes = session.pop("_flashes", [])
            errors = [message for kind, message in flashes if kind == "error"]
            changed = changed_tables(self.baseline, fingerprint(self.app))
        finally:
            if changed is None:
                self.restore_if_changed()
            elif changed:
                restore(self.app, self.baseline_rows)
        return response, changed, errors

    def post_form(self, target: Target, data: dict[str, Any], *, check_refusal: bool = True) -> TestResponse:
        what = f"POST {target.form.action} {sorted(data)}"
        response, changed, errors = self.send("POST", target.form.action, data=request_data(data))
        no_trace(response, what)
        succeeded_in_place = target.key[0] in SUCCESS_ANSWERS_200 and response.status_code == 200 and (
            SUCCESS_ANSWERS_200[target.key[0]] in response.get_data(as_text=True))
        refused = (response.status_code >= 400 or (response.status_code == 200 and not succeeded_in_place)
                   or bool(errors))
        if check_refusal and refused:
            assert not changed, f"{what} refused the input ({response.status_code} {errors}) but changed {changed}"
        return response


def request_data(data: dict[str, Any]) -> dict[str, Any]:
    """Files become uploads (a new stream each time); everything else is sent as given."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, bytes):
            out[name] = (io.BytesIO(value), "upload.json")
        else:
            out[name] = value
    return out


FILE_BYTES = st.one_of(st.binary(max_size=64), TEXT.map(str.encode), st.sampled_from(
    [b"", b"\x00" * 100, b"\xff\xfe{}", b"{}", b"[]", b"null", b"id,name\n" + b"x," * 50, b"[" * 5000 + b"]" * 5000,
     b"id,name,max_groups\np1,<script>alert(1)</script>,-1\n", b"id,name,max_groups\n,,\n\x00,\xff,9e999\n"]))


def field_value(spec: FormField) -> st.SearchStrategy[Any]:
    if spec.is_file:
        return st.one_of(FILE_BYTES, VALUE)
    choices = [st.sampled_from(HOSTILE), VALUE, st.lists(VALUE, min_size=2, max_size=3), st.just([])]
    if spec.options:
        choices += [st.sampled_from(spec.options), st.lists(st.sampled_from(spec.options), min_size=2, max_size=3)]
    return st.one_of(*choices)


@st.composite
def hostile_form(draw: st.DrawFn, form: Form) -> dict[str, Any]:
    """The form as the page filled it in, with one to three fields (or extra ones) made hostile."""
    data: dict[str, Any] = {name: list(spec.defaults) for name, spec in form.fields.items()
                            if spec.defaults and name != "csrf_token"}
    names = sorted(n for n in form.fields if n != "csrf_token")
    extra = ["id", "name", "code", "date", "effective", "group", "participant", "facilitator", "next", "action",
             "kind", "first", "second", "time_limit_s", "deadline", "file", "confirm", "password"]
    pool = names + [e for e in extra if e not in names]
    for name in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)):
        data[name] = draw(field_value(form.fields.get(name, FormField())))
    return {k: v for k, v in data.items() if v != []}


def fuzz(world: World, target: Target, examples: int) -> None:
    @settings(FAST, max_examples=examples)
    @given(hostile_form(target.form))
    def check(data: dict[str, Any]) -> None:
        note(f"target {target.form.action}")
        world.post_form(target, data)

    check()


@pytest.fixture
def world(app: Flask, client: FlaskClient, make_coordinator: Callable[..., None], make_center: Callable[..., int],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    app.config["RATELIMIT_ENABLED"] = False
    # A build is accepted into the queue; running the solver is not what these tests are about.
    monkeypatch.setattr(solving, "dispatch", lambda job: None)
    # Such a build never beats: left alone, a page read half a minute later would rightly close it as
    # "the build worker stopped" (and keep its schedule as a version), a change no hostile input made.
    # That closing is tested in tests/test_schedule_jobs.py and tests/test_faults.py.
    app.config["SOLVE_STALE_AFTER_S"] = 24 * 3600
    ids = build_world(app, make_coordinator).ids
    with app.app_context():
        participant = db.session.scalar(db.select(Participant).where(Participant.center_id == ids["center_id"],
                                                                     Participant.code == "p1"))
        assert participant is not None
        ids["participant_token"] = accounts.issue_participant_link(participant)
        newcomer = User(email="newcomer@staff.example.org", password_hash=accounts.hash_password("x" * 20))
        db.session.add(newcomer)
        db.session.commit()
        ids["welcome_token"] = staff_invitations.issue_welcome_link(newcomer)
        # The world's two participants kept apart, so the pair forms have something to edit.
        center = db.session.get(Center, ids["center_id"])
        assert center is not None

        def add_pair(data: dict[str, Any]) -> str:
            data.setdefault("keep_apart", []).append(["p1", "p2"])
            return "keep_apart[0]"

        result = editing.apply_change(center, add_pair)
        assert result.ok, result
        # A check-in open for p1, so the personal page offers that form too: check-ins on for p1's
        # activity, and "today" the day of their first meeting of the published term.
        state = term_state(versions.current_published(center))
        first = min((m for m in state.meetings if "p1" in m.members and not m.cancelled), key=lambda m: m.date)
        activity = next(a for a in center.activities if a.code == first.activity_id)
        outcomes.set_enabled(activity, True, ask_rating=True)
        db.session.commit()
    monkeypatch.setattr(outcome_views, "today", lambda: first.date)
    yield World(app, client, ids)


def run_role(world: World, starts: list[str], inside: Callable[[str], bool], kinds: set[str]) -> list[Target]:
    targets = world.targets(world.crawl(starts, inside), kinds)
    for target in targets:
        fuzz(world, target, CURATED_EXAMPLES if target.key[0] in CURATED else EXAMPLES)
    expected = {e for e, _r, m, _c in ROUTES if m == "POST" and category(e) in kinds}
    assert expected <= {t.key[0] for t in targets}
    return targets


# --------------------------------------------------------------------------- 1. every form, by role


def test_every_coordinator_form_survives_hostile_input(world: World) -> None:
    center = world.ids["center_id"]
    assert sign_in(world.client, "coord-a@example.org").status_code == 302
    world.refresh_baseline()
    prefix = f"/centers/{center}/"
    starts = [prefix] + [url(world.app, e, world.ids) for e, _r, m, _c in ROUTES
                         if m == "GET" and category(e) == "coordinator"]
    targets = run_role(world, starts, lambda p: p.startswith(prefix), {"coordinator"})
    found = {t.key[0] for t in targets if t.found_on_page}
    # The main edit forms must have been read from their pages, with their real fields.
    assert CURATED - {"self_service.page", "self_service.my_times"} <= found


def test_every_facilitator_form_survives_hostile_input(world: World) -> None:
    center = world.ids["center_id"]
    assert sign_in(world.client, "ana@staff.example.org").status_code == 302
    world.refresh_baseline()
    starts = [f"/centers/{center}/cover/", f"/centers/{center}/me/times"]
    targets = run_role(world, starts, lambda p: p.startswith(f"/centers/{center}/"), {"facilitator"})
    assert "self_service.my_times" in {t.key[0] for t in targets if t.found_on_page}


def test_every_personal_link_form_survives_hostile_input(world: World) -> None:
    starts = [f"/p/{world.ids['participant_token']}", f"/welcome/{world.ids['welcome_token']}"]
    forms = world.crawl(starts, lambda p: p.startswith(("/p/", "/welcome/")))
    # The matrix's URL for a token route has a made-up token (a 404 for every example): use the real ones.
    for form in forms:
        key = endpoint_key(world.app, form.path, "POST")
        if key is not None and category(key[0]) == "token":
            fuzz(world, Target(key, form, True), CURATED_EXAMPLES)
    found = {k[0] for f in forms if (k := endpoint_key(world.app, f.path, "POST")) and category(k[0]) == "token"}
    assert found == {e for e, _r, m, _c in ROUTES if m == "POST" and category(e) == "token"}


def test_sign_in_and_account_forms_survive_hostile_input(world: World) -> None:
    """Sign-in, password confirmation, language and sign-out with hostile fields. A hostile form must
    never sign anyone in, and never send them off-site."""

    @settings(FAST, max_examples=12)
    @given(email=st.one_of(st.just("coord-a@example.org"), VALUE), password=st.one_of(VALUE, st.lists(VALUE)),
           extra=st.dictionaries(st.sampled_from(["next", "remember", "csrf_token"]), VALUE, max_size=2))
    def sign_in_form(email: str, password: Any, extra: dict[str, str]) -> None:
        world.client.post("/sign-out")
        response, changed, _errors = world.send("POST", "/sign-in", data={"email": email, "password": password,
                                                                          **extra})
        no_trace(response, f"POST /sign-in {email!r}")
        assert response.status_code in (200, 400, 429), "a hostile password signed someone in"
        assert not changed, f"a refused sign-in changed {changed}"

    @settings(FAST, max_examples=12)
    @given(data=hostile_form(Form("/", {"locale": FormField(["en"], ["en", "es"]), "next": FormField(["/"])})))
    def language_form(data: dict[str, Any]) -> None:
        response, changed, _errors = world.send("POST", "/language", data=data)
        no_trace(response, f"POST /language {data!r}")
        assert response.status_code == 302 and same_site(response.headers["Location"]), response.headers
        assert not changed

    sign_in_form()
    language_form()
    assert sign_in(world.client, "coord-a@example.org").status_code == 302

    @settings(FAST, max_examples=8)
    @given(password=st.one_of(VALUE, st.lists(VALUE)))
    def confirm_form(password: Any) -> None:
        response, changed, _errors = world.send("POST", "/confirm-password", data={"password": password})
        no_trace(response, "POST /confirm-password")
        assert response.status_code in (200, 400, 429) and not changed

    confirm_form()
    for target in ("/sign-out", "/sign-out-everywhere"):
        for value in ("\x00", "x" * 10_000, ["a", "b"]):
            response, _changed, _errors = world.send("POST", target, data={"next": value, "csrf_token": value})
            no_trace(response, f"POST {target}")
            assert response.status_code == 302 and same_site(response.headers["Location"])
            assert sign_in(world.client, "coord-a@example.org").status_code == 302


# --------------------------------------------------------------------------- 2. scenario import


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                      st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(HOSTILE), TEXT)
JSON_VALUE = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)


def paths(value: Any, prefix: str = "") -> Iterator[tuple[str, list[Any]]]:
    """Every place in a JSON document, as the validator writes its path, with the keys to reach it."""
    yield prefix, []
    if isinstance(value, dict):
        for key, inner in value.items():
            for path, keys in paths(inner, f"{prefix}.{key}" if prefix else key):
                yield path, [key, *keys]
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            for path, keys in paths(inner, f"{prefix}[{index}]"):
                yield path, [index, *keys]


def kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    return "number" if isinstance(value, int | float) else type(value).__name__


@st.composite
def broken_scenario(draw: st.DrawFn, base: dict[str, Any]) -> tuple[str, bytes]:
    """A valid scenario with one place replaced (or removed), or bytes that are no JSON document."""
    if draw(st.integers(0, 5)) == 0:
        return "", draw(FILE_BYTES)
    places = list(paths(base))[1:]
    where, keys = draw(st.sampled_from(places))
    document = copy.deepcopy(base)
    parent = document
    for key in keys[:-1]:
        parent = parent[key]
    if draw(st.integers(0, 4)) == 0:
        del parent[keys[-1]]
        replaced: Any = None
        # A removed field is named ("... is missing"); a removed list item may only break what refers to it.
        where = ("!" if isinstance(keys[-1], str) else "?") + where
    else:
        replaced = draw(JSON_VALUE)
        parent[keys[-1]] = replaced
        old = base
        for key in keys:
            old = old[key]
        if kind(old) == kind(replaced):
            where = "?" + where  # the same type: it may be valid, so no path is promised
    return where, json.dumps(document, ensure_ascii=draw(st.booleans())).encode()


class ProblemList(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = 0
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if dict(attrs).get("id") == "scenario-problems":
            self.inside = 1
        elif self.inside and tag == "li":
            self.items.append("")
        elif self.inside and tag == "div":
            self.inside += 1

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == "div":
            self.inside -= 1

    def handle_data(self, data: str) -> None:
        if self.inside and self.items:
            self.items[-1] += data


PATH = re.compile(r"^(file|scenario|format|center|slots|rooms|activities|facilitators|participants"
                  r"|keep_apart|keep_together)[.\[:]")


def test_scenario_import_refuses_hostile_files_whole_naming_the_field(world: World) -> None:
    center = world.ids["center_id"]
    assert sign_in(world.client, "coord-a@example.org").status_code == 302
    world.refresh_baseline()
    exported = world.client.get(f"/centers/{center}/export.json")
    assert exported.status_code == 200
    base = exported.get_json()
    world.refresh_baseline()  # the export is in the audit log now; the imports below must change nothing
    action = f"/centers/{center}/import/scenario"

    @settings(FAST, max_examples=40)
    @given(broken_scenario(base))
    def upload(case: tuple[str, bytes]) -> None:
        where, raw = case
        note(f"changed {where!r}")
        response, changed, _errors = world.send("POST", action, data={
            "confirm": "y", "file": (io.BytesIO(raw), "scenario.json")})
        no_trace(response, f"import ({where})")
        if response.status_code == 302:
            return  # accepted: a valid file (restored before the next example)
        assert response.status_code == 200, response.status_code
        assert not changed, f"a refused file changed {changed}"
        body = response.get_data(as_text=True)
        if not raw:
            assert "Choose a file to upload." in body
            return
        reader = ProblemList()
        reader.feed(body)
        assert reader.items, "refused without saying why"
        for item in reader.items:
            assert PATH.match(item), f"a problem without a path: {item!r}"
        if where and not where.startswith("?"):
            place = where.lstrip("!")
            named = [item for item in reader.items if item.startswith(place) or place.startswith(item.split(":")[0])]
            assert named, f"changed {place!r}, problems name other places: {reader.items[:5]}"

    upload()


# --------------------------------------------------------------------------- 3. token parsing


TOKEN_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/\\?#"), max_size=60),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=37, max_size=37),
    st.sampled_from(["x" * 5000, "\x00", "%", "..", "\u202e", "\u200b" * 40, "' OR 1=1 --", SCRIPT]),
)
PERCENT_JUNK = st.text("%0123456789abcdefABCDEFzZ.-_~+", min_size=1, max_size=40)
MARK = "Zq7Tok"  # so a token echoed into the page can be told from the page's own text


@st.composite
def token_path(draw: st.DrawFn) -> tuple[str, str]:
    """(the token as the route receives it, the URL path segment sent)."""
    if draw(st.booleans()):
        token = MARK + draw(TOKEN_TEXT)
        return token, quote(token, safe="")
    junk = MARK + draw(PERCENT_JUNK)
    return junk, junk


def test_token_urls_answer_hostile_tokens_with_a_plain_404(world: World) -> None:
    assert world.client.get(f"/p/{world.ids['participant_token']}").status_code == 200  # the real one works

    @settings(FAST, max_examples=60)
    @given(token_path(), st.sampled_from(["/feeds/{}.ics", "/p/{}", "/p/{}/calendar", "/welcome/{}"]),
           st.sampled_from(["GET", "POST"]))
    def check(case: tuple[str, str], pattern: str, method: str) -> None:
        token, segment = case
        if pattern == "/p/{}/calendar":
            method = "POST"
        elif pattern.startswith("/feeds"):
            method = "GET"
        target = pattern.format(segment)
        response, changed, _errors = world.send(method, target, data={"slot-MO-0900": "available"})
        no_trace(response, f"{method} {target}")
        assert response.status_code in (404, 429), (target, response.status_code)
        assert not changed
        body = response.get_data(as_text=True)
        for shown in {token, segment, html.escape(token), quote(token, safe="")}:
            assert len(shown) < 8 or shown not in body, f"the 404 for {target!r} echoes the token"

    check()


# --------------------------------------------------------------------------- 4. query strings


OFF_SITE = ["//evil.example", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
            "http:evil.example", "javascript:alert(1)", "https:/evil.example", "//evil.example/%2f..",
            "/%2F/evil.example",
            "\x00//evil.example", " //evil.example", "///evil.example", "http://localhost@evil.example/"]
# Reading a person's data is itself recorded in the audit log (one entry per page: tests/test_privacy.py).
AUDITED_READS = {"self_service.privacy", "self_service.privacy_export", "self_service.answers", "self_service.outbox",
                 "coordinator.dashboard", "editing.items", "editing.item_form", "editing.availability",
                 "editing.preferences", "editing.pairs", "editing.edit_pair", "editing.delete_pair", "editing.export",
                 "schedules.version", "schedules.compare", "schedules.pin_list", "waitlists.overview",
                 "calendars.person", "calendars.index", "swaps.my_cover", "best_fit.page", "suggestions.index",
                 "monitoring_register.take", "monitoring_register.correct", "monitoring_followup.at_risk",
                 "monitoring_outcomes.overview"}
QUERY_NAMES = ["version", "page", "next", "a", "b", "action", "group", "slot", "date", "until", "scope", "participant",
               "effective", "code", "kind"]


def test_query_strings_never_break_a_page_or_redirect_off_site(world: World) -> None:
    center = world.ids["center_id"]
    assert sign_in(world.client, "coord-a@example.org").status_code == 302
    world.refresh_baseline()
    pages = [url(world.app, e, world.ids) for e, _r, m, _c in ROUTES if m == "GET" and category(e) == "coordinator"]
    # Pages whose links carry a query (a meeting to cancel, someone leaving a group, two versions to compare).
    pages += [f"/centers/{center}/meetings/cancel?group=art-1&slot=MO-0900&date=2027-01-11",
              f"/centers/{center}/waitlists/leave?group=art-1&participant=p1&effective=2027-01-18",
              f"/centers/{center}/schedule/compare?a=1&b=1", f"/centers/{center}/audit?action=swap",
              f"/centers/{center}/schedule/versions/1", "/", "/sign-in"]

    @settings(FAST, max_examples=50)
    @given(st.sampled_from(pages), st.lists(st.tuples(st.sampled_from(QUERY_NAMES),
                                                      st.one_of(VALUE, st.sampled_from(OFF_SITE))), max_size=4),
           st.booleans())
    def check(page: str, params: list[tuple[str, str]], replace: bool) -> None:
        path, _sep, query = page.partition("?")
        old = [] if replace else parse_qsl(query)
        target = f"{path}?{urlencode(old + params)}"
        response, changed, _errors = world.send("GET", target)
        no_trace(response, f"GET {target}")
        key = endpoint_key(world.app, path, "GET")
        if key is not None and key[0] in AUDITED_READS:
            changed = [name for name in changed if name != "audit_entries"]
        assert not changed, f"GET {target} changed {changed}"
        if response.status_code in (301, 302, 303, 307, 308):
            assert same_site(response.headers["Location"]), f"GET {target} sent to {response.headers['Location']}"

    check()

    # After signing in (or confirming the password), ``next`` is followed only within the site.
    def after_password(next_value: str, confirm: bool) -> None:
        if confirm:
            sign_in(world.client, "coord-a@example.org")
            response, _changed, _errors = world.send("POST", "/confirm-password?" + urlencode({"next": next_value}),
                                                     data={"password": PASSWORD})
        else:
            world.client.post("/sign-out")
            response, _changed, _errors = world.send("POST", "/sign-in?" + urlencode({"next": next_value}),
                                                     data={"email": "coord-a@example.org", "password": PASSWORD})
        no_trace(response, f"next={next_value!r}")
        assert response.status_code == 302, response.status_code
        assert same_site(response.headers["Location"]), f"next={next_value!r} sent to {response.headers['Location']}"

    for next_value in OFF_SITE:
        after_password(next_value, confirm=False)
        after_password(next_value, confirm=True)

    @settings(FAST, max_examples=6)
    @given(VALUE, st.booleans())
    def any_next(next_value: str, confirm: bool) -> None:
        after_password(next_value, confirm)

    any_next()
