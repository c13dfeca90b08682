"""Two schedules of the small example scenario, written by hand: version 1 leaves p4 out, version 2
moves the group and seats everyone."""

from __future__ import annotations

from typing import Any


def schedule(groups: list[dict[str, Any]], unassigned: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"format": "sociotherapy-schedule/1", "status": "FEASIBLE", "objective": 100, "bound": 120,
            "wall_s": 1.0, "groups": groups, "unassigned": unassigned or []}


def group(gid: str, slots: list[str], room: str, facilitators: list[str], members: list[str]) -> dict[str, Any]:
    return {"id": gid, "activity": gid.split("-")[0], "sessions": slots, "room": room,
            "facilitators": facilitators, "members": members}


V1 = schedule([group("act1-1", ["MO-0900"], "room1", ["fac1"], ["p1", "p2", "p3"])],
              [{"participant": "p4", "reason": "wants only Community choir; its one group is full"}])
V2 = schedule([group("act1-1", ["TU-0900"], "room1", ["fac1"], ["p1", "p2", "p4"]),
               group("act1-2", ["WE-0900"], "room2", ["fac1"], ["p3"])])
