"""Forms and methods: with CSRF protection on (the rest of the suite turns it off), every POST route
of the app refuses a request without a valid token and changes no row; and no GET route changes
state, as any role. The routes come from the app's url_map, as in the access matrix, so a new route is
checked without anyone remembering to add it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import rows
from tests.conftest import PASSWORD, make_app
from tests.support.access import (
    ROUTES,
    TOKEN,
    World,
    build_world,
    category,
    fast_passwords,  # noqa: F401  (a fixture)
    route_id,
    settle,
    target_for,
)
from tests.support.csrf import CSRF_REFUSAL, csrf_token


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A client signed in the way a browser does it: with the sign-in form's own token."""
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, email
    return client


@pytest.fixture
def strict(app: Flask, database_url: str, tmp_path: Path) -> Flask:
    """The same database, served by an app with CSRF protection on, as in production."""
    return make_app(database_url, tmp_path / "strict", WTF_CSRF_ENABLED=True)


def who_may(endpoint: str) -> str:
    """The role that may use a route, so that only the missing token stands in the way."""
    return {"public": "coordinator", "token": "participant", "signed-in": "coordinator",
            "facilitator": "facilitator", "coordinator": "coordinator", "api": "coordinator"}[category(endpoint)]


POSTS = [(e, m, dict(c), route_id(r, m, c)) for e, r, m, c in ROUTES if m == "POST"]


def test_every_post_route_refuses_a_request_without_a_valid_csrf_token(
        app: Flask, strict: Flask, fast_passwords: None, make_coordinator: Callable[..., None]) -> None:  # noqa: F811
    world = build_world(app, make_coordinator)
    clients = {"coordinator": signed_in(strict, world.emails["coordinator"]),
               "facilitator": signed_in(strict, world.emails["facilitator"]), "participant": strict.test_client()}
    # A token that is real, but another session's: a forged form carries one like it.
    stranger = strict.test_client()
    foreign = csrf_token(stranger)
    assert POSTS, "no POST routes found"
    for endpoint, _method, chosen, name in POSTS:
        role = who_may(endpoint)
        target = target_for(strict, world, role, endpoint, chosen)
        for data in ({"locale": "es", "confirm_name": "Patrizia Quenby-Alpha", "password": PASSWORD},
                     {"csrf_token": foreign, "locale": "es", "password": PASSWORD}):
            with strict.app_context():
                before = rows.snapshot()
            response = clients[role].post(target, data=data)
            settle(strict)
            with strict.app_context():
                changed = rows.differences(before, rows.snapshot())
            if category(endpoint) == "api":
                # The API is exempt from CSRF because a session cookie is worth nothing to it.
                assert response.status_code == 401, f"{name} with a session cookie answered {response.status_code}"
            else:
                assert response.status_code == 400 and CSRF_REFUSAL in response.get_data(as_text=True), (
                    f"{name} as {role} without a valid token answered {response.status_code}")
            assert not changed, f"{name} as {role} without a valid token changed rows: {changed}"
    # The clients were really signed in and the participant's link really works: a valid token is not refused.
    ok = clients["coordinator"].post("/sign-out", data={"csrf_token": csrf_token(clients["coordinator"], "/")})
    assert ok.status_code == 302


# What a GET may write, and why. Anything else written by a GET fails the test.
GET_MAY_WRITE: dict[str, Callable[[str, str, dict[str, Any]], bool]] = {
    # A calendar feed remembers, per feed, each weekly series' fingerprint and revision, so that a
    # changed meeting gets a higher SEQUENCE and calendar apps replace it (RFC 5545).
    "feed revisions": lambda endpoint, table, _row: endpoint == "feeds.feed" and table == "feed_series",
    # The audit log of who opened or downloaded a person's data is written by opening or downloading it.
    "views and exports of personal data": lambda _endpoint, table, row: (
        table == "audit_entries" and str(row.get("action", "")).startswith(("person.viewed.", "person.exported"))),
    # Reads reconcile stored state with the clock: a cover request whose first meeting has started
    # expires, and a build whose heartbeat stopped is marked interrupted (only past those times).
    "expired requests": lambda _endpoint, table, row: table == "swap_requests" and row.get("status") == "expired",
    "interrupted builds": lambda _endpoint, table, row: table == "solve_jobs" and row.get("status") == "interrupted",
}


def _not_excepted(endpoint: str) -> rows.Keep:
    return lambda table, row, _center: not any(rule(endpoint, table, row) for rule in GET_MAY_WRITE.values())


GETS = [(e, dict(c), route_id(r, m, c)) for e, r, m, c in ROUTES if m == "GET"]
GET_ROLES = ["anonymous", "participant", "facilitator", "other-facilitator", "coordinator", "other-coordinator"]


def test_no_get_route_changes_state_as_any_role(app: Flask, fast_passwords: None,  # noqa: F811
                                                make_coordinator: Callable[..., None]) -> None:
    world: World = build_world(app, make_coordinator)
    clients = {role: app.test_client() for role in GET_ROLES}
    for role, client in clients.items():
        if role in world.emails:
            assert client.post("/sign-in", data={"email": world.emails[role], "password": PASSWORD}).status_code == 302
    assert GETS, "no GET routes found"
    seen_exceptions = set()
    for endpoint, chosen, name in GETS:
        for role in GET_ROLES:
            if endpoint in TOKEN and role != "participant":
                continue  # a wrong token: the access matrix proves it is a 404 that writes nothing
            target = target_for(app, world, role, endpoint, chosen)
            with app.app_context():
                before, everything = rows.snapshot(_not_excepted(endpoint)), rows.snapshot()
            response = clients[role].get(target)
            response.close()
            settle(app)
            with app.app_context():
                changed = rows.differences(before, rows.snapshot(_not_excepted(endpoint)))
                if rows.differences(everything, rows.snapshot()):
                    seen_exceptions.add(name)
            assert response.status_code < 500, (name, role, response.status_code)
            assert not changed, f"{name} as {role} changed rows: {changed}"
    # The exceptions are real (the feed and the pages of a person do write), not a hole left open.
    assert "GET /feeds/<token>.ics" in seen_exceptions
    assert any("privacy" in name for name in seen_exceptions)
