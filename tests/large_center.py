"""The 600-participant example scenario as a center with two versions, made by the solver's greedy
start (a fraction of a second each) instead of a full build: these tests are about the pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.services import versions
from solver import read_scenario_file
from solver.greedy import POLICIES, greedy_with_policy
from tests.conftest import scenario_path, sign_in


def add_versions(app: Flask, center_id: int, policies: tuple[int, ...] = (0, 1), publish_first: bool = True) -> None:
    """Version n is the greedy schedule of policy n-1; people it leaves out are listed with a reason."""
    scenario = read_scenario_file(scenario_path("large"))
    with app.app_context():
        for number, policy in enumerate(policies, start=1):
            made = greedy_with_policy(scenario, POLICIES[policy])
            assert made is not None
            data = made.to_dict()
            placed = {m for g in data["groups"] for m in g["members"]}
            data["unassigned"] = [{"participant": p.id, "reason": "no group they want had a free seat at their times"}
                                  for p in scenario.participants if p.id not in placed]
            row = ScheduleVersion(center_id=center_id, number=number, solver_status="FEASIBLE",
                                  objective=60_000 + number, bound=66_000, scenario=scenario.to_dict(),
                                  schedule=data)
            db.session.add(row)
            db.session.flush()
            if number == 1 and publish_first:
                versions.publish(row, None)
        db.session.commit()


@pytest.fixture
def large(client: FlaskClient, app: Flask, make_center: Callable[..., int],
          make_coordinator: Callable[..., None]) -> int:
    """The large center, ana@example.org signed in as its coordinator, version 1 published, 2 a draft."""
    center_id = make_center("Large", "large")
    make_coordinator("ana@example.org", "Large")
    sign_in(client, "ana@example.org")
    add_versions(app, center_id)
    return center_id
