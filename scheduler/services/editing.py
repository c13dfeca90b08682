"""Helpers for pages that edit planning data as interchange dicts. The writing itself is the
gateway's (``scheduler.services.planning``): this module only adapts to it, so there is one writer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scheduler.models import Center
from scheduler.services.planning import EditResult, read_center
from scheduler.services.planning import apply_change as _apply_change
from scheduler.services.planning.edits import PAIR_KINDS, split_problems

Scenario = dict[str, Any]
SECTIONS = ("slots", "rooms", "activities", "facilitators", "participants")
PAIR_SECTIONS = PAIR_KINDS

__all__ = ["EditResult", "apply_change", "consequences", "current_scenario", "find_index", "put_item",
           "split_problems"]


def current_scenario(center: Center) -> Scenario:
    """The center's planning data as its export dict (for display)."""
    return read_center(center).to_dict()


def apply_change(center: Center, change: Callable[[Scenario], str], *, before: Scenario | None = None) -> EditResult:
    """Apply a change to the interchange dict through the gateway. ``before`` is accepted for the
    callers that read the dict first; the gateway reads the rows itself, so a change is applied to
    what is stored now."""
    return _apply_change(center, change)


def find_index(data: Scenario, section: str, item_id: str) -> int | None:
    for i, item in enumerate(data[section]):
        if item.get("id") == item_id:
            return i
    return None


def put_item(section: str, index: int | None, item: dict[str, Any]) -> Callable[[Scenario], str]:
    """Replace ``section[index]`` with ``item`` (or append it when index is None)."""
    def change(data: Scenario) -> str:
        if index is None:
            data[section].append(item)
            return f"{section}[{len(data[section]) - 1}]"
        data[section][index] = item
        return f"{section}[{index}]"
    return change


@dataclass
class Consequences:
    """What goes with a deleted item, in numbers a coordinator can weigh."""

    participants: int = 0
    facilitators: int = 0
    pairs: int = 0


def consequences(data: Scenario, section: str, item_id: str) -> Consequences:
    found = Consequences()
    if section == "slots":
        for people in ("participants", "facilitators"):
            count = sum(1 for p in data[people] if item_id in p.get("available", []) + p.get("if_needed", []))
            setattr(found, people, count)
    elif section == "activities":
        found.participants = sum(1 for p in data["participants"] if item_id in p.get("preferences", []))
    elif section == "participants":
        found.pairs = sum(1 for k in PAIR_SECTIONS for pair in data.get(k, []) if item_id in pair)
    return found
