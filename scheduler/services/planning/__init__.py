"""The one gateway to a center's planning data (the center's term, slots, rooms, activities,
facilitators, participants and pairs): the only code that writes it, and the typed way to read it.

Reading
    ``read_center(center) -> solver.Scenario``
        The center as the solver's typed scenario; ``.to_dict()`` is its export file.

Whole scenarios (upload, command line, demo, benchmark)
    ``create_center(scenario, name=None) -> Center``
        A new center holding the scenario.
    ``replace_scenario(center, scenario, *, confirmed_removals=False) -> list[Removal]``
        Sync a whole scenario into a center by stable codes; the center keeps its name. Re-importing
        its own export changes nothing; personal links, feed tokens, linked accounts, answers, pins
        and history survive; a changed name keeps the person. Raises ``RemovalsNeedConfirmation``
        (``.removals``: kind, code, name) when people would be removed and that was not confirmed.

Edit operations (forms, participants CSV, API). Each validates the whole center with
``solver.scenario`` and returns an ``EditResult``: ``.ok``; ``.field_problems`` (field name ->
messages), ``.other_problems`` (``Problem``: JSON path + message), ``.stale`` (what changed since the
item was read, in words; set when ``expected_version`` is no longer current) and ``.version`` (the
item's new version after a save). ``expected_version`` is an item's version as given by
``item_version`` (the API's ETag); forms may pass ``read_as`` instead, the normalised item they were
read at (``item_snapshot``), which also lets the refusal say what changed. None skips the check.
    ``item_version(center, section, code) -> str | None``
    ``save_item(center, section, code | None, fields, *, expected_version=None, read_as=None)``
        ``section``: "slots", "rooms", "activities", "facilitators", "participants"; ``code`` None adds
        (``fields`` then holds "id"); ``fields`` maps interchange keys to values.
    ``delete_item(center, section, code, *, expected_version=None, read_as=None)``
    ``save_settings(center, fields, *, expected_version=None, read_as=None)``
        ``fields``: name, timezone, term_start, term_end (YYYY-MM-DD), holidays (list of dates).
    ``save_availability(center, section, code, available, if_needed, *, expected_version=None, read_as=None)``
    ``save_preferences(center, code, wanted, *, expected_version=None, read_as=None)``
    ``add_pair(center, kind, first, second)``; ``save_pair(center, kind, index, new_kind, first, second, ...)``;
    ``delete_pair(center, kind, index, ...)``; ``kind``: "keep_apart" or "keep_together".
    ``save_participants(center, participants)``: the CSV import's whole list.

``single_line_problem(text, longest=200) -> str | None``: why a text cannot be a name or label (a
line break, a control character, too long); forms use it through ``forms.editing.SingleLine``.

Every write takes the center's lock before it reads (``planning.locking``), so a version check and
the write it allows are one step: of two saves at the same moment, the second waits for the first,
then reads what it wrote. Nothing here commits: the caller commits once (releasing the lock), or
rolls back when ``ok`` is false. Each entity's row <-> field mapping is declared once, in
``planning.mapping``.
"""

from __future__ import annotations

from scheduler.services.planning.edits import (
    EditResult,
    RemovalsNeedConfirmation,
    add_pair,
    apply_change,
    center_snapshot,
    delete_item,
    delete_pair,
    find_center,
    item_snapshot,
    item_version,
    pairs_snapshot,
    replace_scenario,
    save_availability,
    save_item,
    save_pair,
    save_participants,
    save_preferences,
    save_settings,
)
from scheduler.services.planning.reading import read_center
from scheduler.services.planning.sync import Removal, create_center, removed_people, sync_center
from scheduler.services.planning.versions import describe, fingerprint, normal
from solver.scenario import (
    DAYS,
    MAX_SCENARIO_BYTES,
    Problem,
    Scenario,
    ScenarioError,
    parse_scenario_bytes,
    single_line_problem,
)

__all__ = [
    "DAYS", "MAX_SCENARIO_BYTES", "EditResult", "Problem", "Removal", "RemovalsNeedConfirmation", "Scenario",
    "ScenarioError", "add_pair", "apply_change", "center_snapshot", "create_center", "delete_item", "delete_pair",
    "describe", "find_center", "fingerprint", "item_snapshot", "item_version", "normal", "pairs_snapshot",
    "parse_scenario_bytes", "read_center", "removed_people", "replace_scenario", "save_availability", "save_item",
    "save_pair", "save_participants", "save_preferences", "save_settings", "single_line_problem", "sync_center",
]
