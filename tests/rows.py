"""Every row of every table, to compare before and after a request: a refused request must change
nothing, not merely add or remove no rows (an UPDATE keeps the counts and is caught only here).

Each row is kept as its full text, so a failure names the table and the rows that changed. Each row
also knows its center (its own ``center_id``, or its parent's through a foreign key: an availability
row belongs to its participant's center), so a test can watch one center while another changes."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from scheduler.extensions import db

Rows = dict[str, frozenset[str]]
# (table name, row as a dict, the row's center id or None) -> whether the row is compared
Keep = Callable[[str, dict[str, Any], int | None], bool]


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)  # SQLite hands them back naive
    return repr(value)


def snapshot(keep: Keep | None = None) -> Rows:
    """The rows of every table (those ``keep`` accepts), read in the current app context."""
    centers: dict[str, dict[Any, int | None]] = {}  # table -> primary key -> center id
    found: Rows = {}
    db.session.expire_all()  # read the database, not what this session remembers
    for table in db.metadata.sorted_tables:  # parents before children
        key = list(table.primary_key.columns)
        parents = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys
                   if fk.column.table.name in centers and fk.column.table.name != table.name]
        owners: dict[Any, int | None] = {}
        texts = []
        for row in db.session.execute(select(table)).mappings():
            values = dict(row)
            if "center_id" in values:
                center = values["center_id"]
            elif table.name == "centers":
                center = values["id"]
            else:
                center = next((centers[parent].get(values[column]) for column, parent in parents
                               if values[column] is not None and centers[parent].get(values[column]) is not None),
                              None)
            if len(key) == 1:
                owners[values[key[0].name]] = center
            if keep is None or keep(table.name, values, center):
                texts.append(" | ".join(f"{name}={_text(value)}" for name, value in sorted(values.items())))
        centers[table.name] = owners
        found[table.name] = frozenset(texts)
    return found


def differences(before: Rows, after: Rows) -> dict[str, dict[str, list[str]]]:
    """Per table that changed: the rows that went and the rows that came (an UPDATE is one of each)."""
    changed = {}
    for table in sorted(before.keys() | after.keys()):
        was, now = before.get(table, frozenset()), after.get(table, frozenset())
        if was != now:
            changed[table] = {"gone": sorted(was - now), "new": sorted(now - was)}
    return changed


def of_center(center_id: int) -> Keep:
    """Only the rows of one center, and the rows of no center (accounts)."""
    return lambda _table, _row, center: center is None or center == center_id
