"""The demo center, loaded by its command as `make run` does; returns the coordinator's password."""

from __future__ import annotations

import re

from flask import Flask


def load_demo(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    match = re.search(r"password: (\S+)", result.output)
    assert match is not None
    return match.group(1)
