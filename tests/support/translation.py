"""Reading pages the way their reader does, for the translation and plain-language checks: the text a
person sees or hears (text nodes and the attributes read aloud), what people typed in (read from every
row, so it can be left out of a language check), and numbers, dates, addresses and URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from sqlalchemy import Enum, select

from scheduler.extensions import db

SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp", "pre", "textarea"}
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
NUMBERS_AND_DATES = re.compile(
    r"\S+@\S+|https?://\S+|/\S*|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b|[-+]?\d+(?:[.,]\d+)*\s*%?")


class VisibleText(HTMLParser):
    """The text a person sees or hears on a page: text nodes outside scripts, styles and code, and the
    attributes read aloud or shown on hover."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button", "reset"} and values.get("value"):
            self.texts.append(values["value"] or "")
        if tag in SKIPPED_TAGS:
            self._skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skipping:
            self.texts.append(text)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


HOLE = "\0"


class DataWords:
    """What people typed in, read from every row: it is shown as typed, in whatever language."""

    def __init__(self, values: Iterable[str]) -> None:
        usable = sorted({v.strip() for v in values if v and v.strip()}, key=len, reverse=True)
        self.pattern = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in usable)) if usable else None

    def remove(self, text: str) -> str:
        return self.pattern.sub(HOLE, text) if self.pattern else text


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def data_words(app: Flask) -> DataWords:
    """Every string stored in the database, except the enumerations (statuses and kinds are the
    code's words, shown through translated labels) and messages the code wrote."""
    values: list[str] = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if not isinstance(c.type, Enum)
                       and f"{table.name}.{c.name}" not in {"solve_jobs.message", "outbox_messages.error"}]
            for row in db.session.execute(select(*columns)):
                values.extend(strings_in(list(row)))
    return DataWords(values)
