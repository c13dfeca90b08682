"""The demo center that ``make run`` loads once, with a coordinator whose password is generated
on first load and kept in the instance folder (never in the repository)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from scheduler.extensions import db
from scheduler.services.accounts import create_coordinator
from scheduler.services.scenarios import find_center, import_scenario
from solver import read_scenario_file

DEMO_EMAIL = "coordinator@demo.example"
_WORDS = ("river", "maple", "lantern", "harbor", "meadow", "violin", "pepper", "copper", "willow", "orbit",
          "garden", "tandem", "canyon", "ember", "pillow", "quartz", "saffron", "timber", "walnut", "zephyr")


@dataclass(frozen=True)
class DemoSignIn:
    center_name: str
    email: str
    password: str
    created: bool  # False when the demo was already there


def load_demo(scenario_path: str, instance_path: str) -> DemoSignIn:
    """Load the demo center unless it is there already; return how to sign in. Commits."""
    scenario = read_scenario_file(scenario_path)
    credentials_file = Path(instance_path) / "demo-sign-in.json"
    existing = find_center(scenario.center.name)
    if existing is not None and credentials_file.exists():
        saved = json.loads(credentials_file.read_text())
        return DemoSignIn(existing.name, saved["email"], saved["password"], created=False)
    if existing is not None:
        raise RuntimeError(
            f'the demo center "{existing.name}" exists but {credentials_file} is gone; '
            f"create a coordinator with: flask --app scheduler create-coordinator EMAIL --center \"{existing.name}\""
        )
    # Four words and eight hex digits (about 49 random bits): easy to type from the terminal,
    # and the demo serves 127.0.0.1 only.
    password = "-".join(secrets.choice(_WORDS) for _ in range(4)) + "-" + secrets.token_hex(4)
    center = import_scenario(scenario)
    create_coordinator(DEMO_EMAIL, password, center)
    db.session.commit()
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"email": DEMO_EMAIL, "password": password}, handle)
    return DemoSignIn(center.name, DEMO_EMAIL, password, created=True)
