"""The script in docs/api.md, run as written against a live server: `flask run` on a free port with
a throwaway database holding the demo center, and a key from `flask api-key create`. It loads a
participant from a CSV, builds (5 seconds), publishes and prints a participant's groups."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = "Riverside Community Center (demo)"


def script_from_docs() -> str:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scripts = [b for b in blocks if b.startswith("# load_and_publish.py")]
    assert len(scripts) == 1, "docs/api.md must hold the script load_and_publish.py"
    return scripts[0]


def csv_from_docs() -> str:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    found = re.search(r"```csv\n(.*?)```", text, flags=re.S)
    assert found, "docs/api.md must show the CSV"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}", "SCHEDULER_SECRET_KEY": "api-script",
           "SCHEDULER_PUBLIC_URL": f"http://127.0.0.1:{port}", "SCHEDULER_SESSION_COOKIE_SECURE": "false",
           "FLASK_APP": f"scheduler:create_app(instance_path={str(tmp_path / 'instance')!r})"}
    flask = [str(ROOT / ".venv" / "bin" / "flask")] if (ROOT / ".venv" / "bin" / "flask").exists() else [
        sys.executable, "-m", "flask"]

    def run(*args: str) -> str:
        done = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("db", "upgrade")
    run("load-demo")
    key = run("api-key", "create", "--center", DEMO, "--name", "docs script").strip()
    server = subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{api}/openapi.json", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the server did not start")
                time.sleep(0.3)
        yield api, key
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_the_script_in_the_docs_runs_as_written(live_server: tuple[str, str], tmp_path: Path) -> None:
    api, key = live_server
    (tmp_path / "load_and_publish.py").write_text(script_from_docs(), encoding="utf-8")
    (tmp_path / "people.csv").write_text(csv_from_docs(), encoding="utf-8")
    done = subprocess.run([sys.executable, "load_and_publish.py", "people.csv", "p1"], cwd=tmp_path,
                          env={**os.environ, "API": api, "API_KEY": key, "TIME_LIMIT": "5"},
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "participants: {'added': 1, 'updated': 0}" in done.stdout
    assert "published version 1" in done.stdout
    request = urllib.request.Request(f"{api}/participants/p1/groups", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request) as response:
        groups = json.loads(response.read())["groups"]
    # What the script printed is what the API holds: one line per group of the participant.
    assert groups, done.stdout
    assert [line for line in done.stdout.splitlines() if line.startswith("p1: ")] == [
        f"p1: {g['id']} ({g['activity']}) at {' '.join(g['sessions'])} in room {g['room']}" for g in groups]
