"""The access-control matrix: every route, as every role, including another center's coordinator
guessing this center's ids. A route nobody classified fails the test, so a new page cannot ship
without saying who may use it. The same table is in docs/security.md.

    role                       public  token   signed-in  facilitator-of-A  coordinator-of-A
    anonymous                  yes     key     sign-in    sign-in           sign-in
    facilitator of A           yes     key     yes        yes               404
    coordinator of A           yes     key     yes        404               yes
    coordinator of B           yes     key     yes        404               404

"token": the secret in the URL is the key; a wrong one is 404 for everyone. Refused requests never
answer 200 and never write a row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from scheduler.extensions import db
from scheduler.models import (
    CenterRole,
    Facilitator,
    JobStatus,
    Membership,
    OfferStatus,
    SeatOffer,
    SolveJob,
    User,
)
from scheduler.services import mail, swaps
from scheduler.services.accounts import hash_password
from tests.conftest import PASSWORD, make_app, sign_in
from tests.test_swaps import ART1_JAN11, BEFORE_TERM, make_term

PUBLIC = {"auth.sign_in", "language.choose", "static", "two_factor.code"}
TOKEN = {"feeds.feed", "self_service.page", "self_service.make_calendar", "self_service.welcome",
         "language.choose_for_participant"}
SIGNED_IN = {"coordinator.index", "auth.sign_out", "auth.sign_out_everywhere", "auth.confirm_password",
             "two_factor.setup", "two_factor.turn_on", "two_factor.turn_off", "glossary.index"}
FACILITATOR = {"swaps.my_cover", "swaps.ask", "swaps.answer", "swaps.make_calendar_link", "self_service.my_times"}
CLASSIFIED = PUBLIC | TOKEN | SIGNED_IN | FACILITATOR


def category(endpoint: str) -> str:
    if endpoint in PUBLIC:
        return "public"
    if endpoint in TOKEN:
        return "token"
    if endpoint in SIGNED_IN:
        return "signed-in"
    if endpoint in FACILITATOR:
        return "facilitator"
    return "coordinator"


def routes() -> list[tuple[str, str, str]]:
    import tempfile
    from pathlib import Path

    app = make_app("sqlite://", Path(tempfile.mkdtemp()))
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method))
    with app.app_context():
        db.engine.dispose()
    return sorted(found)


ROUTES = routes()


def test_every_route_under_a_center_is_for_its_coordinator_unless_classified() -> None:
    for endpoint, rule, _method in ROUTES:
        if category(endpoint) == "coordinator":
            assert rule.startswith("/centers/<int:center_id>/"), (
                f"{endpoint} ({rule}) is not classified: add it to a set in tests/test_access_matrix.py")


def build_world(app: Flask, make_coordinator: Callable[..., None], make_center: Callable[..., int]) -> dict[str, Any]:
    with app.app_context():
        version = make_term()
        center_id = version.center_id
        ana = db.session.scalar(select(Facilitator).where(Facilitator.code == "ana"))
        assert ana is not None
        user = User(email="ana@staff.example.org", password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=center_id, role=CenterRole.FACILITATOR))
        ana.user_id = user.id
        request = swaps.request_swap(version, ana, [ART1_JAN11], now=BEFORE_TERM)
        job = SolveJob(center_id=center_id, status=JobStatus.FINISHED, backend="thread", time_limit_s=10,
                       scenario=version.scenario, params={}, cancel_requested=False,
                       finished_at=dt.datetime.now(dt.UTC))
        offer = SeatOffer(center_id=center_id, version_id=version.id, group_code="art-2", participant_code="p1",
                          effective=dt.date(2027, 1, 18), status=OfferStatus.OFFERED)
        db.session.add_all([job, offer])
        message = mail.queue(center_id, "p1@example.org", "Pat", "Hello", "Body")
        db.session.commit()
        ids = {"center_id": center_id, "job_id": job.id, "request_id": request.id, "offer_id": offer.id,
               "message_id": message.id}
    make_coordinator("coord-a@example.org", "Swaps")
    make_center("Other")
    make_coordinator("coord-b@example.org", "Other")
    return ids


def url(app: Flask, endpoint: str, ids: dict[str, Any]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)  # werkzeug keeps converters here
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name in ids:
            values[name] = ids[name]
        else:
            values[name] = {"code": "p1", "number": 1, "index": 0, "pin_id": 1, "group_id": "art-1",
                            "token": "x" * 43, "filename": "style.css", "subject": "r1"}[name]
    with app.test_request_context():
        return url_for(endpoint, **values)


ROLES = ["anonymous", "facilitator", "coordinator", "other-coordinator"]
EMAILS = {"facilitator": "ana@staff.example.org", "coordinator": "coord-a@example.org",
          "other-coordinator": "coord-b@example.org"}


def allowed(role: str, kind: str) -> bool:
    return {"public": True, "token": True, "signed-in": role != "anonymous",
            "facilitator": role == "facilitator", "coordinator": role == "coordinator"}[kind]


@pytest.mark.parametrize(("endpoint", "rule", "method"), ROUTES, ids=[f"{m} {r}" for _e, r, m in ROUTES])
def test_route_answers_each_role_as_the_matrix_says(endpoint: str, rule: str, method: str, app: Flask,
                                                    client: FlaskClient, make_coordinator: Callable[..., None],
                                                    make_center: Callable[..., int],
                                                    counts: Callable[[], dict[str, int]]) -> None:
    ids = build_world(app, make_coordinator, make_center)
    kind = category(endpoint)
    target = url(app, endpoint, ids)
    for role in ROLES:
        client.post("/sign-out")
        if role in EMAILS:
            assert sign_in(client, EMAILS[role]).status_code == 302
        before = counts()
        response = client.open(target, method=method, data={})
        response.close()  # a file response (static) holds its file open until closed
        assert response.status_code < 500, (role, target, response.status_code)
        if kind == "token":
            # The wrong key: nobody gets in, whoever they are.
            assert response.status_code == 404, (role, target, response.status_code)
            continue
        if allowed(role, kind):
            continue
        assert response.status_code != 200, f"{role} got 200 from {method} {target}"
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], (role, target)
        else:
            assert response.status_code == 404, (role, method, target, response.status_code)
        assert counts() == before, f"{role}'s refused {method} {target} wrote rows"
