"""The access matrix with identities, not only ids: the same email at two centers, an existing account
invited by another center, and one person with roles at two centers. The matrix of
tests/test_access_matrix.py varies ids and could not see an account taken over across centers; here
every center route of the url_map (every method, every ``any(...)`` value) is requested as each
identity, at the center where it has no role (or only an invitation it has not accepted): each must
answer 404 and change no row. Where a role was accepted, the person's pages there open, and nothing
more.

    identity                                           center where it has no role   accepted role
    A's facilitator, same email on B's facilitator      B: 404 everywhere             -
    A's coordinator, invited by B as a facilitator      B: 404 everywhere             -
    B's coordinator, facilitator at A too (accepted)    A's coordinator pages: 404    A's facilitator pages
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import CenterRole, Facilitator, Membership, RoleInvitation, User
from scheduler.services import staff_invitations
from tests import rows
from tests.conftest import sign_in
from tests.support.access import ROUTES, World, build_world, category, fast_passwords, url

__all__ = ["fast_passwords"]  # the fixture, used by name below

CENTER_ROUTES = [(endpoint, method, chosen) for endpoint, rule, method, chosen in ROUTES
                 if "<int:center_id>" in rule and category(endpoint) in ("coordinator", "facilitator")]


def user_id(email: str) -> int:
    found = db.session.scalar(select(User.id).where(User.email == email))
    assert found is not None, email
    return found


def invite_as(app: Flask, center_id: int, facilitator_code: str, email: str, inviter: str) -> RoleInvitation:
    """The center's coordinator types ``email`` on one of its facilitators and invites it."""
    with app.test_request_context():
        facilitator = db.session.scalar(select(Facilitator).where(Facilitator.center_id == center_id,
                                                                  Facilitator.code == facilitator_code))
        assert facilitator is not None
        facilitator.email = email
        invitation = staff_invitations.invite_facilitator(facilitator.center, facilitator,
                                                          db.session.get(User, user_id(inviter)))
        assert invitation.outcome is staff_invitations.Outcome.ASKED_TO_ACCEPT, invitation
        db.session.commit()
        found = db.session.scalars(select(RoleInvitation).order_by(RoleInvitation.id.desc())).first()
        assert found is not None
        return found


def identities(app: Flask, world: World) -> dict[str, tuple[str, int]]:
    """Each identity: the email it signs in with, and the center whose pages it must not reach."""
    a, b = world.ids["center_id"], world.ids["other_center_id"]
    with app.app_context():
        invite_as(app, b, "ana", world.emails["facilitator"], "coord-b@example.org")
        invite_as(app, b, "ben", "coord-a@example.org", "coord-b@example.org")
        accepted = invite_as(app, a, "cruz", "coord-b@example.org", "coord-a@example.org")
        staff_invitations.answer(accepted, db.session.get(User, user_id("coord-b@example.org")), accept=True)
        db.session.commit()
        both = {(m.center_id, m.role) for m in db.session.scalars(
            select(Membership).where(Membership.user_id == user_id("coord-b@example.org")))}
        assert both == {(a, CenterRole.FACILITATOR), (b, CenterRole.COORDINATOR)}
    return {"same email at two centers": (world.emails["facilitator"], b),
            "invited existing account": ("coord-a@example.org", b),
            "roles at two centers": ("coord-b@example.org", a)}


def refused(identity: str, endpoint: str) -> bool:
    """A person with roles at two centers uses their facilitator pages at A; every other center page
    of the center where an identity has no (accepted) role is refused."""
    return not (identity == "roles at two centers" and category(endpoint) == "facilitator")


@pytest.mark.parametrize("identity", ["same email at two centers", "invited existing account", "roles at two centers"])
def test_every_center_route_refuses_an_identity_without_a_role_there(
        identity: str, app: Flask, fast_passwords: None, make_coordinator: Callable[..., None]) -> None:
    world = build_world(app, make_coordinator)
    email, center_id = identities(app, world)[identity]
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    checked = 0
    for endpoint, method, chosen in CENTER_ROUTES:
        target = url(app, endpoint, world.ids, center_id=center_id, **dict(chosen))
        with app.app_context():
            before = rows.snapshot(lambda _table, _row, _center: True)
        response = client.open(target, method=method, data={})
        response.close()
        if not refused(identity, endpoint):
            assert response.status_code < 500, (identity, method, target, response.status_code)
            continue
        with app.app_context():
            changed = rows.differences(before, rows.snapshot(lambda _table, _row, _center: True))
        assert response.status_code == 404, (identity, method, target, response.status_code)
        assert not changed, f"{identity}'s refused {method} {target} changed rows: {changed}"
        checked += 1
    assert checked > 50


def test_an_accepted_role_opens_the_person_s_own_pages_at_both_centers(
        app: Flask, fast_passwords: None, make_coordinator: Callable[..., None]) -> None:
    world = build_world(app, make_coordinator)
    identities(app, world)
    a, b = world.ids["center_id"], world.ids["other_center_id"]
    client = app.test_client()
    sign_in(client, "coord-b@example.org")
    assert client.get(f"/centers/{b}/").status_code == 200  # still B's coordinator
    assert client.get(f"/centers/{a}/me/times").status_code == 200
    assert client.get(f"/centers/{a}/cover/").status_code == 200
    assert client.get(f"/centers/{a}/").status_code == 404
    with app.app_context():
        cruz = db.session.scalar(select(Facilitator).where(Facilitator.center_id == a, Facilitator.code == "cruz"))
        assert cruz is not None and cruz.user_id == user_id("coord-b@example.org")
