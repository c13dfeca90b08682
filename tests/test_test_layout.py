"""Test modules do not import each other: shared helpers live in non-test modules (tests/support/,
tests/rows.py, tests/conftest.py), so running one test file never runs, or depends on, another."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_test_modules(path: Path) -> set[str]:
    """The test modules (``tests.test_x``, ``tests.browser.test_x``) that ``path`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = ([f"{node.module}.{alias.name}" for alias in node.names]
                     if node.module in ("tests", "tests.browser") else [node.module])
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {name for name in names if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")}
    return found


def test_no_test_module_imports_another() -> None:
    found = sorted((str(path.relative_to(TESTS)), module) for path in TESTS.rglob("*.py")
                   for module in imported_test_modules(path))
    assert found == [], f"put shared helpers in tests/support/ instead of importing a test module: {found}"


def test_the_check_sees_each_form_of_import(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text("from tests.test_swaps import make_term\nimport tests.test_feeds_web\n"
                      "from tests import test_access_matrix\nfrom tests.support.swaps_term import SCENARIO\n")
    assert imported_test_modules(module) == {"tests.test_swaps", "tests.test_feeds_web", "tests.test_access_matrix"}
