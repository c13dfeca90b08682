"""Mid-term re-solve benchmark: change 5% of a scenario's participants (newcomers, leavers, changed
availability), re-solve from the published baseline with the disruption penalty, and compare with a
fresh solve given the same time. Writes its section of BENCHMARKS.md between its markers.

    python -m bench.resolve [--scenario large] [--seeds 0,1,2] [--baseline-limit 60] [--limit 30]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import random
import statistics
from typing import Any

from bench.__main__ import SCENARIOS, machine
from bench.report import write_section
from solver import SolveParams, Stability, load_scenario, solve
from solver.check import check_schedule
from solver.stability import moves

START, END = "<!-- resolve-bench:start -->", "<!-- resolve-bench:end -->"


def perturb(data: dict[str, Any], share: float, rng: random.Random) -> tuple[dict[str, Any], set[str]]:
    """A copy of ``data`` with ``share`` of its participants changed, a third each way; returns the
    changed ids (leavers, newcomers and those whose availability changed)."""
    data = copy.deepcopy(data)
    people = data["participants"]
    n = max(3, round(share * len(people)))
    chosen = rng.sample(people, n)
    leavers, changed = chosen[: n // 3], chosen[n // 3: 2 * n // 3]
    touched = {p["id"] for p in chosen[: 2 * n // 3]}
    gone = {p["id"] for p in leavers}
    data["participants"] = [p for p in people if p["id"] not in gone]
    for pair_kind in ("keep_apart", "keep_together"):
        data[pair_kind] = [pair for pair in data[pair_kind] if not set(pair) & gone]
    for person in changed:
        slots = list(person["available"])
        rng.shuffle(slots)
        person["available"] = sorted(slots[: max(1, len(slots) // 2)])
        person["if_needed"] = [s for s in person.get("if_needed", []) if s not in person["available"]]
    for k in range(n - 2 * (n // 3)):
        newcomer = copy.deepcopy(rng.choice(data["participants"]))
        newcomer.update(id=f"new{k}", name=f"Newcomer {k}", email=f"new{k}@example.org")
        rng.shuffle(newcomer["preferences"])
        data["participants"].append(newcomer)
        touched.add(newcomer["id"])
    return data, touched


def spec_score(scenario: Any, schedule: Any) -> int:
    report = check_schedule(scenario, schedule)
    if report.violations:
        raise SystemExit(f"invalid schedule: {report.violations[:3]}")
    return report.score


def run(name: str, seed: int, baseline_limit: float, limit: float, workers: int) -> dict[str, Any]:
    data = json.loads((SCENARIOS / f"{name}.json").read_text())
    before = load_scenario(data)
    baseline = solve(before, SolveParams(time_limit_s=baseline_limit, workers=workers, seed=seed))
    changed_data, touched = perturb(data, 0.05, random.Random(seed))
    after = load_scenario(changed_data)
    stable = solve(after, SolveParams(time_limit_s=limit, workers=workers, seed=seed,
                                      stability=Stability(baseline)))
    fresh = solve(after, SolveParams(time_limit_s=limit, workers=workers, seed=seed))
    moved = moves(baseline, stable.groups)
    fresh_moved = moves(baseline, fresh.groups)
    stable_score, fresh_score = spec_score(after, stable), spec_score(after, fresh)
    return {"seed": seed, "touched": len(touched), "unaffected_moved": len(moved.participants - touched),
            "fresh_unaffected_moved": len(fresh_moved.participants - touched),
            "slots": moved.slots, "rooms": moved.rooms, "facilitators": moved.facilitators,
            "stable_score": stable_score, "fresh_score": fresh_score, "ratio": stable_score / fresh_score,
            "wall": stable.wall_s}


def write(rows: list[dict[str, Any]], name: str, baseline_limit: float, limit: float, workers: int) -> str:
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0] if k != "seed"}
    lines = [
        START,
        f"### Mid-term re-solve ({name}.json, 5% of participants changed)",
        "",
        f"Run {dt.date.today().isoformat()} on {machine()}; load average before the run "
        f"{os.getloadavg()[0]:.2f}. Baseline solved for {baseline_limit:.0f} s; re-solve and fresh solve "
        f"{limit:.0f} s each, {workers} workers; seeds {', '.join(str(r['seed']) for r in rows)} (medians below, "
        "every run in the table). Targets: no unaffected participant moves; score at least 98% of a fresh solve.",
        "",
        "| seed | changed people | unaffected moved (re-solve) | unaffected moved (fresh solve) | slot / room / "
        "facilitator moves | re-solve score | fresh score | ratio | re-solve wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['seed']} | {r['touched']} | {r['unaffected_moved']} | {r['fresh_unaffected_moved']} | "
                     f"{r['slots']} / {r['rooms']} / {r['facilitators']} | {r['stable_score']} | {r['fresh_score']} "
                     f"| {r['ratio']:.3f} | {r['wall']:.1f} |")
    lines.append(f"| **median** | {med['touched']:.0f} | {med['unaffected_moved']:.0f} | "
                 f"{med['fresh_unaffected_moved']:.0f} | {med['slots']:.0f} / {med['rooms']:.0f} / "
                 f"{med['facilitators']:.0f} | {med['stable_score']:.0f} | {med['fresh_score']:.0f} | "
                 f"{med['ratio']:.3f} | {med['wall']:.1f} |")
    met = med["unaffected_moved"] == 0 and med["ratio"] >= 0.98
    lines += ["", f"Targets {'met' if met else 'NOT met'} on the medians.", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--baseline-limit", type=float, default=60.0)
    parser.add_argument("--limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        rows.append(run(args.scenario, seed, args.baseline_limit, args.limit, args.workers))
        print(json.dumps(rows[-1]), flush=True)
    section = write(rows, args.scenario, args.baseline_limit, args.limit, args.workers)
    write_section(START, END, section)
    print(section)


if __name__ == "__main__":
    main()

