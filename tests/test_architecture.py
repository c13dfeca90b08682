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
