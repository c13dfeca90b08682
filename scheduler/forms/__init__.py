"""WTForms classes for the coordinator's editing pages.

Forms only parse (is it a whole number, is it a date); every rule about the planning data comes
from ``solver.scenario.validate_scenario`` through ``scheduler.services.editing``. Each form's
field names are the scenario's JSON keys, so a problem at ``activities[3].min_size`` lands on
the ``min_size`` field without a lookup table.
"""
