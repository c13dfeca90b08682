"""Who may use which route, and a world to try them in, for the access matrix and the tests that walk
its routes: every route of the app classified by who may use it (a route nobody classified is for
its center's coordinator), center A ("Swaps", a published term with a request, an offer, a finished
build, a message, a pin, an API key) and center B ("Other"), and the URL each role requests."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from scheduler.extensions import db
from scheduler.models import (
    ApiKeyScope,
    CenterRole,
    Facilitator,
    JobStatus,
    Membership,
    OfferStatus,
    Participant,
    SeatOffer,
    SolveJob,
    User,
)
from scheduler.services import accounts, api_keys, feed_tokens, mail, mail_batches, pins, swaps
from scheduler.services.scenarios import import_scenario
from solver import load_scenario
from tests.conftest import PASSWORD, make_app
from tests.support.swaps_term import ART1_JAN11, BEFORE_TERM, SCENARIO, make_term

PUBLIC = {"auth.sign_in", "auth.password_reset", "language.choose", "static", "two_factor.code",
          "api-docs.openapi_json", "health.healthz", "health.readyz"}
TOKEN = {"feeds.feed", "self_service.page", "self_service.make_calendar", "self_service.welcome",
         "language.choose_for_participant", "monitoring_reminders.choose", "monitoring_outcomes.check_in"}
SIGNED_IN = {"coordinator.index", "auth.sign_out", "auth.sign_out_everywhere", "auth.confirm_password",
             "two_factor.setup", "two_factor.turn_on", "two_factor.turn_off", "glossary.index",
             "monitoring_report.network_page", "monitoring_report.network_csv"}
FACILITATOR = {"swaps.my_cover", "swaps.ask", "swaps.answer", "swaps.make_calendar_link", "self_service.my_times",
               "monitoring_register.mine", "monitoring_register.take"}
CLASSIFIED = PUBLIC | TOKEN | SIGNED_IN | FACILITATOR
# Token routes that take a participant's personal link (the others take a feed or a welcome token).
PERSONAL_LINK = {"self_service.page", "self_service.make_calendar", "language.choose_for_participant",
                 "monitoring_reminders.choose", "monitoring_outcomes.check_in"}

# Names and addresses found nowhere else, so a page that shows them is caught showing them.
PERSON_A = {"name": "Patrizia Quenby-Alpha", "email": "patrizia.quenby@example.org"}
PERSON_B = {"name": "Bartholomew Xylo-Beta", "email": "bartholomew.xylo@example.org"}


# The JSON API answers to an API key only (tests/test_api_access.py checks keys of two centers): a
# browser's session, whoever's, gets 401 and changes nothing.
API_BLUEPRINTS = ("api_planning.", "api_schedules.")


def category(endpoint: str) -> str:
    if endpoint.startswith(API_BLUEPRINTS):
        return "api"
    if endpoint in PUBLIC:
        return "public"
    if endpoint in TOKEN:
        return "token"
    if endpoint in SIGNED_IN:
        return "signed-in"
    if endpoint in FACILITATOR:
        return "facilitator"
    return "coordinator"


def routes() -> list[tuple[str, str, str, tuple[tuple[str, str], ...]]]:
    """Every rule and method, once for each value of its ``any(...)`` parts (accept, decline and
    cancel are three different actions)."""
    import itertools
    import tempfile
    from pathlib import Path

    app = make_app("sqlite://", Path(tempfile.mkdtemp()))
    found = []
    for rule in app.url_map.iter_rules():
        choices = [[(name, value) for value in sorted(converter.items)]
                   for name, converter in rule._converters.items() if isinstance(converter, AnyConverter)]
        assert rule.methods is not None  # Flask gives every rule its methods
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for chosen in itertools.product(*choices):
                found.append((rule.endpoint, rule.rule, method, tuple(chosen)))
    with app.app_context():
        db.engine.dispose()
    return sorted(found)


ROUTES = routes()


def route_id(rule: str, method: str, chosen: tuple[tuple[str, str], ...]) -> str:
    for name, value in chosen:
        rule = re.sub(rf"<any\([^)]*\):{name}>", value, rule)
    return f"{method} {rule}"


# --------------------------------------------------------------------------- the world


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes: these tests sign in hundreds of times; what they check is who gets in."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def world_scenario(name: str, a: dict[str, str], b: dict[str, str]) -> dict[str, Any]:
    scenario = copy.deepcopy(SCENARIO)
    scenario["center"]["name"] = name
    pat = scenario["participants"][0]
    scenario["participants"] = [pat | a, pat | {"id": "p2", **b}]
    return scenario


@dataclass
class World:
    """Center A ("Swaps", a published term) and center B ("Other"); ids and secrets by name."""

    ids: dict[str, Any]
    emails: dict[str, str]
    secrets: dict[str, str] = field(default_factory=dict)


def staff_account(code: str, center_id: int) -> User:
    facilitator = db.session.scalar(select(Facilitator).where(Facilitator.code == code,
                                                              Facilitator.center_id == center_id))
    assert facilitator is not None
    user = User(email=f"{code}@staff.example.org", password_hash=accounts.hash_password(PASSWORD))
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, center_id=center_id, role=CenterRole.FACILITATOR))
    facilitator.user_id = user.id
    return user


def build_world(app: Flask, make_coordinator: Callable[..., None]) -> World:
    with app.app_context():
        version = make_term(world_scenario("Swaps", PERSON_A, PERSON_B))
        # Participant B sits in participant A's group: A's page and feed must still not name B.
        version.schedule = {**version.schedule, "groups": [
            {**g, "members": ["p1", "p2"]} if g["id"] == "art-1" else g for g in version.schedule["groups"]]}
        center_id = version.center_id
        ana_user, ben_user = staff_account("ana", center_id), staff_account("ben", center_id)
        ana, ben, cruz = (db.session.scalar(select(Facilitator).where(Facilitator.code == code))
                          for code in ("ana", "ben", "cruz"))
        assert ana is not None and ben is not None and cruz is not None
        # Addressed to Cruz: Ben may neither take, decline nor withdraw it.
        request = swaps.request_swap(version, ana, [ART1_JAN11], target=cruz, now=BEFORE_TERM)
        job = SolveJob(center_id=center_id, status=JobStatus.FINISHED, backend="thread", time_limit_s=10,
                       scenario=version.scenario, params={}, cancel_requested=False,
                       finished_at=dt.datetime.now(dt.UTC))
        offer = SeatOffer(center_id=center_id, version_id=version.id, group_code="art-2", participant_code="p1",
                          effective=dt.date(2027, 1, 18), status=OfferStatus.OFFERED)
        db.session.add_all([job, offer])
        message = mail.queue(center_id, PERSON_A["email"], PERSON_A["name"], "Hello", "Body")
        batch = mail_batches.create(center_id, "Notices", [])
        people = {p.code: p for p in db.session.scalars(select(Participant).where(Participant.center_id
                                                                                  == center_id))}
        pin = pins.pin_participant(version.center, version, "p1", None)
        found = World(ids={}, emails={"facilitator": ana_user.email, "other-facilitator": ben_user.email,
                                      "coordinator": "coord-a@example.org",
                                      "other-coordinator": "coord-b@example.org",
                                      "other-coordinator-own-center": "coord-b@example.org"})
        found.secrets = {"a-link": accounts.issue_participant_link(people["p1"]),
                         "b-link": accounts.issue_participant_link(people["p2"]),
                         "a-feed": feed_tokens.issue(people["p1"]), "b-feed": feed_tokens.issue(people["p2"]),
                         "ana-feed": feed_tokens.issue(ana)}
        other = import_scenario(load_scenario(world_scenario("Other", {}, {"name": "Bo", "email": ""})))
        key, _token = api_keys.create_key(version.center, "matrix", ApiKeyScope.READ_WRITE, None)
        db.session.commit()
        found.ids = {"center_id": center_id, "job_id": job.id, "request_id": request.id, "offer_id": offer.id,
                     "message_id": message.id, "batch_id": batch.id, "pin_id": pin.id, "other_center_id": other.id,
                     "p1": people["p1"].id, "p2": people["p2"].id, "ana": ana.id, "ben": ben.id,
                     "ben_user": ben_user.id, "key_id": key.id, "build_id": job.id}
    make_coordinator("coord-a@example.org", "Swaps")
    make_coordinator("coord-b@example.org", "Other")
    return found


def url(app: Flask, endpoint: str, ids: dict[str, Any], **override: Any) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)  # werkzeug keeps converters here
        if name in override:
            values[name] = override[name]
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name in ids:
            values[name] = ids[name]
        else:
            values[name] = {"code": "p1", "number": 1, "index": 0, "group_id": "art-1",
                            "token": "x" * 43, "filename": "style.css", "subject": "r1",
                            "slot": "MO-0900", "day": "2027-01-11",
                            "build_id": ids["job_id"]}[name]
    with app.test_request_context():
        return url_for(endpoint, **values)


def target_for(app: Flask, world: World, role: str, endpoint: str, chosen: dict[str, str]) -> str:
    """The URL this role requests: participant A uses their own secrets; the other center's coordinator
    on their own center uses center A's ids for everything but the center."""
    if role == "participant" and endpoint in TOKEN:
        token = world.secrets["a-feed"] if endpoint == "feeds.feed" else world.secrets["a-link"]
        # ... naming participant B every way a page might read it
        guesses = f"?participant=p2&code=p2&id={world.ids['p2']}&participant_id={world.ids['p2']}"
        return url(app, endpoint, world.ids, token=token, **chosen) + guesses
    if role == "other-coordinator-own-center":
        return url(app, endpoint, world.ids, center_id=world.ids["other_center_id"], **chosen)
    return url(app, endpoint, world.ids, **chosen)


def settle(app: Flask) -> None:
    """Wait for what a request started in the background: a schedule build, or a batch of mail (each
    writes from its own thread, one at a time). Otherwise a batch one role started could finish while
    the next role's request is checked, and look like that request's doing."""
    for name in ("solve_executor", "mail_executor"):
        executor = app.extensions.get(name)
        if executor is not None:
            executor.submit(lambda: None).result(timeout=120)
