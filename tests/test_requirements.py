"""requirements.in names every package the app's code imports (or a package that requires it, as Flask
requires Werkzeug), pinned as requirements.txt pins it: re-pinning from requirements.in cannot drop a
package the code needs."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normalise(name.split("[", 1)[0])] = version.strip()
    return pins


def _imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for package in ("scheduler", "solver"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"scheduler", "solver", "__future__"}


def _with_what_they_require(names: set[str]) -> set[str]:
    closed, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in closed:
            continue
        closed.add(name)
        try:
            needed = requires(name) or []
        except PackageNotFoundError:  # a marker-guarded requirement for another Python version
            continue
        for requirement in needed:
            if "extra ==" not in requirement:
                todo.append(_normalise(re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0]))
    return closed


def test_every_imported_package_is_a_direct_dependency_pinned_like_requirements_txt() -> None:
    direct, pinned = _pins(ROOT / "requirements.in"), _pins(ROOT / "requirements.txt")
    distributions, covered = packages_distributions(), _with_what_they_require(set(direct))
    missing = sorted(f"{module} ({', '.join(distributions.get(module, ['?']))})"
                     for module in _imported_top_level_modules()
                     if not any(_normalise(d) in covered for d in distributions.get(module, [module])))
    assert not missing, f"imported by the app but not in requirements.in: {missing}"
    different = {name: (version, pinned.get(name)) for name, version in direct.items() if pinned.get(name) != version}
    assert not different, f"requirements.in and requirements.txt disagree (in, txt): {different}"
