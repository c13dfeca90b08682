"""Command line: ``python -m solver solve SCENARIO.json -o SCHEDULE.json`` and ``python -m solver check``.

Exit codes: 0 success (check: valid), 1 check found violations (solve: no schedule), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from solver.scenario import ScenarioError, read_scenario_file
from solver.schedule import load_schedule


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_solve(args: argparse.Namespace) -> int:
    from solver.search import Progress
    from solver.solve import SolveParams, solve

    try:
        scenario = read_scenario_file(args.scenario)
    except (OSError, ScenarioError, ValueError) as exc:
        return _fail(f"cannot read scenario {args.scenario}:\n{exc}")

    def show(p: Progress) -> None:
        gap = (p.bound - p.objective) / max(1, abs(p.bound)) * 100
        print(f"\r{p.elapsed_s:7.1f}s  score {p.objective:>8}  bound {p.bound:>8}  gap {gap:5.1f}%  "
              f"covered {p.covered}", end="", file=sys.stderr, flush=True)

    params = SolveParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    schedule = solve(scenario, params, on_progress=show)
    print(file=sys.stderr)
    Path(args.output).write_text(schedule.to_json() + "\n", encoding="utf-8")
    print(f"{schedule.status}: score {schedule.objective}, bound {schedule.bound}, "
          f"{len(schedule.groups)} groups, {len(schedule.unassigned)} unassigned -> {args.output}")
    for line in schedule.explanation:
        print(f"  {line}")
    return 0 if schedule.status in ("OPTIMAL", "FEASIBLE") else 1


def cmd_check(args: argparse.Namespace) -> int:
    try:
        from solver.check import check_schedule
    except ImportError:
        return _fail("the checker (solver/check.py) is not installed")
    try:
        scenario = read_scenario_file(args.scenario)
    except (OSError, ScenarioError, ValueError) as exc:
        return _fail(f"cannot read scenario {args.scenario}:\n{exc}")
    try:
        schedule = load_schedule(json.loads(Path(args.schedule).read_text(encoding="utf-8")))
    except (OSError, ScenarioError, ValueError) as exc:
        return _fail(f"cannot read schedule {args.schedule}:\n{exc}")
    report = check_schedule(scenario, schedule)
    for v in report.violations:
        print(f"violation: {v}")
    terms = ", ".join(f"{k} {v}" for k, v in report.terms.items())
    print(f"{'valid' if report.ok else f'{len(report.violations)} violation(s)'}; score {report.score} ({terms})")
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solver")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve a scenario and write the schedule")
    s.add_argument("scenario")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--time-limit", type=float, default=60.0)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(run=cmd_solve)
    c = sub.add_parser("check", help="check a schedule against every hard rule and print its score")
    c.add_argument("scenario")
    c.add_argument("schedule")
    c.set_defaults(run=cmd_check)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
