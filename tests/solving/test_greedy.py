"""The greedy start is a valid schedule on every shared scenario and on generated ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from solver import load_scenario, read_scenario_file
from solver.check import check_schedule
from solver.greedy import greedy_schedule
from solver.scenario import Scenario
from solver.schedule import Schedule, Unassigned
from tests.solving import strategies

SHARED = Path(__file__).resolve().parents[3] / "shared" / "scenarios"


def with_unassigned(sc: Scenario, schedule: Schedule) -> Schedule:
    placed = {p for g in schedule.groups for p in g.members}
    return replace(schedule, unassigned=tuple(Unassigned(p.id, "not placed by the greedy start")
                                              for p in sc.participants if p.id not in placed))


@pytest.mark.parametrize("name", ["small", "medium", "medium-ifneeded", "large", "xl", "planted"])
def test_the_greedy_start_is_valid_on_the_shared_scenarios(name: str) -> None:
    sc = read_scenario_file(SHARED / f"{name}.json")
    schedule = greedy_schedule(sc)
    assert schedule is not None
    report = check_schedule(sc, with_unassigned(sc, schedule))
    assert report.violations == []
    assert report.score > 0 and len(schedule.groups) > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.scenarios())
def test_the_greedy_start_is_valid_on_generated_scenarios(data: dict[str, Any]) -> None:
    sc = load_scenario(data)
    schedule = greedy_schedule(sc)
    if schedule is None:  # min_groups it could not honour: no start, never a wrong one
        assert any(a.min_groups for a in sc.activities)
        return
    assert check_schedule(sc, with_unassigned(sc, schedule)).violations == []
