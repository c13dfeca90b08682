"""Builders for tiny scenarios, and the independent check every solver test runs on its result."""

from __future__ import annotations

import copy
from typing import Any

from solver.scenario import Scenario, load_scenario
from solver.schedule import Schedule

BASE: dict[str, Any] = {
    "format": "sociotherapy-scenario/1",
    "center": {"name": "Test", "timezone": "Europe/Madrid", "term_start": "2026-01-05",
               "term_end": "2026-03-27", "holidays": []},
    "slots": [{"id": "MO", "day": "MO", "start": "10:00", "end": "11:30"},
              {"id": "TU", "day": "TU", "start": "10:00", "end": "11:30"},
              {"id": "WE", "day": "WE", "start": "10:00", "end": "11:30"}],
    "rooms": [{"id": "r1", "name": "Room 1", "capacity": 10, "features": []}],
    "activities": [{"id": "a1", "name": "Art", "sessions_per_week": 1, "min_size": 1, "max_size": 5,
                    "max_groups": 1, "required_skills": [], "facilitators_per_group": 1, "room_features": []}],
    "facilitators": [{"id": "f1", "name": "Fay", "email": "f1@example.org", "skills": [],
                      "available": ["MO", "TU", "WE"], "max_sessions_per_week": 5}],
    "participants": [],
    "keep_apart": [], "keep_together": [],
}


def person(pid: str, prefs: list[str], available: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "name": pid.upper(), "email": f"{pid}@example.org",
            "available": available if available is not None else ["MO", "TU", "WE"],
            "preferences": prefs, "max_groups": extra.pop("max_groups", 1), "needs": extra.pop("needs", []), **extra}


def activities(n: int, **fields: Any) -> list[dict[str, Any]]:
    """``n`` activities a1..an like BASE's, with ``fields`` changed in each."""
    return [{**BASE["activities"][0], "id": f"a{i}", "name": f"A{i}", **fields} for i in range(1, n + 1)]


def rooms(n: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "name": f"Room {i}", "capacity": 10, "features": []} for i in range(1, n + 1)]


def facilitators(n: int) -> list[dict[str, Any]]:
    """``n`` facilitators free at every slot of BASE."""
    return [{**BASE["facilitators"][0], "id": f"f{i}", "name": f"F{i}", "email": f"f{i}@example.org"}
            for i in range(1, n + 1)]


def scenario(**changes: Any) -> Scenario:
    """BASE with top-level keys replaced; ``activity``/``facilitator``/``room`` patch the first item."""
    data = copy.deepcopy(BASE)
    for key in ("activity", "facilitator", "room"):
        if key in changes:
            plural = {"activity": "activities", "facilitator": "facilitators", "room": "rooms"}[key]
            data[plural][0].update(changes.pop(key))
    data.update(changes)
    return load_scenario(data)


def assert_valid(sc: Scenario, schedule: Schedule) -> None:
    """Run the independent checker on a result."""
    from solver.check import check_schedule

    report = check_schedule(sc, schedule)
    assert report.violations == [], report.violations
    if schedule.objective is not None:
        assert report.score == schedule.objective
