"""Health and readiness, for a load balancer, a container runtime or a monitor (docs/deploy.md).

``/healthz`` says only that this process answers: it touches nothing else, so a database outage never
makes the orchestrator restart healthy app servers. ``/readyz`` says whether this process can serve:
the database answers (and has the schema) and, when ``REDIS_URL`` is set, Redis answers; otherwise
503 with Retry-After, naming what is down. With Redis it also counts the live build workers
(``flask --app scheduler worker``). Both are public and say nothing about the data.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from scheduler.extensions import db
from scheduler.models import Center
from scheduler.services.solving import live_workers, redis_connection

bp = Blueprint("health", __name__)

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return _no_store(Response("ok\n", mimetype="text/plain"))


@bp.get("/readyz")
def readyz() -> Response:
    checks = {"database": _database(), "redis": _redis()}
    down = sorted(name for name, state in checks.items() if state == "unreachable")
    body: dict[str, object] = {"ready": not down, "down": down, **checks}
    if checks["redis"] == "ok":
        # For the operator, not for readiness: builds wait (and their page says so) without a worker.
        body["build_workers"] = live_workers()
    response = jsonify(body)
    if down:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return _no_store(response)


def _database() -> str:
    try:
        # A table of the schema, not just "SELECT 1": SQLite answers that even for a missing file.
        db.session.execute(select(Center.id).limit(1))
        return "ok"
    except SQLAlchemyError as error:
        log.warning("readyz: database unreachable (%s)", type(error).__name__)
        return "unreachable"
    finally:
        db.session.rollback()


def _redis() -> str:
    from redis.exceptions import RedisError

    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    try:
        redis_connection(url).ping()
        return "ok"
    except (RedisError, OSError) as error:
        log.warning("readyz: Redis unreachable (%s)", type(error).__name__)
        return "unreachable"
