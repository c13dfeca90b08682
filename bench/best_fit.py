"""Best-fit benchmark: where a newcomer fits now, on large.json (600 participants) published.

Times the pure check (``solver.best_fit.best_fit``: today's groups, one newcomer) and the service
call behind the page (``scheduler.services.advice.best_fit.where_they_fit``: reading the published term,
the newcomer's answers and pairs, the check, the words) separately, for newcomers drawn from the
scenario with a seeded RNG (each taken out of their groups for the pure check, as if new).
Writes its section of BENCHMARKS.md between its markers.

    python -m bench.best_fit [--newcomers 20] [--runs 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.__main__ import SCENARIOS, machine
from bench.report import write_section

START, END = "<!-- best-fit-bench:start -->", "<!-- best-fit-bench:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--newcomers", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from scheduler import create_app
    from scheduler.extensions import db
    from scheduler.models import ScheduleVersion, VersionStatus
    from scheduler.services.advice import best_fit as service
    from scheduler.services.scenarios import import_scenario
    from solver import SolveParams, read_scenario_file, solve
    from solver.best_fit import best_fit

    work = Path(tempfile.mkdtemp(prefix="best-fit-bench-"))
    load = os.getloadavg()[0]
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
                          "SECRET_KEY": "best-fit-bench"}, instance_path=str(work / "instance"))
        with app.test_request_context():
            upgrade()
            scenario = read_scenario_file(SCENARIOS / "large.json")
            center = import_scenario(scenario, "Bench center")
            db.session.flush()
            schedule = solve(scenario, SolveParams(time_limit_s=15, workers=2, seed=0))
            db.session.add(ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                                           published_at=dt.datetime.now(dt.UTC), solver_status=schedule.status,
                                           objective=schedule.objective, bound=schedule.bound,
                                           scenario=scenario.to_dict(), schedule=schedule.to_dict()))
            db.session.commit()
            chosen = random.Random(args.seed).sample(list(scenario.participants), args.newcomers)
            pure: list[float] = []
            page: list[float] = []
            fits = 0
            rows = {p.code: p for p in center.participants}
            for person in chosen:
                # As if new: out of every group, the rest of the term as it is.
                without = dataclasses.replace(schedule, groups=tuple(
                    dataclasses.replace(g, members=tuple(m for m in g.members if m != person.id))
                    for g in schedule.groups))
                pure_runs, page_runs = [], []
                for _ in range(args.runs):
                    began = time.perf_counter()
                    result = best_fit(scenario, without, person)
                    pure_runs.append(time.perf_counter() - began)
                    db.session.expire_all()  # each page reads the database afresh, as a request would
                    began = time.perf_counter()
                    service.where_they_fit(center, rows[person.id])
                    page_runs.append(time.perf_counter() - began)
                fits += bool(result.fits)
                pure.append(statistics.median(pure_runs))
                page.append(statistics.median(page_runs))
        write(args, load, len(schedule.groups), pure, page, fits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write(args: argparse.Namespace, load: float, groups: int, pure: list[float], page: list[float], fits: int) -> None:
    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.2f} | {max(values) * 1000:.2f}"

    lines = [START, "### Where a newcomer fits now", "",
             f"Run {dt.date.today().isoformat()} on {machine()}; load average at start {load:.2f} (the machine "
             f"was busy: other work shares these 2 cores). large.json (600 participants) solved for 15 s and "
             f"published ({groups} groups) on SQLite; {args.newcomers} newcomers drawn from the scenario with "
             f"seed {args.seed}, each timed {args.runs} times; the median of each newcomer's runs, then the "
             f"median and the slowest over newcomers. The pure check takes the newcomer out of their groups "
             f"(as if new); the page data is the service call behind the page (published term, answers, pairs, "
             f"check, words). {fits} of {args.newcomers} had a group to join.", "",
             "| what | median ms | slowest newcomer ms |", "|---|---|---|",
             f"| pure check (solver.best_fit) | {ms(pure)} |",
             f"| page data (services.advice.best_fit.where_they_fit) | {ms(page)} |",
             END]
    section = "\n".join(lines)
    write_section(START, END, section)
    print(section)


if __name__ == "__main__":
    main()
