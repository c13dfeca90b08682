"""Fuzzing the scenario validator: whatever comes in, the answer is a Scenario or a ScenarioError
whose every problem is located by a path - never any other exception (an upload must not crash
the app, and the coordinator must be told where the problem is)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from solver.scenario import Scenario, ScenarioError, load_scenario, parse_scenario_bytes, validate_scenario
from tests.solving.strategies import scenarios

SMALL = Path(__file__).resolve().parents[2] / "scenarios" / "small.json"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JUNK: list[Any] = [None, True, False, 0, -1, 1.5, 10**30, -(10**30), float("inf"), float("nan"), "", " ", "x",
                   "MO", "09:00", "2027-02-30", "a@b", "x" * 10_000, [], [None], ["x", "x"], [1, 2], {}, {"id": "x"},
                   [[]], {"id": None}]


def small_scenario() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SMALL.read_text(encoding="utf-8"))
    return data


def nodes(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of the document, depth first."""
    found: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        for key in keys:
            found.append((node, key))
            stack.append(node[key])
    return found


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A document with one to four random mistakes: missing keys, wrong types, odd values,
    duplicated items (so duplicate ids), references to nothing."""
    doc: Any = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 4))):
        places = nodes(doc)
        if not places or draw(st.integers(0, 50)) == 0:
            doc = copy.deepcopy(draw(st.sampled_from(JUNK)))
            continue
        container, key = places[draw(st.integers(0, len(places) - 1))]
        value = container[key]
        op = draw(st.sampled_from(["delete", "junk", "junk", "duplicate", "dangle", "wrap"]))
        if op == "delete":
            del container[key]
        elif op == "junk":
            container[key] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif op == "duplicate" and isinstance(container, list):
            container.append(copy.deepcopy(value))
        elif op == "dangle" and isinstance(value, str):
            container[key] = value + "-gone"
        else:
            container[key] = [value] if draw(st.booleans()) else str(value)
    return doc


def assert_scenario_or_located_problems(doc: Any) -> None:
    try:
        result = load_scenario(doc)
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path and problem.message.strip(), problem
            assert str(problem).startswith(f"{problem.path}: "), str(problem)
    else:
        assert isinstance(result, Scenario)
        assert validate_scenario(doc) == []


def test_small_json_is_found_and_valid() -> None:
    assert isinstance(load_scenario(small_scenario()), Scenario)


@FUZZ
@given(mutated(scenarios()))
def test_mutated_generated_scenarios(doc: Any) -> None:
    assert_scenario_or_located_problems(doc)


@FUZZ
@given(mutated(st.just(small_scenario())))
def test_mutated_small_json(doc: Any) -> None:
    assert_scenario_or_located_problems(doc)


# Crashes the fuzzing above found in the validator (now fixed), kept as plain regression tests.
def test_a_null_center_is_a_located_problem() -> None:
    assert_scenario_or_located_problems({**small_scenario(), "center": None})


def test_an_empty_top_level_key_is_a_located_problem() -> None:
    assert_scenario_or_located_problems({**small_scenario(), "": None})


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a": ' * 100_000], ids=["deep list", "deep object"])
def test_deeply_nested_json_is_refused_with_a_problem(raw: bytes) -> None:
    assert_bytes_give_scenario_or_located_problems(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)


def assert_bytes_give_scenario_or_located_problems(raw: bytes) -> None:
    try:
        result = parse_scenario_bytes(raw)
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.path and str(p).startswith(f"{p.path}: ") for p in exc.problems), exc.problems
    else:
        assert isinstance(result, Scenario)


@FUZZ
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
@example(b"\xef\xbb\xbf{}")  # a byte-order mark
@example(b"")
def test_garbage_bytes(raw: bytes) -> None:
    assert_bytes_give_scenario_or_located_problems(raw)

