"""ical.js (Thunderbird's calendar parser, pinned in package.json) run from the tests: each feed
expanded over a date range by ``tests/js/expand_ical.mjs``. ``make test`` installs it with ``npm ci``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "js" / "expand_ical.mjs"


def expand(bodies: dict[str, bytes], start: dt.date, end: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Every occurrence of each feed (by its key) from ``start`` to ``end``, both inclusive."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js is missing: run `npm ci` (make test does) with Node.js installed")
    with tempfile.TemporaryDirectory(prefix="icaljs-") as work:
        files = {}
        for n, (key, body) in enumerate(bodies.items()):
            path = Path(work) / f"{n}.ics"
            path.write_bytes(body)
            files[str(path)] = key
        out = subprocess.run([node, str(SCRIPT), start.isoformat(), end.isoformat(), *files], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        pytest.fail(f"ical.js could not read the feeds: {out.stderr[-2000:]}")
    return {files[path]: found for path, found in json.loads(out.stdout).items()}


def utc(occurrence: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(occurrence["start"].replace("Z", "+00:00"))
