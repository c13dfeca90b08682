"""Pure scheduling library: the interchange format, the CP-SAT model and an independent checker.

This package never imports Flask, SQLAlchemy or icalendar (an architecture test keeps it so);
the web app turns its rows into a :class:`Scenario` and a :class:`Schedule` back into rows.
"""

from solver.objective import Weights
from solver.scenario import (
    MAX_SCENARIO_BYTES,
    Activity,
    Center,
    Facilitator,
    Participant,
    Problem,
    Room,
    Scenario,
    ScenarioError,
    Slot,
    load_scenario,
    parse_scenario_bytes,
    read_scenario_file,
    validate_scenario,
)
from solver.schedule import Group, Schedule, Unassigned
from solver.search import Progress
from solver.solve import Pins, SolveParams, solve
from solver.stability import Stability

__all__ = [
    "MAX_SCENARIO_BYTES",
    "Activity",
    "Center",
    "Facilitator",
    "Group",
    "Participant",
    "Pins",
    "Problem",
    "Progress",
    "Room",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "Slot",
    "SolveParams",
    "Stability",
    "Unassigned",
    "Weights",
    "load_scenario",
    "parse_scenario_bytes",
    "read_scenario_file",
    "solve",
    "validate_scenario",
]
