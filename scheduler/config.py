"""Configuration in layers: these defaults, then ``instance/config.py``, then environment
variables prefixed ``SCHEDULER_``, then the ``test_config`` passed to ``create_app``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask import Config


class DefaultConfig:
    SQLALCHEMY_DATABASE_URI: str | None = None  # set from the instance folder in load_config
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # a little above the scenario limit, so the form can say why
    # The session cookie travels only over HTTPS. `make run` serves plain HTTP on the loopback address
    # and turns this off there (SCHEDULER_SESSION_COOKIE_SECURE=false); a deployment never should.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # A form's CSRF token is good for as long as its session, not one hour: a form left open over
    # lunch must not come back as "the form had expired" and lose what was typed. The session
    # itself ends with the idle and absolute time-outs (views/auth.py).
    WTF_CSRF_TIME_LIMIT: int | None = None
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es")
    REDIS_URL: str | None = None
    # How many reverse proxies stand in front of the app and add X-Forwarded-For. With 0 the header is
    # ignored (a client could write anything in it); behind one nginx, 1, so that the rate limits see
    # each client's own address instead of the proxy's.
    TRUSTED_PROXIES = 0
    # The address people reach the app at ("https://groups.example.org"). Every link in an email or
    # a calendar link starts with it, never with the Host header a client sent (security.py).
    # Required under gunicorn; `make run` sets the loopback one.
    PUBLIC_URL: str | None = None
    SOLVER_QUEUE = "solver"
    SOLVER_WORKERS = 2  # CP-SAT search workers per solve
    DEMO_SCENARIO = str(Path(__file__).parent / "demo" / "demo-center.json")


def _layers(config: Config) -> None:
    config.from_object(DefaultConfig)
    config.from_pyfile("config.py", silent=True)
    config.from_prefixed_env("SCHEDULER")
    if "DATABASE_URL" in os.environ:
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if "REDIS_URL" in os.environ:  # solves go to RQ workers instead of an in-process thread
        config["REDIS_URL"] = os.environ["REDIS_URL"]


def settings_without_app(instance_path: str) -> Config:
    """The configured settings (every layer but a test's), read without building the app."""
    config = Config(instance_path)
    _layers(config)
    config["PUBLIC_URL"] = _public_url(config.get("PUBLIC_URL"))
    return config


def load_config(app: Any, test_config: dict[str, Any] | None) -> None:
    _layers(app.config)
    if test_config:
        app.config.update(test_config)
    proxies = app.config["TRUSTED_PROXIES"]
    if isinstance(proxies, bool) or not isinstance(proxies, int) or not 0 <= proxies <= 10:
        raise ValueError(f"SCHEDULER_TRUSTED_PROXIES must be the number of reverse proxies in front of the app "
                         f"(0 to 10), not {proxies!r}")
    app.config["PUBLIC_URL"] = _public_url(app.config.get("PUBLIC_URL"))
    if _under_gunicorn():
        refuse_unsafe_production_start(app.config, int(os.environ.get("SCHEDULER_SERVER_PROCESSES", "1")))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        # SQLite creates the file but not its folder: a fresh clone has no instance/ yet.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "scheduler.db")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


class ProductionSettingMissing(RuntimeError):
    """A production server must not start without it; the message says what to set."""


def _public_url(value: object) -> str | None:
    if value in (None, ""):
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"SCHEDULER_PUBLIC_URL must be the address people use to reach the app, such as "
                         f"https://groups.example.org, not {value!r}")
    return str(value).rstrip("/")


def _under_gunicorn() -> bool:
    # gunicorn's arbiter writes this into its environment, which its workers inherit.
    return os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/")


def refuse_unsafe_production_start(config: Any, processes: int) -> None:
    """A production server (gunicorn) needs the public address for its links and, with more than one
    process, Redis for its limits: counted in each process, every limit would multiply."""
    missing = []
    if not config.get("PUBLIC_URL"):
        missing.append("SCHEDULER_PUBLIC_URL=https://your.address (every link in an email starts with it; "
                       "without it a forged Host header would choose the address)")
    if processes > 1 and config.get("RATELIMIT_ENABLED", True) and not config.get("REDIS_URL"):
        missing.append(f"REDIS_URL=redis://host:6379/0 (with {processes} processes the sign-in and token limits "
                       f"must be counted in one shared place), or run one worker")
    if missing:
        raise ProductionSettingMissing("Refusing to start: set " + "; and ".join(missing))


def _instance_secret_key(instance: Path) -> str:
    """Generate the signing key once and keep it, so sign-ins survive a restart."""
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with 0600 from the start: the key signs every session cookie.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
