"""The access-control matrix: every route, as every role, including people guessing other people's and
other centers' ids. A route nobody classified fails the test, so a new page cannot ship without saying
who may use it. The same table is in docs/security.md.

    role                          public  token     signed-in  facilitator-of-A  coordinator-of-A
    anonymous                     yes     key       sign-in    sign-in           sign-in
    participant A (own link)      yes     own only  sign-in    sign-in           sign-in
    facilitator of A              yes     key       yes        own only          404
    another facilitator of A      yes     key       yes        own only          404
    coordinator of A              yes     key       yes        404               yes
    coordinator of B              yes     key       yes        404               404
    coordinator of B, own center  -       -         -          404               own only, A's ids 404

"token": the secret in the URL is the key; a wrong one is 404 for everyone. "own only": the answer
may be 200, but it shows nothing of anybody else (participant B, the other facilitator, center A)
and changes nothing but the person's own rows. Refused requests never answer 200 and change no row:
every row of every table is compared before and after, so an UPDATE is caught, not only an INSERT."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import FeedToken, Membership
from tests import rows
from tests.conftest import sign_in
from tests.support.access import (
    PERSON_A,
    PERSON_B,
    ROUTES,
    World,
    build_world,
    category,
    fast_passwords,
    route_id,
    settle,
    target_for,
)

__all__ = ["fast_passwords"]  # the fixture, used by name below


def test_every_route_under_a_center_is_for_its_coordinator_unless_classified() -> None:
    for endpoint, rule, _method, _chosen in ROUTES:
        if category(endpoint) == "coordinator":
            assert rule.startswith("/centers/<int:center_id>/"), (
                f"{endpoint} ({rule}) is not classified: add it to a set in tests/support/access.py")


# --------------------------------------------------------------------------- the roles

ROLES = ["anonymous", "participant", "other-facilitator", "other-coordinator", "other-coordinator-own-center",
         "facilitator", "coordinator"]  # the coordinator last: what they may do can change the world a lot


def allowed(role: str, kind: str) -> bool:
    """Whether the answer may be 200. For "own only" roles the content and rows are checked instead."""
    signed_in = role not in ("anonymous", "participant")
    return {"public": True, "token": role == "participant", "signed-in": signed_in,
            "facilitator": role in ("facilitator", "other-facilitator"),
            "coordinator": role in ("coordinator", "other-coordinator-own-center"), "api": False}[kind]


def not_to_show(world: World, role: str) -> list[str]:
    """What each role's answers never contain."""
    a = [PERSON_A["name"], PERSON_A["email"], world.secrets["a-link"], world.secrets["a-feed"]]
    b = [PERSON_B["name"], PERSON_B["email"], world.secrets["b-link"], world.secrets["b-feed"]]
    center_a = [*a, *b, world.secrets["ana-feed"], "ana@staff.example.org"]
    return {"anonymous": center_a, "participant": [*b, world.secrets["ana-feed"]],
            # Ben leads talk-1, where A is a member; B is only in Ana's group.
            "other-facilitator": [*b, world.secrets["ana-feed"], world.secrets["a-feed"], world.secrets["a-link"]],
            "other-coordinator": center_a, "other-coordinator-own-center": center_a,
            "facilitator": [world.secrets["a-link"], world.secrets["b-link"]],
            "coordinator": []}[role]


def own_rows(world: World, role: str) -> rows.Keep:
    """The rows compared for a role that may change its own: everything but those."""
    ids = world.ids
    if role == "participant":
        def keep(table: str, row: dict[str, Any], _center: int | None) -> bool:
            a_tokens = {t.id for t in db.session.scalars(select(FeedToken).where(FeedToken.participant_id
                                                                                 == ids["p1"]))}
            return not ((table == "participants" and row["id"] == ids["p1"]) or row.get("participant_id") == ids["p1"]
                        or (table == "feed_series" and row.get("token_id") in a_tokens)
                        or (table == "audit_entries" and row["subject"] == "participant p1"))
        return keep
    if role == "other-facilitator":
        def keep(table: str, row: dict[str, Any], _center: int | None) -> bool:
            ben_tokens = {t.id for t in db.session.scalars(select(FeedToken).where(FeedToken.facilitator_id
                                                                                   == ids["ben"]))}
            return not ((table == "facilitators" and row["id"] == ids["ben"]) or row.get("facilitator_id") == ids["ben"]
                        or (table == "users" and row["id"] == ids["ben_user"])
                        or (table == "feed_series" and row.get("token_id") in ben_tokens)
                        or (table == "audit_entries" and row["actor_id"] == ids["ben_user"]))
        return keep
    if role == "other-coordinator-own-center":
        def keep(table: str, row: dict[str, Any], center: int | None) -> bool:
            if table in ("users", "welcome_links"):  # an account, and its welcome link, belong to its centers
                account = row["id"] if table == "users" else row["user_id"]
                roles = set(db.session.scalars(select(Membership.center_id).where(Membership.user_id == account)))
                return roles != {ids["other_center_id"]}
            return center != ids["other_center_id"]
        return keep
    return lambda _table, _row, _center: True


def requests_as_every_role(app: Flask, world: World, endpoint: str,
                           chosen: dict[str, str]) -> Iterator[tuple[str, str]]:
    for role in ROLES:
        if role == "other-coordinator-own-center" and "<int:center_id>" not in str(
                next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)):
            continue  # not a center's page: the same request as "other-coordinator"
        yield role, target_for(app, world, role, endpoint, chosen)


@pytest.mark.parametrize(("endpoint", "rule", "method", "chosen"), ROUTES,
                         ids=[route_id(r, m, c) for _e, r, m, c in ROUTES])
def test_route_answers_each_role_as_the_matrix_says(endpoint: str, rule: str, method: str,
                                                    chosen: tuple[tuple[str, str], ...], app: Flask,
                                                    fast_passwords: None,
                                                    make_coordinator: Callable[..., None]) -> None:
    world = build_world(app, make_coordinator)
    kind = category(endpoint)
    for role, target in requests_as_every_role(app, world, endpoint, dict(chosen)):
        client = app.test_client()
        if role in world.emails:
            assert sign_in(client, world.emails[role]).status_code == 302, role
        with app.app_context():
            before = rows.snapshot(own_rows(world, role))
        response = client.open(target, method=method, data={})
        text = response.get_data(as_text=True) if not response.direct_passthrough else ""
        response.close()  # a file response (static) holds its file open until closed
        settle(app)
        with app.app_context():
            changed = rows.differences(before, rows.snapshot(own_rows(world, role)))
        assert response.status_code < 500, (role, target, response.status_code)
        shown = [secret for secret in not_to_show(world, role) if secret in text]
        assert not shown, f"{role}'s {method} {target} shows {shown}"
        if kind == "token" and role != "participant":
            # The wrong key: nobody gets in, whoever they are.
            assert response.status_code == 404, (role, target, response.status_code)
            assert not changed, (role, target, changed)
            continue
        if endpoint == "self_service.welcome":
            assert response.status_code == 404, "a personal link is not a welcome link"
        if allowed(role, kind):
            if role in ("participant", "other-facilitator", "other-coordinator-own-center"):
                assert not changed, f"{role}'s {method} {target} changed rows not theirs: {changed}"
            continue
        assert response.status_code != 200, f"{role} got 200 from {method} {target}"
        if kind == "api":
            assert response.status_code == 401, (role, method, target, response.status_code)
        elif role in ("anonymous", "participant"):
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], (role, target)
        else:
            assert response.status_code == 404, (role, method, target, response.status_code)
        assert not changed, f"{role}'s refused {method} {target} changed rows: {changed}"
