"""gunicorn's settings for this app, read by gunicorn when started from the repository's folder
(or with ``-c gunicorn.conf.py``).

Before any worker starts, the configuration is checked for what production needs: the public address
for links and, with several workers, Redis for the limits (``scheduler/config.py``). The workers
inherit the number of processes, so each one checks again when it builds the app."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    os.environ["SCHEDULER_SERVER_PROCESSES"] = str(server.cfg.workers)
    from scheduler.config import ProductionSettingMissing, refuse_unsafe_production_start, settings_without_app

    try:
        settings = settings_without_app(str(Path(__file__).resolve().parent / "instance"))
        refuse_unsafe_production_start(settings, server.cfg.workers)
    except (ProductionSettingMissing, ValueError) as refusal:
        server.log.error("%s", refusal)
        sys.exit(f"{refusal}")
