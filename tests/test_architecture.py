"""The solver is a pure library: it never pulls in the web stack, and never imports the app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SOLVER = Path(__file__).resolve().parents[1] / "solver"


def test_importing_solver_pulls_in_no_web_or_database_package() -> None:
    code = (
        "import sys, solver, solver.scenario, solver.schedule\n"
        "import importlib, pkgutil\n"
        "for info in pkgutil.walk_packages(solver.__path__, 'solver.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'icalendar', 'scheduler'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=SOLVER.parent)
    assert result.stdout.strip() == ""


def test_no_solver_file_imports_the_app() -> None:
    offenders = []
    for path in SOLVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names
                          if name.split(".")[0] in {"scheduler", "flask", "sqlalchemy", "icalendar"}]
    assert offenders == []


VIEWS = SOLVER.parent / "scheduler" / "views"


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_view_imports_the_solver() -> None:
    # Views reach planning data through the gateway (scheduler.services.planning), typed there.
    offenders = [f"{path.relative_to(VIEWS)}: {name}" for path in VIEWS.rglob("*.py")
                 for name in _imported_modules(path) if name.split(".")[0] == "solver"]
    assert offenders == []


def test_the_view_check_sees_an_import_of_the_solver(tmp_path: Path) -> None:
    module = tmp_path / "view.py"
    module.write_text("from solver import scenario as sc\nimport solver.check\n")
    assert _imported_modules(module) == ["solver", "solver.check"]
