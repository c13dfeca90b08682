"""The schedule: the solver's answer in the interchange format (``sociotherapy-schedule/1``).

A group keeps one room and the same facilitators for all its weekly sessions. ``score_terms``
is our extension to the format: the named parts of the objective, so the app can say why a
schedule looks the way it does. Readers that do not know it ignore it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from solver.scenario import Problem, ScenarioError

FORMAT = "sociotherapy-schedule/1"
STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")


@dataclass(frozen=True)
class Group:
    id: str
    activity: str
    sessions: tuple[str, ...]  # slot ids
    room: str
    facilitators: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Unassigned:
    participant: str
    reason: str


@dataclass(frozen=True)
class Schedule:
    status: str
    groups: tuple[Group, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    objective: int | None = None
    bound: int | None = None
    wall_s: float | None = None
    explanation: tuple[str, ...] = ()
    score_terms: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT, "status": self.status, "objective": self.objective,
                                "bound": self.bound, "wall_s": self.wall_s}
        data["groups"] = [
            {"id": g.id, "activity": g.activity, "sessions": list(g.sessions), "room": g.room,
             "facilitators": list(g.facilitators), "members": list(g.members)}
            for g in self.groups
        ]
        data["unassigned"] = [{"participant": u.participant, "reason": u.reason} for u in self.unassigned]
        if self.explanation:
            data["explanation"] = list(self.explanation)
        if self.score_terms:
            data["score_terms"] = dict(self.score_terms)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def load_schedule(data: Any) -> Schedule:
    """Check the shape of a schedule document and build it (raises ScenarioError listing every problem).

    Only the structure is checked here; whether the schedule obeys the hard rules of a scenario is
    the independent checker's job (``solver.check``).
    """
    problems: list[Problem] = []

    def bad(path: str, message: str) -> None:
        problems.append(Problem(path, message))

    if not isinstance(data, dict):
        raise ScenarioError([Problem("schedule", "must be an object")])
    if data.get("format") != FORMAT:
        bad("format", f'must be "{FORMAT}", not {json.dumps(data.get("format"))}')
    if data.get("status") not in STATUSES:
        bad("status", f"must be one of {', '.join(STATUSES)}, not {json.dumps(data.get('status'))}")
    for key in ("objective", "bound"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            bad(key, "must be a whole number or null")
    groups: list[Group] = []
    raw_groups = data.get("groups", [])
    if not isinstance(raw_groups, list):
        bad("groups", "must be a list")
        raw_groups = []
    for i, g in enumerate(raw_groups):
        path = f"groups[{i}]"
        if not isinstance(g, dict):
            bad(path, "must be an object")
            continue
        ok = True
        for key in ("id", "activity", "room"):
            if not isinstance(g.get(key), str):
                bad(f"{path}.{key}", "must be a text")
                ok = False
        for key in ("sessions", "facilitators", "members"):
            value = g.get(key)
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                bad(f"{path}.{key}", "must be a list of ids")
                ok = False
        if ok:
            groups.append(Group(g["id"], g["activity"], tuple(g["sessions"]), g["room"],
                                tuple(g["facilitators"]), tuple(g["members"])))
    unassigned: list[Unassigned] = []
    for i, u in enumerate(data.get("unassigned", []) or []):
        if not isinstance(u, dict) or not isinstance(u.get("participant"), str):
            bad(f"unassigned[{i}]", "must be an object with a participant id")
            continue
        unassigned.append(Unassigned(u["participant"], str(u.get("reason", ""))))
    if problems:
        raise ScenarioError(problems)
    return Schedule(
        status=data["status"], groups=tuple(groups), unassigned=tuple(unassigned),
        objective=data.get("objective"), bound=data.get("bound"), wall_s=data.get("wall_s"),
        explanation=tuple(data.get("explanation", ()) or ()),
        score_terms=dict(data.get("score_terms", {}) or {}),
    )
