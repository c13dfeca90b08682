"""A plain term for expanding meetings: "North", 11 January to 5 April 2027 with one holiday (24
February), and one group meeting on Mondays at 09:00 and Wednesdays at 17:00."""

from __future__ import annotations

import datetime as dt

from solver.scenario import Center, Scenario, Slot
from solver.schedule import Group, Schedule

SCENARIO = Scenario(
    center=Center("North", "Europe/Madrid", dt.date(2027, 1, 11), dt.date(2027, 4, 5), (dt.date(2027, 2, 24),)),
    slots=(Slot("MO-0900", 0, 9 * 60, 10 * 60 + 30), Slot("WE-1700", 2, 17 * 60, 18 * 60 + 30)),
    rooms=(), activities=(), facilitators=(), participants=(),
)
SCHEDULE = Schedule("FEASIBLE", groups=(Group("g1", "choir", ("MO-0900", "WE-1700"), "r1", ("f1",), ("p1", "p2")),))
