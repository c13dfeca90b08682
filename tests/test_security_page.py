"""docs/security.md names the tests that prove each claim, and the files and settings it speaks of:
they must exist, so the page cannot quietly go stale when a test or a setting is renamed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "security.md"


def _quoted() -> list[str]:
    return re.findall(r"`([^`]+)`", PAGE.read_text(encoding="utf-8"))


def _source(*folders: str) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for folder in folders for path in (ROOT / folder).rglob("*.py"))


def test_every_test_the_page_names_exists() -> None:
    defined = set(re.findall(r"^def (test_\w+)", _source("tests"), flags=re.MULTILINE))
    named = {name for name in _quoted() if re.fullmatch(r"test_\w+", name)}
    assert named, "the page names no test"
    assert named <= defined, f"named on docs/security.md but not in tests/: {sorted(named - defined)}"


def test_every_file_and_name_the_page_mentions_exists() -> None:
    code = (_source("scheduler", "tests") + (ROOT / ".ci" / "run").read_text(encoding="utf-8")).lower()
    missing = []
    for quoted in _quoted():
        if re.fullmatch(r"test_\w+", quoted) or quoted.startswith(("instance/", "/")) or " " in quoted:
            continue
        if re.fullmatch(r"[\w./-]+\.(py|md|txt|in)|\.ci/run|[\w/]+/", quoted):
            if not any((base / quoted).exists() for base in (ROOT, ROOT / "scheduler")):
                missing.append(quoted)
        elif re.fullmatch(r"[A-Za-z_]\w*", quoted) and quoted.lower() not in code:  # HttpOnly is httponly=
            missing.append(quoted)
    assert not missing, f"docs/security.md mentions what does not exist: {missing}"
