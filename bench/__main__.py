"""Run the example scenarios (scenarios/) (each solve in its own subprocess, for an honest peak memory) and write
the solver section of BENCHMARKS.md between its markers. Timings live here, never in the tests.

    python -m bench [--scenarios small,planted] [--seeds 0,1,2] [--time-limit 60] [--workers 2]
                    [--compare-workers medium]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = Path(os.environ.get("SCENARIO_DIR", ROOT / "scenarios"))
DEFAULT = ["small", "planted", "medium", "medium-ifneeded", "large", "xl"]
LIMITS = {"xl": 120.0}
START, END = "<!-- solver-bench:start -->", "<!-- solver-bench:end -->"


def run_one(name: str, seed: int, limit: float, workers: int) -> dict:
    """One solve in a child process; the child prints one JSON line."""
    code = (
        "import json, resource, sys, time\n"
        "from solver.scenario import read_scenario_file\n"
        "import importlib\nS = importlib.import_module('solver.solve')\n"
        f"sc = read_scenario_file({str(SCENARIOS / (name + '.json'))!r})\n"
        "covered = []\n"
        f"r = S.solve(sc, S.SolveParams(time_limit_s={limit}, workers={workers}, seed={seed}))\n"
        "out = dict(status=r.status, score=r.objective, bound=r.bound, wall=r.wall_s,\n"
        "           covered=len({p for g in r.groups for p in g.members}), **S.last_stats,\n"
        "           rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        return {"status": "ERROR", "error": done.stderr[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(x: float | None, nd: int = 1) -> str:
    return "—" if x is None else (f"{x:.{nd}f}" if isinstance(x, float) and not x.is_integer() else f"{int(x)}")


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--scenarios", default=",".join(DEFAULT))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--time-limit", type=float, default=None, help="override (default 60 s, xl 120 s)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--compare-workers", default="medium", help="scenarios also run with 1 worker (seed 0)")
    ap.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    load = os.getloadavg()[0]
    lines = [START, "", f"Solver benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}; "
             f"load average {load:.2f} at the start.",
             "Medians over seeds " + ", ".join(map(str, seeds)) + f"; {args.workers} workers. *first valid s*: the "
             "first schedule the progress bar shows (the greedy start); *solve s*: until the search ended (a proof "
             "of optimality ends it early).", "",
             "| scenario | limit s | status | score | bound | gap % | covered | build s | first valid s "
             "| solve s | peak MB | scores by seed |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in [s for s in args.scenarios.split(",") if s]:
        limit = args.time_limit or LIMITS.get(name, 60.0)
        rows = [run_one(name, seed, limit, args.workers) for seed in seeds]
        ok = [r for r in rows if r.get("score") is not None]
        statuses = "/".join(sorted({r["status"] for r in rows}))
        score, bound = median(ok, "score"), median(ok, "bound")
        gap = None if not score or bound is None else (bound - score) / bound * 100
        lines.append(f"| {name} | {fmt(limit)} | {statuses} | {fmt(score)} | {fmt(bound)} | {fmt(gap, 2)} "
                     f"| {fmt(median(ok, 'covered'))} | {fmt(median(rows, 'build_s'), 1)} "
                     f"| {fmt(median(rows, 'first_solution_s'), 1)} | {fmt(median(rows, 'solve_s'), 1)} "
                     f"| {fmt(median(rows, 'rss_mb'), 0)} | {', '.join(str(r.get('score')) for r in rows)} |")
        print(lines[-1], flush=True)
    compare = [s for s in args.compare_workers.split(",") if s]
    if compare:
        lines += ["", "1 vs 2 workers (seed 0):", "", "| scenario | workers | status | score | bound |",
                  "|---|---|---|---|---|"]
        for name in compare:
            limit = args.time_limit or LIMITS.get(name, 60.0)
            for w in (1, 2):
                r = run_one(name, seeds[0] if seeds else 0, limit, w)
                lines.append(f"| {name} | {w} | {r['status']} | {r.get('score')} | {r.get('bound')} |")
                print(lines[-1], flush=True)
    lines += ["", END]
    out = Path(args.output)
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n\n"
    block = "\n".join(lines)
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
