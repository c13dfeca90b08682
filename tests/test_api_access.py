"""The API's access rule: a key reaches its own center and nothing else. Center B's key requests every
API route, every method, naming center A's items, build and version (ids that exist only at A), with
A's own item as the body and A's ETag: every item of A is 404, no answer shows anything of A, and no
row of A changes (every row compared before and after, so an UPDATE is caught too). A browser's
session reaches no API route at all (tests/test_access_matrix.py, the "api" routes)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from scheduler.extensions import db
from scheduler.models import ApiKeyScope, Center, JobStatus, ScheduleVersion, SolveJob, VersionStatus
from scheduler.services import api_keys
from tests import rows
from tests.support.access import API_BLUEPRINTS
from tests.support.swaps_term import SCENARIO, SCHEDULE, make_term

# Items only center A has, one per section, with words found nowhere else.
A_ONLY = {"slots": {"id": "WE-0900", "day": "WE", "start": "09:00", "end": "10:30"},
          "rooms": {"id": "a-room", "name": "Quillon Hall", "capacity": 9, "features": []},
          "activities": {"id": "a-act", "name": "Zephyrine choir", "sessions_per_week": 1, "min_size": 1,
                         "max_size": 8, "max_groups": 1, "required_skills": [], "facilitators_per_group": 1,
                         "room_features": []},
          "facilitators": {"id": "a-fac", "name": "Ottoline Vance", "email": "ottoline@example.org", "skills": [],
                           "languages": [], "available": ["WE-0900"], "max_sessions_per_week": 2},
          "participants": {"id": "a-par", "name": "Patrizia Quenby", "email": "patrizia.q@example.org",
                           "available": ["WE-0900"], "preferences": ["a-act"], "max_groups": 1}}
A_WORDS = ["Swaps", *(item["name"] for item in A_ONLY.values() if "name" in item),
           "ottoline@example.org", "patrizia.q@example.org"]


def _centers(app: Flask) -> dict[str, Any]:
    a = copy.deepcopy(SCENARIO)
    for section, item in A_ONLY.items():
        a[section].append(item)
    b = copy.deepcopy(SCENARIO)
    b["center"]["name"] = "Other"
    with app.app_context():
        version_a = make_term(a)
        center_a = db.session.get(Center, version_a.center_id)
        assert center_a is not None
        draft = ScheduleVersion(center_id=center_a.id, number=2, status=VersionStatus.DRAFT, solver_status="FEASIBLE",
                                objective=1, bound=1, scenario=a, schedule=copy.deepcopy(SCHEDULE))
        job = SolveJob(center_id=center_a.id, status=JobStatus.RUNNING, backend="thread", time_limit_s=60,
                       scenario=a, params={}, cancel_requested=False, heartbeat_at=dt.datetime.now(dt.UTC))
        db.session.add_all([draft, job])
        center_b = db.session.get(Center, make_term(b).center_id)
        assert center_b is not None
        _key, token_b = api_keys.create_key(center_b, "B", ApiKeyScope.READ_WRITE, None)
        _key, token_a = api_keys.create_key(center_a, "A", ApiKeyScope.READ_WRITE, None)
        db.session.commit()
        return {"a": center_a.id, "b": center_b.id, "token_a": token_a, "token_b": token_b, "job": job.id}


def _api_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(API_BLUEPRINTS)]


def _section(rule: Rule) -> str | None:
    return next((s for s in A_ONLY if rule.rule.startswith(f"/api/v1/{s}")), None)


def _url(rule: Rule, world: dict[str, Any]) -> str:
    section = _section(rule)
    url = (rule.rule.replace("<code>", A_ONLY[section or "participants"]["id"])
           .replace("<int(max=2147483647):build_id>", str(world["job"]))
           .replace("<int(max=2147483647):number>", "2"))
    assert "<" not in url, f"{rule.rule}: add its parameter to this test"
    return url + ("?a=2&b=2" if rule.endpoint.endswith(".compare") else "?version=2")


def test_a_key_of_one_center_can_neither_read_nor_change_another(app: Flask) -> None:
    world = _centers(app)
    client = app.test_client()
    a_headers = {"Authorization": f"Bearer {world['token_a']}"}
    etags = {section: client.get(f"/api/v1/{section}/{item['id']}", headers=a_headers).headers["ETag"]
             for section, item in A_ONLY.items()}
    # The test can fail: A's own key reads every one of these items.
    assert all(etags.values())

    def only_a(_table: str, _row: dict[str, Any], center: int | None) -> bool:
        return center == world["a"]

    rules = _api_rules(app)
    assert len(rules) >= 20
    for rule in rules:
        section = _section(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            target = _url(rule, world)
            body: Any = dict(A_ONLY[section or "participants"])
            if rule.endpoint.endswith(("_bulk", "_collection")):
                # Creating is B's own business; a new id keeps A's ids unknown to B for the next requests.
                body |= {"id": f"b-new-{section}"} | {k: "" for k in ("email",) if k in body} | (
                    {"name": "Made by B"} if "name" in body else {})
                body = {"items": [body]} if rule.endpoint.endswith("_bulk") else body
            headers = {"Authorization": f"Bearer {world['token_b']}", "If-Match": etags[section or "participants"]}
            with app.app_context():
                before = rows.snapshot(only_a)
            response = client.open(target, method=method, json=body, headers=headers)
            text = response.get_data(as_text=True)
            with app.app_context():
                changed = rows.differences(before, rows.snapshot(only_a))
            assert response.status_code < 500, (method, target, response.status_code, text)
            assert not changed, f"B's key changed A's rows with {method} {target}: {changed}"
            shown = [word for word in A_WORDS if word in text]
            assert not shown, f"B's key was shown {shown} by {method} {target}"
            names_an_item = any(p in rule.rule for p in ("<code>", "build_id", "number")) or rule.endpoint.endswith(
                ".compare")
            if names_an_item and not rule.endpoint.endswith("_bulk"):
                assert response.status_code == 404, (method, target, response.status_code, text)
    with app.app_context():
        jobs = list(db.session.scalars(select(SolveJob).where(SolveJob.center_id == world["b"])))
        assert len(jobs) <= 1  # B's key may start B's own build, nothing else
