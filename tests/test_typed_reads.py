"""Services and views read published versions and the live center through typed objects
(``services.versions.version_data`` -> ``VersionData``, ``services.planning.read_center`` -> the
solver's ``Scenario``), never by raw dict keys. A raw read is a key lookup, ``.get``, ``.items`` and
the like, or a ``dict``/``deepcopy`` of a ``.scenario`` / ``.schedule`` attribute (a version's or a
build's stored JSON), or of ``current_scenario(...)``.

The places below keep raw reads on purpose: where the stored JSON is the interchange format itself
(a build's input and output, the API's schedule document, erasure rewriting what is stored), or
code that adapts the JSON into the typed objects. Each entry names the function and how many raw
reads it has; a new raw read elsewhere, or one more in a listed function, fails here."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

SCHEDULER = Path(__file__).resolve().parents[1] / "scheduler"

SNAPSHOTS = {"scenario", "schedule"}
# Names the code gives typed objects: VersionData, review's views, and the solver's Suggestion (its
# scenario and schedule are the solver's own dataclasses with the suggested change applied).
TYPED_OWNERS = {"data", "view", "old_view", "new_view", "before", "after", "typed", "suggestion"}
# The typed objects' own classes: inside them, ``self.scenario`` is the solver's Scenario.
TYPED_CLASSES = {"VersionData", "VersionView"}
DICT_METHODS = {"get", "items", "keys", "values", "copy", "setdefault", "pop", "update"}

# "path under scheduler/::function" -> (raw reads, why they stay raw)
ALLOWED: dict[str, tuple[int, str]] = {
    # The typed adapters themselves.
    "services/versions.py::term_of": (1, "reads a version's center section alone, typed"),
    "services/versions.py::schedule_of": (1, "parses a version's schedule alone"),
    "services/versions.py::version_data": (1, "parses a version's snapshots into VersionData"),
    "services/versions.py::snapshot_digest": (1, "hashes a version's stored JSON as it is"),
    # The stored JSON is the interchange format itself.
    "services/privacy.py::erase_participant": (4, "erasure reads and rewrites the stored JSON itself"),
    "services/term_settings.py::_new_scenario": (1, "a new version's snapshot, written as interchange JSON"),
    "services/term_settings.py::apply_to_published": (1, "copies the schedule into the new version as stored"),
    "services/solving.py::job_progress": (1, "a build's input is its interchange JSON"),
    "services/solving.py::_Heartbeat.beat": (1, "the heartbeat's own typed Scenario, not a snapshot"),
    # The participants CSV is interchange too: its columns are the participants' fields as the export
    # writes them, and each row is merged into that participant's item before the gateway saves them.
    "services/participants_csv.py::import_participants_csv": (1, "CSV rows merge into the export's items"),
}


def _qualname(stack: list[ast.AST]) -> str:
    names = [n.name for n in stack if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    return ".".join(names) or "<module>"


def _typed_owner(name: str) -> bool:
    return name in TYPED_OWNERS or name.endswith(("_data", "_view"))


def _is_snapshot(node: ast.AST, typed_self: bool = False) -> bool:
    # The typed objects' own attributes (``data.scenario``, ``old_data.schedule``, ``view.schedule``,
    # ``version_data(v).scenario``, ``self.scenario`` inside VersionData) are not snapshots.
    if not (isinstance(node, ast.Attribute) and node.attr in SNAPSHOTS):
        return False
    owner = node.value
    if isinstance(owner, ast.Call):
        owner = owner.func
    if typed_self and isinstance(owner, ast.Name) and owner.id == "self":
        return False
    return not ((isinstance(owner, ast.Name) and _typed_owner(owner.id))
                or (isinstance(owner, ast.Attribute) and _typed_owner(owner.attr)))


def _is_raw_read(node: ast.AST, typed_self: bool = False) -> bool:
    if isinstance(node, ast.Subscript):
        return _is_snapshot(node.value, typed_self)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in DICT_METHODS and _is_snapshot(func.value, typed_self):
        return True
    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if called == "current_scenario":
        return True  # the live center as its export dict
    # A snapshot handed on whole (copied, or to a helper that keys into it) is read raw there.
    return any(_is_snapshot(arg, typed_self) for arg in node.args)


def raw_reads(source: str) -> Counter[str]:
    """How many raw reads each function of a module's source has."""
    found: Counter[str] = Counter()

    def visit(node: ast.AST, stack: list[ast.AST]) -> None:
        typed_self = any(isinstance(n, ast.ClassDef) and n.name in TYPED_CLASSES for n in stack)
        if _is_raw_read(node, typed_self):
            found[_qualname(stack)] += 1
        for child in ast.iter_child_nodes(node):
            visit(child, [*stack, node])

    visit(ast.parse(source), [])
    return found


def _all_raw_reads() -> Counter[str]:
    result: Counter[str] = Counter()
    for path in sorted(SCHEDULER.rglob("*.py")):
        relative = path.relative_to(SCHEDULER).as_posix()
        if relative.startswith("migrations/"):
            continue  # migrations rewrite stored JSON by design
        for function, count in raw_reads(path.read_text()).items():
            result[f"{relative}::{function}"] += count
    return result


def test_versions_and_the_live_center_are_read_typed() -> None:
    found = _all_raw_reads()
    new = {place: count for place, count in found.items() if count > ALLOWED.get(place, (0, ""))[0]}
    assert new == {}, ("raw dict reads of a version's or the center's planning data; read them through "
                       "versions.version_data(...) or planning.read_center(...)")


def test_the_allow_list_names_only_raw_reads_that_still_exist() -> None:
    found = _all_raw_reads()
    stale = {place: (count, found.get(place, 0)) for place, (count, _why) in ALLOWED.items()
             if found.get(place, 0) < count}
    assert stale == {}, "lower or remove these allow-list entries (allowed, found)"


def test_the_check_sees_each_kind_of_raw_read() -> None:
    source = '''
def report(version, center):
    a = version.scenario["center"]
    b = state.version.schedule.get("groups", [])
    c = current_scenario(center)["participants"]
    d = dict(version.schedule)
    e = copy.deepcopy(version.scenario)
    f = people_search.group_titles(version.scenario, version.schedule)
    g = old_version.scenario.get("slots")
    ok = [g.id for g in version_data(version).schedule.groups] + [p.id for p in data.scenario.participants]
    typed = old_data.schedule.groups + list(new_view.scenario.slots) + [version_data(version).scenario.center]
    return version.schedule


class VersionData:
    def title(self, group_id):
        return group_title(self.scenario, group_id, self.schedule.groups[0].activity)


class ScheduleVersion:
    def centre(self):
        return self.scenario["center"]
'''
    assert raw_reads(source) == Counter({"report": 7, "ScheduleVersion.centre": 1})
