"""Scenario import and export on the command line: exact round trips, and bad input refused whole."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner

from tests.conftest import scenario_path

SHARED = ["small", "medium", "medium-ifneeded", "large", "planted", "xl"]


@pytest.mark.parametrize("name", SHARED)
def test_import_then_export_gives_the_same_scenario(runner: FlaskCliRunner, tmp_path: Path, name: str) -> None:
    source = scenario_path(name)
    original = json.loads(source.read_text())
    result = runner.invoke(args=["import-scenario", str(source)])
    assert result.exit_code == 0, result.output
    assert f'Imported "{original["center"]["name"]}"' in result.output

    out = tmp_path / "exported.json"
    result = runner.invoke(args=["export-scenario", original["center"]["name"], "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == original


def test_import_under_another_name_and_export_to_stdout(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import-scenario", str(scenario_path("small")), "--center", "Eastside"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["export-scenario", "Eastside", "-o", "-"])
    exported = json.loads(result.output)
    original = json.loads(scenario_path("small").read_text())
    assert exported["center"]["name"] == "Eastside"
    assert exported["participants"] == original["participants"]


def test_replace_swaps_the_planning_data_of_an_existing_center(runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert runner.invoke(args=["import-scenario", str(scenario_path("small")), "--center", "C"]).exit_code == 0
    result = runner.invoke(args=["import-scenario", str(scenario_path("medium")), "--center", "C", "--replace"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "c.json"
    runner.invoke(args=["export-scenario", "C", "-o", str(out)])
    exported = json.loads(out.read_text())
    medium = json.loads(scenario_path("medium").read_text())
    assert len(exported["participants"]) == len(medium["participants"]) == 300
    assert exported["activities"] == medium["activities"]


def test_export_of_unknown_center_names_it(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["export-scenario", "Nowhere", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert 'no center named "Nowhere"' in result.output
    assert not (tmp_path / "x.json").exists()


# --------------------------------------------------------------------------- bad input


def small() -> dict[str, Any]:
    return json.loads(scenario_path("small").read_text())


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _duplicate_participant(doc: dict[str, Any]) -> None:
    doc["participants"][5]["id"] = doc["participants"][4]["id"]


def _overlap(doc: dict[str, Any]) -> None:
    doc["slots"][1]["start"] = "10:00"  # slots[0] is MO 09:00-10:15


BAD_CASES = [
    ("wrong format tag", _set(["format"], "sociotherapy-scenario/9"),
     'format: must be "sociotherapy-scenario/1", not "sociotherapy-scenario/9"'),
    ("duplicate ids", _duplicate_participant, 'participants[5].id: "p5" is already used by participants[4]'),
    ("dangling slot", _set(["participants", 12, "available", 3], "XX-0900"),
     'participants[12].available[3]: unknown slot "XX-0900"'),
    ("dangling activity", _set(["participants", 0, "preferences", 0], "act99"),
     'participants[0].preferences[0]: unknown activity "act99"'),
    ("dangling pair", _set(["keep_apart", 0, 1], "p9999"), 'keep_apart[0][1]: unknown participant "p9999"'),
    ("overlapping slots", _overlap, 'slots[1]: "MO-1030" overlaps slot "MO-0900" (slots[0])'),
    ("min_size > max_size", _set(["activities", 0, "min_size"], 11),
     "activities[0].min_size: 11 is larger than max_size 10"),
    ("unknown time zone", _set(["center", "timezone"], "Europe/Atlantis"),
     'center.timezone: unknown time zone "Europe/Atlantis"'),
    ("term_end before term_start", _set(["center", "term_end"], "2027-01-01"),
     "center.term_end: 2027-01-01 is before term_start 2027-01-11"),
    ("holiday outside the term", _set(["center", "holidays"], ["2027-06-01"]),
     "center.holidays[0]: 2027-06-01 is outside the term (2027-01-11 to 2027-04-05)"),
    ("wrong type", _set(["rooms", 0, "capacity"], "twenty"), "rooms[0].capacity: must be a whole number, not a text"),
    ("missing field", lambda doc: doc["activities"][2].pop("max_groups"), "activities[2].max_groups: is missing"),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_bad_scenario_is_refused_with_its_path_and_nothing_is_written(
    runner: FlaskCliRunner, counts: Callable[[], dict[str, int]], tmp_path: Path,
    mutate: Callable[[dict[str, Any]], None], expected: str,
) -> None:
    assert runner.invoke(args=["import-scenario", str(scenario_path("small")), "--center", "Existing"]).exit_code == 0
    before = counts()
    doc = small()
    mutate(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = runner.invoke(args=["import-scenario", str(bad)])
    assert result.exit_code == 2
    assert expected in result.output
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    assert counts() == before


def test_every_problem_is_listed_at_once(runner: FlaskCliRunner, tmp_path: Path) -> None:
    # All cases but the format tag (checked first) and the reversed term (which makes "outside the
    # term" meaningless, so the holiday check stays quiet then).
    cases = [case for case in BAD_CASES if case[0] not in {"wrong format tag", "term_end before term_start"}]
    doc = small()
    for _name, mutate, _expected in cases:
        mutate(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = runner.invoke(args=["import-scenario", str(bad)])
    assert result.exit_code == 2
    assert f"{len(cases)} problem(s)" in result.output
    for name, _mutate, expected in cases:
        assert expected in result.output, name


def test_not_json_is_refused_with_its_position(runner: FlaskCliRunner, counts: Callable[[], dict[str, int]],
                                               tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "sociotherapy-scenario/1",\n "center": }')
    before = counts()
    result = runner.invoke(args=["import-scenario", str(bad)])
    assert result.exit_code == 2
    assert "file: not valid JSON: Expecting value at line 2, column 12" in result.output
    assert counts() == before


def test_oversize_file_is_refused_before_parsing(runner: FlaskCliRunner, counts: Callable[[], dict[str, int]],
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from solver import scenario as scenario_module

    def no_parsing(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("an oversize file must not be parsed")

    monkeypatch.setattr(scenario_module.json, "loads", no_parsing)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (scenario_module.MAX_SCENARIO_BYTES + 1))
    before = counts()
    result = runner.invoke(args=["import-scenario", str(big)])
    assert result.exit_code == 2
    assert "file: the file is 10.0 MiB (10485761 bytes); the limit is 10.0 MiB (10485760 bytes)" in result.output
    assert counts() == before


def test_missing_file_is_a_clear_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import-scenario", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output and "nope.json" in result.output


def test_existing_center_is_not_overwritten_without_replace(
    runner: FlaskCliRunner, counts: Callable[[], dict[str, int]]
) -> None:
    assert runner.invoke(args=["import-scenario", str(scenario_path("small"))]).exit_code == 0
    before = counts()
    result = runner.invoke(args=["import-scenario", str(scenario_path("small"))])
    assert result.exit_code == 2
    assert 'a center named "Synthetic center 101" already exists' in result.output
    assert counts() == before
