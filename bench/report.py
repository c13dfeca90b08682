"""BENCHMARKS.md is shared: each benchmark owns the text between its two markers and leaves the rest."""

from __future__ import annotations

from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def write_section(start: str, end: str, section: str, path: Path = PATH) -> None:
    """Replace the text from ``start`` to ``end`` (both included in ``section``), or append it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
