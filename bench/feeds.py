"""Feed load benchmark: gunicorn serving a published large center (large.json), hit by wrk from a second
process; full answers (200) and revalidations (304), for a participant's and a facilitator's feed.
Writes its section of BENCHMARKS.md between its markers.

    python -m bench.feeds [--runs 3] [--seconds 10] [--connections 16] [--gunicorn-workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.__main__ import ROOT, SCENARIOS, machine
from bench.report import write_section

START, END = "<!-- feeds-bench:start -->", "<!-- feeds-bench:end -->"
SECRET = "feeds-bench-" + "0" * 40


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package) for the load generator", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ,
                                                                               "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or "wrk"


def prepare(db_url: str, instance: Path) -> tuple[str, str, int]:
    """A migrated database with medium.json published; returns a participant's and a facilitator's token."""
    from flask_migrate import upgrade

    from scheduler import create_app
    from scheduler.extensions import db
    from scheduler.models import ScheduleVersion, VersionStatus
    from scheduler.services import feed_tokens
    from scheduler.services.scenarios import import_scenario
    from solver import SolveParams, read_scenario_file, solve

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET}, instance_path=str(instance))
    with app.app_context():
        upgrade()
        scenario = read_scenario_file(SCENARIOS / "large.json")  # the size the issue asks for
        center = import_scenario(scenario, "Bench center")
        db.session.flush()
        result = solve(scenario, SolveParams(time_limit_s=15, workers=2, seed=0))
        version = ScheduleVersion(center_id=center.id, number=1, status=VersionStatus.PUBLISHED,
                                  published_at=dt.datetime.now(dt.UTC), solver_status=result.status,
                                  objective=result.objective, bound=result.bound, scenario=scenario.to_dict(),
                                  schedule=result.to_dict())
        db.session.add(version)
        db.session.commit()
        member = next(p for g in result.groups for p in g.members)
        leader = result.groups[0].facilitators[0]
        participant = next(p for p in center.participants if p.code == member)
        facilitator = next(f for f in center.facilitators if f.code == leader)
        tokens = feed_tokens.issue(participant), feed_tokens.issue(facilitator)
        db.session.commit()
        groups = len(result.groups)
        db.engine.dispose()
    return tokens[0], tokens[1], groups


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(binary: str, url: str, seconds: int, connections: int, etag: str | None) -> dict[str, float]:
    command = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if etag:
        command[1:1] = ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "errors": float(errors.group(1)) if errors else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    args = parser.parse_args()
    binary = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    db_url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    participant, facilitator, groups = prepare(db_url, work / "instance")
    port = free_port()
    # Serving capacity, not the per-feed limit (120 a minute per token, by design) is measured here.
    env = {**os.environ, "DATABASE_URL": db_url, "SCHEDULER_SECRET_KEY": SECRET,
           "SCHEDULER_RATELIMIT_ENABLED": "false",
           "SCHEDULER_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.gunicorn_workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "scheduler:create_app()"], cwd=ROOT, env=env)
    try:
        import urllib.request

        base = f"http://127.0.0.1:{port}/feeds/"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + participant + ".ics", timeout=2)  # nosec B310: our own server
                break
            except OSError:
                time.sleep(0.2)
        load = os.getloadavg()[0]
        rows = []
        for label, token in (("participant", participant), ("facilitator", facilitator)):
            url = base + token + ".ics"
            with urllib.request.urlopen(url, timeout=5) as answer:  # nosec B310: our own server
                etag, size = answer.headers["ETag"], len(answer.read())
            for kind, header in (("200", None), ("304", etag)):
                runs = [wrk(binary, url, args.seconds, args.connections, header) for _ in range(args.runs)]
                rows.append((label, kind, size if kind == "200" else 0, runs))
                print(label, kind, [f"{r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms" for r in runs], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    write(rows, args, groups, load, db_url)


def write(rows: list, args: argparse.Namespace, groups: int, load: float, db_url: str) -> None:
    lines = [START, "### Calendar feeds under load", "",
             f"Run {dt.date.today().isoformat()} on {machine()}; load average at start {load:.2f} (other work "
             f"shares these 2 cores). gunicorn with {args.gunicorn_workers} sync workers on "
             f"{'PostgreSQL' if db_url.startswith('postgres') else 'SQLite'}, large.json published ({groups} "
             f"groups); wrk from a second process, 2 threads, {args.connections} connections, {args.seconds} s "
             f"per run, {args.runs} runs; medians, every run listed. The per-feed rate limit is off for this "
             "measurement (it caps one token at 120 requests a minute).", "",
             "| feed | answer | body bytes | requests/s (median) | p99 latency ms (median) | runs (req/s) | "
             "non-2xx/3xx |",
             "|---|---|---|---|---|---|---|"]
    for label, kind, size, runs in rows:
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        lines.append(f"| {label} | {kind} | {size or '—'} | {statistics.median(r['rps'] for r in runs):.0f} | "
                     f"{statistics.median(r['p99_ms'] for r in runs):.1f} | "
                     f"{each} | {sum(r['errors'] for r in runs):.0f} |")
    lines.append(END)
    section = "\n".join(lines)
    write_section(START, END, section)
    print(section)


if __name__ == "__main__":
    main()
