"""The hard rules of the spec, one family per module, applied in this order by ``solver.model.build``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solver.model import Built
from solver.rules import facilitators, groups, members, pairs, pins, rooms

Rule = Callable[[Built, Any], None]

RULES: list[Rule] = [groups.add, facilitators.add, rooms.add, members.add, pairs.add, pins.add]
