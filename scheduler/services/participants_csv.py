"""Participants from a CSV file, all or nothing, checked by the scenario validator.

Each row adds a participant (or, when its id exists, replaces that participant's fields). The
rows are put into the center's scenario dict and validated there, so a CSV is held to exactly
the rules of a JSON upload; problems are reported by row and column instead of JSON path.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from scheduler.models import Center
from scheduler.services import audit, editing, languages, planning

# Columns, in the order the page documents them. Lists are separated by ";". page_language is not
# part of the scenario format: it is the participant's row's own field (the language of their page,
# emails and calendar), set once the rows are written.
CSV_COLUMNS = ("id", "name", "email", "max_groups", "preferences", "available", "if_needed", "needs", "languages",
               "page_language")
ROW_COLUMNS = ("page_language",)
REQUIRED = ("id", "name", "max_groups")
LIST_COLUMNS = ("preferences", "available", "if_needed", "needs", "languages")
_PATH = re.compile(r"^participants\[(\d+)\](?:\.(\w+))?")


@dataclass
class CsvOutcome:
    added: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


def _cells(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(";") if part.strip()]


def import_participants_csv(center: Center, raw: bytes) -> CsvOutcome:
    """Add or update the file's participants; on any problem write nothing and list them all."""
    outcome = CsvOutcome()
    try:
        text = raw.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
    except UnicodeDecodeError as exc:
        outcome.problems.append(_("the file is not UTF-8 text (byte %(n)d)", n=exc.start))
        return outcome
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        if missing:
            outcome.problems.append(_("row 1: missing column(s) %(names)s", names=", ".join(missing)))
        if unknown:
            outcome.problems.append(_("row 1: unknown column(s) %(names)s", names=", ".join(unknown)))
        return outcome
    reader.fieldnames = header

    data = editing.current_scenario(center)
    participants = data["participants"]
    row_of: dict[int, int] = {}  # participant index -> CSV row number (the header is row 1)
    seen: dict[str, int] = {}
    locales: dict[str, str | None] = {}  # id -> page_language, when the file has that column
    known = current_app.config["LANGUAGES"]
    added: set[str] = set()
    for number, row in enumerate(reader, start=2):
        if None in row:
            outcome.problems.append(_("row %(row)d: more cells than columns", row=number))
            continue
        item: dict[str, Any] = {}
        for column in header:
            value = (row.get(column) or "").strip()
            if column in LIST_COLUMNS:
                item[column] = _cells(value)
            elif column in ROW_COLUMNS:
                locale = value.lower()
                if locale and locale not in known:
                    outcome.problems.append(_('row %(row)d, column page_language: "%(value)s" is not one of %(codes)s '
                                              '(or empty)', row=number, value=value, codes=", ".join(known)))
                locales[(row.get("id") or "").strip()] = locale or None
            elif column == "max_groups":
                if not re.fullmatch(r"\d+", value):
                    outcome.problems.append(_('row %(row)d, column max_groups: must be a whole number, not "%(value)s"',
                                              row=number, value=value))
                    continue
                item[column] = int(value)
            else:
                item[column] = value
        item.setdefault("email", "")
        item.setdefault("available", [])
        item.setdefault("preferences", [])
        code = item["id"]
        if code in seen:
            outcome.problems.append(_('row %(row)d, column id: "%(id)s" is already used by row %(other)d',
                                      row=number, id=code, other=seen[code]))
            continue
        seen[code] = number
        index = editing.find_index(data, "participants", code)
        if index is None:
            if any("if_needed" in p for p in participants):
                item.setdefault("if_needed", [])
            participants.append(item)
            index = len(participants) - 1
            outcome.added += 1
            added.add(code)
        else:
            participants[index] = {**participants[index], **item}
            outcome.updated += 1
        row_of[index] = number
    if outcome.problems:
        return outcome
    if any("if_needed" in p for p in participants):
        for p in participants:
            p.setdefault("if_needed", [])

    result = planning.save_participants(center, participants)
    if result.ok:
        for code, chosen in locales.items():
            participant = languages.participant_by_code(center, code)
            if participant is not None and languages.set_participant_locale(participant, chosen) \
                    and code not in added:
                audit.record(center.id, audit.current_actor(), "person.changed", f"participant {code}", None,
                             {"fields": ["locale"]})
    for problem in result.other_problems:
        match = _PATH.match(problem.path)
        if match and int(match.group(1)) in row_of:
            column = match.group(2) or "id"
            outcome.problems.append(_("row %(row)d, column %(column)s: %(message)s",
                                      row=row_of[int(match.group(1))], column=column, message=problem.message))
        else:
            outcome.problems.append(str(problem))
    return outcome
