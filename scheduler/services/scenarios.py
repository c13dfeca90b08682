"""Whole scenarios in and out of a center, for the callers that think in files (command line,
demo, benchmark, builds). Both directions are the gateway's (``scheduler.services.planning``);
validation itself lives in ``solver.scenario`` and is not repeated here.
"""

from __future__ import annotations

from scheduler.models import Center
from scheduler.services.planning import create_center, find_center, read_center, replace_scenario
from solver import scenario as sc

__all__ = ["CenterExistsError", "export_scenario", "find_center", "import_scenario"]


class CenterExistsError(ValueError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f'a center named "{name}" already exists')


def import_scenario(scenario: sc.Scenario, center_name: str | None = None, *, replace: bool = False) -> Center:
    """Create a center from ``scenario``, or with ``replace`` sync it into the existing center of
    that name (removing whoever the file leaves out: callers that must ask first use
    ``planning.replace_scenario``). Nothing is committed here."""
    name = center_name or scenario.center.name
    center = find_center(name)
    if center is None:
        return create_center(scenario, name)
    if not replace:
        raise CenterExistsError(name)
    replace_scenario(center, scenario, confirmed_removals=True)
    return center


def export_scenario(center: Center) -> sc.Scenario:
    """The center's planning data in the interchange format."""
    return read_center(center)
