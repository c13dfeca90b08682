"""docs/deploy.md, followed word for word: every command in its ``sh`` blocks, the ``ExecStart`` line of
each service file and every cron line is run, in the page's order, against a temporary database, a
private redis-server and a free port. Only the deployment's own values change (the settings' values,
``/srv/scheduler``, ``127.0.0.1:8000``, ``/var/backups/scheduler``). A command added to the page that
this test does not run fails it; so does a command that fails. Also: a fresh clone's first
``db upgrade`` on the default SQLite creates the instance folder."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import make_app
from tests.support.servers import RedisServer, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "deploy.md"
BIN = Path(sys.executable).parent

if shutil.which("redis-server") is None:  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="redis-server is not installed (apt-get install redis-server)")


def fenced(language: str) -> list[list[str]]:
    """The lines of each fenced block in ``language``, comments and blank lines left out."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", GUIDE.read_text(), flags=re.S | re.M)
    return [[line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
            for block in blocks]


def test_the_guide_is_linked_from_the_readme() -> None:
    assert "(docs/deploy.md)" in (REPO / "README.md").read_text()


def test_install_commands_are_the_ones_make_runs() -> None:
    """Run by CI: .ci/run starts with `make`, whose venv target runs exactly these."""
    install = fenced("sh")[0]
    assert install == ["python3 -m venv .venv", ".venv/bin/pip install --quiet -r requirements.txt"]
    makefile = (REPO / "Makefile").read_text()
    assert "$(PYTHON) -m venv $(VENV)" in makefile and "PYTHON ?= python3" in makefile
    assert "$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt" in makefile


class Deployment:
    """The page's values swapped for the test's, and a record of every command run."""

    def __init__(self, workdir: Path, redis_url: str, database_url: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.backups = workdir / "backups"
        self.backups.mkdir()
        self.values = {"SCHEDULER_SECRET_KEY": secrets.token_hex(32),
                       "SCHEDULER_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
                       "SCHEDULER_TRUSTED_PROXIES": "1", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("SCHEDULER_") and key not in ("DATABASE_URL", "REDIS_URL")}
        self.env["PATH"] = f"{BIN}:{self.env.get('PATH', '')}"
        self.ran: list[str] = []
        self.services: list[subprocess.Popen[bytes]] = []

    def local(self, command: str) -> str:
        return (command.replace("/srv/scheduler", str(REPO)).replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
                .replace("/var/backups/scheduler", str(self.backups)))

    def export(self, line: str) -> None:
        name, _sep, _value = line.removeprefix("export ").partition("=")
        assert name in self.values, f"the guide sets {name}, which this test does not know"
        self.env[name] = self.values[name]
        self.ran.append(line)

    def sh(self, line: str, timeout: float = 120) -> str:
        result = subprocess.run(["bash", "-c", self.local(line)], cwd=REPO, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        self.ran.append(line)
        return result.stdout

    def start(self, exec_start: str, name: str) -> None:
        # systemd splits ExecStart itself (no shell), as shlex does here.
        with (self.workdir / f"{name}.log").open("ab") as log:
            self.services.append(subprocess.Popen(shlex.split(self.local(exec_start)), cwd=REPO, env=self.env,
                                                  stdout=log, stderr=log, start_new_session=True))
        self.ran.append(exec_start)

    def cron(self, line: str) -> None:
        command = line.split(None, 5)[5].replace("\\%", "%")  # cron turns \% into %
        result = subprocess.run(["/bin/sh", "-c", self.local(command)], env=self.env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        self.ran.append(line)

    def stop_services(self) -> None:
        for service in self.services:
            if service.poll() is None:
                service.terminate()
                try:
                    service.wait(20)
                except subprocess.TimeoutExpired:
                    service.kill()
                    service.wait(5)
        self.services.clear()

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "flask"), "--app", "scheduler", *args], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    redis = RedisServer(tmp_path)
    redis.start()
    base = os.environ.get("TEST_DATABASE_URL")
    database_name = None
    if base is not None:
        from sqlalchemy import create_engine, make_url, text

        admin = make_url(base)
        database_name = f"scheduler_deploy_{secrets.token_hex(5)}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database_name}"'))
        engine.dispose()
        url = admin.set(database=database_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'scheduler.db'}"
    built = Deployment(tmp_path, redis.url, url)
    try:
        yield built
    finally:
        built.stop_services()
        redis.stop()
        if database_name is not None:
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
            engine.dispose()


def test_the_deployment_guide_word_for_word(deployment: Deployment) -> None:
    sh_blocks = fenced("sh")
    install, settings, upgrade, health, backup, restore, upgrade_again = sh_blocks
    services = [line.removeprefix("ExecStart=") for block in fenced("ini") for line in block
                if line.startswith("ExecStart=")]
    cron = [line for block in fenced("cron") for line in block if not line.startswith("#")]
    assert len(services) == 2 and len(cron) == 3

    deployment.ran += install  # run by make, checked above
    for line in settings:
        deployment.export(line)
    for line in upgrade:
        deployment.sh(line)

    web, worker = services
    deployment.start(web, "web")
    deployment.start(worker, "worker")
    base = f"http://127.0.0.1:{deployment.port}"

    def answers() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for("gunicorn answers", answers, 120, every=0.3)  # four workers importing on a loaded machine
    assert deployment.sh(health[0]) == "ok\n"
    wait_for("the build worker is seen by the app",
             lambda: requests.get(base + "/readyz", timeout=5).json().get("build_workers") == 1, 30, every=0.3)
    ready = json.loads(deployment.sh(health[1]))
    assert ready == {"ready": True, "down": [], "database": "ok", "redis": "ok", "build_workers": 1}
    # Behind the proxy of the page: HTTPS is seen from X-Forwarded-Proto, so answers carry HSTS.
    proxied = requests.get(base + "/sign-in", headers={"X-Forwarded-Proto": "https",
                                                       "X-Forwarded-For": "203.0.113.7"}, timeout=10)
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied.headers

    for line in cron:
        deployment.cron(line)
    assert len(list(deployment.backups.glob("scheduler-*.backup"))) == 1

    for line in backup:
        deployment.sh(line)
    # A change after the backup, which the restore must undo.
    added = deployment.flask("import-scenario", str(REPO / "scenarios" / "small.json"), "--center", "After backup")
    assert added.returncode == 0, added.stderr
    deployment.stop_services()  # "Stop both services first"
    for line in restore:
        deployment.sh(line)
    gone = deployment.flask("export-scenario", "After backup", "-o", "-")
    assert gone.returncode != 0 and "After backup" in gone.stderr + gone.stdout
    for line in upgrade_again:
        deployment.sh(line)

    every_command = [*install, *settings, *upgrade, *health, *backup, *restore, *upgrade_again, *services, *cron]
    assert sorted(deployment.ran) == sorted(every_command)


def test_a_fresh_clones_first_db_upgrade_creates_the_instance_folder(tmp_path: Path) -> None:
    """`SCHEDULER_SECRET_KEY=x flask --app scheduler db upgrade` on a fresh clone: no instance/ yet."""
    instance = tmp_path / "fresh-clone" / "instance"
    app = make_app("", instance, SQLALCHEMY_DATABASE_URI=None, SECRET_KEY="x")
    assert instance.is_dir()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (instance / "scheduler.db").stat().st_size > 0
