"""A clone of the repository, with nothing beside it, has everything its tests, benchmark and docs
refer to: no file points outside it (a sibling folder, or an absolute path of some build machine)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the repository is read from: code, tests, benchmark, docs, templates, scripts and top-level files.
FOLDERS = ("scheduler", "solver", "tests", "bench", "docs", "templates", "static", "bin", ".ci")
TOP_FILES = ("README.md", "BENCHMARKS.md", "Makefile", "pyproject.toml", "babel.cfg", "package.json",
             "requirements.in", "requirements.txt")
SKIP_SUFFIXES = {".png", ".jpg", ".ico", ".woff", ".woff2", ".mo", ".pyc", ".db"}
# Written in two halves so this file does not match itself.
OUTSIDE = re.compile(r"\.\./" "shared|/" "work/")


def repository_text_files() -> list[Path]:
    files = [ROOT / name for name in TOP_FILES if (ROOT / name).exists()]
    for folder in FOLDERS:
        files += [p for p in (ROOT / folder).rglob("*")
                  if p.is_file() and p.suffix not in SKIP_SUFFIXES and "__pycache__" not in p.parts]
    return files


def test_no_file_points_outside_the_repository() -> None:
    offenders = []
    for path in repository_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                      for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []


def test_the_checker_would_see_a_path_outside() -> None:
    # The pattern above must catch the forms that were once in this repository.
    assert OUTSIDE.search("see ../" "shared/spec/feeds.md")
    assert OUTSIDE.search('Path("/' 'work/shared/scenarios")')


def test_the_example_scenarios_are_in_the_repository() -> None:
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.json"))
    assert names == ["large", "medium", "medium-ifneeded", "planted", "small", "xl"]
    for name in names:
        data = json.loads((ROOT / "scenarios" / f"{name}.json").read_text(encoding="utf-8"))
        assert data["format"] == "sociotherapy-scenario/1"


def test_the_docs_the_readme_links_to_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs|scenarios)/[^)#]+)", readme)
    assert {"docs/scenario-format.md", "docs/feeds.md", "docs/architecture.md"} <= set(links)
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == [], missing
